"""Kafka's LogCleanerTest against the log cleaner of a kafkasim broker built alone.

broker-0 (tests/unit/hosts.py) hosts a compacted partition; records are written through its
replica manager by a stand-in producer whose record book holds each record's key and null
flag (kafkasim keeps keys in the book, not in the batch). A pass is the broker's
`LogCleaner.clean` over the cleanable part (the closed segments below the high watermark),
the dirty-ratio decision its `maybe_clean`. Record sizes are scaled so that segments hold
as many records as in Kafka's case (kafkasim's segment.bytes is at least 1 MiB). Not
ported: transactions, the offset map and its memory limits, cleaner threads, throttling and
metrics, corrupt or oversized batches, and file-level details (segment regrouping, swap
files).
"""

from types import SimpleNamespace

import numpy as np

from sim.clients.book import TOMBSTONE, RecordBook
from sim.cluster.broker import Broker
from sim.cluster.log import Batch
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import BatchData
from sim.core.units import MS
from tests.unit.hosts import Harness

KAFKA_CLASS = "LogCleanerTest"

NOT_PORTED = {
    "testRemoveMetricsOnClose": "internal: metrics",
    "testMetricsActiveAfterReconfiguration": "internal: metrics",
    "testCleanSegments": "internal: drives cleanSegments with a hand-made offset map",
    "testCleanSegmentsWithConcurrentSegmentDeletion": "internal: cleaner and deletion threads",
    "testSizeTrimmedForPreallocatedAndCompactedTopic": "internal: preallocated segment files",
    "testDuplicateCheckAfterCleaning":
        "simplification: a compacted batch keeps only its surviving records' sequences, and a "
        "producer's last batch is not kept empty",
    "testLogCleanerRetainsProducerLastSequence":
        "simplification: a compacted batch keeps only its surviving records' sequences, and a "
        "producer's last batch is not kept empty",
    "testCleanSegmentsRetainingLastEmptyBatch":
        "simplification: a compacted batch keeps only its surviving records' sequences, and a "
        "producer's last batch is not kept empty",
    "testLargeMessage": "not modeled: the cleaner's I/O buffer sizes",
    "testMessageLargerThanMaxMessageSize": "internal: the cleaner's read buffer grows to fit a "
                                           "batch over max.message.bytes",
    "testMessageLargerThanMaxMessageSizeWithCorruptHeader": "internal: corrupt batches",
    "testCorruptMessageSizeLargerThanBytesAvailable": "internal: corrupt batches",
    "testPartialSegmentClean":
        "simplification: no cleaner buffer limits (the offset map holds every key)",
    "testCleaningWithUnkeyedMessages":
        "simplification: keyless records on a compacted topic are kept (Kafka refuses them)",
    "testSegmentWithOffsetOverflow": "internal: splitting segments on offset overflow",
    "testRecoveryAfterCrash": "internal: the cleaner's swap files",
    "testBuildOffsetMap": "internal: the offset map",
    "testBuildOffsetMapFakeLarge": "internal: the offset map",
    "testBuildPartialOffsetMap": "internal: the offset map",
    "testCleanCorruptMessageSet": "internal: corrupt batches",
    "testClientHandlingOfCorruptMessageSet": "internal: corrupt batches",
    "testMaxCleanTimeSecs": "internal: metrics",
    "testReconfigureLogCleanerIoMaxBytesPerSecond": "not modeled: cleaner I/O throttling",
}

NOT_PORTED_LIKE = [
    (r"Transaction|Txn|Commit|Abort|ControlBatch|EmptyBatchRemovalWithSequenceReuse"
     r"|DeletedBatchesWithNoMessagesRead", "not modeled: transactions (control batches)"),
    (r"SegmentGrouping",
     "simplification: compaction keeps segment boundaries (Kafka regroups cleaned segments)"),
]

R = 1 << 20                 # bytes of a one-record batch: kafkasim's segment.bytes is >= 1 MiB
KEYS = 100


class Compacted:
    """broker-0 alone, leading a compacted partition written by one stand-in producer."""

    def __init__(self, segment_records: int | None = 14, **config) -> None:
        config["cleanup.policy"] = "compact"
        if segment_records:
            config["segment.bytes"] = segment_records * R
        h = Harness({"cluster": {"brokers": 3}, "topics": {"orders": {
            "partitions": 1, "replication.factor": 3, "config": config}}})
        self.book = RecordBook(1, tombstones=True)
        h.contents.producers.append(SimpleNamespace(
            book=self.book, pidxs=[0], key_names=[str(k) for k in range(KEYS)]))
        self.broker = Broker(0, h.broker_context(), h.disk())
        self.replica = self.broker.replicas[0]
        self.replica.make_leader(PartitionState(0, 0, 0, 0, (0, 1, 2)), 0)
        self.log = self.replica.log
        self.now_ms = 0

    def write(self, key: int, tombstone: bool = False, offset: int | None = None) -> None:
        """A one-record batch with that key (a null value for a tombstone), produced, or
        appended at offset as a follower appends its leader's batch."""
        first = self.book.counts[0]
        self.book.add(0, np.zeros(1, np.int64), np.array([key + TOMBSTONE * tombstone]))
        if offset is None:
            data = BatchData(0, first, 1, R, -1, -1, -1)
            self.broker.manager._append(0, data, 1, self.now_ms * MS)
        else:
            self.log.append(Batch(offset, 1, 0, 0, first, -1, -1, -1, R, self.now_ms * MS))

    def clean(self) -> None:
        """One pass over the cleanable part: closed segments below the HW (at the LEO)."""
        log = self.log
        log.update_hw(log.leo)
        end, end_offset = self.broker.cleaner.cleanable_end(log)
        self.broker.cleaner.clean(self.replica, end, end_offset, self.now_ms * MS)

    def first_dirty(self) -> int:
        return self.broker.cleaner.checkpoints[0]

    def records(self, batches=None) -> list[tuple[int, int, bool]]:
        """(offset, key, tombstone) of every record in the log (or in those batches)."""
        out = []
        for b in self.log.batches if batches is None else batches:
            keys = self.book.key_range(0, b.first_seq, b.count)
            nulls = self.book.tombstone_range(0, b.first_seq, b.count)
            out += [(b.base_offset + i, int(k), bool(n)) for i, (k, n) in
                    enumerate(zip(keys, nulls, strict=True))]
        return out

    def keys(self) -> set[int]:
        """The keys with a value in the log (LogTestUtils.keysInLog skips tombstones)."""
        return {k for _o, k, null in self.records() if not null}

    def segment_batches(self) -> list[list]:
        log = self.log
        return [log.batches[first:end] for first, end, _u in
                map(log.segment_bounds, range(len(log.segments)))]


def test_LogCleanerTest_testCleaningWithDeletes():
    c = Compacted()
    while len(c.log.segments) < 2:
        c.write(c.log.leo)
    leo = c.log.leo
    for key in range(0, leo, 2):
        c.write(key, tombstone=True)
    while len(c.log.segments) < 4:
        c.write(c.log.leo % KEYS)
    c.clean()
    assert not c.keys() & set(range(0, leo, 2))         # none of the deleted keys is left


def test_LogCleanerTest_testCleaningWithUncleanableSection():
    c = Compacted()
    n, cleanable, total = 10, 2, 7
    while len(c.log.segments) <= cleanable:
        c.write(c.log.leo % n)
    first_uncleanable = c.log.leo + 1
    while len(c.log.segments) < total - 1:
        c.write(c.log.leo % n)

    def distinct_by_segment():
        return [len(c.records(batches)) for batches in c.segment_batches()]

    before = distinct_by_segment()
    c.log.update_hw(first_uncleanable)                  # where the uncleanable part starts
    end, end_offset = c.broker.cleaner.cleanable_end(c.log)
    c.broker.cleaner.clean(c.replica, end, end_offset, 0)
    after = distinct_by_segment()
    assert all(a < b for a, b in zip(after[:cleanable], before[:cleanable], strict=True))
    assert after[cleanable:] == before[cleanable:]


def six_segments() -> Compacted:
    """Six segments of one record each, all with key 1."""
    c = Compacted(segment_records=1)
    for _ in range(6):
        c.write(1)
    c.log.update_hw(c.log.leo)
    return c


def test_LogCleanerTest_testLogToClean():
    c = six_segments()
    end, _end_offset = c.broker.cleaner.cleanable_end(c.log)
    active = c.log.batches[c.log.segment_bounds(len(c.log.segments) - 1)[0]:]
    assert sum(b.size for b in c.log.batches[:end]) == \
        sum(b.size for b in c.log.batches) - sum(b.size for b in active)


def test_LogCleanerTest_testLogToCleanWithUncleanableSection():
    # Segments 0-1 clean, 2-3 cleanable, 4-5 uncleanable: the dirty ratio is 2/4, not above
    # min.cleanable.dirty.ratio 0.5, so nothing is cleaned; with 3/4 dirty it is.
    c = six_segments()
    cleaner = c.broker.cleaner
    c.log.update_hw(c.log.segments[4])
    cleaner.checkpoints[0] = c.log.segments[2]
    assert not cleaner.maybe_clean(c.replica, 0)
    cleaner.checkpoints[0] = c.log.segments[1]
    assert cleaner.maybe_clean(c.replica, 0)
    assert c.first_dirty() == c.log.segments[4]


def test_LogCleanerTest_testCleanTombstone():
    c = Compacted(segment_records=None, **{"delete.retention.ms": 86_400_000})
    c.write(0)
    c.log.roll()
    c.clean()
    c.now_ms = 1000
    c.write(0, tombstone=True)
    c.log.roll()
    c.clean()
    assert c.log.batches[0].end_offset - 1 == 1         # the tombstone is retained
    c.now_ms = 2000
    c.write(1)
    c.log.roll()
    c.clean()
    assert c.log.batches[0].end_offset - 1 == 1         # still retained


def test_LogCleanerTest_testCleaningBeyondMissingOffsets():
    # Kafka rolls segments at offsets past the log end; kafkasim rolls at the log end, so
    # the follower's gaps start the next segments instead of ending the previous ones.
    for runs in (((0, 10), (11, 12)), ((0, 10), (15, 25), (30, 31))):
        c = Compacted(segment_records=None)
        for i, (start, end) in enumerate(runs):
            if i:
                c.log.roll()
            for offset in range(start, end):
                c.write(offset, offset=offset)
        c.clean()
        assert c.first_dirty() == c.log.segments[-1]    # the cleaning point passes the gaps


def test_LogCleanerTest_testLogCleanerStats():
    # The byte counts and times of the statistics are internal; the end offset and the
    # records written are the pass's outcome.
    c = Compacted()
    for key in (0, 1, 0, 1, 0):
        c.write(key)
    c.log.roll()
    c.clean()
    assert c.first_dirty() == 5
    assert c.records() == [(3, 1, False), (4, 0, False)]
