"""Kafka property names at the right level, inert names, unknown names, value normalization."""

from __future__ import annotations

import pytest

from sim.scenario import explain, from_dict


def test_broker_name_at_topic_level_hints_the_topic_name(raw, fails):
    raw["topics"]["orders"]["config"] = {"log.retention.ms": 1000}
    err = fails(raw)
    assert err.path == "topics.orders.config.log.retention.ms"
    assert err.expected == "a topic property"
    assert err.found == "the broker property 'log.retention.ms'"
    assert err.hint == "Did you mean retention.ms?"


@pytest.mark.parametrize(
    "broker, topic",
    [
        ("log.flush.interval.messages", "flush.messages"),
        ("log.roll.ms", "segment.ms"),
        ("log.cleaner.delete.retention.ms", "delete.retention.ms"),
        ("log.retention.hours", "retention.ms"),
    ],
)
def test_every_log_name_maps_to_its_topic_name(raw, fails, broker, topic):
    raw["topics"]["orders"]["config"] = {broker: 1}
    assert fails(raw).hint == f"Did you mean {topic}?"


def test_topic_name_at_cluster_level_hints_the_broker_name(raw, fails):
    raw["cluster"]["config"] = {"segment.bytes": 1 << 20}
    err = fails(raw)
    assert err.found == "the topic property 'segment.bytes'"
    assert err.hint == "Did you mean log.segment.bytes?"


def test_broker_only_name_at_topic_level(raw, fails):
    raw["topics"]["orders"]["config"] = {"replica.lag.time.max.ms": 1}
    assert "put it in cluster.config" in fails(raw).hint


@pytest.mark.parametrize(
    "where, name, owner",
    [
        (("consumers", "billing"), "linger.ms", "producer"),
        (("producers", "checkout"), "session.timeout.ms", "consumer"),
        (("producers", "checkout"), "eligible.leader.replicas.version", "feature"),
    ],
)
def test_client_properties_in_the_wrong_client(raw, fails, where, name, owner):
    raw[where[0]][where[1]]["config"] = {name: 1}
    assert f"the {owner} property '{name}'" in fails(raw).found


def test_unknown_property_names_it_and_the_closest(raw, fails):
    raw["producers"]["checkout"]["config"] = {"enable.idempotency": True}
    err = fails(raw)
    assert err.found == "'enable.idempotency'"
    assert err.hint == "Did you mean enable.idempotence?"


def test_unknown_property_without_a_close_name(raw, fails):
    raw["cluster"]["config"] = {"zzz": 1}
    assert "validate --explain" in fails(raw).hint


def test_inert_properties_are_accepted_listed_and_explained(raw):
    raw["cluster"]["config"] = {
        "listeners": "PLAINTEXT://:9092",
        "ssl.keystore.location": "/x",
        "num.partitions": 3,
        "log.dirs": "/data",
    }
    raw["producers"]["checkout"]["config"] = {
        "key.serializer": "StringSerializer",
        "bootstrap.servers": "kafka:9092",
    }
    raw["consumers"]["billing"]["config"] = {"group.id": "other"}
    scenario = from_dict(raw)
    assert scenario.cluster.config.ignored == (
        "listeners",
        "ssl.keystore.location",
        "num.partitions",
        "log.dirs",
    )
    assert "listeners" not in scenario.cluster.config
    assert scenario.producers["checkout"].config.ignored == ("key.serializer", "bootstrap.servers")
    text = explain(scenario)
    assert "ssl.keystore.location" in text and "ignored (not modeled" in text
    assert "the group id is the consumer entry's name" in text


@pytest.mark.parametrize(
    "value, acks",
    [("all", -1), ("ALL", -1), ("-1", -1), (-1, -1), ("1", 1), (1, 1), (0, 0), ("0", 0)],
)
def test_acks_normalized(raw, value, acks):
    raw["producers"]["checkout"]["config"] = {"acks": value, "enable.idempotence": False}
    assert from_dict(raw).producers["checkout"].config["acks"] == acks


@pytest.mark.parametrize("value", [2, "2", "any", True, None])
def test_bad_acks(raw, fails, value):
    raw["producers"]["checkout"]["config"] = {"acks": value}
    assert fails(raw).expected == "one of all, -1, 0 or 1"


@pytest.mark.parametrize(
    "value, names",
    [
        ("org.apache.kafka.clients.consumer.RangeAssignor", ("range",)),
        (
            "RoundRobinAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            ("roundrobin", "cooperative-sticky"),
        ),
        (["sticky", "range"], ("sticky", "range")),
        ("cooperative-sticky", ("cooperative-sticky",)),
    ],
)
def test_assignment_strategies_normalized(raw, value, names):
    raw["consumers"]["billing"]["config"] = {"partition.assignment.strategy": value}
    config = from_dict(raw).consumers["billing"].config
    assert config["partition.assignment.strategy"] == names


@pytest.mark.parametrize("value", ["", "range,,sticky", "range, range", ["range", 3], 5])
def test_bad_assignment_strategies(raw, fails, value):
    raw["consumers"]["billing"]["config"] = {"partition.assignment.strategy": value}
    assert fails(raw).path.endswith("partition.assignment.strategy")


def test_kafka_strings_become_typed_values(raw):
    raw["cluster"]["config"] = {
        "unclean.leader.election.enable": "TRUE",
        "log.flush.interval.messages": " 1000 ",
    }
    raw["topics"]["orders"]["config"] = {
        "cleanup.policy": "delete,compact",
        "retention.ms": "9223372036854775807",
    }
    raw["producers"]["checkout"]["keys"] = 10       # a compacted topic takes keyed records only
    raw["consumers"]["billing"]["config"] = {"group.instance.id": "static"}
    scenario = from_dict(raw)
    assert scenario.cluster.config["unclean.leader.election.enable"] is True
    assert scenario.cluster.config["log.flush.interval.messages"] == 1000
    assert scenario.topics["orders"].config["cleanup.policy"] == "compact,delete"
    assert scenario.topics["orders"].config["retention.ms"] == 9_223_372_036_854_775_807
    assert scenario.consumers["billing"].config["group.instance.id"] == "static"


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("min.insync.replicas", 0, "an integer >= 1"),
        ("min.insync.replicas", 1.5, "an integer >= 1"),
        ("min.insync.replicas", 2**31, "an integer >= 1"),
        ("retention.ms", -2, "an integer >= -1"),
        ("segment.bytes", 1000, "an integer >= 1048576"),
        ("cleanup.policy", "remove", "delete, compact"),
        ("unclean.leader.election.enable", "maybe", "true or false"),
    ],
)
def test_topic_value_ranges(raw, fails, name, value, expected):
    raw["topics"]["orders"]["config"] = {name: value}
    assert expected in fails(raw).expected


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("group.protocol", "consumer", "KIP-848"),
        ("auto.offset.reset", "earlist", "Did you mean earliest?"),
        ("group.instance.id", 5, "Quote it"),
        ("group.instance.id", "", "a non-empty string or null"),
    ],
)
def test_consumer_values_refused(raw, fails, name, value, fragment):
    raw["consumers"]["billing"]["config"] = {name: value}
    err = fails(raw)
    assert fragment in f"{err.expected} {err.hint}"


def test_feature_range(raw, fails):
    raw["cluster"]["features"] = {"eligible.leader.replicas.version": 2}
    assert fails(raw).expected == "an integer from 0 to 1"
    raw["cluster"]["features"] = {"eligible.leader.replicas.version": 0}
    features = from_dict(raw).cluster.features
    assert features["eligible.leader.replicas.version"] == 0
    assert features.source("eligible.leader.replicas.version") == "scenario"


def test_config_keys_must_be_text(raw, fails):
    raw["cluster"]["config"] = {1: 2}
    assert "text key" in fails(raw).expected


def test_replica_fetch_wait_at_most_lag_time(raw, fails):
    raw["cluster"]["config"] = {
        "replica.fetch.wait.max.ms": 20_000,
        "replica.lag.time.max.ms": 10_000,
    }
    assert fails(raw).path == "cluster.config.replica.fetch.wait.max.ms"
