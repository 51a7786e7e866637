"""Transactional producer state and the LSO are functions of the log (ProducerStateManager,
UnifiedLog.lastStableOffset; KIP-98), whatever the interleaving of transactions, plain
batches, markers, HW advances and truncations."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.log import CONTROL_BATCH_SIZE, Batch, ReplicaLog
from sim.cluster.producer_state import ProducerStates
from sim.cluster.protocol import ABORT, COMMIT


def _view(states: ProducerStates, hw: int):
    """What the state answers: entries, open and unreplicated transactions, LSO inputs."""
    first = states.first_unstable_offset(hw)
    return ({pid: (e[0], list(e[1]), e[2], e[3]) for pid, e in states.entries.items()},
            dict(states.ongoing), dict(states.unreplicated), first,
            list(states.aborted.entries))


@st.composite
def histories(draw):
    """A log built step by step: (log, states recorded batch by batch, HWs after each step)."""
    log, states, open_ = ReplicaLog(), ProducerStates(), set()
    seqs: dict = {}
    for _ in range(draw(st.integers(1, 30))):
        step = draw(st.sampled_from(["txn", "plain", "marker", "hw"]))
        pid = draw(st.integers(1, 3))
        offset = log.leo
        if step == "txn" or (step == "plain" and pid in open_):
            count = draw(st.integers(1, 4))
            seq = seqs.get(pid, 0)
            batch = Batch(offset, count, 0, 0, seq, pid, 0, seq, 100, 0, True)
            seqs[pid] = seq + count
            open_.add(pid)
        elif step == "plain":
            batch = Batch(offset, draw(st.integers(1, 4)), 0, 0, 0, -1, -1, -1, 100, 0)
        elif step == "marker":
            batch = Batch(offset, 1, 0, -1, -1, pid, 0, -1, CONTROL_BATCH_SIZE, 0, False,
                          draw(st.sampled_from([COMMIT, ABORT])), 0)
            open_.discard(pid)
        else:
            log.hw = draw(st.integers(log.hw, log.leo))
            continue
        log.append(batch)
        states.record(batch)
    return log, states


@settings(deadline=None, max_examples=300)
@given(histories())
def test_the_lso_never_passes_the_hw_nor_an_undecided_transaction(history):
    log, states = history
    lso = states.last_stable_offset(log)
    assert log.log_start <= lso <= log.hw
    for first in states.ongoing:
        assert lso <= first
    # every transactional batch below the LSO is decided: its marker follows it below the HW
    for b in log.batches:
        if b.transactional and b.base_offset < lso:
            assert any(m.control and m.pid == b.pid and m.base_offset > b.base_offset
                       and m.base_offset < log.hw for m in log.batches)


@settings(deadline=None, max_examples=300)
@given(histories())
def test_state_rebuilt_from_the_log_equals_the_state_kept_append_by_append(history):
    log, states = history
    rebuilt = ProducerStates.rebuild(log.batches)
    assert _view(rebuilt, log.hw) == _view(states, log.hw)


@settings(deadline=None, max_examples=300)
@given(histories(), st.data())
def test_truncation_then_rebuild_equals_the_state_of_the_kept_prefix(history, data):
    log, _states = history
    cut = data.draw(st.integers(0, log.leo))
    prefix = [b for b in log.batches if b.end_offset <= cut]
    log.truncate_to(cut)
    kept = ProducerStates()
    for b in prefix:
        kept.record(b)
    assert _view(ProducerStates.rebuild(log.batches), log.hw) == _view(kept, log.hw)
    rebuilt = ProducerStates.rebuild(log.batches)
    assert all(last < log.leo for _pid, _first, last in rebuilt.aborted.entries)


@settings(deadline=None, max_examples=300)
@given(histories())
def test_the_aborted_index_answers_exactly_the_overlapping_aborted_transactions(history):
    log, states = history
    truth = []
    open_: dict = {}
    for b in log.batches:
        if b.control is not None:
            first = open_.pop(b.pid, None)
            if first is not None and b.control == ABORT:
                truth.append((b.pid, first, b.base_offset))
        elif b.transactional:
            open_.setdefault(b.pid, b.base_offset)
    for start in range(0, log.leo + 1, 3):
        for end in (start, start + 5, log.leo):
            expected = tuple((p, f) for p, f, last in truth if last >= start and f < end)
            assert states.aborted.collect(start, end) == expected
