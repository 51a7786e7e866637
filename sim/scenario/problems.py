"""Every independent problem of a scenario file, collected so one validation reports them all.

The reader checks a file in sections: each top-level field, the cluster, each topic, producer
and consumer group, the admin block, each timeline entry, each expectation. A section that
fails is recorded and left out, and reading goes on. What depends on a failed section is not
checked, since its errors would be consequences rather than new mistakes:

- without a valid cluster, the topics, producers, groups, admin block and timeline (they need
  its brokers and release); without a valid duration, the timeline;
- a producer, group or timeline entry that names a topic, producer or group whose own entry
  failed (as `orders`, `leader(orders/0)`, `coordinator(billing)` or `billing-0`);
- once a topic entry failed, "not a declared topic" anywhere (the name may be that topic's,
  misspelt in its own entry);
- the checks across sections (host-name clashes, `__consumer_offsets`, the limits) unless
  everything else passed.

`in_document_order()` sorts the problems by where they are in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sim.scenario.errors import Invalid, Path

T = TypeVar("T")


class Problems:
    """The problems found so far, and the names whose entries failed."""

    def __init__(self) -> None:
        self.found: list[Invalid] = []
        self.failed_names: set[str] = set()
        self.topic_failed = False

    def attempt(self, read: Callable[..., T], *args: object) -> T | None:
        """Return `read(*args)`, or record its problem and return None."""
        try:
            return read(*args)
        except Invalid as exc:
            for problem in getattr(exc, "problems", [exc]):  # Invalids: several at once
                if not (self.topic_failed and problem.expected.startswith("a declared topic")):
                    self.found.append(problem)
            return None

    def entry(self, name: str, raw: object, read: Callable[..., T], *args: object) -> T | None:
        """Read one named entry unless it names a failed entry; remember it if it fails."""
        if mentions(raw, self.failed_names):
            return None
        value = self.attempt(read, *args)
        if value is None:
            self.failed_names.add(name)
        return value

    def in_document_order(self, raw: dict) -> list[Invalid]:
        """The problems sorted by their place in the raw tree (a stable sort)."""
        return sorted(self.found, key=lambda problem: position(raw, problem.path))


def mentions(value: object, names: Iterable[str]) -> bool:
    """True when a text in `value` names one of `names`, itself or as a topic, group or member."""
    names = tuple(names)
    if isinstance(value, str):
        return any(
            value == n or f"({n}/" in value or f"({n})" in value or value.startswith(f"{n}-")
            for n in names
        )
    if isinstance(value, dict):
        return any(mentions(item, names) for item in value.values())
    if isinstance(value, list):
        return any(mentions(item, names) for item in value)
    return False


def position(raw: object, path: Path) -> tuple[int, ...]:
    """Where `path` is in the file: the index of each key or item along it."""
    node, place = raw, []
    for part in path:
        if isinstance(node, dict) and part in node:
            place.append(list(node).index(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            place.append(part)
            node = node[part]
        else:  # a missing key: after what is there
            place.append(len(node) if isinstance(node, (dict, list)) else 0)
            break
    return tuple(place)
