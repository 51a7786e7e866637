"""`timeline:` -> a tuple of `Action`s sorted by time, entries at the same time in file order.

Each entry has `at` (0 <= at < duration), one action key, optionally `for` (> 0, only on
actions that last: see their lifetimes in `fault_kinds.py`) and the extra key its action
needs (`factor`, `processing`). `Action.index` is the entry's position in the file,
which also names its random stream (`any-broker`). Targets are checked in time order, so a
member added by `add_member` can be targeted by later entries.
"""

from __future__ import annotations

from sim.scenario.errors import Invalid, Path, choices, describe, quote
from sim.scenario.fault_kinds import ACTIONS, EXTRAS, KINDS, LASTING_KINDS
from sim.scenario.fields import check_keys, mapping
from sim.scenario.problems import Problems
from sim.scenario.schema import ENTRY
from sim.scenario.shapes import fields
from sim.scenario.spec import Action, FrozenMap
from sim.scenario.targets import Hosts
from sim.scenario.units import format_duration, parse_duration


def build_timeline(
    raw: object, duration_us: int, hosts: Hosts, problems: Problems
) -> tuple[Action, ...]:
    """Read every entry, then build actions in firing order; an entry with a problem is left
    out, and so is one that names a host or topic whose own entry failed."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise Invalid(
            ("timeline",), "a list of entries such as {at: 20s, crash: broker-1}", describe(raw)
        )
    heads = [
        problems.entry(f"timeline.{i}", item, _head, item, ("timeline", i), duration_us)
        for i, item in enumerate(raw)
    ]
    heads = sorted((head for head in heads if head is not None), key=lambda h: (h[1], h[0]))
    actions = [problems.attempt(_action, head, hosts) for head in heads]
    return tuple(action for action in actions if action is not None)


def _head(item: object, path: Path, duration_us: int) -> tuple:
    """Return (index, at_us, for_us, kind, entry) for one entry."""
    entry = mapping(item, path, "a mapping such as {at: 20s, crash: broker-1}", optional=False)
    check_keys(entry, path, fields(ENTRY), required=("at",))
    kinds = [key for key in entry if key in ACTIONS]
    if len(kinds) != 1:
        found = "none" if not kinds else " and ".join(kinds)
        raise Invalid(
            path, f"exactly one action ({choices(ACTIONS)})", found, "Write one entry per action."
        )
    kind = kinds[0]
    for extra, owner in EXTRAS.items():
        if extra in entry and kind != owner:
            raise Invalid(path + (extra,), f"{extra} only next to {owner}", f"it next to {kind}")
    at_us = parse_duration(entry["at"], path + ("at",))
    if at_us >= duration_us:
        raise Invalid(
            path + ("at",),
            f"a time before the end of the run (duration {format_duration(duration_us)})",
            quote(str(entry["at"])),
            "The drain phase ends every fault and restarts every host anyway.",
        )
    return path[-1], at_us, _for(entry, path, kind), kind, entry


def _for(entry: dict, path: Path, kind: str) -> int | None:
    if "for" not in entry:
        return None
    if kind not in LASTING_KINDS:
        raise Invalid(
            path + ("for",),
            f"no for on {kind} (only on {choices(LASTING_KINDS)})",
            quote(str(entry["for"])),
            f"{kind} takes effect at once.",
        )
    for_us = parse_duration(entry["for"], path + ("for",))
    if for_us == 0:
        raise Invalid(path + ("for",), "a duration of at least 1us", quote(str(entry["for"])))
    return for_us


def _action(head: tuple, hosts: Hosts) -> Action:
    index, at_us, for_us, kind, entry = head
    path = ("timeline", index, kind)
    target, params = KINDS[kind].read(entry[kind], entry, path, hosts, KINDS[kind])
    return Action(
        index=index, at_us=at_us, for_us=for_us, kind=kind, target=target, params=FrozenMap(params)
    )
