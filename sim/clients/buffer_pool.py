"""The producer's BufferPool: `buffer.memory` bounds the batches it holds, `max.block.ms` a send.

Every batch takes `batch.size` bytes of the pool when it opens (RecordAccumulator.append
allocates max(batch.size, the record's size) from BufferPool.allocate) and gives them back
when it completes: acknowledged, failed, expired, or dropped with a dead producer
(RecordAccumulator.deallocate). A record that needs a new batch when the pool has no room
blocks the application's send, and every later record queues behind it (they are the
application's calls, made in order). The send returns when a completed batch frees room,
or after `max.block.ms` from the start of the call it fails with BufferExhaustedException
(a TimeoutException: "Failed to allocate ... within the configured max blocking time"):
the record never joins a batch, and the next queued record's call starts then.

Left out: a record larger than `batch.size` takes the same `batch.size` here (Kafka
allocates its own size), and the time the send spends waiting for metadata does not come
out of `max.block.ms`.
"""


class BufferPool:
    """Bytes of `buffer.memory` held by a producer's live batches, and the blocked send."""

    __slots__ = ("total", "unit", "max_block_us", "used", "blocked_at", "call_start",
                 "blocked_lane", "calls_from", "generation")

    def __init__(self, total: int, unit: int, max_block_us: int) -> None:
        self.total = total
        self.unit = unit                    # what one batch takes: batch.size
        self.max_block_us = max_block_us
        self.used = 0
        self.blocked_at = -1                # arrival of the blocked record, -1: not blocked
        self.call_start = 0                 # when its send call began
        self.blocked_lane = -1
        self.calls_from = 0                 # a queued call starts no earlier (a failed one ended)
        self.generation = 0                 # a dead producer's batches give nothing back

    def room(self) -> bool:
        return self.used + self.unit <= self.total

    def take(self) -> None:
        self.used += self.unit

    def give_back(self) -> None:
        self.used -= self.unit

    def block(self, lane: int, arrival_us: int) -> None:
        """The send of the record that arrived at arrival_us (first in `lane`) waits for room."""
        self.blocked_at = arrival_us
        self.blocked_lane = lane
        self.call_start = max(arrival_us, self.calls_from)

    def unblock(self) -> None:
        self.blocked_at = -1
        self.blocked_lane = -1

    def resumed(self, now: int) -> None:
        """The blocked send got its room at now: the next queued call starts then."""
        self.calls_from = now
        self.unblock()

    def deadline(self) -> int:
        """When the blocked send fails (BufferExhaustedException)."""
        return self.call_start + self.max_block_us

    def reset(self) -> None:
        """The producer died: its batches and the blocked send are gone."""
        self.used = 0
        self.calls_from = 0
        self.generation += 1
        self.unblock()

    def timed_out(self, now: int) -> None:
        """The blocked send failed at now: the next queued call starts then."""
        self.calls_from = now
        self.unblock()
