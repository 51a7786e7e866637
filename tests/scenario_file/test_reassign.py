"""The `reassign` timeline action (docs/faults.md#the-actions): read, and refused where
Kafka's AlterPartitionReassignments refuses it (UNKNOWN_TOPIC_OR_PARTITION, and
ReplicationControlManager.validateManualPartitionAssignment's INVALID_REPLICA_ASSIGNMENT)."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict


def _with(raw, value):
    raw["timeline"] = [{"at": "5s", "reassign": value}]
    return raw


def test_one_replica_list_per_partition_is_read_and_may_change_the_replication_factor(raw):
    spec = from_dict(_with(raw, {"topic": "orders",
                                 "assignment": [[0, 1, 2], [2, 1], [1, 0, 2]]}))
    (action,) = spec.timeline
    assert action.kind == "reassign" and action.target == ()
    assert action.params["assignment"] == ((0, 1, 2), (2, 1), (1, 0, 2))


@pytest.mark.parametrize(("value", "path", "expected", "found"), [
    ({"topic": "order", "assignment": [[0]] * 3}, "timeline.0.reassign.topic",
     "a declared topic", "order"),
    ({"topic": "__consumer_offsets", "assignment": [[0]]}, "timeline.0.reassign.topic",
     "a declared topic", "__consumer_offsets"),
    ({"topic": "orders", "assignment": [[0, 1]] * 2}, "timeline.0.reassign.assignment",
     "one replica list per partition of orders (3)", "a list of 2 items"),
    ({"topic": "orders", "assignment": [[0, 1], [0, 3], [0, 1]]},
     "timeline.0.reassign.assignment.1.1", "a broker id below 3", "3"),
    ({"topic": "orders", "assignment": [[0, 1], [1, 1], [0, 1]]},
     "timeline.0.reassign.assignment.1.1", "each broker once", "broker 1 twice"),
    ({"topic": "orders", "assignment": [[0, 1], [], [0, 1]]},
     "timeline.0.reassign.assignment.1", "a non-empty list of broker ids", "a list of 0 items"),
    ({"topic": "orders", "assignment": [[0, 1], [-1], [0, 1]]},
     "timeline.0.reassign.assignment.1.0", "a broker id", "-1"),
    ({"topic": "orders"}, "timeline.0.reassign", "assignment", ""),
])
def test_a_bad_reassignment_is_refused(raw, fails, value, path, expected, found):
    err = fails(_with(raw, value))
    assert err.path.startswith(path)
    assert expected in err.expected and found in err.found


def test_a_reassignment_takes_no_for(raw, fails):
    raw = _with(raw, {"topic": "orders", "assignment": [[0, 1, 2]] * 3})
    raw["timeline"][0]["for"] = "5s"
    assert fails(raw).path == "timeline.0.for"
