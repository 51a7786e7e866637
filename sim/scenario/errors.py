"""Scenario errors: one paragraph naming the file, the path in it, what was expected and found.

Validators deep in the package raise `Invalid` with a path *tuple* in the raw tree and know
nothing of files or `--set`; the loader turns it into the public `ScenarioError`, which names
the file and, when an override produced the value, `--set PATH` instead of the file path.
Every independent problem of a file is reported, each in its own paragraph (`ScenarioErrors`,
one per line, in file order); consequences of an earlier problem are not (see `problems.py`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

Path = tuple[str | int, ...]


class ScenarioError(Exception):
    """A scenario file, dict or `--set` override that cannot be run, explained in one paragraph."""

    def __init__(self, source: str, path: str, expected: str, found: str, hint: str = "") -> None:
        self.source, self.path, self.expected, self.found, self.hint = (
            source,
            path,
            expected,
            found,
            hint,
        )
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.path) if part)
        text = f"{where}: expected {self.expected}, found {self.found}."
        return f"{text} {self.hint}" if self.hint else text

    def __reduce__(self):
        return (ScenarioError, (self.source, self.path, self.expected, self.found, self.hint))


class ScenarioErrors(ScenarioError):
    """Several independent problems of one file: `errors`, in file order, one per line.

    Its own fields are those of the first problem, so code that reads one error still works.
    """

    def __init__(self, errors: list[ScenarioError]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(first.source, first.path, first.expected, first.found, first.hint)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)

    def __reduce__(self):
        return (ScenarioErrors, (list(self.errors),))


class Invalid(Exception):
    """Internal: a problem at `path` in the raw tree; the loader makes it a `ScenarioError`."""

    def __init__(self, path: Path, expected: str, found: str, hint: str = "") -> None:
        self.path, self.expected, self.found, self.hint = tuple(path), expected, found, hint
        super().__init__(f"{dotted(self.path)}: expected {expected}, found {found}")


class Invalids(Invalid):
    """Internal: several independent problems of one block (the keys of a config block)."""

    def __init__(self, problems: list[Invalid]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        super().__init__(first.path, first.expected, first.found, first.hint)


def fail(path: Path, expected: str, value: object, hint: str = "") -> Invalid:
    """Return (for `raise`) an `Invalid` whose `found` describes `value`."""
    return Invalid(path, expected, describe(value), hint)


def dotted(path: Path) -> str:
    """Render a raw-tree path the way the user writes it: `timeline.2.at`."""
    return ".".join(str(part) for part in path)


def describe(value: object) -> str:
    """Describe a raw YAML value for an error message (`-5`, `'abc'`, `a mapping`, `null`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**30 else "a huge integer"
        return text
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"the number {value!r}"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def quote(text: str, limit: int = 60) -> str:
    """Quote user text for a message, shortened and on one line."""
    short = text if len(text) <= limit else text[: limit - 3] + "..."
    if any(ch in short for ch in "\n\r\t'") or not short.isprintable():
        return repr(short)
    return f"'{short}'"


def closest(word: object, candidates: Iterable[str]) -> str:
    """Return a 'Did you mean X?' hint for the nearest candidate, or an empty string."""
    if not isinstance(word, str):
        return ""
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"Did you mean {match[0]}?" if match else ""


def choices(names: Iterable[str]) -> str:
    """Render a short list of alternatives: `a, b or c`."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
