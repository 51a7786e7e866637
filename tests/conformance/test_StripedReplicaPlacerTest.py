"""Kafka's StripedReplicaPlacerTest against sim/cluster/striped_placer.py, with Kafka's
MockRandom: the same random numbers give the same placements, case by case.

Kafka hands the placer its brokers as UsableBroker(id, rack, fenced); here a rack map and the
fenced set (Optional.empty(), no rack, is the rack named ""). Kafka's
InvalidReplicationFactorException is a ValueError with Kafka's message.
"""

import re
from collections import Counter

import pytest

from sim.cluster.striped_placer import BrokerList, RackList, striped_placement
from tests.conformance.placement import MockRandom

KAFKA_CLASS = "StripedReplicaPlacerTest"


def refused(message: str):
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


def test_StripedReplicaPlacerTest_testBrokerList():
    assert BrokerList().next(1) == -1
    brokers = BrokerList()
    brokers.brokers = [0, 1, 2, 3]
    assert [brokers.next(0) for _ in range(6)] == [0, 1, 2, 3, -1, -1]
    assert [brokers.next(1) for _ in range(5)] == [1, 2, 3, 0, -1]


def test_StripedReplicaPlacerTest_testAvoidFencedReplicaIfPossibleOnSingleRack():
    racks = RackList(MockRandom(), {"": [3, 1, 0, 4, 2]}, fenced=frozenset({1}))
    assert (racks.total, racks.unfenced, racks.names) == (5, 4, [""])
    for bad in (0, -1):
        with pytest.raises(ValueError):
            racks.place(bad)
    assert [racks.place(4) for _ in range(5)] == [
        [3, 4, 0, 2], [4, 0, 2, 3], [0, 2, 3, 4], [2, 3, 4, 0], [0, 4, 3, 2]]


def test_StripedReplicaPlacerTest_testMultiPartitionTopicPlacementOnSingleUnfencedBroker():
    assert striped_placement(MockRandom(), {"": [0, 1]}, 3, 1, frozenset({1})) == [[0], [0], [0]]


def test_StripedReplicaPlacerTest_testPlacementOnFencedReplicaOnSingleRack():
    racks = RackList(MockRandom(), {"": [3, 1, 2]}, fenced=frozenset({1}))
    assert (racks.total, racks.unfenced, racks.names) == (3, 2, [""])
    assert [racks.place(3) for _ in range(4)] == [[3, 2, 1], [2, 3, 1], [3, 2, 1], [2, 3, 1]]


def test_StripedReplicaPlacerTest_testRackListWithMultipleRacks():
    racks = RackList(MockRandom(), {"1": [11, 10], "3": [30, 31], "2": [21, 20]},
                     fenced=frozenset({20}))
    assert (racks.total, racks.unfenced, racks.names) == (6, 5, ["1", "2", "3"])
    assert [racks.place(4) for _ in range(3)] == [
        [11, 21, 31, 10], [21, 30, 10, 20], [31, 11, 21, 30]]


def test_StripedReplicaPlacerTest_testRackListWithInvalidRacks():
    racks = RackList(MockRandom(), {"1": [11, 10], "3": [30, 31], "2": [20, 21], "4": [41, 40]},
                     fenced=frozenset({30, 31, 20, 21, 40}))
    assert (racks.total, racks.unfenced, racks.names) == (8, 3, ["1", "2", "3", "4"])
    assert [racks.place(4) for _ in range(3)] == [
        [41, 11, 21, 30], [10, 20, 31, 41], [41, 21, 30, 11]]


def test_StripedReplicaPlacerTest_testAllBrokersFenced():
    with refused("All brokers are currently fenced."):
        striped_placement(MockRandom(), {"1": [11, 10]}, 1, 1, frozenset({11, 10}))


def test_StripedReplicaPlacerTest_testNotEnoughBrokers():
    with refused("The target replication factor of 3 cannot be reached because only 2 "
                 "broker(s) are registered."):
        striped_placement(MockRandom(), {"1": [11, 10]}, 1, 3)


def test_StripedReplicaPlacerTest_testNonPositiveReplicationFactor():
    with refused("Invalid replication factor 0: the replication factor must be positive."):
        striped_placement(MockRandom(), {"1": [11, 10]}, 1, 0)


def test_StripedReplicaPlacerTest_testSuccessfulPlacement():
    assert striped_placement(MockRandom(), {"": [0, 3, 2, 1]}, 5, 3) == [
        [2, 3, 0], [3, 0, 1], [0, 1, 2], [1, 2, 3], [1, 0, 2]]


def test_StripedReplicaPlacerTest_testEvenDistribution():
    counts = Counter(tuple(r) for r in striped_placement(MockRandom(), {"": [0, 1, 2, 3]}, 200, 2))
    assert counts == {(0, 1): 14, (0, 2): 22, (0, 3): 14, (1, 0): 17, (1, 2): 17, (1, 3): 16,
                      (2, 0): 13, (2, 1): 17, (2, 3): 20, (3, 0): 20, (3, 1): 19, (3, 2): 11}


def test_StripedReplicaPlacerTest_testRackListAllBrokersFenced():
    racks = RackList(MockRandom(), {"": [0, 1, 2]}, fenced=frozenset({0, 1, 2}))
    assert (racks.total, racks.unfenced, racks.names) == (3, 0, [""])
    with refused("All brokers are currently fenced."):
        racks.place(3)


def test_StripedReplicaPlacerTest_testRackListNotEnoughBrokers():
    with refused("The target replication factor of 3 cannot be reached because only 2 "
                 "broker(s) are registered."):
        RackList(MockRandom(), {"1": [11, 10]}).place(3)


def test_StripedReplicaPlacerTest_testRackListNonPositiveReplicationFactor():
    with refused("Invalid replication factor -1: the replication factor must be positive."):
        RackList(MockRandom(), {"1": [11, 10]}).place(-1)
