"""The replica log of one partition on one broker: pure data, no SimPy.

A log is a list of batch descriptors; a batch holds `count` records at
offsets [base_offset, base_offset + count), stamped with the leader epoch in
which the leader appended it. Batches are immutable and shared between
replicas (a follower stores the leader's descriptor at the same offsets).
LEO (log end offset) and HW (high watermark) are exclusive: LEO is the last
offset + 1; records below the HW are committed. The leader-epoch cache maps
each epoch to its start offset (KIP-101) and answers `end_offset_for_epoch`
as Kafka's LeaderEpochFileCache does. The recovery point `stable` is the end
of the prefix that survives a power loss; a roll flushes the segment it closes
(UnifiedLog.roll schedules flushUptoOffsetExclusive at once), at no disk time.

Segments: `segments` lists the base offset of each segment, oldest first; the
last one is the active segment, the only one appended to. An append rolls a
new segment when the active one is not empty and the batch would take it past
`segment.bytes`, or its timestamp is more than `segment.ms` after the
segment's first batch (UnifiedLog.maybeRoll). Retention deletes whole
segments from the front and advances the log start; compaction replaces a
batch by the runs of its surviving records, so a compacted log has gaps
between batches while offsets never change (compaction.py).

Transactions (KIP-98): a data batch written inside a transaction is `transactional`; a
control batch holds one COMMIT or ABORT marker record (`control`) of a producer id, is
CONTROL_BATCH_SIZE bytes and carries no workload record (`producer` -1). The producer
state and the aborted-transaction index derived from them live beside the log
(producer_state.py, txn_index.py).

Not modeled: compression, offset and time indexes.
"""

from bisect import bisect_left, bisect_right
from typing import NamedTuple

UNDEFINED = -1
BATCH_HEADER = 61                # bytes of a record batch's header (v2 format)
NO_LIMIT = 2**62
# a control batch: the header and one record with the marker's 4-byte key (version, type) and
# 6-byte value (version, coordinator epoch), 17 bytes with its varints (EndTransactionMarker)
CONTROL_BATCH_SIZE = BATCH_HEADER + 17


class Batch(NamedTuple):
    base_offset: int
    count: int
    leader_epoch: int
    producer: int            # workload producer index, -1 for none
    first_seq: int           # record identity: sequence of the first record
    pid: int                 # idempotent producer id, -1 without idempotence
    producer_epoch: int
    base_sequence: int       # idempotence sequence of the first record, -1 without
    size: int                # bytes, header included
    append_us: int           # when the leader appended it (its timestamp)
    transactional: bool = False  # a data batch written inside a transaction (KIP-98)
    control: str | None = None   # a control batch: COMMIT or ABORT (one marker record)
    coordinator_epoch: int = -1  # a control batch: its EndTransactionMarker's coordinator epoch

    @property
    def end_offset(self) -> int:
        return self.base_offset + self.count


class ReplicaLog:
    """One replica's log, high watermark, epoch cache and recovery point."""

    __slots__ = ("batches", "bases", "leo", "hw", "log_start", "epochs", "stable", "segments",
                 "active_bytes", "active_first_us", "segment_bytes", "segment_us")

    def __init__(self, segment_bytes: int = NO_LIMIT, segment_us: int = NO_LIMIT) -> None:
        self.batches: list[Batch] = []
        self.bases: list[int] = []
        self.leo = 0
        self.hw = 0
        self.log_start = 0
        self.epochs: list[tuple[int, int]] = []     # (leader_epoch, start_offset), ascending
        self.stable = 0
        self.segments: list[int] = [0]              # base offset of each segment, active last
        self.active_bytes = 0
        self.active_first_us = 0
        self.segment_bytes = segment_bytes
        self.segment_us = segment_us

    @property
    def latest_epoch(self) -> int:
        return self.epochs[-1][0] if self.epochs else UNDEFINED

    @property
    def last_batch_epoch(self) -> int:
        return self.batches[-1].leader_epoch if self.batches else UNDEFINED

    def append(self, batch: Batch) -> None:
        """Append a batch at the log end (as leader or as follower), rolling first if due.

        A follower copying a compacted log may see a gap before the batch.
        """
        assert batch.base_offset >= self.leo, (batch.base_offset, self.leo)
        if self.active_bytes and (self.active_bytes + batch.size > self.segment_bytes or
                                  batch.append_us - self.active_first_us > self.segment_us):
            self.segments.append(batch.base_offset)
            self.active_bytes = 0
            self.stable = self.leo
        if not self.active_bytes:
            self.active_first_us = batch.append_us
        self.active_bytes += batch.size
        self.batches.append(batch)
        self.bases.append(batch.base_offset)
        self.leo = batch.base_offset + batch.count
        if not self.epochs or batch.leader_epoch != self.epochs[-1][0]:
            self.assign(batch.leader_epoch, batch.base_offset)

    def assign_epoch(self, leader_epoch: int) -> None:
        """A new leader records its epoch as starting at its LEO (Partition.makeLeader)."""
        if not self.epochs or leader_epoch > self.epochs[-1][0]:
            self.assign(leader_epoch, self.leo)

    # -- the leader-epoch cache (LeaderEpochFileCache) -----------------------

    def assign(self, leader_epoch: int, start: int) -> None:
        """Record that leader_epoch starts at offset start, unless the latest entry is that
        epoch already from no later offset; first drop the latest entries of that epoch or a
        later one, or starting at or after start, so that epochs and offsets both increase
        (LeaderEpochFileCache.assign: a follower's batch of an older epoch drops later ones)."""
        epochs = self.epochs
        if epochs and epochs[-1][0] == leader_epoch and epochs[-1][1] <= start:
            return
        while epochs and (epochs[-1][0] >= leader_epoch or epochs[-1][1] >= start):
            epochs.pop()
        epochs.append((leader_epoch, start))

    def truncate_epochs_from_end(self, end: int) -> None:
        """Forget the epochs that start at or after end (truncateFromEnd)."""
        while self.epochs and self.epochs[-1][1] >= end:
            self.epochs.pop()

    def truncate_epochs_from_start(self, start: int) -> None:
        """Forget what lies below start: the last epoch starting at or below it now starts
        there (truncateFromStart)."""
        epochs = self.epochs
        while len(epochs) > 1 and epochs[1][1] <= start:
            epochs.pop(0)
        if epochs and epochs[0][1] < start:
            epochs[0] = (epochs[0][0], start)

    def truncate_to(self, offset: int) -> list[Batch]:
        """Drop every batch that ends above offset (whole batches); return what was dropped.

        Even when nothing is dropped, epochs that start at the LEO are forgotten
        (UnifiedLog.truncateTo): a leader that stamped its epoch but appended
        nothing must not keep claiming it as a follower. Below the first segment the
        log starts afresh at offset.
        """
        if offset >= self.leo:
            self.truncate_epochs_from_end(self.leo)
            return []
        if offset < self.segments[0]:
            removed = self.batches
            self.start_at(offset)
            return removed
        i = bisect_right(self.bases, offset - 1) if offset > 0 else 0
        if i > 0 and self.batches[i - 1].end_offset > offset:
            i -= 1
        removed = self.batches[i:]
        del self.batches[i:]
        del self.bases[i:]
        self.leo = self.batches[-1].end_offset if self.batches else max(self.log_start, 0)
        self.truncate_epochs_from_end(self.leo)
        self.hw = min(self.hw, self.leo)
        self.stable = min(self.stable, self.leo)
        while len(self.segments) > 1 and self.segments[-1] > self.leo:
            self.segments.pop()
        self._reopen_active()
        return removed

    def _reopen_active(self) -> None:
        """Recompute the active segment's size and first timestamp (after truncation)."""
        first = bisect_left(self.bases, self.segments[-1])
        active = self.batches[first:]
        self.active_bytes = sum(b.size for b in active)
        self.active_first_us = active[0].append_us if active else 0

    def start_at(self, offset: int) -> None:
        """An empty log that starts at offset (UnifiedLog.truncateFullyAndStartAt)."""
        self.batches, self.bases, self.epochs = [], [], []
        self.log_start = self.leo = self.hw = self.stable = offset
        self.segments = [offset]
        self._reopen_active()

    def update_hw(self, hw: int) -> None:
        """Set the high watermark to hw, kept within [log start, LEO]
        (UnifiedLog.updateHighWatermark, as a follower learns its leader's)."""
        self.hw = min(max(hw, self.log_start), self.leo)

    def advance_start(self, offset: int) -> None:
        """Move the log start up to offset, never past the high watermark (Kafka refuses
        that), and forget the epochs below it (UnifiedLog.maybeIncrementLogStartOffset, as
        a follower learns its leader's log start). Retention deletes the segments below it."""
        if self.log_start < offset <= self.hw:
            self.log_start = offset
            self.stable = max(self.stable, offset)
            self.truncate_epochs_from_start(offset)

    # -- segments ------------------------------------------------------------

    def roll(self) -> None:
        """Start a new, empty active segment at the log end (unless the active one is empty)."""
        if self.active_bytes:
            self.segments.append(self.leo)
            self.active_bytes = 0
            self.stable = self.leo

    def segment_bounds(self, i: int) -> tuple[int, int, int]:
        """(first batch index, end batch index, upper bound offset) of segment i."""
        segments = self.segments
        first = bisect_left(self.bases, segments[i])
        if i + 1 < len(segments):
            return first, bisect_left(self.bases, segments[i + 1]), segments[i + 1]
        return first, len(self.batches), self.leo

    def delete_segments(self, count: int) -> list[Batch]:
        """Delete the oldest count segments (never the active one); return their batches.

        The log start moves to the first remaining segment; the epoch cache
        forgets what lies below it (LeaderEpochFileCache.truncateFromStart).
        """
        assert 0 < count < len(self.segments)
        start = self.segments[count]
        cut = bisect_left(self.bases, start)
        removed = self.batches[:cut]
        del self.batches[:cut], self.bases[:cut], self.segments[:count]
        self.log_start = max(self.log_start, start)
        self.stable = max(self.stable, self.log_start)
        self.truncate_epochs_from_start(self.log_start)
        return removed

    def replace_batches(self, end: int, batches: list[Batch]) -> None:
        """Replace batches [0, end) by `batches` (the same records, some removed: compaction)."""
        self.batches[:end] = batches
        self.bases[:end] = [b.base_offset for b in batches]

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """(largest epoch <= epoch, its exclusive end), as LeaderEpochFileCache.endOffsetFor."""
        if epoch == UNDEFINED or not self.epochs:
            return UNDEFINED, UNDEFINED
        if epoch == self.epochs[-1][0]:
            return epoch, self.leo
        higher = next((i for i, (e, _) in enumerate(self.epochs) if e > epoch), None)
        if higher is None:
            return UNDEFINED, UNDEFINED
        if higher == 0:
            return epoch, self.epochs[0][1]
        return self.epochs[higher - 1][0], self.epochs[higher][1]

    def end_offset_for_epoch_kip101(self, epoch: int) -> int:
        """The end offset of epoch as a KIP-101 leader answered before KIP-279: the start of
        the first later epoch, even when it never had `epoch` itself."""
        if epoch == UNDEFINED or not self.epochs or epoch < self.epochs[0][0]:
            return UNDEFINED
        if epoch == self.epochs[-1][0]:
            return self.leo
        return next((start for e, start in self.epochs if e > epoch), UNDEFINED)

    def read(self, offset: int, max_bytes: int, min_one: bool = True) -> tuple[Batch, ...]:
        """Batches from the first holding offset or later, up to max_bytes (at least one
        unless not min_one: KIP-74's rule for all but the first non-empty partition)."""
        batches = self.batches
        i = max(bisect_right(self.bases, offset) - 1, 0)
        if batches[i].base_offset + batches[i].count <= offset:     # a compaction gap
            i += 1
            if i == len(batches):
                return ()
        if not min_one and batches[i].size > max_bytes:
            return ()
        j, size = i + 1, batches[i].size
        while j < len(batches) and size + batches[j].size <= max_bytes:
            size += batches[j].size
            j += 1
        return tuple(batches[i:j])

    def read_range(self, start: int, end: int) -> list[Batch]:
        """The batches that hold offsets in [start, end)."""
        i = max(bisect_right(self.bases, start) - 1, 0)
        j = bisect_right(self.bases, end - 1)
        return [b for b in self.batches[i:j] if b.end_offset > start]
