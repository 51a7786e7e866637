"""Idempotent-producer state of a partition replica (ProducerStateEntry, ProducerAppendInfo).

Producer id 7 appends batches of 2 records: sequences [0,1], [2,3], ... at offsets
0, 10, 20, ... (offsets are spaced only to tell batches apart).
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.log import Batch
from sim.cluster.producer_state import (
    DUPLICATE,
    INVALID_PRODUCER_EPOCH,
    NUM_BATCHES_TO_RETAIN,
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    UNKNOWN_PRODUCER_ID,
    ProducerStates,
)

PID = 7


def batch(seq, count=2, epoch=0, offset=None, pid=PID):
    offset = seq * 5 if offset is None else offset
    return Batch(offset, count, 1, 0, seq, pid, epoch, seq, 100, 0)


def states_with(n, epoch=0):
    """n batches of 2 records recorded: sequences 0..2n-1."""
    s = ProducerStates()
    for i in range(n):
        s.record(batch(2 * i, epoch=epoch))
    return s


def test_the_window_holds_five_batches_as_in_kafka():
    assert NUM_BATCHES_TO_RETAIN == 5


def test_the_next_sequence_is_accepted():
    assert states_with(3).check(PID, 0, 6, 7) == (None, -1)


def test_a_duplicate_of_any_of_the_last_five_batches_returns_its_original_offset():
    s = states_with(7)                                     # batches 0..6; 2..6 remembered
    for i in range(2, 7):
        assert s.check(PID, 0, 2 * i, 2 * i + 1) == (DUPLICATE, 10 * i)


def test_the_sixth_oldest_batch_is_forgotten_and_its_retry_is_out_of_order():
    s = states_with(6)                                     # batch 0 ([0,1]) was evicted
    assert s.check(PID, 0, 0, 1) == (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
    assert s.check(PID, 0, 2, 3) == (DUPLICATE, 10)


def test_a_duplicate_must_match_both_ends_of_the_sequence_range():
    s = states_with(3)
    assert s.check(PID, 0, 2, 2) == (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
    assert s.check(PID, 0, 2, 5) == (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)


def test_a_gap_in_sequences_is_out_of_order():
    assert states_with(3).check(PID, 0, 7, 8) == (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)


def test_a_new_producer_epoch_must_start_at_sequence_zero():
    s = states_with(3, epoch=0)
    assert s.check(PID, 1, 0, 1) == (None, -1)
    assert s.check(PID, 1, 6, 7) == (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)


def test_a_lower_producer_epoch_is_fenced():
    s = states_with(3, epoch=2)
    assert s.check(PID, 1, 6, 7) == (INVALID_PRODUCER_EPOCH, -1)
    assert s.check(PID, 1, 0, 1) == (INVALID_PRODUCER_EPOCH, -1)


def test_a_duplicate_from_the_old_epoch_is_not_recognized_after_a_bump():
    s = states_with(3, epoch=0)
    s.record(batch(0, epoch=1, offset=100))
    assert s.check(PID, 0, 4, 5) == (INVALID_PRODUCER_EPOCH, -1)
    assert s.check(PID, 1, 0, 1) == (DUPLICATE, 100)
    assert s.check(PID, 1, 2, 3) == (None, -1)


def test_an_unknown_producer_id_is_accepted_at_any_sequence():
    s = states_with(3)
    assert s.check(99, 0, 1234, 1240) == (None, -1)
    assert s.check(99, 5, 17, 17) == (None, -1)


def test_before_kip_360_an_unknown_producer_id_may_only_start_at_sequence_zero():
    s = states_with(3)
    assert s.check(99, 0, 1234, 1240, kip_360=False) == (UNKNOWN_PRODUCER_ID, -1)
    assert s.check(99, 0, 0, 3, kip_360=False) == (None, -1)
    assert s.check(PID, 0, 6, 7, kip_360=False) == (None, -1)


def test_batches_without_idempotence_leave_no_state():
    s = ProducerStates()
    s.record(Batch(0, 3, 1, 0, 0, -1, -1, -1, 100, 0))
    assert s.entries == {}


def test_producers_are_tracked_independently():
    s = states_with(2)
    s.record(batch(0, pid=8, offset=50))
    assert s.check(8, 0, 0, 1) == (DUPLICATE, 50)
    assert s.check(8, 0, 2, 3) == (None, -1)
    assert s.check(PID, 0, 4, 5) == (None, -1)


@st.composite
def replicated_logs(draw):
    """Batches as a follower would copy them: a few producers, epochs bumped at times."""
    batches, offset = [], 0
    next_seq, epoch = {}, {}
    for _ in range(draw(st.integers(0, 25))):
        pid = draw(st.sampled_from([-1, 1, 2, 3]))
        count = draw(st.integers(1, 4))
        if pid >= 0 and draw(st.integers(0, 9)) == 0:
            epoch[pid] = epoch.get(pid, 0) + 1
            next_seq[pid] = 0
        seq = next_seq.get(pid, 0) if pid >= 0 else -1
        batches.append(Batch(offset, count, 1, 0, 0, pid, epoch.get(pid, 0) if pid >= 0 else -1,
                             seq, 100, 0))
        if pid >= 0:
            next_seq[pid] = seq + count
        offset += count
    return batches


@settings(deadline=None)
@given(replicated_logs())
def test_rebuilding_from_a_log_equals_recording_each_append(batches):
    incremental = ProducerStates()
    for b in batches:
        incremental.record(b)
    rebuilt = ProducerStates.rebuild(batches)
    assert {pid: (e, list(w)) for pid, (e, w, *_txn) in rebuilt.entries.items()} == \
        {pid: (e, list(w)) for pid, (e, w, *_txn) in incremental.entries.items()}


@settings(deadline=None)
@given(replicated_logs())
def test_after_rebuilding_every_one_of_the_last_five_batches_is_a_duplicate(batches):
    states = ProducerStates.rebuild(batches)
    for pid in {b.pid for b in batches if b.pid >= 0}:
        current = max(b.producer_epoch for b in batches if b.pid == pid)
        mine = [b for b in batches if b.pid == pid and b.producer_epoch == current]
        for b in mine[-NUM_BATCHES_TO_RETAIN:]:
            last = b.base_sequence + b.count - 1
            assert states.check(pid, current, b.base_sequence, last) == (DUPLICATE, b.base_offset)
        nxt = mine[-1].base_sequence + mine[-1].count
        assert states.check(pid, current, nxt, nxt) == (None, -1)
