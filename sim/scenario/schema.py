"""The shape of a scenario file: which mappings have fixed fields, which are named, which are lists.

One source of truth for field names: validators check keys against these tuples and `--set`
resolves paths against the same tree (docs/cli.md#flags-every-command-shares). The node
types are in `shapes.py`; a
timeline entry holds `at`, `for`, the extra keys of some actions (`factor`, `processing`) and
one action, whose shape its row in `fault_kinds.py` gives.
"""

from __future__ import annotations

from sim.scenario.fault_kinds import ACTIONS, KINDS
from sim.scenario.shapes import DIST, LEAF, WHOLE, Fixed, Named, Seq, fixed

NETWORK = fixed("loss", "resets", "bandwidth", latency=DIST)
DISK = fixed("write", "fsync", "os_flush_interval", "throughput")
HOST = fixed(network=fixed("bandwidth"), disk=fixed("throughput"))
QUOTAS = fixed("producer_byte_rate", "consumer_byte_rate")
CLUSTER = fixed(
    "brokers", "version", "controllers", features=WHOLE, protocol=WHOLE, config=WHOLE,
    network=NETWORK, disk=DISK,
    hosts=Named(HOST), quotas=QUOTAS, racks=Named(Seq(LEAF)),
)
TOPIC = Fixed(
    {"partitions": LEAF, "replication.factor": LEAF, "assignment": Seq(Seq(LEAF)), "config": WHOLE}
)
STEP = fixed("topic", "event", "after")
TRANSACTIONAL = fixed("records", "abort")
PRODUCER = fixed(
    "topic",
    "rate",
    "keys",
    "value_size",
    "arrivals",
    "tombstones",
    "compression",
    steps=Seq(STEP),
    transactional=TRANSACTIONAL,
    config=WHOLE,
)
POISON = fixed("retries", "backoff", "then", "dlq_topic")
OUTPUT = fixed("topic", "transactional", config=WHOLE)
CONSUMER = fixed(
    "topic",
    "members",
    "commit",
    "virtual_partitions",
    "long_running",
    topics=Seq(LEAF),
    processing=DIST,
    on_poison=POISON,
    output=OUTPUT,
    config=WHOLE,
)
ADMIN = fixed(config=WHOLE)
ENTRY = Fixed(
    {
        "at": LEAF,
        "for": LEAF,
        **{kind.extra[0]: kind.extra[1] for kind in KINDS.values() if kind.extra},
        **{name: KINDS[name].shape for name in ACTIONS},
    }
)
ROOT = fixed(
    "name",
    "description",
    "seed",
    "duration",
    "drain",
    cluster=CLUSTER,
    topics=Named(TOPIC),
    producers=Named(PRODUCER),
    consumers=Named(CONSUMER),
    admin=ADMIN,
    timeline=Seq(ENTRY),
    expect=WHOLE,
    analysis=fixed("stall_threshold", "warmup"),
)


