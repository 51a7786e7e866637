"""Kafka's AdminRackAwareTest against sim/cluster/admin_utils.py, the ZooKeeper-era rack-aware
AdminUtils.assignReplicasToBrokers.

A case's fixedStartIndex k is a random that always draws k (Kafka uses k for both the start
and the first shift); a case with random starts runs on three seeds of a named stream, since
it must hold for any start. Kafka's broker -> rack map is cluster.racks' rack -> brokers.
"""

import pytest

from sim.cluster.admin_utils import rack_alternated, rack_aware_assignment
from sim.cluster.placement import JavaRandom
from sim.core.rng import stream
from tests.conformance.placement import Fixed, check_replica_distribution, racks_of

KAFKA_CLASS = "AdminRackAwareTest"
SEEDS = (1, 2, 3)
SIX = {0: "rack1", 1: "rack2", 2: "rack2", 3: "rack3", 4: "rack3", 5: "rack1"}


def assign(rack_map, partitions, replication, start=None, seed=0):
    random = Fixed(start) if start is not None else JavaRandom(stream(seed, "placement.t"))
    return rack_aware_assignment(random, racks_of(rack_map), partitions, replication)


def test_AdminRackAwareTest_testGetRackAlternatedBrokerListAndAssignReplicasToBrokers():
    rack_map = {0: "rack1", 1: "rack3", 2: "rack3", 3: "rack2", 4: "rack2", 5: "rack1"}
    assert rack_alternated(racks_of(rack_map)) == [0, 3, 1, 5, 4, 2]
    del rack_map[5]
    assert rack_alternated(racks_of(rack_map)) == [0, 3, 1, 4, 2]
    rack_map[5] = "rack1"
    assert assign(rack_map, 7, 3, start=0) == [
        [0, 3, 1], [3, 1, 5], [1, 5, 4], [5, 4, 2], [4, 2, 0], [2, 0, 3], [0, 4, 2]]


def test_AdminRackAwareTest_testAssignmentWithRackAware():
    check_replica_distribution(assign(SIX, 6, 3, start=2), SIX, 6, 3)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testAssignmentWithRackAwareWithRandomStartIndex(seed):
    check_replica_distribution(assign(SIX, 6, 3, seed=seed), SIX, 6, 3)


def test_AdminRackAwareTest_testAssignmentWithRackAwareWithUnevenReplicas():
    check_replica_distribution(assign(SIX, 13, 3, start=0), SIX, 13, 3, leaders=False,
                               replicas=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testAssignmentWithRackAwareWithUnevenRacks(seed):
    uneven = {0: "rack1", 1: "rack1", 2: "rack2", 3: "rack3", 4: "rack3", 5: "rack1"}
    check_replica_distribution(assign(uneven, 12, 3, seed=seed), uneven, 12, 3, replicas=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testAssignmentWith2ReplicasRackAware(seed):
    check_replica_distribution(assign(SIX, 12, 2, seed=seed), SIX, 12, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testAssignmentWith2ReplicasRackAwareWith6Partitions(seed):
    check_replica_distribution(assign(SIX, 6, 2, seed=seed), SIX, 6, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testAssignmentWith2ReplicasRackAwareWith6PartitionsAnd3Brokers(seed):
    three = {0: "rack1", 1: "rack2", 4: "rack3"}
    check_replica_distribution(assign(three, 3, 2, seed=seed), three, 3, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testLargeNumberPartitionsAssignment(seed):
    twelve = {0: "rack1", 1: "rack2", 2: "rack2", 3: "rack3", 4: "rack3", 5: "rack1",
              6: "rack1", 7: "rack2", 8: "rack2", 9: "rack3", 10: "rack1", 11: "rack3"}
    check_replica_distribution(assign(twelve, 96, 3, seed=seed), twelve, 96, 3)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testMoreReplicasThanRacks(seed):
    rack_map = {0: "rack1", 1: "rack2", 2: "rack2", 3: "rack3", 4: "rack3", 5: "rack2"}
    assignment = assign(rack_map, 6, 5, seed=seed)
    assert [len(r) for r in assignment] == [5] * 6
    assert all(len({rack_map[b] for b in r}) == 3 for r in assignment)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testLessReplicasThanRacks(seed):
    rack_map = {0: "rack1", 1: "rack2", 2: "rack2", 3: "rack3", 4: "rack3", 5: "rack2"}
    assignment = assign(rack_map, 6, 2, seed=seed)
    assert [len(r) for r in assignment] == [2] * 6
    assert all(len({rack_map[b] for b in r}) == 2 for r in assignment)


@pytest.mark.parametrize("seed", SEEDS)
def test_AdminRackAwareTest_testSingleRack(seed):
    rack_map = dict.fromkeys(range(6), "rack1")
    assignment = assign(rack_map, 6, 3, seed=seed)
    assert [len(r) for r in assignment] == [3] * 6
    assert all(len({rack_map[b] for b in r}) == 1 for r in assignment)
    assert sorted(r[0] for r in assignment) == list(range(6))


def test_AdminRackAwareTest_testSkipBrokerWithReplicaAlreadyAssigned():
    rack_map = {0: "a", 1: "b", 2: "c", 3: "a", 4: "a"}
    check_replica_distribution(assign(rack_map, 6, 4, start=2), rack_map, 6, 4,
                               rack_aware=False, leaders=False, replicas=False)


NOT_PORTED = {
    "testRackAwareExpansion": "not modeled: partitions added to a topic (startPartitionId); "
                              "a topic is placed whole when a run starts",
    "testReplicaAssignment": "simplification: without racks the default assignment is the "
                             "fixed (p + j) mod N (AdminUtils' rack-unaware assignment from "
                             "start 0, for the first N partitions)",
    "testAssignReplicasToBrokersWithInvalidParameters": "internal: AdminUtils' argument checks "
                                                        "(cluster.racks must cover every "
                                                        "broker, a topic's RF the broker count: "
                                                        "the scenario is refused instead)",
}
