"""The `elect_leaders` timeline action (docs/faults.md#the-actions) and the preferred-leader
settings of docs/scenario.md, read and refused."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict


def _entry(raw, value):
    raw["timeline"] = [{"at": "1s", "elect_leaders": value}]
    return raw


def test_a_topic_and_a_type_elect_every_partition(raw):
    action = from_dict(_entry(raw, {"type": "preferred", "topic": "orders"})).timeline[0]
    assert dict(action.params) == {"type": "PREFERRED", "topic": "orders", "partitions": None}


def test_a_partition_list_names_the_partitions(raw):
    value = {"type": "unclean", "topic": "orders", "partitions": [2, 0]}
    action = from_dict(_entry(raw, value)).timeline[0]
    assert (action.params["type"], action.params["partitions"]) == ("UNCLEAN", (2, 0))


@pytest.mark.parametrize(("value", "path", "expected", "found"), [
    ({"type": "leader", "topic": "orders"}, "timeline.0.elect_leaders.type",
     "preferred or unclean", "leader"),
    ({"type": "preferred", "topic": "order"}, "timeline.0.elect_leaders.topic",
     "a declared topic", "order"),
    ({"type": "preferred", "topic": "__consumer_offsets"}, "timeline.0.elect_leaders.topic",
     "a declared topic", "__consumer_offsets"),
    ({"type": "preferred", "topic": "orders", "partitions": [3]},
     "timeline.0.elect_leaders.partitions.0", "a partition of orders from 0 to 2", "3"),
    ({"type": "preferred", "topic": "orders", "partitions": [1, 1]},
     "timeline.0.elect_leaders.partitions.1", "each partition once", "1 again"),
    ({"type": "preferred", "topic": "orders", "partitions": []},
     "timeline.0.elect_leaders.partitions", "a non-empty list of partitions", "a list of 0"),
    ({"topic": "orders"}, "timeline.0.elect_leaders.type", "a value for type", "nothing"),
    ("orders", "timeline.0.elect_leaders", "a mapping {type: preferred | unclean", "orders"),
])
def test_a_bad_election_is_refused(raw, fails, value, path, expected, found):
    err = fails(_entry(raw, value))
    assert err.path == path
    assert expected in err.expected and found in err.found


def test_an_election_takes_no_for(raw, fails):
    raw = _entry(raw, {"type": "preferred", "topic": "orders"})
    raw["timeline"][0]["for"] = "5s"
    assert "for" in str(fails(raw))


def test_the_per_broker_percentage_is_refused_from_4_0_which_removed_it(raw, fails):
    raw["cluster"]["config"] = {"leader.imbalance.per.broker.percentage": 20}
    raw["cluster"]["version"] = "3.9"
    assert from_dict(raw).cluster.config["leader.imbalance.per.broker.percentage"] == 20
    raw["cluster"]["version"] = "4.0"
    err = fails(raw)
    assert err.path == "cluster.config.leader.imbalance.per.broker.percentage"
    assert "removed in 4.0" in err.found
