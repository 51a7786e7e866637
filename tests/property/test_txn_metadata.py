"""The transaction state machine (sim/cluster/txn_metadata.py) under random operations:
only Kafka's legal transitions ever complete (TransactionState.validPreviousStates), an
illegal one raises and leaves the metadata as it was, nothing is prepared while a transition
is pending, and the epoch only grows for one producer id (TransactionMetadataTest's rules)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.txn_metadata import (
    COMPLETE_ABORT,
    COMPLETE_COMMIT,
    EMPTY,
    ONGOING,
    PREPARE_ABORT,
    PREPARE_COMMIT,
    PREPARE_EPOCH_FENCE,
    VALID_PREVIOUS,
    IllegalTransition,
    TxnMetadata,
)

OPS = ("init", "add", "commit", "abort", "complete", "fence", "fail")


def _prepare(meta: TxnMetadata, op: str, now: int):
    if op == "init":
        return meta.prepare_increment_epoch(60_000_000, None, now)
    if op == "add":
        return meta.prepare_add_partitions((now % 3,), now)
    if op in ("commit", "abort"):
        return meta.prepare_abort_or_commit(PREPARE_COMMIT if op == "commit" else PREPARE_ABORT,
                                            now)
    if op == "complete":
        return meta.prepare_complete(now)
    return meta.prepare_fence_epoch()


def _snapshot(meta: TxnMetadata) -> tuple:
    return (meta.pid, meta.producer_epoch, meta.state, meta.pidxs, meta.start_us, meta.pending)


@settings(deadline=None, max_examples=300)
@given(st.lists(st.sampled_from(OPS), max_size=40))
def test_only_legal_transitions_complete(ops):
    meta = TxnMetadata("tx", 1000, 60_000_000, 0)
    epochs = []
    for now, op in enumerate(ops, start=1):
        if op == "fail":                  # the pending write failed: the transition is dropped
            meta.pending = None
            continue
        before, state = _snapshot(meta), meta.state
        try:
            transit = _prepare(meta, op, now)
        except IllegalTransition:
            assert _snapshot(meta) == before
            continue
        assert before[-1] is None, "prepared while another transition was pending"
        assert state in VALID_PREVIOUS[transit.state]
        if transit.state == PREPARE_EPOCH_FENCE:
            meta.apply_fence(transit.producer_epoch)          # then the coordinator aborts
            transit = meta.prepare_abort_or_commit(PREPARE_ABORT, now)
        meta.complete(transit)
        assert meta.state == transit.state and meta.pending is None
        if meta.state == ONGOING:
            assert meta.pidxs and 0 < meta.start_us <= now
        if meta.state in (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT):
            assert meta.pidxs == ()
        epochs.append(meta.producer_epoch)
    assert epochs == sorted(epochs)


def test_a_completion_for_another_state_than_the_pending_one_is_refused():
    meta = TxnMetadata("tx", 1000, 60_000_000, 0)
    transit = meta.prepare_increment_epoch(60_000_000, None, 1)
    try:
        meta.complete(transit._replace(state=ONGOING))
    except IllegalTransition:
        pass
    else:
        raise AssertionError("completed a transition that was not pending")
    meta.complete(transit)
    assert (meta.state, meta.producer_epoch) == (EMPTY, 0)


def test_a_retried_bump_returns_the_same_epoch_and_a_stale_one_is_fenced():
    """prepareIncrementProducerEpoch with an expected epoch (KIP-360)."""
    meta = TxnMetadata("tx", 1000, 60_000_000, 0)
    for epoch in (None, 0):
        meta.complete(meta.prepare_increment_epoch(60_000_000, epoch, 1))
    assert (meta.producer_epoch, meta.last_producer_epoch) == (1, 0)
    retry = meta.prepare_increment_epoch(60_000_000, 0, 2)      # the answer was lost
    assert retry.producer_epoch == 1
    meta.pending = None
    assert meta.prepare_increment_epoch(60_000_000, 5, 3) is None
