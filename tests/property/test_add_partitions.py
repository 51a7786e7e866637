"""The keyed partitioner across an `add_partitions`, as a law: a keyed record goes to
toPositive(murmur2(key)) % the partition count the producer knew when the application
handed it over (BuiltInPartitioner.partitionForKey with the cluster's count at send()), so
the records drawn ahead for after the producer learns a new count move (Lanes.remap), and
none is lost, duplicated or reordered within its partition."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.clients.arrivals import Arrivals
from sim.clients.book import TOMBSTONE
from sim.clients.lanes import Lanes
from sim.clients.partitioner import key_names, key_table, partition_for_key
from tests.conftest import examples

VALUE = 100
OVERHEAD = 10


def _arrivals(names, count, seed, tombstones):
    parts, sizes = key_table(names, count)
    return Arrivals(3000.0, False, parts, sizes, VALUE, np.random.default_rng(seed),
                    tombstones=tombstones)


@settings(deadline=None, max_examples=examples(60))
@given(keys=st.integers(1, 80), seed=st.integers(0, 2**32 - 1), old=st.integers(1, 5),
       extra=st.integers(1, 7), learned=st.integers(0, 400_000),
       tombstones=st.sampled_from([0.0, 0.3]))
@example(keys=1, seed=1, old=1, extra=2, learned=300_133, tombstones=0.3)   # learned past the draw
def test_a_keys_partition_is_murmur2_mod_the_count_known_when_it_was_handed(
        keys, seed, old, extra, learned, tombstones):
    names = key_names(keys)
    lanes = Lanes(_arrivals(names, old, seed, tombstones), old + extra, keyed=True)
    lanes.ensure(300_000)                      # drawn ahead, split over the old count
    lanes.remap(key_table(names, old + extra)[0], learned)
    lanes.ensure(600_000)                      # drawn after the producer learned
    reference = _arrivals(names, old, seed, tombstones)     # drawn in the same blocks
    for horizon in (300_000, learned + 1, 600_000):
        reference.ensure(horizon)
    want_times, want_keys, want_sizes, _ = reference.take(reference.drawn_until - 1)
    got = []
    for lane_index, lane in enumerate(lanes.lanes):
        times, codes, cum = lane.take(reference.drawn_until - 1)
        assert (np.diff(times) >= 0).all()                    # each lane in arrival order
        for t, code, size in zip(times.tolist(), codes.tolist(), np.diff(cum).tolist(),
                                 strict=True):
            count = old if t <= learned else old + extra
            assert lane_index == partition_for_key(names[code % TOMBSTONE].encode(), count)
            got.append((t, code, size))
    want = sorted(zip(want_times.tolist(), want_keys.tolist(), want_sizes.tolist(),
                      strict=True))
    assert sorted(got) == want                                # none lost or duplicated


def test_a_key_moves_only_when_its_hash_differs_mod_the_new_count():
    names = key_names(1000)
    moved = [k for k in names
             if partition_for_key(k.encode(), 3) != partition_for_key(k.encode(), 6)]
    assert all(partition_for_key(k.encode(), 6) >= 3 for k in moved)   # onto new partitions
    assert len(moved) == 512     # murmur2 % 6 in {3, 4, 5}: scenarios/add-partitions-*.yaml
