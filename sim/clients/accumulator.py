"""The producer's RecordAccumulator: per-partition batches, linger and the sticky partitioner.

Records join the open batch of their partition while it has room (a batch
is at most `batch.size` bytes, header included; a first record always fits);
a full batch is closed and ready at once; the open one is ready when
`linger.ms` has passed since its first record, but it keeps taking records
until the sender drains it, so batches grow while the sender is held back
(in-flight limits, backoff, an unknown leader), as in Kafka. Keyless records follow the
uniform sticky partitioner (KIP-794): they go to one partition until a
batch's worth of bytes has gone there, then to a partition drawn at random
among those with a known leader. To wake exactly when a batch fills, without
an event per record, the accumulator looks ahead in the drawn arrivals; the
records wait in their lane (lanes.py) until the batch they join lingers or
fills, so an intake step touches only the partitions that need it.

Records get their identity here: the next sequence of their partition.
`buffer.memory` bounds the batches held (buffer_pool.py): a record that needs a new
batch when the pool is full stays in its lane, and so does every record that arrived
after it, until a completed batch frees room or the send fails after `max.block.ms`.
The pool is checked when a record joins its batch here, which for records waiting in
a lane is when their batch lingers or fills, not the instant they arrived. A transactional
producer's gate (`gate_us`) holds the records that arrive after its transaction's last one
in their lanes until the next transaction begins (transactions.py).
Sizes (KafkaProducer.ensureValidRecordSize): a record whose size plus a batch
header exceeds `max.request.size` fails as the application sends it, with
RECORD_TOO_LARGE (RecordTooLargeException), and never joins a batch; since a
batch holds consecutive records here, the open batch of its partition closes
before it (Kafka's stays open). A record larger than `batch.size` gets a batch
of its own. With compression (compression.py) a batch fills by its estimated
compressed size and goes out compressed. A batch the broker refused as too
large is split into batches of `batch.size` (ProducerBatch.split) by `split`.
"""

from bisect import bisect_right
from collections import deque

import numpy as np

from sim.cluster.log import BATCH_HEADER

INF = 2**62
LOOKAHEAD_US = 1_000_000        # how far ahead fill predictions look (then they look again)


class ProducerBatch:
    """A batch on the client: its records, its sending state, its fate."""

    __slots__ = ("pos", "pidx", "first_seq", "count", "size", "created_us", "attempts",
                 "producer_id", "base_sequence", "producer_epoch", "retry_at", "inflight",
                 "done", "full", "cap", "pooled")

    def __init__(self, pos: int, pidx: int, first_seq: int, created_us: int,
                 cap: int = 2**62) -> None:
        self.pos, self.pidx, self.first_seq = pos, pidx, first_seq
        self.count, self.size, self.created_us = 0, BATCH_HEADER, created_us
        self.cap = cap              # the uncompressed bytes it may hold (batch.size uncompressed)
        self.attempts = 0
        self.producer_id = -1
        self.base_sequence = -1
        self.producer_epoch = -1
        self.retry_at = 0
        self.inflight = False
        self.done = False
        self.full = False
        self.pooled = -1            # the pool generation it holds bytes of, -1: none


class Accumulator:
    """Batches of one producer for the partitions of one topic (positions 0..n-1)."""

    def __init__(self, pidxs, batch_size: int, linger_us: int, book, rng, lanes,
                 pool=None) -> None:
        self.pidxs = list(pidxs)
        self.batch_size = max(batch_size, 1)
        self.cap = self.batch_size              # what a batch opened now may hold, uncompressed
        self.compression = None                 # a Compression unless compression.type is none
        self.refuse_over = INF                  # records larger fail at send (max.request.size)
        self.on_refused = None
        self.linger_us = linger_us
        self.book = book
        self.rng = rng
        self.lanes = lanes
        self.keyed = lanes.keyed
        n = len(self.pidxs)
        self.next_seq = [0] * n
        self.open: list[ProducerBatch | None] = [None] * n
        self.fill_us = [INF] * n
        self.ready: list[deque] = [deque() for _ in range(n)]
        self.active: dict[int, None] = {}       # positions that may hold a batch (a superset)
        self.due = [0] * len(lanes.lanes)       # when each lane's records must next join batches
        self.sticky = -1
        self.created = n                        # positions 0..created-1 exist in the metadata
        self.stint_bytes = BATCH_HEADER
        self.on_new = None
        self.pool = pool                        # a BufferPool, or None: unbounded
        self.on_room = None                     # called when a blocked send may go on
        self.now = 0
        self.batches_opened = 0
        self.gate_us = INF                      # records arriving later wait (transactions.py)

    # -- adding records --------------------------------------------------------

    def absorb(self, now: int, available, due_only: bool = False) -> list[tuple]:
        """Add the records that arrived by now to their batches: of every lane, or the due ones.

        A lane is due when the batch its records join (open, or opened by its
        next record) lingered or fills by now. Return what was handed to each
        partition, as (position, first sequence, count).
        """
        self.now = now
        handed: list[tuple] = []
        pool = self.pool
        if pool is not None and pool.blocked_at >= 0 and pool.room():
            pool.resumed(now)
        cap = self.cap
        for lane, due in enumerate(self.due):
            if due <= now or not due_only:
                until = now if pool is None or pool.blocked_at < 0 else \
                    min(now, pool.blocked_at - 1)
                until = min(until, self.gate_us)
                times, keys, cum = self.lanes.take(lane, until)
                if len(times):
                    if self.keyed:
                        self._add(lane, times, keys, cum, handed)
                    else:
                        self._add_sticky(times, keys, cum, available, handed)
                self._refresh(lane)
        if self.cap != cap:
            self.repredict(now)
        return handed

    def _blocked(self, lane: int, times, taken: int) -> None:
        """The record at times[taken] found the pool full: it and the rest go back to the lane."""
        self.lanes.lanes[lane].give_back(len(times) - taken)
        pool = self.pool
        arrival = int(times[taken])
        if pool.blocked_at < 0 or arrival < pool.blocked_at:
            pool.block(lane, arrival)

    def _lane(self, pos: int) -> int:
        return pos if self.keyed else 0

    def _refresh(self, lane: int) -> None:
        """Recompute when the lane is due, and the fill prediction of its open batch."""
        pos = lane if self.keyed else self.sticky
        batch = self.open[pos] if pos >= 0 else None
        if batch is not None:
            fill = self.fill_us[pos] = self._predict_fill(lane, batch)
            self.due[lane] = min(batch.created_us + self.linger_us, fill)
        else:
            self.due[lane] = self._next_open_due(lane)

    def _add_sticky(self, times, keys, cum, available, handed) -> None:
        start, n = 0, len(times)
        while start < n:
            if self.sticky < 0:
                self._switch(available)
            base = cum[start]
            room = self.batch_size - self.stint_bytes
            fit = bisect_right(cum, base + room, start + 1) - start - 1
            if fit == 0 and self.stint_bytes == BATCH_HEADER:
                fit = 1
            end = min(start + fit, n)
            if end > start:
                added = self._add(self.sticky, times[start:end], keys[start:end],
                                  cum[start:end + 1], handed, lane=-1)
                self.stint_bytes += cum[start + added] - base
                if start + added < end:
                    self._blocked(0, times, start + added)
                    return
            if end < n:
                self._end_stint(available)
            start = end

    def _end_stint(self, available) -> None:
        batch = self.open[self.sticky]
        if batch is not None:
            self._close(self.sticky, full=True)
        self._switch(available)

    def _switch(self, available) -> None:
        choices = available() or list(range(self.created))
        self.sticky = int(choices[int(self.rng.integers(0, len(choices)))])
        self.stint_bytes = BATCH_HEADER

    def _add(self, pos, times, keys, cum, handed, lane: int | None = None) -> int:
        """Add records to pos's batches; cum is their running size total (Lane.take).

        Return how many were taken: all, unless the pool had no room for a new batch (then
        the rest go back to `lane`, pos's own by default; -1: the caller gives them back).
        """
        first = self.next_seq[pos]
        n = len(times)
        if self.refuse_over < INF:
            start = self._fill_refusing(pos, first, times, cum)
        else:
            start = self._fill(pos, first, times, cum, 0, n)
        if start:
            self.next_seq[pos] = first + start
            self.book.add(pos, times[:start], keys[:start])
            handed.append((pos, first, start))
        if start < n and lane != -1:
            self._blocked(pos if lane is None else lane, times, start)
        return start

    def _fill(self, pos, first, times, cum, start: int, end: int) -> int:
        """Put records [start, end) of a taken run into pos's batches; return where it
        stopped: end, or the first record that found the pool full."""
        while start < end:
            batch = self.open[pos]
            if batch is None:
                if self.pool is not None and not self._allocate():
                    break
                batch = self._open_batch(pos, first + start, int(times[start]))
            base = cum[start]
            take = bisect_right(cum, base + batch.cap - batch.size, start + 1) - start - 1
            take = min(max(take, 1 if batch.count == 0 else 0), end - start)
            batch.count += take
            batch.size += cum[start + take] - base
            start += take
            if start < end or batch.size >= batch.cap:
                self._close(pos, full=True)
        return start

    def _fill_refusing(self, pos, first, times, cum) -> int:
        """_fill, but records over max.request.size fail at send (ensureValidRecordSize)."""
        n = len(times)
        over = np.flatnonzero(np.diff(np.asarray(cum)) > self.refuse_over)
        if not len(over):
            return self._fill(pos, first, times, cum, 0, n)
        breaks = np.flatnonzero(np.diff(over) != 1) + 1
        start = 0
        for run in np.split(over, breaks):
            lo, hi = int(run[0]), int(run[-1]) + 1
            stopped = self._fill(pos, first, times, cum, start, lo)
            if stopped < lo:
                return stopped          # the pool is full: the rest waits behind that send
            self._close(pos)
            self.on_refused(pos, first + lo, hi - lo)
            start = hi
        return self._fill(pos, first, times, cum, start, n)

    def _allocate(self) -> bool:
        """Take a batch's bytes from the pool (BufferPool.allocate), if it has room."""
        pool = self.pool
        if not pool.room():
            return False
        pool.take()
        return True

    def send_blocked(self) -> bool:
        """Is the application's send blocked on a full `buffer.memory`?"""
        return self.pool is not None and self.pool.blocked_at >= 0

    def release(self, batch) -> None:
        """A batch completed: its bytes go back to the pool (RecordAccumulator.deallocate)."""
        pool = self.pool
        if pool is not None and batch.pooled == pool.generation:
            batch.pooled = -1
            pool.give_back()
            if pool.blocked_at >= 0 and self.on_room is not None:
                self.on_room()

    def fail_blocked(self, now: int) -> tuple[int, int]:
        """The blocked send ran out of `max.block.ms`: its record leaves its lane without a
        batch (it still gets the next sequence of its partition). Return (position, sequence)."""
        pool = self.pool
        lane = pool.blocked_lane
        times, keys = self.lanes.lanes[lane].take_first()
        if self.keyed:
            pos = lane
        else:
            if self.sticky < 0:
                self._switch(lambda: [])
            pos = self.sticky
        first = self.next_seq[pos]
        self.next_seq[pos] = first + 1
        self.book.add(pos, times, keys)
        pool.timed_out(now)
        self._refresh(lane)
        return pos, first

    def _open_batch(self, pos: int, first_seq: int, created_us: int) -> ProducerBatch:
        batch = self.open[pos] = ProducerBatch(pos, self.pidxs[pos], first_seq, created_us,
                                               self.cap)
        if self.pool is not None:
            batch.pooled = self.pool.generation
        self.active[pos] = None
        self.batches_opened += 1
        if self.on_new is not None:
            self.on_new(batch)
        return batch

    def _predict_fill(self, lane: int, batch) -> int:
        """When the next record that does not fit (in the batch, or in the sticky stint) arrives.

        Exact: the records that will join this batch are already drawn, so the
        prediction holds until the batch closes. It looks at most LOOKAHEAD_US
        ahead; without a fill by then it returns the end of what it saw, a time
        to look again.
        """
        start = max(self.now, batch.created_us)
        self.lanes.ensure(start + min(self.linger_us, LOOKAHEAD_US) + 1)
        room = batch.cap - batch.size
        if not self.keyed:          # the turn's end, or the batch's own fill (compression)
            room = min(room, self.batch_size - self.stint_bytes)
        return self._arrival_past(lane, room, False)

    def _next_open_due(self, lane: int) -> int:
        """When the lane's next record must join a batch: the batch it opens lingers or fills.

        Until then the lane's records stay there; a batch that becomes exactly
        full is ready at once, so the look-ahead stops at the record that
        reaches the room (or passes it).
        """
        lanes = self.lanes
        lanes.ensure(self.now + self.linger_us + 1)
        waiting = lanes.lanes[lane]
        if not waiting.waiting():
            return INF if lanes.stopped else lanes.drawn_until
        room = self.cap - BATCH_HEADER
        if not self.keyed:
            room = min(room, self.batch_size - self.stint_bytes)
        return min(waiting.first_us() + self.linger_us, self._arrival_past(lane, room, True))

    def _arrival_past(self, lane: int, room: int, reach: bool) -> int:
        """Arrival of the lane's first record whose cumulative size passes (or reaches) room."""
        t = self.lanes.lanes[lane].arrival_past(room, reach)
        if t is None:       # none within what was drawn: look again then, or never if none come
            return INF if self.lanes.stopped else self.lanes.drawn_until
        return t

    def repredict(self, now: int) -> None:
        """Recompute when each lane is due after the future arrivals changed (a rate, a pause)."""
        self.now = now
        for lane in range(len(self.due)):
            self._refresh(lane)

    def _close(self, pos, full: bool = False) -> None:
        batch = self.open[pos]
        if batch is None:
            return
        batch.full = full
        self.open[pos] = None
        self.fill_us[pos] = INF
        self.ready[pos].append(batch)
        if self.compression is not None:
            self._compress(batch)

    # -- compression and splitting ---------------------------------------------

    def _compress(self, batch) -> None:
        """A closed batch takes its compressed size; the estimate learns from it."""
        compression = self.compression
        wire = compression.compressed(batch.size)
        compression.observe(batch.size, wire)
        batch.size = wire
        self.cap = compression.cap()

    def split(self, big, sizes, now: int) -> list[ProducerBatch]:
        """RecordAccumulator.splitAndReenqueue / ProducerBatch.split(batch.size): big's
        records (their uncompressed sizes in order) in closed batches of what a new batch
        may hold, each keeping big's creation time; the caller queues them."""
        cum = [0, *np.cumsum(sizes).tolist()]
        if self.compression is not None:
            self.compression.reset_for_split(BATCH_HEADER + cum[-1], big.size)
            self.cap = self.compression.cap()
        parts, start, n = [], 0, len(sizes)
        while start < n:
            take = bisect_right(cum, cum[start] + self.cap - BATCH_HEADER, start + 1) - start - 1
            take = min(max(take, 1), n - start)
            part = ProducerBatch(big.pos, big.pidx, big.first_seq + start, big.created_us,
                                 self.cap)
            part.count, part.full = take, True
            part.size = BATCH_HEADER + cum[start + take] - cum[start]
            if self.compression is not None:
                self._compress(part)
            parts.append(part)
            start += take
        self.batches_opened += len(parts)
        if self.on_new is not None:
            for part in parts:
                self.on_new(part)
        self.repredict(now)
        return parts

    # -- readiness -------------------------------------------------------------

    def _open_ready(self, pos: int, now: int) -> bool:
        batch = self.open[pos]
        return batch is not None and batch.created_us + self.linger_us <= now

    def records_due(self, now: int) -> bool:
        """Must some records that arrived join their batches now (a batch lingered or fills)?"""
        return min(self.due) <= now

    def positions(self) -> list[int]:
        """The positions that hold a batch (open or ready), ascending.

        The sender looks only at these, so a wake costs the partitions in use,
        not all of the topic's (a keyless producer writes to one at a time).
        """
        ready, open_ = self.ready, self.open
        held = sorted(pos for pos in self.active if ready[pos] or open_[pos] is not None)
        self.active = dict.fromkeys(held)
        return held

    def put_back(self, batch, index: int = 0) -> None:
        """Return a drained batch to its partition's queue at index (a retry, a full buffer)."""
        self.ready[batch.pos].insert(index, batch)
        self.active[batch.pos] = None

    def peek(self, pos: int, now: int):
        """The batch the sender would take next from this partition, or None."""
        queue = self.ready[pos]
        if queue:
            return queue[0]
        return self.open[pos] if self._open_ready(pos, now) else None

    def drain(self, pos: int, now: int):
        """Take the next ready batch of this partition (closing the open one if it is ready)."""
        queue = self.ready[pos]
        if not queue and self._open_ready(pos, now):
            cap = self.cap
            self._close(pos)
            if cap == self.cap:
                self._refresh(self._lane(pos))
            else:
                self.repredict(now)
        return queue.popleft() if queue else None

    def has_batches(self) -> bool:
        return any(self.ready) or any(b is not None for b in self.open)

    def next_due_us(self, now: int) -> int:
        """The earliest time after now a batch becomes ready or records must join one."""
        return min((t for t in self.due if t > now), default=INF)

    def discard(self, batch) -> None:
        """Remove a batch that failed while waiting here."""
        if self.open[batch.pos] is batch:
            self.open[batch.pos] = None
            self.fill_us[batch.pos] = INF
            self._refresh(self._lane(batch.pos))
        elif batch in self.ready[batch.pos]:
            self.ready[batch.pos].remove(batch)

    def flush(self) -> None:
        """Make every open batch ready now (KafkaProducer.flush / close)."""
        for pos in range(len(self.open)):
            self._close(pos)
        self.repredict(self.now)

    def abandon(self) -> list[ProducerBatch]:
        """Drop every batch (the producer died); return them."""
        dropped = [b for b in self.open if b is not None]
        for q in self.ready:
            dropped.extend(q)
            q.clear()
        self.open = [None] * len(self.open)
        self.fill_us = [INF] * len(self.fill_us)
        self.active = {}
        if self.pool is not None:
            self.pool.reset()
        self.repredict(self.now)
        return dropped
