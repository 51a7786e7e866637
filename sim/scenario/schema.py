"""The shape of a scenario file: which mappings have fixed fields, which are named, which are lists.

One source of truth for field names: validators check keys against these tuples and `--set`
resolves paths against the same tree (CONTRACT §3). `Fixed` = a mapping with known fields,
`Named` = a mapping whose keys are user names (topics, producers, consumers), `Seq` = a
list indexed by integers, `WHOLE` = a mapping whose keys may contain dots (Kafka properties,
features, expectations), `LEAF` = a value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fixed:
    fields: dict


@dataclass(frozen=True)
class Named:
    entry: object


@dataclass(frozen=True)
class Seq:
    item: object


LEAF = "leaf"
WHOLE = "whole"

HOST_ACTIONS = ("crash", "stop", "power_loss", "restart", "pause", "resume", "isolate")
ACTIONS = HOST_ACTIONS + (
    "partition",
    "one_way",
    "degrade",
    "slow_disk",
    "slow",
    "heal",
    "poison",
    "reset_offsets",
    "set_rate",
    "add_member",
    "remove_member",
)


def _fixed(*names: str, **nested: object) -> Fixed:
    return Fixed({**dict.fromkeys(names, LEAF), **nested})


DIST = _fixed("dist", "mean", "median", "p99", "value")
NETWORK = _fixed("loss", "resets", latency=DIST)
DISK = _fixed("write", "fsync", "os_flush_interval")
CLUSTER = _fixed(
    "brokers", "version", features=WHOLE, protocol=WHOLE, config=WHOLE, network=NETWORK, disk=DISK
)
TOPIC = Fixed(
    {"partitions": LEAF, "replication.factor": LEAF, "assignment": Seq(Seq(LEAF)), "config": WHOLE}
)
STEP = _fixed("topic", "event", "after")
PRODUCER = _fixed(
    "topic", "rate", "keys", "value_size", "arrivals", "tombstones", steps=Seq(STEP), config=WHOLE
)
POISON = _fixed("retries", "backoff", "then", "dlq_topic")
CONSUMER = _fixed(
    "topic",
    "members",
    "commit",
    "virtual_partitions",
    "long_running",
    topics=Seq(LEAF),
    processing=DIST,
    on_poison=POISON,
    config=WHOLE,
)
ENTRY = Fixed(
    {
        "at": LEAF,
        "for": LEAF,
        "factor": LEAF,
        "processing": DIST,
        **{kind: LEAF for kind in HOST_ACTIONS},
        "partition": Seq(Seq(LEAF)),
        "one_way": _fixed("from", "to"),
        "degrade": _fixed("loss", "resets", between=Seq(LEAF), latency=DIST),
        "slow_disk": LEAF,
        "slow": LEAF,
        "heal": LEAF,
        "poison": _fixed("topic", "rate"),
        "reset_offsets": _fixed("group", to=_fixed("offset", "time")),
        "set_rate": _fixed("producer", "rate"),
        "add_member": LEAF,
        "remove_member": LEAF,
    }
)
ROOT = _fixed(
    "name",
    "description",
    "seed",
    "duration",
    "drain",
    cluster=CLUSTER,
    topics=Named(TOPIC),
    producers=Named(PRODUCER),
    consumers=Named(CONSUMER),
    timeline=Seq(ENTRY),
    expect=WHOLE,
)


def fields(node: Fixed) -> tuple[str, ...]:
    """The field names of a fixed-field mapping, in schema order."""
    return tuple(node.fields)
