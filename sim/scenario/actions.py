"""The readers of the timeline's action kinds (docs/faults.md): an entry into `(target, params)`.

A reader is called as `read(value, entry, path, hosts, kind)`, `kind` being its row in
`fault_kinds.py`: the action's name, the shape of its value and the kinds of host its
targets may be. Host actions take a target (a string or a list); `partition` takes two or
more groups of targets (a group may be a lone string); `one_way` {from, to} and `degrade`
{between: [A, B], latency, loss, resets, bandwidth} take one expression per side; `slow_disk` needs
`factor` >= 1 next to it and `slow` needs `processing`; `heal` takes `all`; `poison` {topic,
rate (a fraction)}; `reset_offsets` {group, to: earliest | latest | {offset: N} | {time: D}};
`set_rate` {producer, rate}; `add_member` / `remove_member` take a group; `reassign` {topic,
assignment: one replica list per partition}, refused as Kafka's AlterPartitionReassignments
refuses it (UNKNOWN_TOPIC_OR_PARTITION, ReplicationControlManager.
validateManualPartitionAssignment's INVALID_REPLICA_ASSIGNMENT: an empty list, a broker that
does not exist, a broker twice); a list may change the replication factor; `elect_leaders`
{type: preferred | unclean, topic, partitions (optional, distinct partitions of the topic)};
`add_partitions` {topic, count: the new total, assignment (optional): one replica list per new
partition}, refused as Kafka's CreatePartitions refuses it (INVALID_PARTITIONS: a count that
does not grow the topic, earlier `add_partitions` entries counted; INVALID_REPLICA_ASSIGNMENT:
a list per new partition, of the topic's replication factor, of distinct registered brokers).
Later entries see the grown topic (a `reassign` lists every partition, `leader(T/p)` may name
a new one).
"""

from __future__ import annotations

from sim.scenario.dists import parse_dist
from sim.scenario.errors import Invalid, Path, closest, describe, quote
from sim.scenario.fields import check_keys, integer, mapping, number, text
from sim.scenario.limits import MAX_TOTAL_PARTITIONS
from sim.scenario.shapes import fields
from sim.scenario.targets import Hosts, check_target
from sim.scenario.units import parse_bandwidth, parse_duration, parse_probability, parse_rate


def read_targets(value, entry, path, hosts, kind):
    """Read an action whose value is its target (a string or a list)."""
    return _targets(value, path, hosts, kind.targets, kind.name), {}


def _targets(value: object, path: Path, hosts: Hosts, kinds: tuple, action: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (check_target(value, path, hosts, kinds, action),)
    if not isinstance(value, list) or not value:
        raise Invalid(path, "a target or a non-empty list of targets", describe(value))
    return tuple(check_target(v, path + (i,), hosts, kinds, action) for i, v in enumerate(value))


def read_partition(value, entry, path, hosts, kind):
    if not isinstance(value, list) or len(value) < 2:
        raise Invalid(
            path,
            "two or more groups of hosts, e.g. [[broker-0], [broker-1, broker-2]]",
            describe(value),
        )
    groups = tuple(
        _targets(g, path + (i,), hosts, kind.targets, kind.name) for i, g in enumerate(value)
    )
    flat = [name for group in groups for name in group]
    for name in flat:
        if flat.count(name) > 1:
            raise Invalid(path, "each target in one group only", f"{quote(name)} twice")
    return tuple(flat), {"groups": groups}


def read_one_way(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {from: A, to: B}", optional=False)
    check_keys(block, path, fields(kind.shape), required=("from", "to"))
    ends = {
        end: check_target(block[end], path + (end,), hosts, kind.targets, kind.name)
        for end in ("from", "to")
    }
    return (ends["from"], ends["to"]), ends


def read_degrade(value, entry, path, hosts, kind):
    block = mapping(
        value, path, "a mapping {between: [A, B], latency, loss, resets, bandwidth}",
        optional=False
    )
    check_keys(block, path, fields(kind.shape), required=("between",))
    between = block["between"]
    if not isinstance(between, list) or len(between) != 2:
        raise Invalid(path + ("between",), "a list of two targets [A, B]", describe(between))
    pair = tuple(
        check_target(t, path + ("between", i), hosts, kind.targets, kind.name)
        for i, t in enumerate(between)
    )
    if not any(key in block for key in ("latency", "loss", "resets", "bandwidth")):
        raise Invalid(path, "at least one of latency, loss, resets or bandwidth", "none")
    params = {
        "between": pair,
        "latency": parse_dist(block["latency"], path + ("latency",))
        if "latency" in block
        else None,
        "loss": _maybe_probability(block, "loss", path, upper_open=True),
        "resets": _maybe_probability(block, "resets", path),
        "bandwidth": parse_bandwidth(block["bandwidth"], path + ("bandwidth",))
        if "bandwidth" in block
        else None,
    }
    return pair, params


def _maybe_probability(block: dict, key: str, path: Path, upper_open: bool = False) -> float | None:
    if key not in block:
        return None
    return parse_probability(block[key], path + (key,), upper_open)


def read_slow_disk(value, entry, path, hosts, kind):
    parent = path[:-1]
    if "factor" not in entry:
        raise Invalid(parent + ("factor",), "a factor >= 1 next to slow_disk", "nothing")
    factor = number(entry["factor"], parent + ("factor",), 1, "a factor")
    return _targets(value, path, hosts, kind.targets, kind.name), {"factor": factor}


def read_slow(value, entry, path, hosts, kind):
    parent = path[:-1]
    if "processing" not in entry:
        raise Invalid(parent + ("processing",), "a processing time next to slow", "nothing")
    processing = parse_dist(entry["processing"], parent + ("processing",))
    return _targets(value, path, hosts, kind.targets, kind.name), {"processing": processing}


def read_heal(value, entry, path, hosts, kind):
    if value != "all":
        raise Invalid(path, "all (heal: all ends every network fault)", describe(value))
    return (), {}


def read_poison(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {topic: T, rate: P}", optional=False)
    check_keys(block, path, fields(kind.shape), required=("topic", "rate"))
    topic = _known(block["topic"], path + ("topic",), hosts.partitions, "topic")
    return (), {"topic": topic, "rate": parse_probability(block["rate"], path + ("rate",))}


def read_reset_offsets(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {group: G, to: ...}", optional=False)
    check_keys(block, path, fields(kind.shape), required=("group", "to"))
    group = _known(block["group"], path + ("group",), hosts.members, "consumer group")
    return (), {"group": group, "to": _reset_to(block["to"], path + ("to",))}


def _reset_to(value: object, path: Path):
    expected = "earliest, latest, {offset: N} or {time: D}"
    if value in ("earliest", "latest"):
        return value
    if (
        not isinstance(value, dict)
        or len(value) != 1
        or next(iter(value)) not in ("offset", "time")
    ):
        raise Invalid(path, expected, describe(value))
    if "offset" in value:
        return ("offset", integer(value["offset"], path + ("offset",), 0, None, "an offset"))
    return ("time", parse_duration(value["time"], path + ("time",)))


def read_set_rate(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {producer: P, rate: R}", optional=False)
    check_keys(block, path, fields(kind.shape), required=("producer", "rate"))
    producer = _known(block["producer"], path + ("producer",), hosts.producers, "producer")
    return (), {"producer": producer, "rate": parse_rate(block["rate"], path + ("rate",))}


def read_add_member(value, entry, path, hosts, kind):
    """Read the group to scale up; later entries may target its new member."""
    target, params = read_remove_member(value, entry, path, hosts, kind)
    hosts.members[params["group"]] += 1
    return target, params


def read_remove_member(value, entry, path, hosts, kind):
    return (), {"group": _known(value, path, hosts.members, "consumer group")}


def read_reassign(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {topic: T, assignment: [[...], ...]}", optional=False)
    check_keys(block, path, fields(kind.shape), required=("topic", "assignment"))
    topic = _known(block["topic"], path + ("topic",), hosts.partitions, "topic")
    lists, count = block["assignment"], hosts.partitions[topic]
    where = path + ("assignment",)
    if not isinstance(lists, list) or len(lists) != count:
        raise Invalid(where, f"one replica list per partition of {topic} ({count})",
                      describe(lists), "Repeat a partition's replicas to leave it alone.")
    assignment = tuple(_replica_list(item, where + (p,), hosts.brokers)
                       for p, item in enumerate(lists))
    return (), {"topic": topic, "assignment": assignment}


def _replica_list(value: object, path: Path, brokers: int) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise Invalid(path, "a non-empty list of broker ids, e.g. [0, 1, 3]", describe(value))
    replicas = tuple(integer(b, path + (i,), 0, None, "a broker id")
                     for i, b in enumerate(value))
    for i, broker in enumerate(replicas):
        if broker >= brokers:
            raise Invalid(path + (i,), f"a broker id below {brokers} (cluster.brokers)",
                          str(broker), "Kafka refuses a broker that is not registered.")
        if replicas.index(broker) != i:
            raise Invalid(path + (i,), "each broker once", f"broker {broker} twice")
    return replicas


def read_add_partitions(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {topic: T, count: N}", optional=False)
    check_keys(block, path, fields(kind.shape), required=("topic", "count"))
    topic = _known(block["topic"], path + ("topic",), hosts.partitions, "topic")
    current = hosts.partitions[topic]
    count = integer(block["count"], path + ("count",), None, MAX_TOTAL_PARTITIONS,
                    "a partition count")
    if count <= current:
        raise Invalid(path + ("count",), f"a total above {topic}'s {current} partitions",
                      str(count), "Kafka refuses a count that does not increase "
                      "(INVALID_PARTITIONS): partitions are never removed.")
    assignment = None
    if "assignment" in block:
        assignment = _new_assignment(block["assignment"], path + ("assignment",), topic,
                                     count - current, hosts)
    hosts.partitions[topic] = count
    return (), {"topic": topic, "count": count, "assignment": assignment}


def _new_assignment(lists, path: Path, topic: str, added: int, hosts) -> tuple:
    """One replica list per new partition, each of the topic's replication factor."""
    if not isinstance(lists, list) or len(lists) != added:
        raise Invalid(path, f"one replica list per new partition of {topic} ({added})",
                      describe(lists))
    assignment = tuple(_replica_list(item, path + (p,), hosts.brokers)
                       for p, item in enumerate(lists))
    rf = hosts.replication.get(topic)
    for p, replicas in enumerate(assignment):
        if len(replicas) != rf:
            raise Invalid(path + (p,), f"{rf} brokers ({topic}'s replication factor)",
                          f"{len(replicas)}", "Kafka refuses a new partition of another "
                          "replication factor (INVALID_REPLICA_ASSIGNMENT).")
    return assignment


ELECTION_TYPES = {"preferred": "PREFERRED", "unclean": "UNCLEAN"}


def read_elect_leaders(value, entry, path, hosts, kind):
    block = mapping(value, path, "a mapping {type: preferred | unclean, topic: T}",
                    optional=False)
    check_keys(block, path, fields(kind.shape), required=("type", "topic"))
    election = block["type"]
    if election not in ELECTION_TYPES:
        raise Invalid(path + ("type",), "preferred or unclean", describe(election))
    topic = _known(block["topic"], path + ("topic",), hosts.partitions, "topic")
    partitions = None
    if "partitions" in block:
        partitions = _partitions(block["partitions"], path + ("partitions",), topic,
                                 hosts.partitions[topic])
    return (), {"type": ELECTION_TYPES[election], "topic": topic, "partitions": partitions}


def _partitions(value: object, path: Path, topic: str, count: int) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise Invalid(path, f"a non-empty list of partitions of {topic}, e.g. [0, 2]",
                      describe(value))
    chosen = tuple(integer(p, path + (i,), 0, count - 1, f"a partition of {topic}")
                   for i, p in enumerate(value))
    for i, p in enumerate(chosen):
        if p in chosen[:i]:
            raise Invalid(path + (i,), "each partition once", f"{p} again")
    return chosen


def _known(value: object, path: Path, names, what: str) -> str:
    name = text(value, path, f"a {what} name")
    if name not in names or name in ("__consumer_offsets", "__transaction_state"):
        raise Invalid(path, f"a declared {what}", quote(name), closest(name, list(names)))
    return name
