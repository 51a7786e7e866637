"""Rack-aware placement (docs/model.md#racks): the laws both placers keep over any rack layout,
as Hypothesis properties (Kafka's own cases are ported in tests/conformance/)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.placement import PLACERS, JavaRandom
from sim.cluster.striped_placer import striped_placement
from sim.core.rng import stream
from tests.conformance.placement import MockRandom

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
