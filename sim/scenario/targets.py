"""Target expressions of timeline entries, checked against what the scenario declares.

A target is a host name (`broker-N`, `controller`, a producer, a member `<group>-<i>`; with
`cluster.controllers: N` the quorum's `controller-i`, its active one `controller(active)` and
all of them, `controllers`, in place of `controller`),
`all-brokers`, `any-broker`, or a role read from the controller when the entry fires:
`leader(T/P)`, `follower(T/P)`, `followers(T/P)` (T a declared topic, `__consumer_offsets`
when groups exist, or `__transaction_state` when some producer has a `transactional.id`),
`coordinator(G)` and `rack(NAME)` (the brokers of a rack of `cluster.racks`, all of them
whatever their state). Roles and `*-brokers` denote brokers. Members exist
for i < members plus the `add_member` entries that fire earlier. Which kinds of host an action
accepts is its row in `fault_kinds.py`; resolution to hosts happens in the simulator. Kafka's
own partition notation (`orders-0`, `leader(orders-0)`) is refused with a hint to write
`orders/0`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sim.scenario.errors import Invalid, Path, choices, closest, describe, quote

_BROKER = re.compile(r"broker-(0|[1-9]\d*)")
_VOTER = re.compile(r"controller-(0|[1-9]\d*)")
VOTER_ROLES = ("controller(active)", "controllers")
_ROLE = re.compile(r"(leader|follower|followers)\((.+)/(0|[1-9]\d*)\)")
_COORDINATOR = re.compile(r"coordinator\((.+)\)")
_RACK = re.compile(r"rack\((.+)\)")
_MEMBER = re.compile(r"(.+)-(0|[1-9]\d*)")
_KAFKA_PARTITION = re.compile(r"(?:(leader|follower|followers)\()?(.+)-(0|[1-9]\d*)\)?")
KIND_TEXT = {
    "broker": "a broker",
    "controller": "the controller",
    "voter": "a quorum controller",
    "producer": "a producer",
    "member": "a consumer member",
}


@dataclass
class Hosts:
    """What targets may name; `members` grows as `add_member` entries are read in time order."""

    brokers: int
    producers: tuple[str, ...]
    members: dict[str, int]
    partitions: dict[str, int]  # topic -> partitions, with the internal topics the run has
    racks: tuple[str, ...] = ()  # the rack names of cluster.racks
    controllers: int = 0        # `cluster.controllers`; 0: the one logical `controller`
    replication: dict[str, int] = field(default_factory=dict)   # topic -> replication factor

    def concrete(self) -> list[str]:
        quorum = [f"controller-{i}" for i in range(self.controllers)] + list(VOTER_ROLES)
        names = [f"broker-{b}" for b in range(self.brokers)]
        names += (quorum if self.controllers else ["controller"]) + list(self.producers)
        names += [f"{g}-{i}" for g, n in self.members.items() for i in range(n)]
        return names + ["all-brokers", "any-broker"] + [f"rack({r})" for r in self.racks]


def classify(expr: str, path: Path, hosts: Hosts) -> str:
    """Return `broker`, `controller`, `producer` or `member` for a valid expression."""
    if expr in ("all-brokers", "any-broker"):
        return "broker"
    if expr == "controller" and not hosts.controllers:
        return "controller"
    voter = _voter(expr, path, hosts)
    if voter:
        return voter
    if expr in hosts.producers:
        return "producer"
    for check in (_broker, _role, _coordinator, _rack, _member):
        kind = check(expr, path, hosts)
        if kind:
            return kind
    raise Invalid(
        path,
        "a host (broker-N, controller, a producer, <group>-<i>), all-brokers, "
        "any-broker or a role (leader(T/P), follower(T/P), followers(T/P), "
        "coordinator(G), rack(NAME))",
        quote(expr),
        _hint(expr, hosts),
    )


def _voter(expr: str, path: Path, hosts: Hosts) -> str:
    """`controller-i`, `controller(active)` and `controllers` of a quorum (cluster.controllers)."""
    match = _VOTER.fullmatch(expr)
    if not (match or expr in VOTER_ROLES or expr == "controller"):
        return ""
    if not hosts.controllers:
        raise Invalid(path, "the controller (one logical host without cluster.controllers)",
                      quote(expr), "Set cluster.controllers: N for controller-0 .. N-1.")
    if expr == "controller":
        raise Invalid(path, f"a quorum controller (controller-0 to "
                      f"controller-{hosts.controllers - 1}, controller(active), controllers)",
                      quote(expr), "With cluster.controllers the controllers are hosts.")
    if match and int(match.group(1)) >= hosts.controllers:
        raise Invalid(path, f"a controller from controller-0 to "
                      f"controller-{hosts.controllers - 1}", quote(expr))
    return "voter"


def _hint(expr: str, hosts: Hosts) -> str:
    kafka = _KAFKA_PARTITION.fullmatch(expr)
    if kafka and kafka.group(2) in hosts.partitions:
        role, topic, partition = kafka.group(1) or "leader", kafka.group(2), kafka.group(3)
        return (
            f"A partition is written {topic}/{partition} here, not Kafka's {topic}-{partition}: "
            f"{role}({topic}/{partition})."
        )
    if expr in hosts.members:
        last = hosts.members[expr] - 1
        return f"Group members are hosts: {expr}-0 .. {expr}-{last}."
    return closest(expr, hosts.concrete())


def _broker(expr: str, path: Path, hosts: Hosts) -> str:
    match = _BROKER.fullmatch(expr)
    if not match:
        return ""
    if int(match.group(1)) >= hosts.brokers:
        raise Invalid(path, f"a broker from broker-0 to broker-{hosts.brokers - 1}", quote(expr))
    return "broker"


def _role(expr: str, path: Path, hosts: Hosts) -> str:
    match = _ROLE.fullmatch(expr)
    if not match:
        return ""
    role, topic, partition = match.group(1), match.group(2), int(match.group(3))
    if topic not in hosts.partitions:
        raise Invalid(
            path, f"a declared topic in {role}(T/P)", quote(topic), closest(topic, hosts.partitions)
        )
    if partition >= hosts.partitions[topic]:
        last = hosts.partitions[topic] - 1
        raise Invalid(path, f"a partition of {topic} from 0 to {last}", quote(expr))
    return "broker"


def _coordinator(expr: str, path: Path, hosts: Hosts) -> str:
    match = _COORDINATOR.fullmatch(expr)
    if not match:
        return ""
    if match.group(1) not in hosts.members:
        raise Invalid(
            path,
            "a declared consumer group in coordinator(G)",
            quote(match.group(1)),
            closest(match.group(1), hosts.members),
        )
    return "broker"


def _rack(expr: str, path: Path, hosts: Hosts) -> str:
    match = _RACK.fullmatch(expr)
    if not match:
        return ""
    if not hosts.racks:
        raise Invalid(path, "a rack of cluster.racks in rack(NAME)", quote(match.group(1)),
                      "The cluster has no racks: give cluster.racks {NAME: [broker ids]}.")
    if match.group(1) not in hosts.racks:
        named = [f"rack({name})" for name in hosts.racks]
        raise Invalid(path, "a rack of cluster.racks in rack(NAME)", quote(match.group(1)),
                      closest(expr, named) or f"The racks: {choices(named)}.")
    return "broker"


def _member(expr: str, path: Path, hosts: Hosts) -> str:
    match = _MEMBER.fullmatch(expr)
    if not match or match.group(1) not in hosts.members:
        return ""
    group, index = match.group(1), int(match.group(2))
    count = hosts.members[group]
    if index >= count:
        raise Invalid(
            path,
            f"a member of {group} from {group}-0 to {group}-{count - 1} at that time",
            quote(expr),
            "add_member adds the next index.",
        )
    return "member"


def check_target(
    expr: object, path: Path, hosts: Hosts, kinds: tuple[str, ...], action: str
) -> str:
    """Check one target expression and that it denotes a host kind the action accepts."""
    if not isinstance(expr, str):
        raise Invalid(path, "a host name or role", describe(expr))
    kind = classify(expr, path, hosts)
    if kind not in kinds:
        wanted = choices(KIND_TEXT[k] for k in kinds)
        raise Invalid(path, f"{wanted} for {action}", f"{KIND_TEXT[kind]} {quote(expr)}")
    return expr
