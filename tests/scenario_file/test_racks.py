"""`cluster.racks` (docs/scenario.md#cluster): each broker's `broker.rack`, read and refused."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict

RACKS = {"us-east-1a": [0], "us-east-1b": [1], "us-east-1c": [2]}


def test_omitted_means_no_racks(raw):
    cluster = from_dict(raw).cluster
    assert dict(cluster.racks) == {}
    assert cluster.rack_of(0) is None


def test_each_broker_gets_the_rack_that_lists_it(raw):
    raw["cluster"]["racks"] = {"a": [0, 2], "b": [1]}
    cluster = from_dict(raw).cluster
    assert dict(cluster.racks) == {"a": (0, 2), "b": (1,)}
    assert [cluster.rack_of(b) for b in range(3)] == ["a", "b", "a"]


@pytest.mark.parametrize(("racks", "path", "expected", "found"), [
    ({"a": [0, 1], "b": [3]}, "cluster.racks.b.0", "a broker id from 0 to 2", "3"),
    ({"a": [0, 1], "b": [1, 2]}, "cluster.racks.b.0", "a broker in one rack only",
     "already in rack 'a'"),
    ({"a": [0, 1]}, "cluster.racks", "every broker in a rack", "no rack for broker 2"),
    ({"a": []}, "cluster.racks.a", "a non-empty list of broker ids", "a list of 0 items"),
    ({"a": "broker-0"}, "cluster.racks.a", "a non-empty list of broker ids", "broker-0"),
    (["a", "b"], "cluster.racks", "a mapping of rack names", "a list"),
])
def test_a_bad_rack_list_is_refused(raw, fails, racks, path, expected, found):
    raw["cluster"]["racks"] = racks
    err = fails(raw)
    assert err.path == path
    assert expected in err.expected and found in err.found
