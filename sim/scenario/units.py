"""Durations, rates and sizes as a scenario writes them, converted once at the boundary.

Durations (`250ms`, `1.5s`, `7d`) become integer microseconds, rates (`2000/s`, `3/ms`, `60/m`)
become float records per second, sizes (`200B`, `64KiB`, `1MiB`) become integer bytes,
bandwidths (`100MiB/s`, a size per second, above 0) integer bytes per second
(docs/scenario.md#units). A decimal is accepted only where it yields a whole number of
microseconds; no sign, exponent or space; at most 365d. A bare number where a unit is
needed, 0 included, is an error. Kafka properties inside `config:` keep Kafka's own units and
are not parsed here.
"""

from __future__ import annotations

import re
from fractions import Fraction

from sim.scenario.errors import Invalid, Path, describe, quote

US_PER_UNIT = {
    "us": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}
MAX_DURATION_US = 365 * US_PER_UNIT["d"]
PER_SECOND = {"s": Fraction(1), "ms": Fraction(1000), "m": Fraction(1, 60)}
BYTES_PER_UNIT = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
_MAX_TEXT = 40

_DURATION = re.compile(r"(\d+)(?:\.(\d+))?(us|ms|s|m|h|d)")
_RATE = re.compile(r"(\d+)(?:\.(\d+))?/(s|ms|m)")
_SIZE = re.compile(r"(\d+)(B|KiB|MiB|GiB)")
_DECIMAL_SIZE = re.compile(r"\d+(?:\.\d+)?\s*([kKMGT]i?[bB]?|[kKMGT]B)")

DURATION = "a duration such as 250ms, 10s or 1.5m"
RATE = "a rate such as 2000/s, 5/ms or 30/m"
SIZE = "a size such as 100B, 64KiB or 1MiB"
BANDWIDTH = "a bandwidth such as 100MiB/s or 512KiB/s"


def _text(value: object, path: Path, expected: str, unit_example: str) -> str:
    """Return the string to parse, or raise for numbers (no unit) and other types."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise Invalid(
            path,
            expected,
            f"the number {describe(value)}",
            f"A unit is required, e.g. {_with_unit(value, unit_example)}.",
        )
    if not isinstance(value, str):
        raise Invalid(path, expected, describe(value))
    if len(value) > _MAX_TEXT:
        raise Invalid(path, expected, f"a {len(value)}-character string")
    return value


def _with_unit(value: object, unit: str) -> str:
    number = describe(value)
    return f"{number}{unit}" if not number.startswith("-") else f"{number[1:]}{unit}"


def parse_duration(value: object, path: Path, expected: str = DURATION) -> int:
    """Parse `1.5s` into 1500000 (microseconds)."""
    text = _text(value, path, expected, "s")
    match = _DURATION.fullmatch(text)
    if not match:
        raise Invalid(path, expected, quote(text), _duration_hint(text))
    whole, fraction, unit = match.group(1), match.group(2) or "", match.group(3)
    scaled, remainder = divmod(int(whole + fraction) * US_PER_UNIT[unit], 10 ** len(fraction))
    if remainder:
        raise Invalid(path, "a duration that is a whole number of microseconds", quote(text))
    if scaled > MAX_DURATION_US:
        raise Invalid(path, "a duration of at most 365d", quote(text))
    return scaled


def _duration_hint(text: str) -> str:
    if text.strip() != text or " " in text:
        return "Write it without spaces, e.g. 10s."
    if text[:1] in "+-":
        return "Durations have no sign."
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return f"A unit is required, e.g. {text}ms or {text}s."
    return "Units: us, ms, s, m, h, d."


def parse_rate(value: object, path: Path, expected: str = RATE) -> float:
    """Parse `2000/s`, `5/ms` or `30/m` into records per second (0/s allowed)."""
    text = _text(value, path, expected, "/s")
    match = _RATE.fullmatch(text)
    if not match:
        hint = "Units: /s, /ms, /m." if "/" in text else "A rate needs a unit, e.g. 100/s."
        raise Invalid(path, expected, quote(text), hint)
    whole, fraction, unit = match.group(1), match.group(2) or "", match.group(3)
    return float(Fraction(int(whole + fraction), 10 ** len(fraction)) * PER_SECOND[unit])


def parse_size(value: object, path: Path, expected: str = SIZE) -> int:
    """Parse `100B`, `64KiB`, `1MiB` or `1GiB` into bytes."""
    text = _text(value, path, expected, "B")
    match = _SIZE.fullmatch(text)
    if match:
        return int(match.group(1)) * BYTES_PER_UNIT[match.group(2)]
    hint = "Units: B, KiB, MiB, GiB."
    if _DECIMAL_SIZE.fullmatch(text):
        hint = "Sizes use binary units: write KiB (1024 B), MiB or GiB, with a whole number."
    raise Invalid(path, expected, quote(text), hint)


def parse_bandwidth(value: object, path: Path, expected: str = BANDWIDTH) -> int:
    """Parse `100MiB/s` into bytes per second (above 0: an unlimited link is an omitted one)."""
    text = _text(value, path, expected, "MiB/s")
    size, slash, unit = text.partition("/")
    if slash != "/" or unit != "s":
        hint = "Write a size per second, e.g. 100MiB/s." if not slash else "The unit is /s."
        raise Invalid(path, expected, quote(text), hint)
    if size[:1] == "-":
        raise Invalid(path, expected, quote(text), "A bandwidth has no sign.")
    try:
        per_second = parse_size(size, path, expected)
    except Invalid as err:
        raise Invalid(path, expected, quote(text), err.hint) from None
    if per_second == 0:
        raise Invalid(path, f"{expected}, above 0", quote(text), "Omit it for no limit.")
    return per_second


def parse_probability(value: object, path: Path, upper_open: bool = False) -> float:
    """Parse a probability in [0, 1] (or [0, 1) with `upper_open`) given as a YAML number."""
    expected = "a probability from 0 to 1" + (" (1 excluded)" if upper_open else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(path, expected, describe(value))
    number = float(value)
    if not 0.0 <= number <= 1.0 or (upper_open and number == 1.0):
        raise Invalid(path, expected, describe(value))
    return number


def format_duration(us: int) -> str:
    """Render microseconds exactly, in the largest unit that divides them: 1500000 -> `1500ms`."""
    if us == 0:
        return "0s"
    for unit in ("d", "h", "m", "s", "ms", "us"):
        if us % US_PER_UNIT[unit] == 0:
            return f"{us // US_PER_UNIT[unit]}{unit}"
    raise AssertionError(us)  # pragma: no cover - "us" always divides


def format_rate(per_second: float) -> str:
    """Render a rate: 2000.0 -> `2000/s`."""
    if per_second == int(per_second):
        return f"{int(per_second)}/s"
    return f"{per_second:g}/s"


def format_bandwidth(per_second: int) -> str:
    """Render bytes per second: 104857600 -> `100MiB/s`."""
    return f"{format_size(per_second)}/s"


def format_size(size: int) -> str:
    """Render bytes in the largest binary unit that divides them: 1048576 -> `1MiB`."""
    for unit in ("GiB", "MiB", "KiB"):
        if size and size % BYTES_PER_UNIT[unit] == 0:
            return f"{size // BYTES_PER_UNIT[unit]}{unit}"
    return f"{size}B"
