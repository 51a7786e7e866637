"""Log compaction keeps the latest record of each key, offsets unchanged.

See docs/model.md#retention-and-compaction.
"""

import numpy as np

from sim.clients.book import TOMBSTONE, RecordBook
from sim.clients.fetcher import runs
from sim.cluster.compaction import compact, survivors
from sim.cluster.log import Batch

# design.html's example: K1=a@0, K2=b@1, K1=c@2, K3=d@3, K2=null@4
KEYS = np.array([1, 2, 1, 3, 2])
NULLS = np.array([False, False, False, False, True])


def batch(base, count, producer=0, size=None):
    return Batch(base, count, 0, producer, base, -1, -1, -1, size or 61 + 10 * count, 0)


def facts_of(keys, nulls):
    return lambda b: (keys[b.first_seq:b.first_seq + b.count],
                      nulls[b.first_seq:b.first_seq + b.count])


def never(offsets):
    return np.zeros(len(offsets), bool)


def test_the_documented_example_keeps_c_d_and_the_tombstone_at_their_offsets():
    out, removed = compact([batch(0, 5)], facts_of(KEYS, NULLS), never)
    assert [(b.base_offset, b.count, b.first_seq) for b in out] == [(2, 3, 2)]   # c, d, null
    assert [(b.base_offset, rel, n) for b, rel, n in removed] == [(0, 0, 2)]


def test_a_tombstone_past_its_delete_horizon_goes_too():
    out, _ = compact([batch(0, 5)], facts_of(KEYS, NULLS), lambda o: o >= 0)
    assert [(b.base_offset, b.count) for b in out] == [(2, 2)]


def test_a_batch_whose_records_all_survive_is_kept_as_the_same_object():
    keep = batch(0, 2)
    out, removed = compact([keep, batch(2, 3)], facts_of(np.array([7, 8, 1, 1, 1]),
                                                         np.zeros(5, bool)), never)
    assert out[0] is keep and [(b.base_offset, b.count) for b in out[1:]] == [(4, 1)]
    assert [(b.base_offset, rel, n) for b, rel, n in removed] == [(2, 0, 2)]


def test_keyless_and_coordinator_records_always_survive():
    coordinator = batch(3, 1, producer=-1)
    out, removed = compact([batch(0, 3), coordinator],
                           facts_of(np.array([-1, -1, -1]), np.zeros(3, bool)), never)
    assert out == [batch(0, 3), coordinator] and removed == []


def test_survivors_are_the_last_of_each_key_minus_expired_tombstones():
    keep = survivors(KEYS, NULLS, np.array([True] * 5))
    assert keep.tolist() == [False, False, True, True, False]


def test_a_compacted_part_keeps_sequences_and_prorates_its_size():
    out, _ = compact([Batch(10, 4, 3, 0, 0, 9, 0, 100, 61 + 40, 5)],
                     facts_of(np.array([1, 2, 1, 2]), np.zeros(4, bool)), never)
    assert out == [Batch(12, 2, 3, 0, 2, 9, 0, 102, 61 + 20, 5)]


def test_polling_across_a_gap_hands_over_one_segment_per_run_of_offsets():
    batches = [batch(0, 2), batch(5, 3), batch(8, 2)]
    assert [(s, e, len(u)) for s, e, u in runs(batches, 1, 100)] == [(1, 2, 1), (5, 10, 2)]
    assert [(s, e) for s, e, _ in runs(batches, 1, 3)] == [(1, 2), (5, 7)]
    assert [(s, e) for s, e, _ in runs(batches, 3, 100)] == [(5, 10)]


def test_the_book_splits_tombstone_flags_off_the_key_indexes():
    book = RecordBook(1, tombstones=True)
    book.add(0, np.array([0, 1, 2]), np.array([4, 5 + TOMBSTONE, TOMBSTONE - 1]))
    assert book.keys(0).tolist() == [4, 5, -1]
    assert book.tombstone_range(0, 1, 2).tolist() == [True, True]
    assert RecordBook(1).tombstone_range(0, 0, 2).tolist() == [False, False]


def test_a_tombstone_expires_delete_retention_after_the_pass_that_first_cleaned_it():
    from sim.cluster.cleaner import _expired
    horizons = [(10, 500), (20, 900)]       # offsets < 10 first cleaned by a pass ending at 10
    offsets = np.array([0, 9, 10, 19, 20])
    assert _expired(horizons, offsets, 600).tolist() == [True, True, False, False, False]
    assert _expired(horizons, offsets, 900).tolist() == [True, True, True, True, False]
    assert _expired([], offsets, 10**9).tolist() == [False] * 5
