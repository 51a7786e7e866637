"""The `add_partitions` timeline action (docs/faults.md#the-actions): read, and refused where
Kafka's CreatePartitions refuses it (UNKNOWN_TOPIC_OR_PARTITION; INVALID_PARTITIONS for a
count that does not increase; INVALID_REPLICA_ASSIGNMENT for an assignment of the wrong
length, replication factor or brokers: ReplicationControlManager.createPartitions)."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict


def _with(raw, *values):
    raw["timeline"] = [{"at": f"{i + 1}s", "add_partitions": v} for i, v in enumerate(values)]
    return raw


def test_the_new_total_and_an_assignment_of_the_new_partitions_are_read(raw):
    spec = from_dict(_with(raw, {"topic": "orders", "count": 5,
                                 "assignment": [[2, 0, 1], [0, 1, 2]]}))
    (action,) = spec.timeline
    assert action.kind == "add_partitions" and action.target == ()
    assert action.params["count"] == 5
    assert action.params["assignment"] == ((2, 0, 1), (0, 1, 2))


def test_later_entries_see_the_grown_topic(raw):
    raw = _with(raw, {"topic": "orders", "count": 4}, {"topic": "orders", "count": 6})
    raw["timeline"].append({"at": "3s", "reassign": {"topic": "orders",
                                                     "assignment": [[0, 1, 2]] * 6}})
    raw["timeline"].append({"at": "4s", "crash": "leader(orders/5)"})
    assert [a.kind for a in from_dict(raw).timeline] == ["add_partitions", "add_partitions",
                                                         "reassign", "crash"]


@pytest.mark.parametrize(("values", "path", "expected", "found"), [
    ([{"topic": "order", "count": 4}], "timeline.0.add_partitions.topic",
     "a declared topic", "order"),
    ([{"topic": "__consumer_offsets", "count": 60}], "timeline.0.add_partitions.topic",
     "a declared topic", "__consumer_offsets"),
    ([{"topic": "orders", "count": 3}], "timeline.0.add_partitions.count",
     "a total above orders's 3 partitions", "3"),
    ([{"topic": "orders", "count": 2}], "timeline.0.add_partitions.count",
     "a total above orders's 3 partitions", "2"),
    ([{"topic": "orders", "count": 5}, {"topic": "orders", "count": 5}],
     "timeline.1.add_partitions.count", "a total above orders's 5 partitions", "5"),
    ([{"topic": "orders", "count": "6"}], "timeline.0.add_partitions.count",
     "a partition count", "6"),
    ([{"topic": "orders", "count": 5, "assignment": [[0, 1, 2]]}],
     "timeline.0.add_partitions.assignment", "one replica list per new partition of orders (2)",
     "a list of 1 item"),
    ([{"topic": "orders", "count": 4, "assignment": [[0, 1]]}],
     "timeline.0.add_partitions.assignment.0", "3 brokers (orders's replication factor)", "2"),
    ([{"topic": "orders", "count": 4, "assignment": [[0, 1, 3]]}],
     "timeline.0.add_partitions.assignment.0.2", "a broker id below 3", "3"),
    ([{"topic": "orders", "count": 4, "assignment": [[0, 1, 1]]}],
     "timeline.0.add_partitions.assignment.0.2", "each broker once", "broker 1 twice"),
    ([{"topic": "orders"}], "timeline.0.add_partitions", "count", ""),
])
def test_a_bad_add_partitions_is_refused(raw, fails, values, path, expected, found):
    err = fails(_with(raw, *values))
    assert err.path.startswith(path)
    assert expected in err.expected and found in err.found


def test_a_later_reassign_must_list_the_new_partitions_too(raw, fails):
    raw = _with(raw, {"topic": "orders", "count": 4})
    raw["timeline"].append({"at": "3s", "reassign": {"topic": "orders",
                                                     "assignment": [[0, 1, 2]] * 3}})
    err = fails(raw)
    assert err.path == "timeline.1.reassign.assignment"
    assert "one replica list per partition of orders (4)" in err.expected


def test_add_partitions_takes_no_for(raw, fails):
    raw = _with(raw, {"topic": "orders", "count": 4})
    raw["timeline"][0]["for"] = "5s"
    assert fails(raw).path == "timeline.0.for"
