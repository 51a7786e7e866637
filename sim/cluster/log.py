"""The replica log of one partition on one broker: pure data, no SimPy.

A log is a list of batch descriptors; a batch holds `count` records at
offsets [base_offset, base_offset + count), stamped with the leader epoch in
which the leader appended it. Batches are immutable and shared between
replicas (a follower stores the leader's descriptor at the same offsets).
LEO (log end offset) and HW (high watermark) are exclusive: LEO is the last
offset + 1; records below the HW are committed. The leader-epoch cache maps
each epoch to its start offset (KIP-101) and answers `end_offset_for_epoch`
as Kafka's LeaderEpochFileCache does. The recovery point `stable` is the end
of the prefix that survives a power loss.

Not modeled: segments (retention comes with the consumer issue), compression,
transactions and control batches.
"""

from bisect import bisect_right
from typing import NamedTuple

UNDEFINED = -1
BATCH_HEADER = 61                # bytes of a record batch's header (v2 format)


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

    @property
    def end_offset(self) -> int:
        return self.base_offset + self.count


class ReplicaLog:
    """One replica's log, high watermark, epoch cache and recovery point."""

    __slots__ = ("batches", "bases", "leo", "hw", "log_start", "epochs", "stable")

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.bases: list[int] = []
        self.leo = 0
        self.hw = 0
        self.log_start = 0
        self.epochs: list[tuple[int, int]] = []     # (leader_epoch, start_offset), ascending
        self.stable = 0

    @property
    def latest_epoch(self) -> int:
        return self.epochs[-1][0] if self.epochs else UNDEFINED

    @property
    def last_batch_epoch(self) -> int:
        return self.batches[-1].leader_epoch if self.batches else UNDEFINED

    def append(self, batch: Batch) -> None:
        """Append a batch at the log end (as leader or as follower)."""
        assert batch.base_offset == self.leo, (batch.base_offset, self.leo)
        self.batches.append(batch)
        self.bases.append(batch.base_offset)
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
        i = bisect_right(self.bases, offset - 1) if offset > 0 else 0
        if i > 0 and self.batches[i - 1].end_offset > offset:
            i -= 1
        removed = self.batches[i:]
        del self.batches[i:]
        del self.bases[i:]
        self.leo = self.batches[-1].end_offset if self.batches else max(self.log_start, 0)
        while self.epochs and self.epochs[-1][1] >= self.leo:
            self.epochs.pop()
        self.hw = min(self.hw, self.leo)
        self.stable = min(self.stable, self.leo)
        return removed

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

    def read(self, offset: int, max_bytes: int) -> tuple[Batch, ...]:
        """Batches from the one containing offset, up to max_bytes (at least one batch)."""
        batches = self.batches
        i = max(bisect_right(self.bases, offset) - 1, 0)
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
