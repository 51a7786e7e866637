"""Reading the raw tree: fixed-field mappings, typed scalars and names, with exact error paths.

Every reader takes the value and its path in the raw tree and either returns a typed Python
value or raises `Invalid` naming that path. `Ctx` carries what the readers of one scenario
share: the chosen Kafka release and the raw paths written by `--set` (for config sources).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sim.scenario.errors import Invalid, Path, closest, describe, dotted, quote

MISSING = object()


@dataclass(frozen=True)
class Ctx:
    """Per-scenario facts the readers need."""

    version: str = "4.1"
    set_paths: frozenset[Path] = field(default_factory=frozenset)

    def from_set(self, path: Path) -> bool:
        """True when a `--set` override wrote `path` or one of its ancestors."""
        return any(path[: len(p)] == p for p in self.set_paths)

    def origin(self, path: Path) -> str:
        """`--set` or `scenario`: where a value present in the raw tree came from."""
        return "--set" if self.from_set(path) else "scenario"


def mapping(value: object, path: Path, what: str = "a mapping", optional: bool = True) -> dict:
    """Return `value` as a dict with text keys (`None` -> {} when optional)."""
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise Invalid(path, what, describe(value))
    for key in value:
        if not isinstance(key, str):
            raise Invalid(
                path + (str(key),),
                "a text key",
                describe(key),
                "Quote keys that YAML reads as numbers or booleans.",
            )
    return value


def check_keys(raw: dict, path: Path, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Refuse unknown keys (naming the closest valid one) and missing required keys."""
    allowed = list(allowed)
    for key in raw:
        if key not in allowed:
            owner = dotted(path) or "the scenario"
            found = quote(key) if isinstance(key, str) else describe(key)
            raise Invalid(
                path + (str(key),),
                f"a field of {owner} ({', '.join(allowed)})",
                found,
                closest(key, allowed),
            )
    for key in required:
        if key not in raw:
            raise Invalid(path + (key,), f"a value for {key} (required)", "nothing")


def integer(
    value: object,
    path: Path,
    lo: int | None = None,
    hi: int | None = None,
    what: str = "an integer",
) -> int:
    """Return a YAML integer within [lo, hi]."""
    bounds = _bounds(lo, hi)
    if isinstance(value, bool) or not isinstance(value, int):
        hint = (
            "Quotes make it a string." if isinstance(value, str) and value.strip().isdigit() else ""
        )
        raise Invalid(path, f"{what}{bounds}", describe(value), hint)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise Invalid(path, f"{what}{bounds}", describe(value))
    return value


def _bounds(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if lo is not None:
        return f" >= {lo}"
    return f" <= {hi}" if hi is not None else ""


def number(value: object, path: Path, lo: float | None = None, what: str = "a number") -> float:
    """Return a finite YAML number (int or float) >= lo as a float."""
    expected = f"{what} >= {lo:g}" if lo is not None else what
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(path, expected, describe(value))
    if not math.isfinite(value) or (lo is not None and value < lo):
        raise Invalid(path, expected, describe(value))
    return float(value)


def boolean(value: object, path: Path) -> bool:
    """Return a YAML boolean."""
    if not isinstance(value, bool):
        raise Invalid(path, "true or false", describe(value))
    return value


def text(
    value: object,
    path: Path,
    what: str = "a string",
    pattern: str | None = None,
    max_len: int = 10_000,
) -> str:
    """Return a string, optionally matching `pattern` (a full match)."""
    if not isinstance(value, str) or len(value) > max_len:
        raise Invalid(path, what, describe(value))
    if pattern is not None and not re.fullmatch(pattern, value):
        raise Invalid(path, what, quote(value))
    return value


def choice(value: object, path: Path, options: Iterable[str]) -> str:
    """Return one of `options`."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise Invalid(
            path, "one of " + ", ".join(options), describe(value), closest(value, options)
        )
    return value


def text_list(value: object, path: Path, what: str, allow_single: bool = True) -> tuple[str, ...]:
    """Return a non-empty list of strings (a lone string counts as a list of one)."""
    if allow_single and isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value:
        raise Invalid(path, what, describe(value))
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(path + (index,), what, describe(item))
    return tuple(value)
