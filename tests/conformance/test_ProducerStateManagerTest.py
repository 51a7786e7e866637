"""Kafka's ProducerStateManagerTest against kafkasim's idempotent-producer state of a replica.

The component is `ProducerStates` (sim/cluster/producer_state.py): `check` validates a client
append as the leader does (ProducerAppendInfo's sequence and epoch checks, with the log's
duplicate detection in front), `record` remembers an appended batch, whether a client's or
a replicated one, without validation. Not ported: transactions (control markers, the first
unstable offset, coordinator fencing, verification), producer-state snapshot files, and
producer-id expiry and sequence wrap-around, which kafkasim leaves out.
"""

from sim.cluster.log import Batch
from sim.cluster.producer_state import (
    DUPLICATE,
    INVALID_PRODUCER_EPOCH,
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    ProducerStates,
)

KAFKA_CLASS = "ProducerStateManagerTest"

NOT_PORTED = {
    "testLoadFromSnapshotRetainsNonExpiredProducers":
        "simplification: producer state is rebuilt from the log on restart, so a producer whose "
        "batches retention deleted is forgotten (Kafka keeps it in its snapshot)",
}

NOT_PORTED_LIKE = [
    (r"Verification", "not modeled: transaction verification (KIP-890)"),
    (r"WrapAround", "simplification: no sequence wrap-around at 2^31"),
    (r"Expired|Expiration|testAcceptAppendWithoutProducerStateOnReplica",
     "simplification: no producer-id expiry (producer.id.expiration.ms)"),
    (r"Txn|Transaction|ControlRecord|ControlBatch|UnstableOffset|LastStableOffset|Coordinator"
     r"|FencingAbortMarker|GroupMetadataTopic|RecoverFromSnapshot",
     "not modeled: transactions (control markers, transaction state)"),
    (r"Snapshot|testTruncateFullyAndStartAt",
     "internal: producer-state snapshot files (kafkasim rebuilds the state from the log after "
     "a truncation or restart)"),
]

PID = 1


def batch(epoch: int, first: int, last: int, offset: int, pid: int = PID) -> Batch:
    """A batch of sequences [first, last] at offset."""
    count = last - first + 1
    return Batch(offset, count, 0, 0, first, pid, epoch, first, 100, 0)


def client_append(states: ProducerStates, epoch: int, first: int, offset: int,
                  last: int | None = None, pid: int = PID) -> str | None:
    """A client's append as a leader makes it: checked, and recorded if accepted."""
    last = first if last is None else last
    verdict, _ = states.check(pid, epoch, first, last)
    if verdict is None:
        states.record(batch(epoch, first, last, offset, pid))
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
