"""The full example scenario: every section of docs/scenario.md, read into the exact spec tree."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pytest

from sim.scenario import Action, Dist, Expectation, FrozenMap, Poison, Step, explain, load, loads

FULL = Path(__file__).parent / "good" / "full.yaml"


@pytest.fixture(scope="module")
def full():
    return load(FULL)


def test_top_level(full):
    assert (full.name, full.seed, full.duration_us, full.drain_us) == (
        "acks1-partitioned-leader",
        7,
        60_000_000,
        45_000_000,
    )
    assert full.description.startswith("With acks=1 a leader cut off")
    assert full.source == str(FULL)
    assert json.loads(json.dumps(full.raw)) == full.raw
    assert full.overrides == () and full.set_paths == frozenset()


def test_cluster(full):
    cluster = full.cluster
    assert (cluster.brokers, cluster.version) == (4, "4.1")
    assert dict(cluster.features) == {"eligible.leader.replicas.version": 1,
                                      "transaction.version": 2}
    assert cluster.network.latency == Dist(kind="lognormal", median_us=1_000, p99_us=8_000)
    assert (cluster.network.loss, cluster.network.resets) == (0.001, 0.0)
    assert (cluster.disk.write_us, cluster.disk.fsync_us, cluster.disk.os_flush_interval_us) == (
        20,
        2_000,
        30_000_000,
    )
    config = cluster.config
    assert config["log.flush.interval.messages"] == 10_000
    assert config["offsets.topic.num.partitions"] == 10
    assert config.ignored == ("listeners", "log.dirs")
    assert config.source("log.retention.ms") == "scenario"
    assert config.source("min.insync.replicas") == "default 4.1"


def test_topics(full):
    assert list(full.topics) == ["orders", "payments.v1", "orders.dlq"]
    orders, payments, dlq = full.topics.values()
    assert (orders.partitions, orders.replication_factor) == (6, 3)
    assert orders.assignment == ((0, 1, 2), (1, 2, 3), (2, 3, 0), (3, 0, 1), (0, 1, 2), (1, 2, 3))
    assert (
        orders.config["min.insync.replicas"] == 2 and orders.config["retention.ms"] == 604_800_000
    )
    assert orders.config.source("flush.messages") == "cluster log.flush.interval.messages"
    assert payments.assignment == ((1, 2, 3), (3, 0, 1))
    assert payments.config["cleanup.policy"] == "compact,delete"
    assert payments.config["segment.bytes"] == 1_048_576
    assert payments.config["retention.ms"] == 3_600_000
    assert payments.config.source("retention.ms") == "cluster log.retention.ms"
    assert dlq.assignment == ((0, 1),)


def test_producers(full):
    checkout, flow, legacy = full.producers.values()
    assert (checkout.topic, checkout.rate, checkout.keys, checkout.value_size) == (
        "orders",
        2000.0,
        500,
        200,
    )
    assert (checkout.config["acks"], checkout.config["enable.idempotence"]) == (1, False)
    assert checkout.config["linger.ms"] == 10 and checkout.config.ignored == ()
    assert checkout.config["compression.type"] == "lz4" and checkout.compression == 1.0
    assert flow.topic is None and flow.steps == (
        Step(topic="payments.v1", event="payment_created", after_us=0),
        Step(topic="payments.v1", event="payment_paid", after_us=50_000),
    )
    assert (flow.rate, flow.keys, flow.arrivals, flow.tombstones) == (
        0.5,
        ("Rental-1", "Rental-2", "Rental-3"),
        "poisson",
        0.1,
    )
    assert flow.config["enable.idempotence"] is True and flow.config["acks"] == -1
    assert legacy.rate == 500.0 and legacy.config["acks"] == 0
    assert legacy.config["enable.idempotence"] is False
    assert legacy.config.source("enable.idempotence").startswith("adjusted")


def test_consumers(full):
    billing, audit, reports = full.consumers.values()
    assert (billing.topics, billing.members, billing.commit) == (("orders",), 3, "after-processing")
    assert billing.processing == Dist(kind="constant", value_us=1_000)
    assert billing.on_poison == Poison(
        retries=3, backoff_us=1_000_000, then="dlq", dlq_topic="orders.dlq"
    )
    assert billing.config["partition.assignment.strategy"] == ("cooperative-sticky",)
    assert billing.config["group.instance.id"] == "billing-static"
    assert billing.config["enable.auto.commit"] is False
    assert billing.config.ignored == ("group.id",)
    assert (audit.topics, audit.members, audit.commit) == (("orders", "payments.v1"), 1, "auto")
    assert audit.processing == Dist(kind="lognormal", median_us=1_000, p99_us=20_000)
    assert (audit.virtual_partitions, audit.long_running) == (4, True)
    assert audit.config["auto.commit.interval.ms"] == 1_000
    assert reports.processing == Dist(kind="exp", mean_us=2_000)
    assert reports.commit == "before-processing"
    assert reports.on_poison == Poison(retries=0, backoff_us=0, then="skip", dlq_topic=None)


def test_timeline(full):
    kinds = [(a.at_us // 1_000_000, a.index, a.kind) for a in full.timeline]
    assert kinds[:3] == [(5, 1, "crash"), (5, 2, "stop"), (6, 3, "power_loss")]
    assert [k for _, _, k in kinds] == [
        "crash",
        "stop",
        "power_loss",
        "restart",
        "pause",
        "resume",
        "isolate",
        "one_way",
        "degrade",
        "slow_disk",
        "add_member",
        "slow",
        "heal",
        "poison",
        "reset_offsets",
        "reset_offsets",
        "set_rate",
        "partition",
        "remove_member",
        "reset_offsets",
        "crash",
    ]
    partition = next(a for a in full.timeline if a.kind == "partition")
    assert partition == Action(
        index=0,
        at_us=20_000_000,
        for_us=15_000_000,
        kind="partition",
        target=("leader(orders/0)", "checkout", "followers(orders/0)", "controller"),
        params=FrozenMap(
            {"groups": (("leader(orders/0)", "checkout"), ("followers(orders/0)", "controller"))}
        ),
    )
    degrade = next(a for a in full.timeline if a.kind == "degrade")
    assert degrade.params["latency"] == Dist(kind="exp", mean_us=5_000)
    assert degrade.target == ("broker-2", "leader(__consumer_offsets/3)")
    slow = next(a for a in full.timeline if a.kind == "slow")
    assert slow.target == ("billing-3",)
    resets = [a.params["to"] for a in full.timeline if a.kind == "reset_offsets"]
    assert resets == [("offset", 42), ("time", 1_500_000), "earliest"]


def test_expectations(full):
    assert full.expect == (
        Expectation(key="lost", op=">", value=0.0, text="> 0"),
        Expectation(key="errors.NOT_ENOUGH_REPLICAS", op="==", value=0.0, text="0"),
        Expectation(
            key="lost_by_cause.not_replicated_before_failover", op=">=", value=1.0, text=">= 1"
        ),
        Expectation(key="ack_p99_ms", op="<", value=250.5, text="< 250.5"),
        Expectation(key="isr_min", op=">=", value=1.0, text=">=1"),
    )


def test_spec_is_frozen_and_pickles(full):
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.seed = 1
    with pytest.raises(TypeError):
        full.topics["x"] = None
    with pytest.raises(AttributeError):
        full.cluster.config.scope = "topic"
    again = pickle.loads(pickle.dumps(full))
    assert again == full
    assert again.cluster.config.source("log.retention.ms") == "scenario"


def test_same_file_same_spec(full):
    assert load(FULL) == full
    assert loads(FULL.read_text(), str(FULL)) == full


def test_explain_lists_every_property_with_its_source(full):
    text = explain(full)
    for needle in (
        "cluster",
        "topic payments.v1",
        "producer payment-flow",
        "consumer group audit",
        "retention.ms",
        "3600000  (1h)",
        "cluster log.retention.ms",
        "default 4.1",
        "ignored (not modeled",
        "adjusted (acks=0 conflicts",
        "timeline",
        "expect",
        "lost > 0",
        "network.latency",
        "lognormal median 1ms p99 8ms",
    ):
        assert needle in text, needle
    for group in full.consumers.values():
        for name in group.config:
            assert name in text
    scenario = load(FULL, ["topics.orders.config.retention.ms=5", "seed=3"])
    text = explain(scenario)
    assert "--set topics.orders.config.retention.ms=5 seed=3" in text
    assert any(
        line.split()[:2] == ["seed", "3"] and line.endswith("--set") for line in text.splitlines()
    )


def _line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.split()[:1] == [name])


def test_explain_marks_a_property_the_release_does_not_read():
    kraft = explain(load(FULL, ["cluster.version=4.0"]))
    zookeeper = explain(load(FULL, ["cluster.version=3.2"]))
    name = "leader.imbalance.per.broker.percentage"
    assert "not read (leader.imbalance.check: any-partition" in _line(kraft, name)
    assert "not read" not in _line(zookeeper, name)
