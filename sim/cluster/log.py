"""The replica log of one partition on one broker: pure data, no SimPy.

A log is the sequence of batches it holds, in offset order. The batches
themselves are rows of the partition's BatchTable (batch_table.py), shared
by its replicas; a log keeps only which rows it holds (log_rows.py), so a
follower's copy of the leader's batches costs no new rows.
LEO (log end offset) and HW (high watermark) are exclusive: LEO is the last
offset + 1; records below the HW are committed. The leader-epoch cache maps
each epoch to its start offset (KIP-101) and answers `end_offset_for_epoch`
as Kafka's LeaderEpochFileCache does. The recovery point `stable` is the end
of the prefix that survives a power loss.

Segments: `segments` lists the base offset of each segment, oldest first; the
last one is the active segment, the only one appended to. An append rolls a
new segment when the active one is not empty and the batch would take it past
`segment.bytes`, or its timestamp is more than `segment.ms` after the
segment's first batch (UnifiedLog.maybeRoll). Retention deletes whole
segments from the front and advances the log start; compaction replaces a
batch by the runs of its surviving records, so a compacted log has gaps
between batches while offsets never change (compaction.py).

Not modeled: compression, transactions and control batches, indexes.
"""

from sim.cluster.batch_table import RECENT, Batch, BatchTable
from sim.cluster.log_rows import LogRows

UNDEFINED = -1
NO_LIMIT = 2**62


class ReplicaLog:
    """One replica's log, high watermark, epoch cache and recovery point."""

    __slots__ = ("table", "rows", "leo", "hw", "log_start", "epochs", "stable", "segments",
                 "active_bytes", "active_first_us", "segment_bytes", "segment_us")

    def __init__(self, segment_bytes: int = NO_LIMIT, segment_us: int = NO_LIMIT,
                 table: BatchTable | None = None) -> None:
        self.table = BatchTable() if table is None else table
        self.rows = LogRows(self.table)
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

    def batch_count(self) -> int:
        return self.rows.count()

    def batches(self, i: int = 0, j: int | None = None) -> list[Batch]:
        """Batches [i, j) of the log (to its end without j), materialized from the table."""
        return self.rows.batches(i, self.rows.count() if j is None else j)

    @property
    def latest_epoch(self) -> int:
        return self.epochs[-1][0] if self.epochs else UNDEFINED

    @property
    def last_batch_epoch(self) -> int:
        ends = self.rows.ends
        return self.table.leader_epoch[ends[-1] - 1 - self.table.first_id] if ends else UNDEFINED

    def append(self, batch: Batch) -> None:
        """Append a batch at the log end (as leader or as follower), rolling first if due.

        A batch read from a replica of the partition keeps its row (UnifiedLog.appendAsFollower
        copies the leader's bytes); a new one (appendAsLeader), or one whose row the table
        no longer has, gets a new row. A follower copying a compacted log may see a gap
        before the batch.
        """
        assert batch.base_offset >= self.leo, (batch.base_offset, self.leo)
        if self.active_bytes and (self.active_bytes + batch.size > self.segment_bytes or
                                  batch.append_us - self.active_first_us > self.segment_us):
            self.segments.append(batch.base_offset)
            self.active_bytes = 0
        if not self.active_bytes:
            self.active_first_us = batch.append_us
        self.active_bytes += batch.size
        table, row = self.table, batch.row
        if table.recent[row % RECENT] is not batch:         # not a recent row read from here
            row = table.row_of(batch)
            if row < 0:
                row = table.add(batch)
        self.rows.push(row, batch.base_offset)
        self.leo = batch.base_offset + batch.count
        if not self.epochs or batch.leader_epoch > self.epochs[-1][0]:
            self._assign(batch.leader_epoch, batch.base_offset)

    def assign_epoch(self, leader_epoch: int) -> None:
        """A new leader records its epoch as starting at its LEO (Partition.makeLeader)."""
        if not self.epochs or leader_epoch > self.epochs[-1][0]:
            self._assign(leader_epoch, self.leo)

    def _assign(self, leader_epoch: int, start: int) -> None:
        """Add an epoch, dropping entries it conflicts with (LeaderEpochFileCache.assign)."""
        while self.epochs and self.epochs[-1][1] >= start:
            self.epochs.pop()
        self.epochs.append((leader_epoch, start))

    def truncate_to(self, offset: int) -> list[Batch]:
        """Drop every batch that ends above offset (whole batches); return what was dropped.

        Even when nothing is dropped, epochs that start at the LEO are forgotten
        (UnifiedLog.truncateTo): a leader that stamped its epoch but appended
        nothing must not keep claiming it as a follower.
        """
        if offset >= self.leo:
            while self.epochs and self.epochs[-1][1] >= self.leo:
                self.epochs.pop()
            return []
        rows = self.rows
        i = rows.position(offset - 1) if offset > 0 else 0
        if i > 0 and rows.end_offset_at(i - 1) > offset:
            i -= 1
        removed = self.batches(i)
        rows.drop_from(i)
        self.leo = rows.end_offset_at(i - 1) if i else max(self.log_start, 0)
        while self.epochs and self.epochs[-1][1] >= self.leo:
            self.epochs.pop()
        self.hw = min(self.hw, self.leo)
        self.stable = min(self.stable, self.leo)
        while len(self.segments) > 1 and self.segments[-1] > self.leo:
            self.segments.pop()
        self._reopen_active()
        return removed

    def _reopen_active(self) -> None:
        """Recompute the active segment's size and first timestamp (after truncation)."""
        rows = self.rows
        first, end = rows.position(self.segments[-1], left=True), rows.count()
        self.active_bytes = rows.size_between(first, end)
        self.active_first_us = rows.batch_at(first).append_us if first < end else 0

    def start_at(self, offset: int) -> None:
        """An empty log that starts at offset (UnifiedLog.truncateFullyAndStartAt)."""
        self.truncate_to(0)
        self.log_start = self.leo = self.hw = self.stable = offset
        self.segments = [offset]
        self._reopen_active()

    # -- segments ------------------------------------------------------------

    def roll(self) -> None:
        """Start a new, empty active segment at the log end (unless the active one is empty)."""
        if self.active_bytes:
            self.segments.append(self.leo)
            self.active_bytes = 0

    def segment_bounds(self, i: int) -> tuple[int, int, int]:
        """(first batch position, end batch position, upper bound offset) of segment i."""
        segments, rows = self.segments, self.rows
        first = rows.position(segments[i], left=True)
        if i + 1 < len(segments):
            return first, rows.position(segments[i + 1], left=True), segments[i + 1]
        return first, rows.count(), self.leo

    def delete_segments(self, count: int) -> list[Batch]:
        """Delete the oldest count segments (never the active one); return their batches.

        The log start moves to the first remaining segment; the epoch cache
        forgets what lies below it (LeaderEpochFileCache.truncateFromStart).
        """
        assert 0 < count < len(self.segments)
        start = self.segments[count]
        cut = self.rows.position(start, left=True)
        removed = self.batches(0, cut)
        self.rows.drop_before(cut)
        del self.segments[:count]
        self.log_start = max(self.log_start, start)
        self.stable = max(self.stable, self.log_start)
        while len(self.epochs) > 1 and self.epochs[1][1] <= self.log_start:
            self.epochs.pop(0)
        if self.epochs and self.epochs[0][1] < self.log_start:
            self.epochs[0] = (self.epochs[0][0], self.log_start)
        return removed

    def replace_batches(self, end: int, batches: list[Batch]) -> None:
        """Replace batches [0, end) by `batches` (the same records, some removed: compaction).

        They become new rows of the table, one run (each replica cleans its own log).
        """
        self.rows.drop_before(end)
        if batches:
            self.rows.prepend(self.table.add_all(batches), len(batches), batches[0].base_offset)

    # -- epochs --------------------------------------------------------------

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

    # -- reads ---------------------------------------------------------------

    def read(self, offset: int, max_bytes: int) -> tuple[Batch, ...]:
        """Batches from the first holding offset or later, up to max_bytes (at least one)."""
        t = self.table
        size, out, budget = t.size, [], max_bytes
        for x in self.rows.indexes_from(offset):
            if not out and t.base_offset[x] + t.count[x] <= offset:    # a compaction gap
                continue
            budget -= size[x]
            if budget < 0 and out:
                break
            out.append(t.batch(x))
        return tuple(out)

    def read_range(self, start: int, end: int) -> list[Batch]:
        """The batches that hold offsets in [start, end)."""
        t, out = self.table, []
        for x in self.rows.indexes_from(start):
            if t.base_offset[x] >= end:
                break
            if t.base_offset[x] + t.count[x] > start:
                out.append(t.batch(x))
        return out

    def offset_for_time(self, timestamp_us: int) -> int:
        """The base offset of the first batch appended at or after timestamp_us, if below
        the HW; else the HW (ListOffsets by timestamp)."""
        t = self.table
        for lo, hi in self.rows.spans(0, self.rows.count()):
            for x in range(lo, hi):
                if t.append_us[x] >= timestamp_us:
                    return min(t.base_offset[x], self.hw)
        return self.hw
