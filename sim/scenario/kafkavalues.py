"""Kafka property values, written as YAML scalars or as Kafka's strings, normalized.

`"5"` and `5` are the same integer; `"true"`/`"TRUE"` and `true` the same boolean; `acks`
becomes 0, 1 or -1 (`"all"` -> -1); `partition.assignment.strategy` becomes a tuple of short
assignor names from Kafka class names (`org.apache.kafka.clients.consumer.RangeAssignor`),
simple class names or short names, as a list or a comma-separated string; `cleanup.policy`
becomes `delete`, `compact` or `compact,delete`; a throttled-replicas list becomes `("*",)` or
a tuple of `partition:broker` strings (ThrottledReplicaListValidator's format);
`replica.selector.class` is null or RackAwareReplicaSelector's class name. Ranges are
Kafka's (Java int/long/short plus each property's minimum). Not accepted: floats where Kafka
wants integers, custom assignor, partitioner or replica selector classes.
"""

from __future__ import annotations

import re

from sim.scenario.errors import Invalid, Path, choices, closest, describe, quote
from sim.scenario.properties import JAVA_RANGE, Prop

ASSIGNORS = {
    "range": "RangeAssignor",
    "roundrobin": "RoundRobinAssignor",
    "sticky": "StickyAssignor",
    "cooperative-sticky": "CooperativeStickyAssignor",
}
_ASSIGNOR_PACKAGE = "org.apache.kafka.clients.consumer."
RACK_AWARE_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
_INTEGER = re.compile(r"[+-]?\d{1,25}")
_REPLICA = re.compile(r"([0-9]+):([0-9]+)")
_REPLICAS = ("'*' or a list of replicas as [partitionId]:[brokerId],[partitionId]:[brokerId],...")


def coerce(prop: Prop, value: object, path: Path) -> object:
    """Return `value` as the normalized Python value of `prop`, or raise `Invalid`."""
    return _COERCE[prop.kind](prop, value, path)


def _range_text(prop: Prop) -> str:
    low, high = JAVA_RANGE[prop.kind]
    lo = prop.lo if prop.lo is not None else low
    hi = prop.hi if prop.hi is not None else high
    if lo == low and hi == high:
        return "an integer"
    if hi == high:
        return f"an integer >= {lo}"
    return f"an integer from {lo} to {hi}"


def _integer(prop: Prop, value: object, path: Path) -> int:
    expected = _range_text(prop)
    number = value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    if isinstance(number, bool) or not isinstance(number, int):
        hint = "Kafka integer properties take whole numbers." if isinstance(value, float) else ""
        raise Invalid(path, expected, describe(value), hint)
    low, high = JAVA_RANGE[prop.kind]
    lo = prop.lo if prop.lo is not None else low
    hi = prop.hi if prop.hi is not None else high
    if not lo <= number <= hi:
        raise Invalid(path, expected, describe(value))
    return number


def _boolean(prop: Prop, value: object, path: Path) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Invalid(path, "true or false", describe(value))


def _enum(prop: Prop, value: object, path: Path) -> str:
    for refused, why in prop.unsupported:
        if value == refused:
            raise Invalid(path, choices(prop.choices), quote(refused), why)
    if isinstance(value, str) and value in prop.choices:
        return value
    raise Invalid(
        path, f"one of {choices(prop.choices)}", describe(value), closest(value, prop.choices)
    )


def _acks(prop: Prop, value: object, path: Path) -> int:
    text = value.strip().lower() if isinstance(value, str) else value
    if text == "all":
        return -1
    if isinstance(text, str) and text in ("-1", "0", "1"):
        return int(text)
    if isinstance(text, int) and not isinstance(text, bool) and text in (-1, 0, 1):
        return text
    raise Invalid(path, "one of all, -1, 0 or 1", describe(value))


def _items(value: object, path: Path, expected: str) -> list[str]:
    """Split a Kafka list value (comma-separated string or YAML list) into stripped items."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise Invalid(path, expected, describe(value))
    items = [item.strip() for item in items]
    if not items or "" in items:
        raise Invalid(path, expected, describe(value))
    return items


def _strategies(prop: Prop, value: object, path: Path) -> tuple[str, ...]:
    expected = "a list of assignors (" + choices(ASSIGNORS) + ")"
    names = []
    for item in _items(value, path, expected):
        names.append(_assignor(item, path, expected))
    if len(set(names)) != len(names):
        raise Invalid(path, f"{expected} without repeats", describe(value))
    return tuple(names)


def _assignor(item: str, path: Path, expected: str) -> str:
    simple = item.removeprefix(_ASSIGNOR_PACKAGE)
    for short, class_name in ASSIGNORS.items():
        if simple in (short, class_name):
            return short
    hint = closest(simple, list(ASSIGNORS) + list(ASSIGNORS.values()))
    raise Invalid(path, expected, quote(item), hint or "Custom assignors are not modeled.")


def _policy(prop: Prop, value: object, path: Path) -> str:
    expected = "delete, compact or [compact, delete]"
    items = _items(value, path, expected)
    unknown = [item for item in items if item not in ("delete", "compact")]
    if unknown:
        raise Invalid(path, expected, quote(unknown[0]), closest(unknown[0], ("delete", "compact")))
    return ",".join(sorted(set(items)))


def _optional_str(prop: Prop, value: object, path: Path) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    hint = "Quote it to make it a string." if isinstance(value, (int, float)) else ""
    raise Invalid(path, "a non-empty string or null", describe(value), hint)


def _string(prop: Prop, value: object, path: Path) -> str:
    """A STRING property that may be empty (`client.rack`, default "")."""
    if isinstance(value, str):
        return value.strip()
    hint = "Quote it to make it a string." if isinstance(value, (int, float)) else ""
    raise Invalid(path, "a string", describe(value), hint)


def _selector(prop: Prop, value: object, path: Path) -> str | None:
    """`replica.selector.class`: null (always the leader) or Kafka's RackAwareReplicaSelector
    (KIP-392); a custom ReplicaSelector is code kafkasim cannot run."""
    expected = f"null or {RACK_AWARE_SELECTOR}"
    if value is None:
        return None
    if isinstance(value, str) and value.strip() == RACK_AWARE_SELECTOR:
        return RACK_AWARE_SELECTOR
    found = quote(value) if isinstance(value, str) else describe(value)
    hint = closest(value.strip(), [RACK_AWARE_SELECTOR]) if isinstance(value, str) else ""
    raise Invalid(path, expected, found, hint or (
        "kafkasim models Kafka's own RackAwareReplicaSelector only; a custom ReplicaSelector "
        "class is not modeled."))


def _replicas(prop: Prop, value: object, path: Path) -> tuple[str, ...]:
    """A throttled-replicas list (ThrottledReplicaListValidator): `*`, or `partition:broker`
    pairs, comma-separated or as a YAML list; empty items are skipped, as Kafka's parser does."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        hint = ("Quote it: YAML reads an unquoted 1:2 as a base-60 number."
                if isinstance(value, int) and not isinstance(value, bool) else "")
        raise Invalid(path, _REPLICAS, describe(value), hint)
    items = [item.strip() for item in items]
    if "".join(items) == "*":
        return ("*",)
    pairs = []
    for item in items:
        match = _REPLICA.fullmatch(item)
        if item and match is None:
            whole = "" if len(items) == 1 else f" in {describe(value)}"
            raise Invalid(path, _REPLICAS, f"{quote(item)}{whole}")
        if item:
            pairs.append(f"{int(match[1])}:{int(match[2])}")
    return tuple(pairs)


_COERCE = {
    "int": _integer,
    "long": _integer,
    "short": _integer,
    "bool": _boolean,
    "enum": _enum,
    "acks": _acks,
    "strategies": _strategies,
    "policy": _policy,
    "optional_str": _optional_str,
    "replicas": _replicas,
    "str": _string,
    "selector": _selector,
}
