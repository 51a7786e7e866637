"""The record batches of one partition, one row each, in columns its replicas share.

A batch descriptor (`Batch`) holds `count` records at offsets [base_offset,
base_offset + count), stamped with the leader epoch in which the leader
appended it. The rows of a partition's batches live once, in a `BatchTable`
of `array` columns (the narrowest type that holds each field); every replica
log of the partition keeps only which rows it holds (log_rows.py). A follower
that appends a batch it fetched from the leader refers to the leader's row,
as Kafka's follower copies the leader's bytes: a row is written once and
never changes, so the replicas of a partition share it.

`Batch` tuples are what the rest of the model sees: the table materializes
them on read, carrying their row id, so that appending a fetched batch adds
no row. The last RECENT rows added keep their tuple: the reads that soon
follow (followers, consumers, the invariants) hand out that same tuple, and
a follower's append knows it by identity. A batch is shared only where the
row holds exactly its values; a batch whose row is gone, or that comes from
another table, is appended as a new row with the same contents.

Row ids are never reused. When at most half of the rows are still held by a
replica (the others were truncated, deleted by retention or replaced by
compaction), the table keeps only the held rows, under new ids; it counts
them when it reaches twice the rows held at the last count (amortized O(1)
per row), so a long run with retention stays bounded.

Not modeled: the bytes themselves (records are identified by producer and
sequence), compression, record headers.
"""

from array import array
from itertools import repeat
from typing import NamedTuple

BATCH_HEADER = 61                # bytes of a record batch's header (v2 format)
FIRST_COUNT_AT = 1024            # rows before the table first counts which are held
RECENT = 32                      # the last rows added keep their Batch, for the reads that follow
FEW = 4                          # batches read one by one; more are read column slices at once


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
    row: int = -1            # its row in the partition's BatchTable, -1 for none yet

    @property
    def end_offset(self) -> int:
        return self.base_offset + self.count


_new = tuple.__new__             # a Batch from its 11 values, without NamedTuple's __new__

# one column per Batch field, in Batch's order: 'q' int64, 'i' int32
COLUMNS = (("base_offset", "q"), ("count", "i"), ("leader_epoch", "i"), ("producer", "i"),
           ("first_seq", "q"), ("pid", "q"), ("producer_epoch", "i"), ("base_sequence", "q"),
           ("size", "i"), ("append_us", "q"))


class BatchTable:
    """The batches of one partition in columns; row ids start at `first_id`."""

    __slots__ = (*(name for name, _ in COLUMNS), "first_id", "holders", "count_at", "min_count_at",
                 "recent")

    def __init__(self, min_count_at: int = FIRST_COUNT_AT) -> None:
        for name, code in COLUMNS:
            setattr(self, name, array(code))
        self.first_id = 0                   # the id of the first row
        self.holders: list = []             # the LogRows of the replica logs on this table
        self.count_at = min_count_at        # count the held rows when the table is this long
        self.min_count_at = min_count_at
        self.recent: list[Batch | None] = [None] * RECENT   # row id % RECENT -> its Batch
        # (the rows added last: reads hand them out, followers append them back)

    def __len__(self) -> int:
        return len(self.base_offset)

    def add(self, b: Batch) -> int:
        """Add batch b as a new row; return its id."""
        if len(self.base_offset) >= self.count_at:
            self.collect()
        self.base_offset.append(b.base_offset)
        self.count.append(b.count)
        self.leader_epoch.append(b.leader_epoch)
        self.producer.append(b.producer)
        self.first_seq.append(b.first_seq)
        self.pid.append(b.pid)
        self.producer_epoch.append(b.producer_epoch)
        self.base_sequence.append(b.base_sequence)
        self.size.append(b.size)
        self.append_us.append(b.append_us)
        row = self.first_id + len(self.base_offset) - 1
        self.recent[row % RECENT] = _new(Batch, (*b[:10], row))
        return row

    def add_all(self, batches: list[Batch]) -> int:
        """Add batches as consecutive new rows; return the id of the first."""
        if len(self.base_offset) + len(batches) >= self.count_at:
            self.collect()
        first = self.first_id + len(self.base_offset)
        for name, _ in COLUMNS:
            getattr(self, name).extend([getattr(b, name) for b in batches])
        return first

    def holds(self, row: int) -> bool:
        """Is row still in the table?"""
        return 0 <= row - self.first_id < len(self.base_offset)

    def row_of(self, b: Batch) -> int:
        """b's row if the table has it (b is what the row holds), else -1: b is new, its row
        is gone, or it comes from another table."""
        row = b[10]
        i = row - self.first_id
        if 0 <= i < len(self.base_offset) and (self.recent[row % RECENT] is b or
                                               self.batch(i) == b):
            return row
        return -1

    def batch(self, i: int) -> Batch:
        """The batch at table index i (row id first_id + i)."""
        row = self.first_id + i
        b = self.recent[row % RECENT]
        if b is not None and b[10] == row:
            return b
        return _new(Batch, (self.base_offset[i], self.count[i], self.leader_epoch[i],
                            self.producer[i], self.first_seq[i], self.pid[i],
                            self.producer_epoch[i], self.base_sequence[i], self.size[i],
                            self.append_us[i], row))

    def batches(self, lo: int, hi: int) -> list[Batch]:
        """The batches at table indexes [lo, hi)."""
        if hi - lo <= FEW:
            return [self.batch(i) for i in range(lo, hi)]
        first = self.first_id
        return list(map(_new, repeat(Batch), zip(
            self.base_offset[lo:hi], self.count[lo:hi], self.leader_epoch[lo:hi],
            self.producer[lo:hi], self.first_seq[lo:hi], self.pid[lo:hi],
            self.producer_epoch[lo:hi], self.base_sequence[lo:hi], self.size[lo:hi],
            self.append_us[lo:hi], range(first + lo, first + hi), strict=True)))

    def collect(self) -> None:
        """Keep only the rows some log holds, under new ids, if at most half are held."""
        held = _merged(span for rows in self.holders for span in rows.row_spans())
        kept = sum(end - first for first, end in held)
        self.count_at = max(2 * kept, self.min_count_at)
        if 2 * kept > len(self.base_offset):
            return
        new_first = self.first_id + len(self.base_offset)
        moves, at = [], new_first
        for first, end in held:
            moves.append((first, end, at - first))
            at += end - first
        base = self.first_id
        for name, code in COLUMNS:
            old, new = getattr(self, name), array(code)
            for first, end, _ in moves:
                new.extend(old[first - base:end - base])
            setattr(self, name, new)
        self.first_id = new_first
        self.recent = [None] * RECENT
        for rows in self.holders:
            rows.move_rows(moves)


def _merged(spans) -> list[tuple[int, int]]:
    """The union of [first, end) row spans, as disjoint spans in ascending order."""
    out: list[tuple[int, int]] = []
    for first, end in sorted(spans):
        if out and first <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((first, end))
    return out


class BatchTables:
    """The batch table of each partition of a run, made when a first replica asks for it."""

    def __init__(self) -> None:
        self._tables: dict[int, BatchTable] = {}

    def of(self, pidx: int) -> BatchTable:
        table = self._tables.get(pidx)
        if table is None:
            table = self._tables[pidx] = BatchTable()
        return table
