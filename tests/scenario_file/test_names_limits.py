"""Names, host-name clashes, required fields, `__consumer_offsets`, and limits the file decides."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict


@pytest.mark.parametrize("name", ["Upper", "with space", "", "under_score", 5])
def test_scenario_names(raw, fails, name):
    raw["name"] = name
    assert fails(raw).path == "name"


@pytest.mark.parametrize(
    "topic, fragment",
    [
        ("__internal", "reserved"),
        ("..", "other than"),
        ("a/b", "a topic name"),
        ("x" * 250, "a topic name"),
    ],
)
def test_topic_names(raw, fails, topic, fragment):
    raw["topics"][topic] = {"partitions": 1, "replication.factor": 1}
    assert fragment in f"{fails(raw).expected} {fails(raw).hint}"


def test_dotted_topic_names_are_fine_but_collisions_are_not(raw, fails):
    raw["topics"]["a.b"] = {"partitions": 1, "replication.factor": 1}
    assert "a.b" in from_dict(raw).topics
    raw["topics"]["a_b"] = {"partitions": 1, "replication.factor": 1}
    assert fails(raw).path == "topics.a_b"


@pytest.mark.parametrize(
    "section, name, fragment",
    [
        ("producers", "controller", "reserves"),
        ("producers", "broker-12", "reserves"),
        ("producers", "all-brokers", "reserves"),
        ("producers", "billing-3", "members of group"),
        ("consumers", "checkout", "unlike every producer name"),
        ("consumers", "broker", "broker names"),
        ("producers", "has space", "a producer name"),
    ],
)
def test_host_name_clashes(raw, fails, section, name, fragment):
    entry = {"topic": "orders", "rate": "1/s"} if section == "producers" else {"topic": "orders"}
    raw[section][name] = entry
    assert fragment in fails(raw).expected


def test_member_names_of_two_groups_clash(raw, fails):
    raw["consumers"]["billing-0"] = {"topic": "orders"}
    assert "members of group 'billing'" in fails(raw).expected


@pytest.mark.parametrize(
    "remove, path",
    [
        (("name",), "name"),
        (("duration",), "duration"),
        (("cluster",), "cluster"),
        (("cluster", "brokers"), "cluster.brokers"),
        (("topics", "orders", "partitions"), "topics.orders.partitions"),
        (("producers", "checkout", "rate"), "producers.checkout.rate"),
    ],
)
def test_required_fields(raw, fails, remove, path):
    node = raw
    for key in remove[:-1]:
        node = node[key]
    del node[remove[-1]]
    err = fails(raw)
    assert (err.path, err.found) == (path, "nothing")


def test_offsets_topic_needs_enough_brokers(raw, fails):
    raw["cluster"]["brokers"] = 2
    raw["topics"]["orders"]["replication.factor"] = 2
    err = fails(raw)
    assert err.path == "cluster.brokers" and "offsets.topic.replication.factor (3)" in err.expected
    raw["cluster"]["config"] = {"offsets.topic.replication.factor": 2}
    assert from_dict(raw).cluster.brokers == 2
    del raw["cluster"]["config"]
    del raw["consumers"]
    assert from_dict(raw).consumers == {}


def test_brokers_range(raw, fails):
    for brokers in (0, 101, "3", 2.0):
        raw["cluster"]["brokers"] = brokers
        assert fails(raw).path == "cluster.brokers"


def test_partition_limit(raw, fails):
    raw["topics"]["big"] = {"partitions": 10_000, "replication.factor": 1}
    err = fails(raw)
    assert err.path == "topics" and err.found == "10003"
    raw["topics"]["big"]["partitions"] = 9_997
    assert from_dict(raw).topics["big"].partitions == 9_997


def test_record_limit_counts_set_rate_and_steps(raw, fails):
    raw["duration"] = "100s"
    raw["producers"]["checkout"]["rate"] = "1000/ms"  # 1e6/s x 100 s = 1e8 records
    raw["producers"]["checkout"]["keys"] = 10
    assert from_dict(raw).producers["checkout"].rate == 1e6
    raw["timeline"] = [{"at": "50s", "set_rate": {"producer": "checkout", "rate": "4000/ms"}}]
    assert "at most 200000000 records" in fails(raw).expected  # 5e7 + 2e8
    del raw["timeline"]
    raw["producers"]["checkout"] = {
        "rate": "1000/ms",
        "steps": [
            {"topic": "orders", "event": "a"},
            {"topic": "orders", "event": "b", "after": "1ms"},
            {"topic": "orders", "event": "c"},
        ],
    }
    assert fails(raw).found == "300,000,000 records"


def test_assignment_rules(raw, fails):
    topic = raw["topics"]["orders"]
    topic["assignment"] = [[2, 1, 0], [0, 2, 1], [1, 0, 2]]
    assert from_dict(raw).topics["orders"].assignment == ((2, 1, 0), (0, 2, 1), (1, 0, 2))
    for bad, path in (
        ([[0, 1, 2]], "assignment"),
        ([[0, 1], [0, 1, 2], [0, 1, 2]], "assignment.0"),
        ([[0, 1, 3], [0, 1, 2], [0, 1, 2]], "assignment.0.2"),
    ):
        topic["assignment"] = bad
        assert fails(raw).path == f"topics.orders.{path}"


def test_producer_fields(raw, fails):
    producer = raw["producers"]["checkout"]
    producer.update(keys=["a", "b"], value_size="1KiB", arrivals="poisson", tombstones=0.5)
    result = from_dict(raw).producers["checkout"]
    assert (result.keys, result.value_size, result.arrivals, result.tombstones) == (
        ("a", "b"),
        1024,
        "poisson",
        0.5,
    )
    for field, value in (
        ("keys", [1]),
        ("keys", 0),
        ("keys", []),
        ("arrivals", "bursty"),
        ("value_size", "2GiB"),
        ("tombstones", 2),
        ("compression", 0),
        ("compression", 1.5),
        ("compression", "40%"),
    ):
        raw["producers"]["checkout"] = {"topic": "orders", "rate": "1/s", field: value}
        assert fails(raw).path.startswith(f"producers.checkout.{field}")


def test_a_compression_ratio_is_a_number_above_0_and_at_most_1(raw, fails):
    producer = raw["producers"]["checkout"]
    producer.update(compression=0.4, config={"compression.type": "zstd"})
    result = from_dict(raw).producers["checkout"]
    assert (result.compression, result.config["compression.type"]) == (0.4, "zstd")
    producer.update(compression=1)
    assert from_dict(raw).producers["checkout"].compression == 1.0
    producer.update(compression=0.0)
    error = fails(raw)
    assert error.path == "producers.checkout.compression"
    assert "above 0 and at most 1" in error.expected
    producer.update(compression=0.4, config={"compression.type": "brotli"})
    assert fails(raw).path == "producers.checkout.config.compression.type"


def test_consumer_fields(raw, fails):
    group = raw["consumers"]["billing"]
    group.update(members=0)
    assert fails(raw).path == "consumers.billing.members"
    group.update(members=2, on_poison={"then": "skip", "dlq_topic": "orders"})
    assert fails(raw).path == "consumers.billing.on_poison.dlq_topic"
    group.update(on_poison={"then": "dlq"})
    assert "required with then: dlq" in fails(raw).expected
    group.update(
        on_poison={"then": "block", "retries": 2, "backoff": "100ms"}, topic=None, topics=["orders"]
    )
    del group["topic"]
    result = from_dict(raw).consumers["billing"]
    assert (result.on_poison.retries, result.on_poison.backoff_us) == (2, 100_000)
    group["topics"] = ["orders", "orders"]
    assert "distinct" in fails(raw).expected
