"""Kafka's defaults, one table keyed by release (KAFKA-MODEL §1).

`RELEASES[version][scope][property]` is the default a new cluster of that release and its
clients use, for the broker, producer, consumer and feature scopes. Topic defaults are not
listed: a topic inherits its cluster-wide `log.*` (or same-named) broker value, as Kafka does.
To model another era, add an entry built with `derive(base, ...)` from the changes between
releases; `tests/scenario` checks that every release covers every modeled property. Only
defaults live here: behaviour switches that a release implies belong to the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sim.scenario.properties import LONG_MAX

_BROKER_4_1 = {
    "min.insync.replicas": 1,
    "unclean.leader.election.enable": False,
    "unclean.leader.election.interval.ms": 300_000,
    "replica.lag.time.max.ms": 30_000,
    "replica.fetch.wait.max.ms": 500,
    "replica.fetch.max.bytes": 1_048_576,
    "replica.fetch.backoff.ms": 1_000,
    "replica.high.watermark.checkpoint.interval.ms": 5_000,
    "broker.session.timeout.ms": 9_000,
    "broker.heartbeat.interval.ms": 2_000,
    "controlled.shutdown.enable": True,
    "offsets.topic.num.partitions": 50,
    "offsets.topic.replication.factor": 3,
    "offsets.commit.timeout.ms": 5_000,
    "group.initial.rebalance.delay.ms": 3_000,
    "group.min.session.timeout.ms": 6_000,
    "group.max.session.timeout.ms": 1_800_000,
    "log.retention.check.interval.ms": 300_000,
    "log.retention.ms": 604_800_000,  # log.retention.hours = 168
    "log.retention.bytes": -1,
    "log.segment.bytes": 1_073_741_824,
    "log.roll.ms": 604_800_000,  # log.roll.hours = 168
    "log.cleanup.policy": "delete",
    "log.flush.interval.messages": LONG_MAX,
    "log.flush.interval.ms": LONG_MAX,  # unset -> log.flush.scheduler.interval.ms = Long.MAX_VALUE
    "log.cleaner.delete.retention.ms": 86_400_000,
    "log.cleaner.backoff.ms": 15_000,
}

_PRODUCER_4_1 = {
    "acks": -1,  # "all" since 3.0 (KIP-679)
    "enable.idempotence": True,
    "retries": 2_147_483_647,
    "delivery.timeout.ms": 120_000,
    "request.timeout.ms": 30_000,
    "linger.ms": 5,  # 0 before 4.0 (KIP-1030)
    "batch.size": 16_384,
    "max.in.flight.requests.per.connection": 5,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1_000,
    "metadata.max.age.ms": 300_000,
    "max.block.ms": 60_000,
    "buffer.memory": 33_554_432,
}

_CONSUMER_4_1 = {
    "session.timeout.ms": 45_000,  # 10000 before 3.0 (KIP-735)
    "heartbeat.interval.ms": 3_000,
    "max.poll.interval.ms": 300_000,
    "max.poll.records": 500,
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 5_000,
    "auto.offset.reset": "latest",
    "fetch.min.bytes": 1,
    "fetch.max.wait.ms": 500,
    "fetch.max.bytes": 52_428_800,
    "max.partition.fetch.bytes": 1_048_576,
    "request.timeout.ms": 30_000,
    "metadata.max.age.ms": 300_000,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1_000,
    "group.instance.id": None,
    "partition.assignment.strategy": ("range", "cooperative-sticky"),
    "isolation.level": "read_uncommitted",
    "group.protocol": "classic",
}

_FEATURE_4_1 = {"eligible.leader.replicas.version": 1}  # 0 in 4.0: ELR off by default


def _freeze(scopes: Mapping[str, Mapping]) -> Mapping[str, Mapping]:
    return MappingProxyType({scope: MappingProxyType(dict(v)) for scope, v in scopes.items()})


def derive(base: Mapping[str, Mapping], **changes: Mapping) -> Mapping[str, Mapping]:
    """A release's table from `base` plus changes: derive(R, producer={"linger.ms": 0})."""
    return _freeze({scope: {**base[scope], **changes.get(scope, {})} for scope in base})


RELEASES: Mapping[str, Mapping[str, Mapping]] = MappingProxyType(
    {
        "4.1": _freeze(
            {
                "broker": _BROKER_4_1,
                "producer": _PRODUCER_4_1,
                "consumer": _CONSUMER_4_1,
                "feature": _FEATURE_4_1,
            }
        ),
    }
)
KNOWN_VERSIONS: tuple[str, ...] = tuple(RELEASES)
NEWEST = "4.1"


def defaults(version: str, scope: str) -> Mapping:
    """The default values of one scope for one release."""
    return RELEASES[version][scope]
