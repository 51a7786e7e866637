"""Kafka's TransactionMetadataTest against kafkasim's transaction state machine
(sim/cluster/txn_metadata.py): the same metadata, the same prepare and complete calls, the
same producer ids and epochs after them. Not ported: KIP-890's epoch bump on EndTxn (not
modeled), wall-clock shifts (simulated time never goes back) and the state names' wire ids
(internal)."""

import pytest

from sim.cluster.txn_metadata import (
    EMPTY,
    MAX_EPOCH,
    NO_PRODUCER_EPOCH,
    ONGOING,
    PREPARE_ABORT,
    PREPARE_COMMIT,
    PREPARE_EPOCH_FENCE,
    IllegalTransition,
    TxnMetadata,
)

KAFKA_CLASS = "TransactionMetadataTest"

PRODUCER_ID = 23423                 # TransactionMetadataTest.producerId
TIMEOUT_US = 30_000_000             # txnTimeoutMs = 30000

NOT_PORTED = {
    "testEpochBumpOnEndTxn": "not modeled: KIP-890's epoch bump on every EndTxn "
                             "(transaction version 2)",
    "testEpochBumpOnEndTxnOverflow": "not modeled: KIP-890's epoch bump on every EndTxn",
    "testTransactionStateIdAndNameMapping": "internal: the states' ids in the log's "
                                            "serialization",
    "testAllTransactionStatesAreMapped": "internal: the states' ids in the log's "
                                         "serialization",
}
NOT_PORTED_LIKE = [
    (r"^testTolerate.*Time", "internal: a wall clock that moves back between transitions; "
                             "simulated time never does"),
]


def _metadata(epoch: int, state: str = EMPTY, last_epoch: int = NO_PRODUCER_EPOCH,
              previous_pid: int = -1) -> TxnMetadata:
    meta = TxnMetadata("txnId", PRODUCER_ID, TIMEOUT_US, 0)
    meta.producer_epoch, meta.last_producer_epoch = epoch, last_epoch
    meta.state, meta.previous_pid = state, previous_pid
    return meta


def _bump(meta: TxnMetadata, expected: int | None) -> None:
    """prepareSuccessfulIncrementProducerEpoch, then completeTransitionTo."""
    transit = meta.prepare_increment_epoch(TIMEOUT_US, expected, 1)
    assert transit is not None
    meta.complete(transit)


def test_TransactionMetadataTest_testInitializeEpoch():
    meta = _metadata(NO_PRODUCER_EPOCH)
    _bump(meta, None)
    assert (meta.pid, meta.producer_epoch, meta.last_producer_epoch) == \
        (PRODUCER_ID, 0, NO_PRODUCER_EPOCH)


def test_TransactionMetadataTest_testNormalEpochBump():
    meta = _metadata(735)
    _bump(meta, None)
    assert (meta.pid, meta.producer_epoch, meta.last_producer_epoch) == \
        (PRODUCER_ID, 736, NO_PRODUCER_EPOCH)


def test_TransactionMetadataTest_testBumpEpochNotAllowedIfEpochsExhausted():
    meta = _metadata(MAX_EPOCH - 1)
    assert meta.epoch_exhausted
    with pytest.raises(IllegalTransition):
        meta.prepare_increment_epoch(TIMEOUT_US, None, 1)


def test_TransactionMetadataTest_testFenceProducerAfterEpochsExhausted():
    meta = _metadata(MAX_EPOCH - 1, ONGOING)
    assert meta.epoch_exhausted
    fence = meta.prepare_fence_epoch()
    assert (fence.producer_epoch, fence.last_producer_epoch) == (MAX_EPOCH, NO_PRODUCER_EPOCH)
    assert meta.pending == PREPARE_EPOCH_FENCE
    meta.pending = None                 # reset to make way for the abort transition
    transit = meta.prepare_abort_or_commit(PREPARE_ABORT, 1)
    meta.complete(transit)
    assert transit.pid == PRODUCER_ID


def test_TransactionMetadataTest_testFenceProducerNotAllowedIfItWouldOverflow():
    meta = _metadata(MAX_EPOCH, ONGOING)
    assert meta.epoch_exhausted
    with pytest.raises(IllegalTransition):
        meta.prepare_fence_epoch()


def test_TransactionMetadataTest_testRotateProducerId():
    meta = _metadata(MAX_EPOCH - 1)
    meta.complete(meta.prepare_rotation(9893, TIMEOUT_US, 1, record_last_epoch=True))
    assert (meta.pid, meta.previous_pid, meta.producer_epoch, meta.last_producer_epoch) == \
        (9893, PRODUCER_ID, 0, MAX_EPOCH - 1)


def _rotate_refused(state: str) -> None:
    """prepareProducerIdRotation while a transaction is pending throws."""
    meta = _metadata(MAX_EPOCH - 1, state)
    with pytest.raises(IllegalTransition):
        meta.prepare_rotation(9893, TIMEOUT_US, 1, record_last_epoch=True)


def test_TransactionMetadataTest_testRotateProducerIdInOngoingState():
    _rotate_refused(ONGOING)


def test_TransactionMetadataTest_testRotateProducerIdInPrepareAbortState():
    _rotate_refused(PREPARE_ABORT)


def test_TransactionMetadataTest_testRotateProducerIdInPrepareCommitState():
    _rotate_refused(PREPARE_COMMIT)


def test_TransactionMetadataTest_testAttemptedEpochBumpWithNewlyCreatedMetadata():
    meta = _metadata(NO_PRODUCER_EPOCH)
    _bump(meta, 735)
    assert (meta.pid, meta.producer_epoch, meta.last_producer_epoch) == \
        (PRODUCER_ID, 0, NO_PRODUCER_EPOCH)


def test_TransactionMetadataTest_testEpochBumpWithCurrentEpochProvided():
    meta = _metadata(735)
    _bump(meta, 735)
    assert (meta.pid, meta.producer_epoch, meta.last_producer_epoch) == (PRODUCER_ID, 736, 735)


def test_TransactionMetadataTest_testAttemptedEpochBumpWithLastEpoch():
    meta = _metadata(735, last_epoch=734)
    _bump(meta, 734)
    assert (meta.pid, meta.producer_epoch, meta.last_producer_epoch) == (PRODUCER_ID, 735, 734)


def test_TransactionMetadataTest_testAttemptedEpochBumpWithFencedEpoch():
    meta = _metadata(735, last_epoch=734, previous_pid=PRODUCER_ID)
    assert meta.prepare_increment_epoch(TIMEOUT_US, 733, 1) is None     # PRODUCER_FENCED
    assert meta.pending is None
