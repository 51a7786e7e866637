"""Which rows of its partition's batch table one replica log holds, in offset order.

The rows are kept as runs of consecutive row ids: a leader's appends are
consecutive rows, and a follower appending what it fetched continues the
leader's run, so a log is mostly one run. Each run records its first and end
row id, the base offset of its first batch and the position of that batch in
the log (batch 0 is the oldest). A lookup by offset bisects the runs, then
the table's base offsets within the run, probing back from the run's end
first, since reads are mostly of the last few batches. Pure data, no SimPy.
"""

from bisect import bisect_left, bisect_right
from itertools import chain

from sim.cluster.batch_table import Batch, BatchTable


class LogRows:
    """The runs of table rows one log holds."""

    __slots__ = ("table", "firsts", "ends", "bases", "at")

    def __init__(self, table: BatchTable) -> None:
        self.table = table
        table.holders.append(self)
        self.firsts: list[int] = []     # first row id of each run of consecutive rows
        self.ends: list[int] = []       # its end row id (exclusive)
        self.bases: list[int] = []      # the base offset of its first batch
        self.at: list[int] = []         # the position of its first batch in the log

    def count(self) -> int:
        """How many batches."""
        return self.at[-1] + self.ends[-1] - self.firsts[-1] if self.at else 0

    def push(self, row: int, base_offset: int) -> None:
        """Hold row at the end of the log: extend the last run or start one."""
        ends = self.ends
        if ends and ends[-1] == row:
            ends[-1] = row + 1
            return
        self.at.append(self.count())
        self.firsts.append(row)
        ends.append(row + 1)
        self.bases.append(base_offset)

    def prepend(self, first: int, n: int, base_offset: int) -> None:
        """Hold rows [first, first + n) before all others (compaction's new rows)."""
        self.firsts.insert(0, first)
        self.ends.insert(0, first + n)
        self.bases.insert(0, base_offset)
        self.at[:] = [0, *(at + n for at in self.at)]

    def position(self, offset: int, left: bool = False) -> int:
        """How many batches have a base offset <= offset (< offset if left), as bisect."""
        bisect = bisect_left if left else bisect_right
        k = bisect(self.bases, offset) - 1
        if k < 0:
            return 0
        table, first = self.table, self.firsts[k]
        lo = first - table.first_id
        return self.at[k] + bisect(table.base_offset, offset, lo, lo + self.ends[k] - first) - lo

    def index(self, i: int) -> int:
        """The table index of batch i."""
        k = bisect_right(self.at, i) - 1
        return self.firsts[k] - self.table.first_id + i - self.at[k]

    def spans(self, i: int, j: int):
        """The table index ranges [lo, hi) that hold batches [i, j), in order."""
        k, first = bisect_right(self.at, i) - 1, self.table.first_id
        while i < j:
            at, lo = self.at[k], self.firsts[k] - first
            end = min(at + self.ends[k] - self.firsts[k], j)
            yield lo + i - at, lo + end - at
            i, k = end, k + 1

    def indexes_from(self, offset: int):
        """Table indexes of the batches from the last one that starts at or below offset
        (the first one if none does) to the log end."""
        bases = self.bases
        if not bases:
            return ()
        run, first = bisect_right(bases, offset) - 1, self.table.first_id
        if run < 0:
            run = 0
        lo, hi = self.firsts[run] - first, self.ends[run] - first
        x = _gallop(self.table.base_offset, offset, lo, hi) - 1
        if x < lo:
            x = lo
        if run == len(bases) - 1:
            return range(x, hi)
        return chain(range(x, hi), *(range(f - first, e - first) for f, e in
                                     zip(self.firsts[run + 1:], self.ends[run + 1:],
                                         strict=True)))

    def end_offset_at(self, i: int) -> int:
        t, x = self.table, self.index(i)
        return t.base_offset[x] + t.count[x]

    def batch_at(self, i: int) -> Batch:
        return self.table.batch(self.index(i))

    def batches(self, i: int, j: int) -> list[Batch]:
        """Batches [i, j), materialized from the table."""
        out: list[Batch] = []
        for lo, hi in self.spans(i, j):
            out += self.table.batches(lo, hi)
        return out

    def size_between(self, i: int, j: int) -> int:
        """The bytes of batches [i, j)."""
        size = self.table.size
        return sum(sum(size[lo:hi]) for lo, hi in self.spans(i, j))

    def row_spans(self):
        """The [first, end) row ids held (the table's collection asks)."""
        return zip(self.firsts, self.ends, strict=True)

    def move_rows(self, moves) -> None:
        """The table renumbered its rows: (first, end, shift) for each span it kept."""
        starts = [first for first, _, _ in moves]
        for k, first in enumerate(self.firsts):
            shift = moves[bisect_right(starts, first) - 1][2]
            self.firsts[k] += shift
            self.ends[k] += shift

    def drop_from(self, i: int) -> None:
        """Forget batches i and later."""
        runs = (self.firsts, self.ends, self.bases, self.at)
        while self.at and self.at[-1] >= i:
            for column in runs:
                column.pop()
        if self.at:
            self.ends[-1] = self.firsts[-1] + i - self.at[-1]

    def drop_before(self, i: int) -> None:
        """Forget batches before i."""
        if i == 0:
            return
        runs = (self.firsts, self.ends, self.bases, self.at)
        if i >= self.count():
            for column in runs:
                column.clear()
            return
        k = bisect_right(self.at, i) - 1
        for column in runs:
            del column[:k]
        self.firsts[0] += i - self.at[0]
        self.bases[0] = self.table.base_offset[self.firsts[0] - self.table.first_id]
        self.at[:] = [0, *(at - i for at in self.at[1:])]


def _gallop(column, offset: int, lo: int, hi: int) -> int:
    """bisect_right(column, offset, lo, hi), probing back from hi first: reads are mostly
    of the last few batches."""
    step = 1
    while hi - step > lo and column[hi - step] > offset:
        hi -= step
        step *= 2
    return bisect_right(column, offset, hi - step if hi - step > lo else lo, hi)
