"""`topics:` -> `Topic` specs: partitions, replication factor, replica assignment, topic config.

`partitions` and `replication.factor` are required (Kafka's `num.partitions` /
`default.replication.factor` apply to auto-created topics, which are not modeled). The default
assignment puts replica j of partition p on broker (p + j) mod N, so the first replica is the
preferred leader; an explicit assignment has one list per partition of RF distinct broker ids.
With `cluster.racks` a topic without `assignment` has none here (None): the controller places
it on the racks when the run starts, with the run's seed (sim/cluster/placement.py).
A topic's config inherits unset values from `cluster.config` (docs/scenario.md#kafka-properties).
With the
protocol switch `min.insync.replicas.capped` (Kafka 3.7+, KAFKA-15583: Partition.effectiveMinIsr)
a `min.insync.replicas` above the replication factor is adjusted down to it; before 3.7 it is
kept, so every acks=all write to the topic fails with NOT_ENOUGH_REPLICAS.
"""

from __future__ import annotations

from sim.scenario.config import read_config
from sim.scenario.errors import Invalid, Path, describe
from sim.scenario.fields import Ctx, check_keys, integer, mapping
from sim.scenario.names import topic_collisions, topic_name
from sim.scenario.problems import Problems
from sim.scenario.schema import TOPIC
from sim.scenario.shapes import fields
from sim.scenario.spec import Cluster, Topic

MAX_PARTITIONS = 10_000


def build_topics(
    raw: object, cluster: Cluster, ctx: Ctx, problems: Problems
) -> dict[str, Topic]:
    """Read every declared topic, in file order; a topic with a problem is left out."""
    block = mapping(raw, ("topics",), "a mapping of topic names to topics")
    topics = {}
    for name, entry in block.items():
        topic = problems.entry(name, entry, _topic, name, entry, ("topics", name), cluster, ctx)
        if topic is not None:
            topics[name] = topic
    problems.topic_failed = len(topics) < len(block)
    problems.attempt(topic_collisions, list(topics))
    return topics


def _topic(name: str, raw: object, path: Path, cluster: Cluster, ctx: Ctx) -> Topic:
    topic_name(name, path)
    entry = mapping(raw, path, "a mapping with partitions, replication.factor, ...", optional=False)
    check_keys(entry, path, fields(TOPIC), required=("partitions", "replication.factor"))
    partitions = integer(
        entry["partitions"], path + ("partitions",), 1, MAX_PARTITIONS, "a number of partitions"
    )
    rf_path = path + ("replication.factor",)
    replication = integer(entry["replication.factor"], rf_path, 1, None, "a replication factor")
    if replication > cluster.brokers:
        raise Invalid(
            rf_path, f"at most the number of brokers ({cluster.brokers})", describe(replication)
        )
    if "assignment" in entry:
        assignment = _assignment(
            entry["assignment"], path + ("assignment",), partitions, replication, cluster.brokers
        )
    elif cluster.racks:
        assignment = None  # the controller places it on the racks when the run starts
    else:
        assignment = default_assignment(partitions, replication, cluster.brokers)
    config = read_config("topic", entry.get("config"), path + ("config",), ctx, cluster.config)
    if cluster.protocol["min.insync.replicas.capped"]:
        _cap_min_isr(config, replication)
    return Topic(
        name=name,
        partitions=partitions,
        replication_factor=replication,
        assignment=assignment,
        config=config.freeze(),
    )


def _cap_min_isr(config, replication: int) -> None:
    min_isr = config.values["min.insync.replicas"]
    if min_isr > replication:
        config.adjust("min.insync.replicas", replication,
                      f"min.insync.replicas {min_isr} > replication factor {replication}: "
                      "capped, as since 3.7")


def default_assignment(
    partitions: int, replication: int, brokers: int
) -> tuple[tuple[int, ...], ...]:
    """Replica j of partition p on broker (p + j) mod brokers."""
    return tuple(tuple((p + j) % brokers for j in range(replication)) for p in range(partitions))


def _assignment(
    raw: object, path: Path, partitions: int, replication: int, brokers: int
) -> tuple[tuple[int, ...], ...]:
    if not isinstance(raw, list) or len(raw) != partitions:
        raise Invalid(
            path, f"a list of {partitions} replica lists (one per partition)", describe(raw)
        )
    return tuple(_replicas(item, path + (p,), replication, brokers) for p, item in enumerate(raw))


def _replicas(raw: object, path: Path, replication: int, brokers: int) -> tuple[int, ...]:
    expected = f"a list of {replication} distinct broker ids from 0 to {brokers - 1}"
    if not isinstance(raw, list) or len(raw) != replication:
        raise Invalid(path, expected, describe(raw))
    for index, broker in enumerate(raw):
        integer(broker, path + (index,), 0, brokers - 1, "a broker id")
    if len(set(raw)) != len(raw):
        raise Invalid(path, expected, f"{raw} (a broker twice)")
    return tuple(raw)
