"""Kafka's ProducerStateManagerTest against kafkasim's idempotent-producer state of a replica.

The component is `ProducerStates` (sim/cluster/producer_state.py): `check` validates a client
append as the leader does (ProducerAppendInfo's sequence and epoch checks, with the log's
duplicate detection in front), `check_marker` a transaction marker from the coordinator,
`record` remembers an appended batch or marker, whether a client's or a replicated one,
without validation; `first_unstable_offset(hw)` is firstUnstableOffset after
onHighWatermarkUpdated(hw), and `rebuild` is truncateAndReload (from the log, not a
snapshot). Not ported: verification (KIP-890), producer-state snapshot files, late
transactions (a metric), and producer-id expiry and sequence wrap-around, which kafkasim
leaves out.
"""

from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.producer_state import (
    DUPLICATE,
    INVALID_PRODUCER_EPOCH,
    INVALID_TXN_STATE,
    NO_OFFSET,
    NO_SEQUENCE,
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    TRANSACTION_COORDINATOR_FENCED,
    ProducerStates,
)
from sim.cluster.protocol import ABORT, COMMIT

KAFKA_CLASS = "ProducerStateManagerTest"

NOT_PORTED = {
    "testLoadFromSnapshotRetainsNonExpiredProducers":
        "simplification: producer state is rebuilt from the log on restart, so a producer whose "
        "batches retention deleted is forgotten (Kafka keeps it in its snapshot)",
}

NOT_PORTED_LIKE = [
    (r"Verification", "pending: modeled (KIP-890 transaction verification, "
     "txn_verification.py), not ported yet"),
    (r"WrapAround", "simplification: no sequence wrap-around at 2^31"),
    (r"Expired|Expiration|testAcceptAppendWithoutProducerStateOnReplica",
     "simplification: no producer-id expiry (producer.id.expiration.ms)"),
    (r"HasLateTransaction", "not modeled: the late-transaction check (a broker metric)"),
    (r"testProducersWithOngoingTransactionsDontExpire",
     "simplification: no producer-id expiry (producer.id.expiration.ms)"),
    (r"RecoverFromSnapshot|testTxnFirstOffsetMetadataCached|updateProducerTransactionState",
     "internal: producer-state snapshot files and offset metadata (kafkasim rebuilds the state "
     "from the log)"),
    (r"testAppendEmptyControlBatch",
     "internal: an empty control batch is left by the cleaner, which keeps markers in kafkasim"),
    (r"Snapshot|testTruncateFullyAndStartAt",
     "internal: producer-state snapshot files (kafkasim rebuilds the state from the log after "
     "a truncation or restart)"),
]

PID = 1


def batch(epoch: int, first: int, last: int, offset: int, pid: int = PID,
          transactional: bool = False) -> Batch:
    """A batch of sequences [first, last] at offset."""
    count = last - first + 1
    return Batch(offset, count, 0, 0, first, pid, epoch, first, 100, 0, transactional)


def client_append(states: ProducerStates, epoch: int, first: int, offset: int,
                  last: int | None = None, pid: int = PID,
                  transactional: bool = False) -> str | None:
    """A client's append as a leader makes it: checked, and recorded if accepted."""
    last = first if last is None else last
    verdict, _ = states.check(pid, epoch, first, last, transactional=transactional)
    if verdict is None:
        states.record(batch(epoch, first, last, offset, pid, transactional))
    return verdict


def marker(epoch: int, result: str, offset: int, coordinator_epoch: int = 0,
           pid: int = PID) -> Batch:
    return Batch(offset, 1, 0, -1, -1, pid, epoch, -1, CONTROL_BATCH_SIZE, 0, False, result,
                 coordinator_epoch)


def end_txn(states: ProducerStates, epoch: int, result: str, offset: int,
            coordinator_epoch: int = 0, pid: int = PID) -> str | None:
    """The coordinator's marker as a leader appends it: checked, and recorded if accepted
    (appendEndTxnMarker)."""
    verdict = states.check_marker(pid, epoch, coordinator_epoch)
    if verdict is None:
        states.record(marker(epoch, result, offset, coordinator_epoch, pid))
    return verdict


def last_batch(states: ProducerStates, pid: int = PID) -> tuple[int, int, int]:
    """(first sequence, last sequence, base offset) of the producer's last batch."""
    return states.entries[pid][1][-1]


def test_ProducerStateManagerTest_testBasicIdMapping():
    s = ProducerStates()
    assert client_append(s, 0, 0, 0) is None
    assert client_append(s, 0, 1, 1) is None
    # Kafka's state manager alone calls a repeat of sequence 1 out of order; the log checks
    # the last five batches first and answers it as a duplicate (UnifiedLog's
    # analyzeAndValidateProducerState), which is what a leader returns.
    assert s.check(PID, 0, 1, 1) == (DUPLICATE, 1)
    assert client_append(s, 0, 5, 2) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert client_append(s, 1, 0, 3) is None                  # a new epoch starts at 0
    assert client_append(s, 0, 0, 4) == INVALID_PRODUCER_EPOCH


def test_ProducerStateManagerTest_testNoValidationOnFirstEntryWhenLoadingLog():
    s = ProducerStates()
    s.record(batch(5, 16, 16, 735))                           # replicated: not checked
    assert s.entries[PID][0] == 5
    assert last_batch(s) == (16, 16, 735)
    assert s.check(PID, 5, 17, 17) == (None, -1)


def test_ProducerStateManagerTest_testPrepareUpdateDoesNotMutate():
    s = ProducerStates()
    assert s.check(PID, 0, 0, 5) == (None, -1)
    assert s.entries == {}                                    # checking does not record
    s.record(batch(0, 0, 5, 15))
    assert s.check(PID, 0, 6, 10) == (None, -1)
    assert last_batch(s) == (0, 5, 15)
    s.record(batch(0, 6, 10, 26))
    assert [b[:2] for b in s.entries[PID][1]] == [(0, 5), (6, 10)]
    assert last_batch(s) == (6, 10, 26)


def test_ProducerStateManagerTest_testAcceptAppendWithSequenceGapsOnReplica():
    s = ProducerStates()
    assert client_append(s, 0, 0, 0) is None
    assert client_append(s, 0, 3, 1) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert last_batch(s)[1] == 0
    s.record(batch(0, 3, 3, 1))                               # a replica takes the gap
    assert last_batch(s)[1] == 3


# -- transactions ------------------------------------------------------------------------


def test_ProducerStateManagerTest_testAppendTxnMarkerWithNoProducerState():
    s = ProducerStates()
    assert end_txn(s, 2, COMMIT, 27) is None
    assert s.entries[PID][0] == 2 and not s.entries[PID][1]       # no sequence yet
    assert client_append(s, 0, 0, 4) == INVALID_PRODUCER_EPOCH  # fencing still works
    assert client_append(s, 2, 17, 4) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert client_append(s, 2, 0, 39) is None                     # the sequence reset to 0
    assert last_batch(s)[1] == 0


def test_ProducerStateManagerTest_testControlRecordBumpsProducerEpoch():
    s = ProducerStates()
    assert client_append(s, 0, 0, 0) is None
    assert end_txn(s, 1, ABORT, 1) is None
    epoch, batches, _coordinator, txn_first = s.entries[PID]
    assert (epoch, list(batches), txn_first) == (1, [], NO_OFFSET)
    assert client_append(s, 1, 0, 2) is None
    assert last_batch(s)[0] == 0


def test_ProducerStateManagerTest_testOutOfSequenceAfterControlRecordEpochBump():
    s = ProducerStates()
    assert client_append(s, 0, 0, 0, transactional=True) is None
    assert client_append(s, 0, 1, 1, transactional=True) is None
    assert end_txn(s, 1, ABORT, 1) is None
    assert client_append(s, 1, 2, 2, transactional=True) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert client_append(s, 2, 2, 2, transactional=True) == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert client_append(s, 1, 0, 0, transactional=True) is None
    assert s.entries[PID][0] == 1 and last_batch(s)[1] == 0


def test_ProducerStateManagerTest_testNonTransactionalAppendWithOngoingTransaction():
    s = ProducerStates()
    assert client_append(s, 0, 0, 0, transactional=True) is None
    assert client_append(s, 0, 1, 1) == INVALID_TXN_STATE


def test_ProducerStateManagerTest_testProducerStateAfterFencingAbortMarker():
    s = ProducerStates()
    assert client_append(s, 0, 0, 0, transactional=True) is None
    assert end_txn(s, 1, ABORT, 1) is None
    _epoch, batches, _coordinator, txn_first = s.entries[PID]
    assert txn_first == NO_OFFSET and not batches


def test_ProducerStateManagerTest_testFirstUnstableOffsetAfterTruncation():
    log = [batch(0, 0, 0, 99, transactional=True)]
    s = ProducerStates.rebuild(log)
    assert s.first_unstable_offset(0) == 99
    log.append(marker(0, COMMIT, 105))
    s.record(log[-1])
    assert s.first_unstable_offset(106) == NO_OFFSET
    log.append(batch(0, 1, 1, 106))
    assert ProducerStates.rebuild(log).first_unstable_offset(106) == NO_OFFSET
    assert ProducerStates.rebuild([b for b in log if b.base_offset < 100]) \
        .first_unstable_offset(0) == 99


def test_ProducerStateManagerTest_testFirstUnstableOffset():
    s, other = ProducerStates(), PID + 1
    assert s.first_unstable_offset(0) == NO_OFFSET
    assert client_append(s, 5, 0, 99, transactional=True) is None
    assert next(iter(s.ongoing)) == 99 and s.first_unstable_offset(0) == 99
    assert client_append(s, 5, 0, 105, pid=other, transactional=True) is None
    assert s.first_unstable_offset(0) == 99
    assert end_txn(s, 5, COMMIT, 109) is None
    assert next(iter(s.ongoing)) == 105                       # the first undecided offset
    assert s.first_unstable_offset(0) == 99
    assert s.first_unstable_offset(100) == 99
    assert s.first_unstable_offset(110) == 105
    assert end_txn(s, 5, ABORT, 112, pid=other) is None
    assert not s.ongoing and s.first_unstable_offset(110) == 105
    assert s.first_unstable_offset(113) == NO_OFFSET


def test_ProducerStateManagerTest_testOldEpochForControlRecord():
    s = ProducerStates()
    assert client_append(s, 5, 0, 99, transactional=True) is None
    assert end_txn(s, 3, COMMIT, 100) == INVALID_PRODUCER_EPOCH


def test_ProducerStateManagerTest_testSequenceNotValidatedForGroupMetadataTopic():
    """The group coordinator's transactional offset commits carry no sequence (origin
    COORDINATOR): two in a row are both accepted, and recorded as the producer's."""
    s = ProducerStates()
    for offset in (99, 100):
        assert s.check(PID, 5, NO_SEQUENCE, NO_SEQUENCE) == (None, -1)
        s.record(Batch(offset, 1, 0, -1, 0, PID, 5, NO_SEQUENCE, 100, 0, True))
    assert s.entries[PID][0] == 5 and s.ongoing == {99: PID}
    assert s.check(PID, 4, NO_SEQUENCE, NO_SEQUENCE)[0] == INVALID_PRODUCER_EPOCH


def test_ProducerStateManagerTest_testCoordinatorFencing():
    s = ProducerStates()
    assert client_append(s, 5, 0, 99, transactional=True) is None
    assert end_txn(s, 5, COMMIT, 100, coordinator_epoch=1) is None
    assert s.entries[PID][2] == 1
    assert end_txn(s, 5, COMMIT, 101, coordinator_epoch=1) is None
    assert end_txn(s, 5, COMMIT, 102, coordinator_epoch=2) is None
    assert end_txn(s, 5, COMMIT, 103, coordinator_epoch=1) == TRANSACTION_COORDINATOR_FENCED


def test_ProducerStateManagerTest_testCoordinatorFencedAfterReload():
    log = [batch(0, 0, 0, 99, transactional=True), marker(0, COMMIT, 100, coordinator_epoch=1)]
    recovered = ProducerStates.rebuild(log)
    assert end_txn(recovered, 0, COMMIT, 101, coordinator_epoch=0) == \
        TRANSACTION_COORDINATOR_FENCED


def test_ProducerStateManagerTest_testLastStableOffsetCompletedTxn():
    s = ProducerStates()
    start1, pid2, pid3 = 992342, PID + 1, PID + 2
    start2, start3 = start1 + 25, start1 + 57
    for pid, start in ((PID, start1), (pid2, start2), (pid3, start3)):
        assert client_append(s, 0, 0, start, pid=pid, transactional=True) is None
    last1 = start3 + 15
    assert end_txn(s, 0, COMMIT, last1) is None
    assert s.first_unstable_offset(last1 + 1) == start2
    last3 = last1 + 20
    assert end_txn(s, 0, COMMIT, last3, pid=pid3) is None
    assert s.first_unstable_offset(last3 + 1) == start2
    last2 = last3 + 78
    assert end_txn(s, 0, COMMIT, last2, pid=pid2) is None
    assert s.first_unstable_offset(last2 + 1) == NO_OFFSET


def test_ProducerStateManagerTest_testSkipEmptyTransactions():
    s = ProducerStates()
    assert client_append(s, 0, 0, 16, 4, transactional=True) is None     # offsets 16-20
    assert s.first_unstable_offset(21) == 16
    for result, offset in ((COMMIT, 21), (COMMIT, 22), (ABORT, 23)):
        assert end_txn(s, 0, result, offset) is None
    assert client_append(s, 0, 5, 24, 8, transactional=True) is None     # offsets 24-27
    assert end_txn(s, 0, ABORT, 28) is None
    assert end_txn(s, 0, ABORT, 29) is None
    assert client_append(s, 0, 9, 30, 10, transactional=True) is None    # offsets 30-31
    assert list(s.ongoing) == [30]
    assert s.aborted.entries == [(PID, 24, 28)]                 # empty transactions: none
    assert s.first_unstable_offset(32) == 30
