"""Rack-aware placement (docs/model.md#racks): Kafka's own cases with Kafka's MockRandom, and
the laws both placers keep over any rack layout, as Hypothesis properties."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.admin_utils import rack_alternated, rack_aware_assignment
from sim.cluster.placement import PLACERS, JavaRandom
from sim.cluster.striped_placer import BrokerList, RackList, striped_placement
from sim.core.rng import stream


class MockRandom:
    """org.apache.kafka.server.util.MockRandom (state 17) under java.util.Random.nextInt."""

    def __init__(self, state: int = 17) -> None:
        self.state = state

    def _next(self, bits: int) -> int:
        self.state = (self.state * 2862933555777941757 + 3037000493) & (2**64 - 1)
        return self.state >> (64 - bits)

    def next_int(self, bound: int) -> int:
        r, m = self._next(31), bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if (u - r + m) & 0xFFFFFFFF < 2**31:       # Java's int overflow test
                return r
            u = self._next(31)


class Fixed:
    """A random that always draws `value`: AdminUtils' fixedStartIndex."""

    def __init__(self, value: int) -> None:
        self.value = value

    def next_int(self, bound: int) -> int:
        return self.value


# -- StripedReplicaPlacerTest ------------------------------------------------------------


def test_broker_list_yields_each_broker_once_per_epoch_from_a_moving_offset():
    brokers = BrokerList()
    brokers.brokers = [0, 1, 2, 3]
    assert [brokers.next(0) for _ in range(5)] == [0, 1, 2, 3, -1]
    assert [brokers.next(1) for _ in range(5)] == [1, 2, 3, 0, -1]
    assert BrokerList().next(1) == -1


def test_avoid_fenced_replica_if_possible_on_single_rack():
    racks = RackList(MockRandom(), {"": [3, 1, 0, 4, 2]}, fenced=frozenset({1}))
    assert (racks.total, racks.unfenced) == (5, 4)
    assert [racks.place(4) for _ in range(5)] == [
        [3, 4, 0, 2], [4, 0, 2, 3], [0, 2, 3, 4], [2, 3, 4, 0], [0, 4, 3, 2]]


def test_placement_on_fenced_replica_on_single_rack():
    racks = RackList(MockRandom(), {"": [3, 1, 2]}, fenced=frozenset({1}))
    assert [racks.place(3) for _ in range(4)] == [[3, 2, 1], [2, 3, 1], [3, 2, 1], [2, 3, 1]]


def test_rack_list_with_multiple_racks():
    racks = RackList(MockRandom(), {"1": [11, 10], "3": [30, 31], "2": [21, 20]},
                     fenced=frozenset({20}))
    assert racks.names == ["1", "2", "3"]
    assert [racks.place(4) for _ in range(3)] == [
        [11, 21, 31, 10], [21, 30, 10, 20], [31, 11, 21, 30]]


def test_rack_list_with_invalid_racks():
    racks = RackList(MockRandom(), {"1": [11, 10], "3": [30, 31], "2": [20, 21], "4": [41, 40]},
                     fenced=frozenset({30, 31, 20, 21, 40}))
    assert (racks.total, racks.unfenced) == (8, 3)
    assert [racks.place(4) for _ in range(3)] == [
        [41, 11, 21, 30], [10, 20, 31, 41], [41, 21, 30, 11]]


def test_multi_partition_topic_placement_on_single_unfenced_broker():
    assert striped_placement(MockRandom(), {"": [0, 1]}, 3, 1, frozenset({1})) == [[0], [0], [0]]


def test_successful_placement():
    assert striped_placement(MockRandom(), {"": [0, 3, 2, 1]}, 5, 3) == [
        [2, 3, 0], [3, 0, 1], [0, 1, 2], [1, 2, 3], [1, 0, 2]]


def test_even_distribution():
    counts = Counter(tuple(r) for r in striped_placement(MockRandom(), {"": [0, 1, 2, 3]}, 200, 2))
    assert counts == {(0, 1): 14, (0, 2): 22, (0, 3): 14, (1, 0): 17, (1, 2): 17, (1, 3): 16,
                      (2, 0): 13, (2, 1): 17, (2, 3): 20, (3, 0): 20, (3, 1): 19, (3, 2): 11}


@pytest.mark.parametrize(("replication", "brokers", "fenced", "message"), [
    (3, [11, 10], (), "The target replication factor of 3 cannot be reached because only "
                      "2 broker(s) are registered."),
    (-1, [11, 10], (), "Invalid replication factor -1: the replication factor must be positive."),
    (1, [11, 10], (11, 10), "All brokers are currently fenced."),
])
def test_invalid_replication_factors_are_refused_with_kafkas_messages(replication, brokers,
                                                                       fenced, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        striped_placement(MockRandom(), {"1": brokers}, 1, replication, frozenset(fenced))


# -- AdminRackAwareTest ---------------------------------------------------------------------

RACK_MAP = {"rack1": [0, 5], "rack3": [1, 2], "rack2": [3, 4]}


def test_rack_alternated_broker_list():
    assert rack_alternated(RACK_MAP) == [0, 3, 1, 5, 4, 2]
    assert rack_alternated({"rack1": [0], "rack3": [1, 2], "rack2": [3, 4]}) == [0, 3, 1, 4, 2]


def test_rack_aware_assignment_from_a_fixed_start():
    assert rack_aware_assignment(Fixed(0), RACK_MAP, 7, 3) == [
        [0, 3, 1], [3, 1, 5], [1, 5, 4], [5, 4, 2], [4, 2, 0], [2, 0, 3], [0, 4, 2]]


def test_assignment_with_rack_aware_spreads_leaders_and_replicas_evenly():
    racks = {"rack1": [0, 5], "rack2": [1, 2], "rack3": [3, 4]}
    assignment = rack_aware_assignment(Fixed(2), racks, 6, 3)
    rack_of = {b: name for name, ids in racks.items() for b in ids}
    assert all(len({rack_of[b] for b in replicas}) == 3 for replicas in assignment)
    assert Counter(r[0] for r in assignment) == {b: 1 for b in range(6)}
    assert Counter(b for r in assignment for b in r) == {b: 3 for b in range(6)}


def test_skip_broker_with_replica_already_assigned():
    assignment = rack_aware_assignment(Fixed(2), {"a": [0, 3, 4], "b": [1], "c": [2]}, 6, 4)
    assert all(len(set(replicas)) == 4 for replicas in assignment)


# -- laws over any layout ---------------------------------------------------------------------


@st.composite
def layouts(draw):
    """Racks of 1-4 brokers each (1-5 racks, ids shuffled over them), a partition count, an RF."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=5))
    ids = draw(st.permutations(range(sum(sizes))))
    racks, start = {}, 0
    for i, size in enumerate(sizes):
        racks[f"rack-{i}"] = tuple(ids[start:start + size])
        start += size
    replication = draw(st.integers(1, sum(sizes)))
    return racks, draw(st.integers(1, 40)), replication, draw(st.integers(0, 2**32))


def _placed(placer: str, layout) -> list[list[int]]:
    racks, partitions, replication, seed = layout
    return PLACERS[placer](JavaRandom(stream(seed, "t")), racks, partitions, replication)


@settings(deadline=None)
@given(layouts(), st.sampled_from(sorted(PLACERS)))
def test_replicas_are_distinct_brokers_of_the_cluster_over_as_many_racks_as_can_be(layout,
                                                                                    placer):
    racks, partitions, replication, _seed = layout
    rack_of = {b: name for name, ids in racks.items() for b in ids}
    placed = _placed(placer, layout)
    assert len(placed) == partitions
    for replicas in placed:
        assert len(replicas) == len(set(replicas)) == replication
        assert set(replicas) <= set(rack_of)
        assert len({rack_of[b] for b in replicas}) == min(replication, len(racks))


@settings(deadline=None)
@given(layouts())
def test_striped_racks_hold_a_partitions_replicas_as_evenly_as_their_sizes_allow(layout):
    racks, _partitions, _replication, _seed = layout
    rack_of = {b: name for name, ids in racks.items() for b in ids}
    for replicas in _placed("striped", layout):
        held = Counter(rack_of[b] for b in replicas)
        for r in racks:
            for s in racks:     # a rack two behind another is full
                assert held[r] >= held[s] - 1 or held[r] == len(racks[r])


@settings(deadline=None)
@given(layouts())
def test_striped_leader_racks_take_turns(layout):
    racks, partitions, _replication, _seed = layout
    rack_of = {b: name for name, ids in racks.items() for b in ids}
    first = _placed("striped", layout)[:len(rack_of)]   # before the first shuffle
    leaders = Counter(rack_of[replicas[0]] for replicas in first)
    counts = [leaders[r] for r in racks]
    assert max(counts) - min(counts) <= 1


@settings(deadline=None)
@given(layouts())
def test_admin_utils_leaders_go_round_robin_over_every_broker(layout):
    racks = layout[0]
    leaders = Counter(replicas[0] for replicas in _placed("admin-utils", layout))
    counts = [leaders[b] for ids in racks.values() for b in ids]
    assert max(counts) - min(counts) <= 1


def test_striped_does_not_promise_even_leaders_within_a_rack():
    racks = {"a": (0, 1, 2), "b": (3, 4, 5), "c": (6, 7, 8)}
    leaders = {replicas[0] for replicas in striped_placement(MockRandom(), racks, 9, 3)}
    assert len(leaders) == 3
