"""The replica log of one partition on one broker: pure data, no SimPy.

A log is the sequence of batches (batch_table.py) it holds, in offset order.
The batches themselves are rows of the partition's BatchTable, shared by its
replicas; a log keeps only which rows it holds, as runs of consecutive row
ids (a follower appending what it fetched continues the leader's run), the
base offset of each run's first batch and the run's position in the log.
Lookups by offset bisect the runs and then the table's base offsets.
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

from bisect import bisect_left, bisect_right
from itertools import chain

from sim.cluster.batch_table import Batch, BatchTable

UNDEFINED = -1
NO_LIMIT = 2**62


class ReplicaLog:
    """One replica's log, high watermark, epoch cache and recovery point."""

    __slots__ = ("table", "_firsts", "_ends", "_bases", "_at", "leo", "hw", "log_start",
                 "epochs", "stable", "segments", "active_bytes", "active_first_us",
                 "segment_bytes", "segment_us")

    def __init__(self, segment_bytes: int = NO_LIMIT, segment_us: int = NO_LIMIT,
                 table: BatchTable | None = None) -> None:
        self.table = BatchTable() if table is None else table
        self.table.logs.append(self)
        self._firsts: list[int] = []     # first row id of each run of consecutive rows
        self._ends: list[int] = []       # its end row id (exclusive)
        self._bases: list[int] = []      # the base offset of its first batch
        self._at: list[int] = []         # the position of its first batch in the log
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
        return self._at[-1] + self._ends[-1] - self._firsts[-1] if self._at else 0

    @property
    def latest_epoch(self) -> int:
        return self.epochs[-1][0] if self.epochs else UNDEFINED

    @property
    def last_batch_epoch(self) -> int:
        if not self._ends:
            return UNDEFINED
        return self.table.leader_epoch[self._ends[-1] - 1 - self.table.first_id]

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
        row = self.table.row_of(batch)
        if row < 0:
            row = self.table.add(batch)
        self._push(row, batch.base_offset)
        self.leo = batch.base_offset + batch.count
        if not self.epochs or batch.leader_epoch > self.epochs[-1][0]:
            self._assign(batch.leader_epoch, batch.base_offset)

    def _push(self, row: int, base_offset: int) -> None:
        """Hold row at the end of the log: extend the last run or start one."""
        ends = self._ends
        if ends and ends[-1] == row:
            ends[-1] = row + 1
            return
        self._at.append(self.batch_count())
        self._firsts.append(row)
        ends.append(row + 1)
        self._bases.append(base_offset)

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
        i = self.position(offset - 1) if offset > 0 else 0
        if i > 0 and self._end_offset_at(i - 1) > offset:
            i -= 1
        removed = self.batches(i)
        self._drop_from(i)
        self.leo = self._end_offset_at(i - 1) if i else max(self.log_start, 0)
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
        first, end = self.position(self.segments[-1], left=True), self.batch_count()
        self.active_bytes = self.size_between(first, end)
        self.active_first_us = self.batch_at(first).append_us if first < end else 0

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
        segments = self.segments
        first = self.position(segments[i], left=True)
        if i + 1 < len(segments):
            return first, self.position(segments[i + 1], left=True), segments[i + 1]
        return first, self.batch_count(), self.leo

    def delete_segments(self, count: int) -> list[Batch]:
        """Delete the oldest count segments (never the active one); return their batches.

        The log start moves to the first remaining segment; the epoch cache
        forgets what lies below it (LeaderEpochFileCache.truncateFromStart).
        """
        assert 0 < count < len(self.segments)
        start = self.segments[count]
        cut = self.position(start, left=True)
        removed = self.batches(0, cut)
        self._drop_before(cut)
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
        self._drop_before(end)
        if not batches:
            return
        first = self.table.add_all(batches)
        n = len(batches)
        self._firsts.insert(0, first)
        self._ends.insert(0, first + n)
        self._bases.insert(0, batches[0].base_offset)
        self._at[:] = [0, *(at + n for at in self._at)]

    # -- positions: batch i of the log, 0 the oldest ---------------------------

    def position(self, offset: int, left: bool = False) -> int:
        """How many batches have a base offset <= offset (< offset if left), as bisect."""
        bisect = bisect_left if left else bisect_right
        k = bisect(self._bases, offset) - 1
        if k < 0:
            return 0
        table, first = self.table, self._firsts[k]
        lo = first - table.first_id
        return self._at[k] + bisect(table.base_offset, offset, lo, lo + self._ends[k] - first) - lo

    def _index(self, i: int) -> int:
        """The table index of batch i."""
        k = bisect_right(self._at, i) - 1
        return self._firsts[k] - self.table.first_id + i - self._at[k]

    def _spans(self, i: int, j: int):
        """The table index ranges [lo, hi) that hold batches [i, j), in order."""
        k, first = bisect_right(self._at, i) - 1, self.table.first_id
        while i < j:
            at, lo = self._at[k], self._firsts[k] - first
            end = min(at + self._ends[k] - self._firsts[k], j)
            yield lo + i - at, lo + end - at
            i, k = end, k + 1

    def _end_offset_at(self, i: int) -> int:
        t, x = self.table, self._index(i)
        return t.base_offset[x] + t.count[x]

    def batch_at(self, i: int) -> Batch:
        return self.table.batch(self._index(i))

    def batches(self, i: int = 0, j: int | None = None) -> list[Batch]:
        """Batches [i, j) of the log (to its end without j), materialized from the table."""
        j = self.batch_count() if j is None else j
        out: list[Batch] = []
        for lo, hi in self._spans(i, j):
            out += self.table.batches(lo, hi)
        return out

    def size_between(self, i: int, j: int) -> int:
        """The bytes of batches [i, j)."""
        size = self.table.size
        return sum(sum(size[lo:hi]) for lo, hi in self._spans(i, j))

    def row_spans(self):
        """The [first, end) row ids the log holds (the table's collection asks)."""
        return zip(self._firsts, self._ends, strict=True)

    def move_rows(self, moves) -> None:
        """The table renumbered its rows: (first, end, shift) for each span it kept."""
        starts = [first for first, _, _ in moves]
        for k, first in enumerate(self._firsts):
            shift = moves[bisect_right(starts, first) - 1][2]
            self._firsts[k] += shift
            self._ends[k] += shift

    def _drop_from(self, i: int) -> None:
        """Forget batches i and later."""
        while self._at and self._at[-1] >= i:
            for column in (self._firsts, self._ends, self._bases, self._at):
                column.pop()
        if self._at:
            self._ends[-1] = self._firsts[-1] + i - self._at[-1]

    def _drop_before(self, i: int) -> None:
        """Forget batches before i."""
        if i == 0:
            return
        runs = (self._firsts, self._ends, self._bases, self._at)
        if i >= self.batch_count():
            for column in runs:
                column.clear()
            return
        k = bisect_right(self._at, i) - 1
        for column in runs:
            del column[:k]
        self._firsts[0] += i - self._at[0]
        self._bases[0] = self.table.base_offset[self._firsts[0] - self.table.first_id]
        self._at[:] = [0, *(at - i for at in self._at[1:])]

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
        for x in self._indexes_from(offset):
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
        for x in self._indexes_from(start):
            if t.base_offset[x] >= end:
                break
            if t.base_offset[x] + t.count[x] > start:
                out.append(t.batch(x))
        return out

    def _indexes_from(self, offset: int):
        """Table indexes of the batches from the last one that starts at or below offset
        (the first one if none does) to the log end."""
        bases = self._bases
        if not bases:
            return ()
        run, first = max(bisect_right(bases, offset) - 1, 0), self.table.first_id
        lo, hi = self._firsts[run] - first, self._ends[run] - first
        x = max(_gallop(self.table.base_offset, offset, lo, hi) - 1, lo)
        if run == len(bases) - 1:
            return range(x, hi)
        return chain(range(x, hi), *(range(f - first, e - first) for f, e in
                                     zip(self._firsts[run + 1:], self._ends[run + 1:],
                                         strict=True)))

    def offset_for_time(self, timestamp_us: int) -> int:
        """The base offset of the first batch appended at or after timestamp_us, if below
        the HW; else the HW (ListOffsets by timestamp)."""
        t = self.table
        for lo, hi in self._spans(0, self.batch_count()):
            for x in range(lo, hi):
                if t.append_us[x] >= timestamp_us:
                    return min(t.base_offset[x], self.hw)
        return self.hw


def _gallop(column, offset: int, lo: int, hi: int) -> int:
    """bisect_right(column, offset, lo, hi), probing back from hi first: reads are mostly
    of the last few batches."""
    step = 1
    while hi - step > lo and column[hi - step] > offset:
        hi -= step
        step *= 2
    return bisect_right(column, offset, max(hi - step, lo), hi)
