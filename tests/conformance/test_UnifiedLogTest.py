"""Kafka's UnifiedLogTest against kafkasim's replica log and the broker pieces around it.

A case that only appends, reads and truncates drives `ReplicaLog` (sim/cluster/log.py): an
append as follower is `append`, truncation `truncate_to`, truncateFullyAndStartAt `start_at`,
updateHighWatermark `update_hw`, maybeIncrementLogStartOffset `advance_start`. A case about
leader appends, consumer reads or retention builds broker-0 alone (tests/unit/hosts.py),
leading a partition whose two followers never fetch: appends go through its replica manager
(the producer-state checks, the leader epoch), reads through its consumer reads (bounded by
the high watermark), deleteOldSegments through its log cleaner's retention. Record sizes are
scaled so that segments hold as many records as in Kafka's case (kafkasim's segment.bytes is
at least 1 MiB). A case about transactions drives a `ReplicaLog` and its `ProducerStates`
(sim/cluster/producer_state.py) as a replica keeps them: every append recorded, the first
unstable offset read after the high watermark moved, markers checked as a leader checks the
coordinator's. Not ported: KIP-890 verification, tiered storage, message formats and
compression, snapshot, index and metadata files, and Java API checks.
"""

import pytest

from sim.cluster import retention
from sim.cluster.broker import Broker
from sim.cluster.log import CONTROL_BATCH_SIZE, Batch, ReplicaLog
from sim.cluster.metadata import PartitionState
from sim.cluster.producer_state import (
    INVALID_PRODUCER_EPOCH,
    NO_OFFSET,
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    TRANSACTION_COORDINATOR_FENCED,
    ProducerStates,
)
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    MESSAGE_TOO_LARGE,
    OFFSET_OUT_OF_RANGE,
    BatchData,
    FetchPartition,
)
from sim.core.units import MS, S
from tests.unit.hosts import Harness

KAFKA_CLASS = "UnifiedLogTest"

NOT_PORTED = {
    "testAppendAsLeaderWithRaftLeader": "not modeled: the KRaft metadata log (RAFT_LEADER appends)",
    "testActiveProducers": "not modeled: transactions (producer state with open transactions)",
    "testTruncateFullyAndStart": "not modeled: transactions (the first unstable offset)",
    "testOffsetFromProducerSnapshotFile": "internal: producer-state snapshot files",
    "testTimeBasedLogRollDuringAppend":
        "simplification: a record's timestamp is its leader's append time, so rolls by "
        "segment.ms cannot tell wall clock from record timestamps",
    "testRollSegmentThatAlreadyExists": "internal: segment and index files",
    "testLogSegmentsCallCorrect": "internal: the logSegments(from, to) lookup API",
    "testLogReinitializeAfterManualDelete": "internal: loading a log directory",
    "testProducerExpireCheckAfterDelete": "internal: scheduler tasks",
    "testRebuildProducerIdMapWithCompactedData":
        "simplification: a compacted batch keeps only its surviving records' sequences",
    "testRebuildProducerStateWithEmptyCompactedBatch":
        "simplification: a compacted batch keeps only its surviving records' sequences",
    "testUpdateProducerIdMapWithCompactedData":
        "simplification: a compacted batch keeps only its surviving records' sequences",
    "testPeriodicProducerIdExpiration":
        "simplification: no producer-id expiry (producer.id.expiration.ms)",
    "testTimeBasedLogRollJitter": "not modeled: segment.jitter.ms",
    "testLoadEmptyLog": "internal: loading a log directory",
    "testLogRollAfterLogHandlerClosed": "internal: closed file handles",
    "testReadWithTooSmallMaxLength":
        "not modeled: reads without minOneMessage (fetch versions before 3)",
    "testFlushingEmptyActiveSegments": "internal: segment and index files",
    "testCompressedMessages": "not modeled: compression",
    "testMessageSetSizeCheck": "not modeled: batch size limits (RecordBatchTooLargeException)",
    "testCompactedTopicConstraints":
        "simplification: keyless records on a compacted topic are kept (Kafka refuses them)",
    "testBuildTimeIndexWhenNotAssigningOffsets": "internal: the time index",
    "testFetchOffsetByTimestampIncludesLeaderEpoch":
        "not modeled: the leader epoch in a ListOffsets answer",
    "testFetchOffsetByTimestampWithMaxTimestampIncludesTimestamp":
        "not modeled: ListOffsets for the max timestamp",
    "testIndexResizingAtTruncation": "internal: the offset index",
    "testAsyncDelete": "internal: deleting log files",
    "testAppendMessageWithNullPayload":
        "internal: record payloads (a tombstone is a flag of the record in kafkasim)",
    "testAppendWithOutOfOrderOffsetsThrowsException":
        "internal: validation of a malformed follower batch",
    "testAppendBelowExpectedOffsetThrowsException":
        "internal: validation of a malformed follower batch",
    "testAppendEmptyLogBelowLogStartOffsetThrowsException":
        "internal: validation of a malformed follower batch",
    "testAppendWithNoTimestamp": "not modeled: records without timestamps (message format v0)",
    "testAppendToOrReadFromLogInFailedLogDir": "not modeled: log directory failures",
    "testLogDeletionAfterClose": "internal: deleting log files",
    "testOffsetSnapshot": "internal: offset metadata (segment positions)",
    "testLoadPartitionDirWithNoSegmentsShouldNotThrow": "internal: loading a log directory",
    "testRenamingDirWithoutReinitialization": "internal: renaming log directories",
    "testDeletableSegmentsIteration":
        "internal: the arguments deletableSegments passes to its predicate",
    "testRecoveryPointNotIncrementedOnProducerStateSnapshotFlushFailure":
        "internal: producer-state snapshot files",
    "testConvertToOffsetMetadataDoesNotThrowOffsetOutOfRangeError":
        "internal: offset metadata (segment positions)",
    "testGetFirstBatchTimestampForSegments": "internal: a segment's first-batch timestamp API",
    "testLogOffsetsListener": "internal: log offset listener callbacks",
    "testUpdateLogOffsetsListener": "internal: log offset listener callbacks",
}

NOT_PORTED_LIKE = [
    (r"Remote|Tiered|LocalLog", "not modeled: tiered storage (KIP-405)"),
    (r"Verification|VerificationGuard|NonZeroSequenceOnFirstAppend",
     "pending: modeled (KIP-890 transaction verification, "
     "txn_verification.py), not ported yet"),
    (r"TransactionIndexFailure", "internal: a failing transaction index file"),
    (r"SpanningMultipleSegments|AfterSegmentDeletion|ThroughReplication|FetchUpToLastStable"
     r"|ReadCommitted", "pending: modeled (the index per replica, READ_COMMITTED reads), not "
     "ported yet"),
    (r"Snapshot|ProducerIdMapOffsetUpdated|ProducerIdMapTruncateTo$|ProducerIdMapTruncateFully",
     "internal: producer-state snapshot files"),
    (r"PartitionMetadata|TopicId|DirectoryRename",
     "internal: the partition metadata file and directory renames"),
    (r"MessageFormat|DowngradeInAppendedMessages", "not modeled: message format versions"),
    (r"SegmentSplit|OffsetOverflow", "internal: splitting segments on offset overflow"),
]

R = 1 << 20                 # bytes of a one-record batch: kafkasim's segment.bytes is >= 1 MiB
PID = 1


def batch(base: int, count: int = 1, epoch: int = 0, at_ms: int = 0, pid: int = -1,
          seq: int = -1) -> Batch:
    """A batch as a follower gets it from its leader."""
    return Batch(base, count, epoch, 0, base, pid, 0 if pid >= 0 else -1, seq, R * count,
                 at_ms * MS)


def follower_log(*bases: int, segment_records: int = 10**6, epoch: int = 0) -> ReplicaLog:
    """A log with one-record batches at the given offsets, appended as follower."""
    log = ReplicaLog(segment_records * R)
    for base in bases:
        log.append(batch(base, epoch=epoch))
    return log


class Leader:
    """broker-0 built alone, leading orders-0 at `epoch` with followers 1 and 2 that never
    fetch (so the high watermark moves only when a case moves it)."""

    def __init__(self, epoch: int = 0, **config) -> None:
        config = {"max.message.bytes": 2**31 - 1, **config}    # batches of R bytes per record
        h = Harness({"cluster": {"brokers": 3}, "topics": {"orders": {
            "partitions": 1, "replication.factor": 3, "config": config}}})
        self.broker = Broker(0, h.broker_context(), h.disk())
        self.replica = self.broker.replicas[0]
        self.replica.make_leader(PartitionState(0, 0, epoch, 0, (0, 1, 2)), 0)
        self.log = self.replica.log

    def append(self, count: int = 1, at_ms: int = 0, pid: int = -1, producer_epoch: int = -1,
               seq: int = -1) -> tuple[str | None, int]:
        """A produce of one batch: (error, base offset)."""
        data = BatchData(0, 0, count, R * count, pid, producer_epoch, seq)
        error, offset, _replica, _appended = self.broker.manager._append(0, data, 1, at_ms * MS)
        return error, offset

    def commit(self) -> None:
        """Both followers fetch up to the LEO; the leader's high watermark follows."""
        replica = self.replica
        for follower in (1, 2):
            replica.update_follower(follower, self.log.leo, 0)
        replica.maybe_increment_hw(0, 30 * S, lambda _r: True, True)

    def consumer_read(self, offset: int, max_bytes: int = 1 << 40):
        """(error, offsets read) of a consumer fetch at offset (read_uncommitted)."""
        data = self.broker.reads._read(0, FetchPartition(offset, -1, -1), max_bytes)
        return data.error, [o for b in data.batches for o in range(b.base_offset, b.end_offset)]

    def delete_old_segments(self, at_ms: int) -> int:
        """UnifiedLog.deleteOldSegments by the broker's retention: how many segments went."""
        before = self.log.segments[:]
        self.broker.cleaner.apply_retention(self.replica, at_ms * MS)
        return sum(base < self.log.segments[0] for base in before)


def test_UnifiedLogTest_testHighWatermarkMetadataUpdatedAfterSegmentRoll():
    p = Leader()
    p.append(3)
    assert p.consumer_read(0) == (None, [])
    p.commit()
    assert p.consumer_read(0) == (None, [0, 1, 2])
    p.log.roll()
    assert p.consumer_read(0) == (None, [0, 1, 2])
    p.append(3)
    assert p.consumer_read(3) == (None, [])


def test_UnifiedLogTest_testAppendInfoFirstOffset():
    p = Leader()
    assert p.append(3) == (None, 0)
    assert p.append(3) == (None, 3)
    p.log.roll()
    assert p.append(3) == (None, 6)


def test_UnifiedLogTest_testHighWatermarkMaintenance():
    p = Leader()
    log = p.log
    assert log.hw == 0
    p.append(3)
    assert log.hw == 0                                  # not moved by an append
    p.replica.update_follower(1, 1, 0)
    p.replica.update_follower(2, 1, 0)
    p.replica.maybe_increment_hw(0, 30 * S, lambda _r: True, True)
    assert log.hw == 1
    log.update_hw(5)
    assert log.hw == 3                                  # never past the LEO
    log.append(batch(3, 3))                             # as follower
    log.update_hw(6)
    assert log.hw == 6
    log.truncate_to(3)
    assert log.hw == 3
    p.append(3)
    assert (log.hw, log.leo, log.log_start) == (3, 6, 0)
    log.start_at(4)
    assert (log.leo, log.log_start, log.hw) == (4, 4, 4)


def test_UnifiedLogTest_testFetchUpToLogEndOffset():
    log = ReplicaLog()
    log.append(batch(0, 3))
    log.append(batch(3, 2))
    for offset in range(log.log_start, log.leo):
        read = log.read(offset, 1 << 40)
        assert read and read[0].base_offset <= offset < read[0].end_offset
        assert all(b.end_offset <= log.leo for b in read)


def test_UnifiedLogTest_testFetchUpToHighWatermark():
    p = Leader()
    p.append(3)
    p.append(2)

    def bounded_by_hw():
        hw = p.log.hw
        for offset in range(p.log.log_start, hw):
            error, offsets = p.consumer_read(offset)
            assert error is None and offsets and max(offsets) < hw
        for offset in range(hw, p.log.leo + 1):
            assert p.consumer_read(offset) == (None, [])

    bounded_by_hw()
    p.log.update_hw(3)
    bounded_by_hw()
    p.log.update_hw(5)
    bounded_by_hw()


def test_UnifiedLogTest_testNonSequentialAppend():
    p = Leader()
    assert p.append(pid=PID, producer_epoch=0, seq=0) == (None, 0)
    assert p.append(pid=PID, producer_epoch=0, seq=2)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER


def test_UnifiedLogTest_testTruncateToEndOffsetClearsEpochCache():
    log = ReplicaLog()
    log.append(batch(27, 2, epoch=19))
    assert (log.epochs[-1], log.leo) == ((19, 27), 29)
    for epoch, target in ((20, 29), (24, 30)):
        log.assign_epoch(epoch)                         # becomes leader
        assert (log.epochs[-1], log.leo) == ((epoch, 29), 29)
        log.truncate_to(target)                         # a follower again, at or past its LEO
        assert (log.epochs[-1], log.leo) == ((19, 27), 29)


def test_UnifiedLogTest_testProducerIdMapTruncateToWithNoSnapshots():
    p = Leader()
    p.append(pid=PID, producer_epoch=0, seq=0)
    p.append(pid=PID, producer_epoch=0, seq=1)
    p.broker.storage.truncate(p.replica, 1, "diverging_epoch")
    entries = p.replica.producers.entries
    assert list(entries) == [PID]
    assert entries[PID][1][-1][1] == 0                  # last sequence


def test_UnifiedLogTest_testRetentionIdempotency():
    p = Leader(**{"retention.ms": 900, "retention.bytes": -1})
    log = p.log
    for at_ms in (100, 0, 100):                         # record timestamps
        if log.leo:
            log.roll()
        log.append(batch(log.leo, at_ms=at_ms))
    log.update_hw(log.leo)
    log.advance_start(1)
    assert p.delete_old_segments(901) == 2   # the log start rule unblocks the time rule
    assert p.delete_old_segments(901) == 0


def test_UnifiedLogTest_testProducerIdExpirationOnSegmentDeletion():
    p = Leader(**{"segment.bytes": R, "retention.bytes": 2 * R})
    p.append(pid=1, producer_epoch=0, seq=0)
    p.append(pid=2, producer_epoch=0, seq=0)
    p.append(pid=2, producer_epoch=0, seq=1)
    assert len(p.log.segments) == 3
    assert set(p.replica.producers.entries) == {1, 2}
    p.log.update_hw(p.log.leo)
    p.delete_old_segments(0)
    assert len(p.log.segments) == 2
    assert set(p.replica.producers.entries) == {1, 2}   # deletion keeps producer state


def test_UnifiedLogTest_testDuplicateAppends():
    p = Leader()

    def append(count, seq):
        return p.append(count, pid=PID, producer_epoch=0, seq=seq)

    for seq in range(6):
        append(1, seq)
    assert append(3, 6) == (None, 6)                    # offsets 6..8
    assert append(3, 6) == (None, 6)                    # a duplicate of the tail
    assert p.log.leo == 9
    assert append(2, 7)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER     # a partial duplicate
    assert append(1, 2) == (None, 2)                    # the oldest of the last five batches
    assert append(1, 1)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER     # older than the last five
    assert append(1, 9) == (None, 9)
    assert append(1, 9) == (None, 9)
    assert p.log.leo == 10


def test_UnifiedLogTest_testMultipleProducerIdsPerMemoryRecord():
    log = ReplicaLog()
    sent = [batch(offset, pid=offset + 1, seq=0) for offset in range(4)]
    for b in sent:
        log.append(b)
    read = log.read(0, 1 << 40)
    assert [(b.pid, b.base_offset, b.base_sequence) for b in read] == \
        [(b.pid, b.base_offset, b.base_sequence) for b in sent]


def follower_append(p: Leader, *batches: Batch) -> None:
    """What the replica fetcher does with each batch: append it, remember its producer."""
    for b in batches:
        p.log.append(b)
        p.replica.producers.record(b)


def test_UnifiedLogTest_testDuplicateAppendToFollower():
    p = Leader()
    follower_append(p, batch(0, 2, pid=PID, seq=0), batch(2, 2, pid=PID, seq=0))
    assert p.log.leo == 4                               # a follower does not validate


# Kafka's two batches: two records "You", "bethe", and two of 45 and 20 bytes; a record is
# its value plus 10 bytes here and a batch adds 61 (docs/model.md)
SMALL, LARGE = 61 + (3 + 10) + (5 + 10), 61 + (45 + 10) + (20 + 10)


def test_UnifiedLogTest_testMessageSizeCheck():
    p = Leader(**{"max.message.bytes": LARGE - 1})
    manager = p.broker.manager
    assert manager._append(0, BatchData(0, 0, 2, SMALL, -1, -1, -1), 1, 0)[0] is None
    assert manager._append(0, BatchData(0, 2, 2, LARGE, -1, -1, -1), 1, 0)[0] == \
        MESSAGE_TOO_LARGE
    assert p.log.leo == 2


def test_UnifiedLogTest_testMessageSizeCheckInAppendAsFollower():
    p = Leader(**{"max.message.bytes": LARGE - 1})
    small, large = batch(0, 2), batch(5, 2)
    follower_append(p, small._replace(size=SMALL), large._replace(size=LARGE))
    assert p.log.leo == 7                    # appendAsFollower does not check the size


def test_UnifiedLogTest_testMultipleProducersWithDuplicatesInSingleAppend():
    p = Leader()
    follower_append(p, *(batch(offset, pid=pid, seq=seq) for offset, (pid, seq) in
                         enumerate(((1, 0), (2, 0), (1, 1), (2, 1), (1, 1)))))
    assert p.log.leo == 5


def test_UnifiedLogTest_testOldProducerEpoch():
    p = Leader()
    assert p.append(pid=PID, producer_epoch=1, seq=0) == (None, 0)
    assert p.append(pid=PID, producer_epoch=0, seq=0)[0] == INVALID_PRODUCER_EPOCH


def test_UnifiedLogTest_testDeleteSnapshotsOnIncrementLogStartOffset():
    # The snapshot files are internal; deleting the records keeps the producer state.
    p = Leader()
    p.append(pid=1, producer_epoch=0, seq=0)
    p.log.roll()
    p.append(pid=2, producer_epoch=0, seq=0)
    p.log.roll()
    assert len(p.replica.producers.entries) == 2
    p.log.update_hw(p.log.leo)
    p.log.advance_start(2)
    p.delete_old_segments(0)
    assert p.log.segments == [2]
    assert len(p.replica.producers.entries) == 2
    assert p.replica.producers.entries[2][1][-1][1] == 0


def test_UnifiedLogTest_testSizeBasedLogRoll():
    log = ReplicaLog(10 * (R - 1))                      # ten records do not fit
    for offset in range(11):
        log.append(batch(offset))
    assert len(log.segments) == 2


def test_UnifiedLogTest_testAppendAndReadWithSequentialOffsets():
    log = follower_log(*range(50), segment_records=1)
    for offset in range(50):
        assert log.read(offset, 1)[0].end_offset - 1 == offset
    assert log.read(50, 100) == ()


NON_SEQUENTIAL = list(range(50)) + list(range(50, 200, 7))


def test_UnifiedLogTest_testAppendAndReadWithNonSequentialOffsets():
    log = follower_log(*NON_SEQUENTIAL, segment_records=1)
    for offset in range(50, max(NON_SEQUENTIAL)):
        expected = next(i for i in NON_SEQUENTIAL if i >= offset)
        assert log.read(offset, 100)[0].base_offset == expected


@pytest.mark.parametrize("max_bytes", [1, 100_000, 100])
def test_UnifiedLogTest_testReadWithMinMessage(max_bytes):
    log = follower_log(*NON_SEQUENTIAL, segment_records=1)
    for offset in range(50, max(NON_SEQUENTIAL)):
        expected = next(i for i in NON_SEQUENTIAL if i >= offset)
        assert log.read(offset, max_bytes)[0].base_offset == expected   # at least one


def test_UnifiedLogTest_testReadAtLogGap():
    log = follower_log(*range(5), segment_records=4)
    assert log.segments == [0, 4]
    log.replace_batches(4, log.batches[:1])             # the first segment keeps offset 0 only
    assert [b.base_offset for b in log.read(1, 200 * R)] == [log.leo - 1]


def test_UnifiedLogTest_testReadOutOfRange():
    p = Leader()
    p.log.start_at(1024)
    p.append()
    p.commit()
    assert p.consumer_read(1025) == (None, [])
    assert p.consumer_read(0)[0] == OFFSET_OUT_OF_RANGE
    assert p.consumer_read(1026)[0] == OFFSET_OUT_OF_RANGE


@pytest.mark.parametrize("messages", [0, 1, 25])
def test_UnifiedLogTest_testThatGarbageCollectingSegmentsDoesntChangeOffset(messages):
    p = Leader(**{"segment.bytes": R, "retention.ms": 0})
    for _ in range(messages):
        p.append()
    leo = p.log.leo
    assert leo == messages
    p.log.update_hw(leo)
    p.delete_old_segments(10)
    assert p.log.leo == leo
    assert len(p.log.segments) == 1
    assert p.delete_old_segments(10) == 0
    assert p.log.leo == leo
    assert p.append(at_ms=10) == (None, leo)


def test_UnifiedLogTest_testTruncateTo():
    log = ReplicaLog(10 * R)
    for offset in range(10):
        log.append(batch(offset))

    def size():
        return sum(b.size for b in log.batches)

    assert len(log.segments) == 1 and log.leo == 10
    full = size()
    log.truncate_to(10)
    assert (log.leo, size()) == (10, full)
    log.truncate_to(11)
    assert (log.leo, size()) == (10, full)
    log.truncate_to(5)
    assert log.leo == 5 and size() < full
    log.truncate_to(0)
    assert (log.leo, size()) == (0, 0)
    for offset in range(10):
        log.append(batch(offset))
    assert (log.leo, size()) == (10, full)
    log.start_at(1)
    assert (log.leo, size()) == (1, 0)
    for offset in range(1, 11):
        log.append(batch(offset))
    assert log.leo > 10 and size() == full
    log.truncate_to(0)                                  # below the log start
    assert (log.leo, size()) == (0, 0)


def test_UnifiedLogTest_testDeleteOldSegments():
    p = Leader(**{"segment.bytes": 5 * R, "retention.ms": 999})
    for _ in range(100):
        p.append()
    log = p.log
    log.assign(0, 40)
    log.assign(1, 90)
    segments = len(log.segments)
    p.delete_old_segments(1000)
    assert len(log.segments) == segments and log.log_start == 0     # nothing below the HW
    for hw in range(25, 31):
        log.update_hw(hw)
        p.delete_old_segments(1000)
        assert log.log_start <= hw
        for i in range(len(log.segments)):
            first, end, _upper = log.segment_bounds(i)
            assert first == end or log.batches[end - 1].end_offset - 1 >= hw
    log.update_hw(log.leo)
    p.delete_old_segments(1000)
    assert len(log.segments) == 1
    assert log.epochs == [(1, 100)]                     # the latest epoch, at the LEO


def test_UnifiedLogTest_testLogDeletionAfterDeleteRecords():
    p = Leader(**{"segment.bytes": 5 * R})
    for _ in range(15):
        p.append()
    log = p.log
    assert len(log.segments) == 3 and log.log_start == 0
    log.update_hw(log.leo)
    for start, segments in ((1, 3), (6, 2), (15, 1)):
        log.advance_start(start)
        p.delete_old_segments(0)
        assert (len(log.segments), log.log_start) == (segments, start)


def fifteen(**config) -> Leader:
    """Fifteen one-record batches appended at 10 ms in segments of five, all below the HW."""
    p = Leader(**dict({"segment.bytes": 5 * R}, **config))
    for _ in range(15):
        p.append(at_ms=10)
    p.log.update_hw(p.log.leo)
    return p


def segments_left(config: dict, now_ms: int = 100_000) -> int:
    p = fifteen(**config)
    p.delete_old_segments(now_ms)
    return len(p.log.segments)


def test_UnifiedLogTest_shouldDeleteSizeBasedSegments():
    assert segments_left({"retention.bytes": 10 * R}) == 2


def test_UnifiedLogTest_shouldNotDeleteSizeBasedSegmentsWhenUnderRetentionSize():
    assert segments_left({"retention.bytes": 15 * R}) == 3


def test_UnifiedLogTest_shouldDeleteTimeBasedSegmentsReadyToBeDeleted():
    assert segments_left({"retention.ms": 10_000}) == 1


def test_UnifiedLogTest_shouldNotDeleteTimeBasedSegmentsWhenNoneReadyToBeDeleted():
    assert segments_left({"retention.ms": 10_000_000}, now_ms=10) == 3


def test_UnifiedLogTest_shouldNotDeleteSegmentsWhenPolicyDoesNotIncludeDelete():
    assert segments_left({"retention.ms": 10_000, "cleanup.policy": "compact"}) == 3


def test_UnifiedLogTest_shouldDeleteSegmentsReadyToBeDeletedWhenCleanupPolicyIsCompactAndDelete():
    assert segments_left({"retention.ms": 10_000, "cleanup.policy": "compact,delete"}) == 1


def test_UnifiedLogTest_shouldDeleteStartOffsetBreachedSegmentsWhenPolicyDoesNotIncludeDelete():
    p = fifteen(**{"retention.ms": 10_000, "cleanup.policy": "compact"})
    log = p.log
    assert len(log.segments) == 3
    log.advance_start(5)
    p.delete_old_segments(100_000)
    assert len(log.segments) == 2
    assert log.segments[0] <= log.log_start
    assert all(base > log.log_start for base in log.segments[1:])


def test_UnifiedLogTest_shouldApplyEpochToMessageOnAppendIfLeader():
    p = Leader(epoch=72)
    for _ in range(50):
        p.append()
    assert {b.leader_epoch for b in p.log.batches} == {72}


def test_UnifiedLogTest_followerShouldSaveEpochInformationFromReplicatedMessagesToTheEpochCache():
    log = follower_log(*range(50), epoch=42)
    assert log.latest_epoch == 42


def epochs_after_deleting_a_segment(epochs, after):
    p = fifteen(**{"retention.bytes": 10 * R})
    for epoch, start in epochs:
        p.log.assign(epoch, start)
    p.delete_old_segments(0)
    assert p.log.epochs == after


def test_UnifiedLogTest_shouldTruncateLeaderEpochsWhenDeletingSegments():
    epochs_after_deleting_a_segment([(0, 0), (1, 5), (2, 10)], [(1, 5), (2, 10)])


def test_UnifiedLogTest_shouldUpdateOffsetForLeaderEpochsWhenDeletingSegments():
    epochs_after_deleting_a_segment([(0, 0), (1, 7), (2, 10)], [(0, 5), (1, 7), (2, 10)])


def test_UnifiedLogTest_shouldTruncateLeaderEpochCheckpointFileWhenTruncatingLog():
    log = ReplicaLog(10 * R)
    for epoch, start, count in ((0, 0, 10), (1, 10, 6), (2, 16, 4)):
        for offset in range(start, start + count):
            log.append(batch(offset, epoch=epoch))
    assert (len(log.segments), log.leo) == (2, 20)
    for target, entries in ((20, 3), (11, 2), (10, 1), (0, 0)):
        log.truncate_to(target)
        assert len(log.epochs) == entries


def hundred_expired(segment_records: int = 6) -> Leader:
    p = Leader(**{"segment.bytes": segment_records * R, "retention.ms": 999})
    for _ in range(100):
        p.append()
    return p


def test_UnifiedLogTest_testSegmentDeletionWithHighWatermarkInitialization():
    p = hundred_expired()
    p.log.update_hw(25)
    assert p.log.hw == 25
    segments = len(p.log.segments)
    p.delete_old_segments(1000)
    assert len(p.log.segments) < segments
    assert p.log.log_start <= 25


def test_UnifiedLogTest_testCannotDeleteSegmentsAtOrAboveHighWatermark():
    p = hundred_expired()
    log = p.log
    assert len(log.segments) > 5
    assert (log.hw, log.log_start, log.leo) == (0, 0, 100)
    for hw in range(101):
        log.update_hw(hw)
        assert log.hw == hw
        p.delete_old_segments(1000)
        assert log.log_start <= hw
        assert log.log_start <= log.segments[0] <= hw
        assert all(base > hw for base in log.segments[1:])
    assert (log.log_start, len(log.segments), log.active_bytes) == (100, 1, 0)


def test_UnifiedLogTest_testCannotIncrementLogStartOffsetPastHighWatermark():
    p = hundred_expired()
    p.log.update_hw(25)
    p.log.advance_start(26)                             # Kafka: OffsetOutOfRangeException
    assert p.log.log_start == 0


def test_UnifiedLogTest_testMaybeUpdateHighWatermarkAsFollower():
    log = follower_log(*range(100))
    for hw, expected in ((99, 99), (99, 99), (100, 100), (100, 100), (101, 100)):
        log.update_hw(hw)
        assert log.hw == expected


def test_UnifiedLogTest_testDeletableSegmentsFilter():
    p = Leader()
    log = p.log
    for at_ms in range(9):
        p.append(at_ms=at_ms)
        log.roll()
    log.update_hw(log.leo)
    assert len(log.segments) == 10
    assert retention.by_time(log, 6 * MS, 0) == 6       # the segments based at 5 or below
    assert retention.by_time(log, 100 * MS, 0) == 9     # all but the empty active one
    p.append(at_ms=9)
    log.update_hw(log.leo)
    assert retention.by_time(log, 100 * MS, 0) == 10


def test_UnifiedLogTest_testLogRolls():
    log = follower_log(*range(100), segment_records=1)
    offset = 0
    for _ in range(100):
        head = log.read(offset, 1 << 40)[0]
        assert head.base_offset == offset
        offset = head.end_offset
    assert log.read(100, 1 << 40) == ()
    assert log.stable >= log.segments[-1]               # a roll flushes what it closes


def test_UnifiedLogTest_testNoOpWhenRemoteLogStorageIsDisabled():
    # Without tiered storage (kafkasim has none) the log start simply moves.
    log = follower_log(*range(100))
    log.update_hw(90)
    log.advance_start(20)
    assert log.log_start == 20


# -- transactions ---------------------------------------------------------------------------


class TxnLog:
    """A replica's log and producer state, appended to as a leader appends (LogTestUtils'
    appendTransactionalAsLeader, appendNonTransactionalAsLeader, appendEndTxnMarkerAsLeader)."""

    def __init__(self) -> None:
        self.log, self.states = ReplicaLog(), ProducerStates()
        self.seqs: dict[int, int] = {}

    def _append(self, b: Batch) -> Batch:
        self.log.append(b)
        self.states.record(b)
        return b

    def txn(self, pid: int, count: int, epoch: int = 0) -> Batch:
        seq = self.seqs.get(pid, 0)
        self.seqs[pid] = seq + count
        return self._append(Batch(self.log.leo, count, 0, 0, seq, pid, epoch, seq, 100, 0, True))

    def plain(self, count: int) -> Batch:
        return self._append(Batch(self.log.leo, count, 0, 0, 0, -1, -1, -1, 100, 0))

    def end(self, pid: int, result: str, epoch: int = 0, coordinator_epoch: int = 0):
        error = self.states.check_marker(pid, epoch, coordinator_epoch)
        if error is not None:
            return error
        return self._append(Batch(self.log.leo, 1, 0, -1, -1, pid, epoch, -1,
                                  CONTROL_BATCH_SIZE, 0, False, result, coordinator_epoch))

    def first_unstable(self):
        """UnifiedLog.firstUnstableOffset: None, or never below the log start."""
        first = self.states.first_unstable_offset(self.log.hw)
        return None if first == NO_OFFSET else max(first, self.log.log_start)


def test_UnifiedLogTest_testFirstUnstableOffsetNoTransactionalData():
    t = TxnLog()
    t.plain(3)
    assert t.first_unstable() is None


def test_UnifiedLogTest_testFirstUnstableOffsetWithTransactionalData():
    t = TxnLog()
    first = t.txn(137, 3, epoch=5)
    assert t.first_unstable() == first.base_offset
    t.txn(137, 1, epoch=5)
    assert t.first_unstable() == first.base_offset
    commit = t.end(137, COMMIT, epoch=5)
    assert t.first_unstable() == first.base_offset          # until the HW passes the marker
    t.log.update_hw(commit.end_offset)
    assert t.first_unstable() is None


def test_UnifiedLogTest_testTransactionIndexUpdated():
    t = TxnLog()
    t.txn(1, 5)
    t.plain(3)
    t.txn(2, 2)
    t.txn(1, 4)
    t.txn(3, 3)
    t.plain(2)
    t.txn(1, 10)
    t.end(1, ABORT)                     # 29
    t.txn(2, 6)
    t.txn(4, 3)
    t.plain(10)
    t.txn(3, 9)
    t.end(3, COMMIT)                    # 58
    t.txn(4, 8)
    t.txn(2, 7)
    t.end(2, ABORT)                     # 74
    t.plain(10)
    t.txn(4, 4)
    t.end(4, COMMIT)                    # 89
    assert t.states.aborted.entries == [(1, 0, 29), (2, 8, 74)]
    t.log.update_hw(30)
    assert t.first_unstable() == 8
    t.log.update_hw(75)
    assert t.first_unstable() == 36
    t.log.update_hw(t.log.leo)
    assert t.first_unstable() is None


def test_UnifiedLogTest_testLastStableOffsetWithMixedProducerData():
    t = TxnLog()
    first = t.txn(137, 3, epoch=5)
    assert t.first_unstable() == first.base_offset
    t.plain(3)
    second = t.txn(983, 3, epoch=5)
    assert t.first_unstable() == first.base_offset
    abort = t.end(137, ABORT, epoch=5)
    t.log.update_hw(abort.end_offset)
    assert t.first_unstable() == second.base_offset
    commit = t.end(983, COMMIT, epoch=5)
    t.log.update_hw(commit.end_offset)
    assert t.first_unstable() is None


def test_UnifiedLogTest_testLastStableOffsetDoesNotExceedLogStartOffsetMidSegment():
    t = TxnLog()
    t.txn(1, 5)
    t.plain(3)
    t.log.roll()
    t.txn(1, 5)
    assert t.first_unstable() == 0
    t.log.update_hw(t.log.leo)
    t.log.advance_start(5)
    assert t.first_unstable() == 5
    assert t.states.last_stable_offset(t.log) == 5


def test_UnifiedLogTest_testZombieCoordinatorFencedEmptyTransaction():
    t = TxnLog()
    t.txn(1, 10)
    t.end(1, COMMIT)                                        # replicated: coordinator epoch 0
    assert t.end(1, ABORT, coordinator_epoch=2) is not None
    assert t.end(1, ABORT, coordinator_epoch=2) is not None
    assert t.end(1, ABORT, coordinator_epoch=1) == TRANSACTION_COORDINATOR_FENCED


def test_UnifiedLogTest_testEndTxnWithFencedProducerEpoch():
    t = TxnLog()
    assert t.end(1, ABORT, epoch=5, coordinator_epoch=1) is not None
    assert t.end(1, ABORT, epoch=4, coordinator_epoch=1) == INVALID_PRODUCER_EPOCH


def test_UnifiedLogTest_testRebuildTransactionalState():
    t = TxnLog()
    t.txn(137, 3, epoch=5)
    abort = t.end(137, ABORT, epoch=5)
    t.log.update_hw(abort.end_offset)
    assert t.first_unstable() is None
    reopened = ProducerStates.rebuild(t.log.batches)        # an unclean restart's recovery
    assert reopened.first_unstable_offset(abort.end_offset) == NO_OFFSET
    assert reopened.aborted.entries == [(137, 0, 3)]


def _truncated_below_first_unstable(truncate) -> TxnLog:
    t = TxnLog()
    t.plain(3)
    t.txn(17, 2, epoch=10)
    assert t.first_unstable() == 3
    reopened = TxnLog()                                     # closed and reopened: rebuilt
    reopened.log, reopened.states = t.log, ProducerStates.rebuild(t.log.batches)
    assert reopened.first_unstable() == 3
    truncate(reopened.log)
    reopened.states = ProducerStates.rebuild(reopened.log.batches)
    return reopened


def test_UnifiedLogTest_testTruncateBelowFirstUnstableOffset():
    t = _truncated_below_first_unstable(lambda log: log.truncate_to(0))
    assert t.first_unstable() is None and t.states.entries == {}


def test_UnifiedLogTest_testTruncateFullyAndStartBelowFirstUnstableOffset():
    t = _truncated_below_first_unstable(lambda log: log.start_at(0))
    assert t.first_unstable() is None and t.states.entries == {}


def test_UnifiedLogTest_testZombieCoordinatorFenced():
    t = TxnLog()
    t.txn(1, 10)
    assert t.end(1, ABORT, coordinator_epoch=1) is not None
    t.txn(1, 5)
    assert t.end(1, COMMIT, coordinator_epoch=2) is not None
    assert t.end(1, ABORT, coordinator_epoch=1) == TRANSACTION_COORDINATOR_FENCED
