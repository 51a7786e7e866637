"""Names in a scenario: the scenario, topics, and the hosts that faults can target.

Topics follow Kafka (`[A-Za-z0-9._-]{1,249}`, not `.` or `..`; names starting with `__` are
reserved for internal topics; two names equal after mapping `.` to `_` collide, as Kafka
refuses). Hosts: brokers `broker-0 .. broker-N-1`, `controller` (or the quorum's `controller-0 ..
N-1` and role `controllers`), one host per producer named
after its entry, consumer members `<group>-<i>`. Producer and group names share one namespace
and must not clash with those patterns, with `all-brokers` / `any-broker`, or with another
group's member names.
"""

from __future__ import annotations

import re

from sim.scenario.errors import Invalid, Path, quote
from sim.scenario.fields import text

SCENARIO_NAME = r"[a-z0-9-]{1,100}"
TOPIC_NAME = r"[A-Za-z0-9._-]{1,249}"
HOST_NAME = r"[A-Za-z0-9._-]{1,200}"
RESERVED_HOSTS = ("controller", "controllers", "all-brokers", "any-broker")
_BROKER = re.compile(r"broker-\d+|controller-\d+")


def scenario_name(value: object, path: Path) -> str:
    """Check the scenario's `name`."""
    return text(value, path, "a name of lowercase letters, digits and '-'", SCENARIO_NAME)


def topic_name(name: str, path: Path) -> str:
    """Check a declared topic name against Kafka's rules."""
    text(name, path, "a topic name of letters, digits, '.', '_' and '-' (at most 249)", TOPIC_NAME)
    if name in (".", ".."):
        raise Invalid(path, "a topic name other than '.' and '..'", quote(name))
    if name.startswith("__"):
        raise Invalid(
            path,
            "a topic name not starting with '__'",
            quote(name),
            "Names starting with '__' are reserved for Kafka's internal topics.",
        )
    return name


def topic_collisions(names: list[str]) -> None:
    """Refuse topics whose names collide once '.' is read as '_' (Kafka refuses them)."""
    seen: dict[str, str] = {}
    for name in names:
        folded = name.replace(".", "_")
        if folded in seen:
            raise Invalid(
                ("topics", name),
                f"a name that does not collide with {seen[folded]!r}",
                quote(name),
                "Kafka treats '.' and '_' alike in metric names and "
                "refuses topics that differ only there.",
            )
        seen[folded] = name


def host_name(name: str, path: Path, what: str) -> str:
    """Check a producer or group name: usable as a host name, not a reserved one."""
    text(name, path, f"a {what} name of letters, digits, '.', '_' and '-'", HOST_NAME)
    if name in RESERVED_HOSTS or _BROKER.fullmatch(name):
        raise Invalid(
            path,
            f"a {what} name that is not a host name kafkasim reserves",
            quote(name),
            "broker-N, controller, controller-N, controllers, all-brokers and any-broker name "
            "brokers, controllers and roles.",
        )
    return name


def check_host_clashes(producers: list[str], groups: list[str]) -> None:
    """Refuse a producer or group name equal to another name or to some group's member name."""
    owners = {name: ("producers", name) for name in producers}
    for group in groups:
        if group in owners:
            raise Invalid(
                ("consumers", group),
                "a group name unlike every producer name",
                quote(group),
                "Producers and groups share one namespace of hosts.",
            )
        owners[group] = ("consumers", group)
    for group in groups:
        member = re.compile(re.escape(group) + r"-\d+")
        for name, path in owners.items():
            if member.fullmatch(name):
                raise Invalid(
                    path,
                    f"a name unlike the members of group {group!r} ({group}-0, {group}-1, ...)",
                    quote(name),
                )
        if _BROKER.fullmatch(group + "-0"):
            raise Invalid(
                ("consumers", group),
                "a group name whose members are not broker names",
                quote(group),
                f"Its members would be named {group}-0, {group}-1, ...",
            )
