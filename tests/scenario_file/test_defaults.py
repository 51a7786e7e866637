"""Every default resolved, with its source.

See docs/scenario.md#every-field and docs/model.md#kafka-versions.
"""

from __future__ import annotations

from sim.scenario import LONG_MAX, PROPERTIES, Dist, from_dict
from sim.scenario.versions import KNOWN_VERSIONS, RELEASES

BROKER_4_1 = {
    "min.insync.replicas": 1,
    "unclean.leader.election.enable": False,
    "replica.lag.time.max.ms": 30_000,
    "replica.fetch.wait.max.ms": 500,
    "broker.session.timeout.ms": 9_000,
    "broker.heartbeat.interval.ms": 2_000,
    "controller.quorum.election.timeout.ms": 1_000,
    "controller.quorum.fetch.timeout.ms": 2_000,
    "controller.quorum.election.backoff.max.ms": 1_000,
    "controller.quorum.request.timeout.ms": 2_000,
    "offsets.topic.num.partitions": 50,
    "offsets.topic.replication.factor": 3,
    "group.initial.rebalance.delay.ms": 3_000,
    "replica.fetch.max.bytes": 1_048_576,
    "replica.fetch.response.max.bytes": 10_485_760,
    "replica.fetch.min.bytes": 1,
    "replica.fetch.backoff.ms": 1_000,
    "leader.replication.throttled.rate": LONG_MAX,
    "follower.replication.throttled.rate": LONG_MAX,
    "replication.quota.window.num": 11,
    "replication.quota.window.size.seconds": 1,
    "replica.high.watermark.checkpoint.interval.ms": 5_000,
    "log.retention.check.interval.ms": 300_000,
    "controlled.shutdown.enable": True,
    "unclean.leader.election.interval.ms": 300_000,
    "group.min.session.timeout.ms": 6_000,
    "group.max.session.timeout.ms": 1_800_000,
    "offsets.commit.timeout.ms": 5_000,
    "log.retention.ms": 604_800_000,
    "log.retention.bytes": -1,
    "log.segment.bytes": 1 << 30,
    "log.roll.ms": 604_800_000,
    "log.cleanup.policy": "delete",
    "log.flush.interval.messages": LONG_MAX,
    "log.flush.interval.ms": LONG_MAX,
    "log.cleaner.delete.retention.ms": 86_400_000,
    "log.cleaner.backoff.ms": 15_000,
    "quota.window.num": 11,
    "quota.window.size.seconds": 1,
    "message.max.bytes": 1_048_588,
    "replica.selector.class": None,  # KIP-392
    "auto.leader.rebalance.enable": True,
    "leader.imbalance.check.interval.seconds": 300,
    "leader.imbalance.per.broker.percentage": 10,
    "transaction.state.log.num.partitions": 50,
    "transaction.state.log.replication.factor": 3,
    "transaction.state.log.min.isr": 2,
    "transaction.max.timeout.ms": 900_000,
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": 10_000,
    "transaction.partition.verification.enable": True,
}
TOPIC_4_1 = {
    "min.insync.replicas": 1,
    "unclean.leader.election.enable": False,
    "retention.ms": 604_800_000,
    "retention.bytes": -1,
    "segment.bytes": 1 << 30,
    "segment.ms": 604_800_000,
    "cleanup.policy": "delete",
    "flush.messages": LONG_MAX,
    "flush.ms": LONG_MAX,
    "delete.retention.ms": 86_400_000,
    "max.message.bytes": 1_048_588,
    "leader.replication.throttled.replicas": (),
    "follower.replication.throttled.replicas": (),
}
PRODUCER_4_1 = {
    "acks": -1,
    "enable.idempotence": True,
    "retries": 2_147_483_647,
    "delivery.timeout.ms": 120_000,
    "request.timeout.ms": 30_000,
    "linger.ms": 5,
    "batch.size": 16_384,
    "max.request.size": 1_048_576,
    "compression.type": "none",
    "max.in.flight.requests.per.connection": 5,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1_000,
    "metadata.max.age.ms": 300_000,
    "socket.connection.setup.timeout.ms": 10_000,
    "socket.connection.setup.timeout.max.ms": 30_000,
    "buffer.memory": 33_554_432,
    "max.block.ms": 60_000,
    "transactional.id": None,
    "transaction.timeout.ms": 60_000,
}
CONSUMER_4_1 = {
    "session.timeout.ms": 45_000,
    "heartbeat.interval.ms": 3_000,
    "max.poll.interval.ms": 300_000,
    "max.poll.records": 500,
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 5_000,
    "auto.offset.reset": "latest",
    "fetch.max.wait.ms": 500,
    "group.instance.id": None,
    "partition.assignment.strategy": ("range", "cooperative-sticky"),
    "request.timeout.ms": 30_000,
    "max.partition.fetch.bytes": 1_048_576,
    "fetch.max.bytes": 52_428_800,
    "fetch.min.bytes": 1,
    "isolation.level": "read_uncommitted",
    "group.protocol": "classic",
    "metadata.max.age.ms": 300_000,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1_000,
    "socket.connection.setup.timeout.ms": 10_000,
    "socket.connection.setup.timeout.max.ms": 30_000,
    "client.rack": "",  # KIP-392
}


def test_every_release_covers_every_modeled_property():
    for version in KNOWN_VERSIONS:
        for scope in ("broker", "producer", "consumer", "feature"):
            assert set(RELEASES[version][scope]) == set(PROPERTIES[scope]), (version, scope)
        for prop in PROPERTIES["topic"].values():
            assert prop.broker_name in PROPERTIES["broker"] or (
                prop.broker_name is None and prop.name in RELEASES[version]["topic"])


def test_scenario_level_defaults(raw):
    scenario = from_dict(raw)
    assert (scenario.seed, scenario.duration_us, scenario.drain_us) == (0, 10_000_000, 30_000_000)
    assert scenario.description == "" and scenario.timeline == () and scenario.expect == ()
    cluster = scenario.cluster
    assert cluster.version == "4.1"
    assert cluster.network.latency == Dist(kind="constant", value_us=1_000)
    assert (cluster.network.loss, cluster.network.resets) == (0.0, 0.0)
    assert (cluster.disk.write_us, cluster.disk.fsync_us, cluster.disk.os_flush_interval_us) == (
        20,
        2_000,
        30_000_000,
    )


def test_workload_defaults(raw):
    scenario = from_dict(raw)
    producer = scenario.producers["checkout"]
    assert (producer.keys, producer.value_size, producer.arrivals, producer.tombstones) == (
        None,
        100,
        "even",
        0.0,
    )
    assert producer.topic == "orders" and producer.steps is None and producer.rate == 100.0
    assert producer.compression == 1.0
    assert (producer.config["compression.type"], producer.config["max.request.size"]) == (
        "none",
        1_048_576,
    )
    group = scenario.consumers["billing"]
    assert (group.members, group.commit, group.topics) == (1, "auto", ("orders",))
    assert group.processing == Dist(kind="constant", value_us=0)
    assert group.virtual_partitions is None and group.long_running is False
    assert group.on_poison is None


def test_default_assignment_rotates_leaders(raw):
    raw["topics"]["orders"] = {"partitions": 4, "replication.factor": 2}
    assert from_dict(raw).topics["orders"].assignment == ((0, 1), (1, 2), (2, 0), (0, 1))


def test_kafka_defaults_and_sources(raw):
    scenario = from_dict(raw)
    configs = {
        "broker": (scenario.cluster.config, BROKER_4_1),
        "topic": (scenario.topics["orders"].config, TOPIC_4_1),
        "producer": (scenario.producers["checkout"].config, PRODUCER_4_1),
        "consumer": (scenario.consumers["billing"].config, CONSUMER_4_1),
        "feature": (scenario.cluster.features, {"eligible.leader.replicas.version": 1,
                                                "transaction.version": 2}),
    }
    for scope, (config, expected) in configs.items():
        assert dict(config) == expected, scope
        assert list(config) == list(PROPERTIES[scope]), scope
        assert {config.source(name) for name in config} == {"default 4.1"}, scope
        assert config.ignored == ()


def test_values_are_typed(raw):
    config = from_dict(raw).producers["checkout"].config
    assert type(config["linger.ms"]) is int and type(config["enable.idempotence"]) is bool
    assert config.us("linger.ms") == 5_000


def test_topic_inherits_cluster_defaults(raw):
    raw["cluster"]["config"] = {"log.retention.ms": 3_600_000, "min.insync.replicas": 2}
    raw["topics"]["audit"] = {
        "partitions": 1,
        "replication.factor": 3,
        "config": {"retention.ms": 1_000},
    }
    scenario = from_dict(raw)
    orders, audit = scenario.topics["orders"].config, scenario.topics["audit"].config
    assert orders["retention.ms"] == 3_600_000
    assert orders.source("retention.ms") == "cluster log.retention.ms"
    assert orders["min.insync.replicas"] == 2
    assert orders.source("min.insync.replicas") == "cluster min.insync.replicas"
    assert (audit["retention.ms"], audit.source("retention.ms")) == (1_000, "scenario")
    assert orders.source("segment.bytes") == "default 4.1"


def test_hours_aliases_follow_kafka_precedence(raw):
    raw["cluster"]["config"] = {"log.retention.hours": 24, "log.roll.hours": 1}
    config = from_dict(raw).cluster.config
    assert config["log.retention.ms"] == 86_400_000
    assert config.source("log.retention.ms") == "scenario (log.retention.hours)"
    assert config["log.roll.ms"] == 3_600_000
    raw["cluster"]["config"] = {
        "log.retention.hours": 24,
        "log.retention.minutes": 5,
        "log.retention.ms": 7,
    }
    assert from_dict(raw).cluster.config["log.retention.ms"] == 7
    del raw["cluster"]["config"]["log.retention.ms"]
    assert from_dict(raw).cluster.config["log.retention.ms"] == 300_000
