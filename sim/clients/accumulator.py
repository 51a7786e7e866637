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
an event per record, the accumulator looks ahead in the drawn arrivals.

Records get their identity here: the next sequence of their partition.
Not modeled: `buffer.memory` and `max.block.ms` (the accumulator is unbounded;
batches still expire after `delivery.timeout.ms`), compression.
"""

from collections import deque

import numpy as np

BATCH_HEADER = 61
INF = 2**62
LOOKAHEAD_US = 1_000_000        # how far ahead fill predictions look (then they look again)


class ProducerBatch:
    """A batch on the client: its records, its sending state, its fate."""

    __slots__ = ("pos", "pidx", "first_seq", "count", "size", "created_us", "attempts",
                 "base_sequence", "producer_epoch", "retry_at", "inflight", "done", "full")

    def __init__(self, pos: int, pidx: int, first_seq: int, created_us: int) -> None:
        self.pos, self.pidx, self.first_seq = pos, pidx, first_seq
        self.count, self.size, self.created_us = 0, BATCH_HEADER, created_us
        self.attempts = 0
        self.base_sequence = -1
        self.producer_epoch = -1
        self.retry_at = 0
        self.inflight = False
        self.done = False
        self.full = False


class Accumulator:
    """Batches of one producer for the partitions of one topic (positions 0..n-1)."""

    def __init__(self, pidxs, batch_size: int, linger_us: int, book, rng) -> None:
        self.pidxs = list(pidxs)
        self.batch_size = max(batch_size, 1)
        self.linger_us = linger_us
        self.book = book
        self.rng = rng
        n = len(self.pidxs)
        self.next_seq = [0] * n
        self.open: list[ProducerBatch | None] = [None] * n
        self.fill_us = [INF] * n
        self.ready: list[deque] = [deque() for _ in range(n)]
        self.sticky = -1
        self.stint_bytes = BATCH_HEADER
        self.on_new = None
        self.now = 0
        self.batches_opened = 0

    # -- adding records --------------------------------------------------------

    def absorb(self, times, keys, sizes, parts, arrivals, available, now: int) -> None:
        """Add the records that arrived by now (oldest first) to their batches."""
        self.now = now
        if not len(times):
            self._refresh(arrivals)
            return
        if parts[0] >= 0:
            self._add_keyed(times, keys, sizes, parts, arrivals)
        else:
            self._add_sticky(times, keys, sizes, arrivals, available)
        self._refresh(arrivals)

    def _add_keyed(self, times, keys, sizes, parts, arrivals) -> None:
        """Group the records by partition; a group that fits its open batch is added at once."""
        order = np.argsort(parts, kind="stable")
        sorted_parts = parts[order]
        bounds = [0, *(np.flatnonzero(sorted_parts[1:] != sorted_parts[:-1]) + 1).tolist(),
                  len(order)]
        cum = np.cumsum(sizes[order]).tolist()
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            pos, group = int(sorted_parts[lo]), order[lo:hi]
            added = cum[hi - 1] - (cum[lo - 1] if lo else 0)
            batch = self.open[pos]
            if (batch.size if batch is not None else BATCH_HEADER) + added > self.batch_size:
                self._add(pos, times[group], keys[group], sizes[group], arrivals)
                continue
            first = self.next_seq[pos]
            self.next_seq[pos] = first + hi - lo
            self.book.add(pos, times[group], keys[group])
            if batch is None:
                batch = self._open_batch(pos, first, int(times[group[0]]))
            batch.count += hi - lo
            batch.size += added
            if batch.size >= self.batch_size:
                self._close(pos, full=True)
            elif batch.count == hi - lo:
                self.fill_us[pos] = self._predict_fill(pos, batch, arrivals)

    def _refresh(self, arrivals) -> None:
        """Look again where a prediction reached the end of its look-ahead without a fill."""
        for pos, batch in enumerate(self.open):
            if batch is not None and self.fill_us[pos] <= self.now:
                self.fill_us[pos] = self._predict_fill(pos, batch, arrivals)

    def _add_sticky(self, times, keys, sizes, arrivals, available) -> None:
        cum = np.cumsum(sizes)
        start, n = 0, len(times)
        while start < n:
            if self.sticky < 0:
                self._switch(available)
            base = cum[start - 1] if start else 0
            fit = int(np.searchsorted(cum[start:] - base, self.batch_size - self.stint_bytes,
                                      side="right"))
            if fit == 0 and self.stint_bytes == BATCH_HEADER:
                fit = 1
            end = min(start + fit, n)
            if end > start:
                self.stint_bytes += int(cum[end - 1] - base)
                self._add(self.sticky, times[start:end], keys[start:end], sizes[start:end],
                          arrivals)
            if end < n:
                self._end_stint(available)
            start = end

    def _end_stint(self, available) -> None:
        batch = self.open[self.sticky]
        if batch is not None:
            self._close(self.sticky, full=True)
        self._switch(available)

    def _switch(self, available) -> None:
        choices = available() or list(range(len(self.pidxs)))
        self.sticky = int(choices[int(self.rng.integers(0, len(choices)))])
        self.stint_bytes = BATCH_HEADER

    def _add(self, pos, times, keys, sizes, arrivals) -> None:
        first = self.next_seq[pos]
        self.next_seq[pos] = first + len(times)
        self.book.add(pos, times, keys)
        cum = np.cumsum(sizes)
        start, n, opened = 0, len(times), False
        while start < n:
            batch = self.open[pos]
            if batch is None:
                batch = self._open_batch(pos, first + start, int(times[start]))
                opened = True
            base = cum[start - 1] if start else 0
            fit = int(np.searchsorted(cum[start:] - base, self.batch_size - batch.size,
                                      side="right"))
            take = min(max(fit, 1 if batch.count == 0 else 0), n - start)
            batch.count += take
            batch.size += int(cum[start + take - 1] - base) if take else 0
            start += take
            if start < n or batch.size >= self.batch_size:
                self._close(pos, full=True)
        if opened and self.open[pos] is not None:
            self.fill_us[pos] = self._predict_fill(pos, self.open[pos], arrivals)

    def _open_batch(self, pos: int, first_seq: int, created_us: int) -> ProducerBatch:
        batch = self.open[pos] = ProducerBatch(pos, self.pidxs[pos], first_seq, created_us)
        self.batches_opened += 1
        if self.on_new is not None:
            self.on_new(batch)
        return batch

    def _predict_fill(self, pos, batch, arrivals) -> int:
        """When the next record that does not fit (in the batch, or in the sticky stint) arrives.

        Exact: the records that will join this batch are already drawn, so the
        prediction holds until the batch closes. It looks at most LOOKAHEAD_US
        ahead; without a fill by then it returns the end of what it saw, a time
        to look again.
        """
        start = max(self.now, batch.created_us)
        arrivals.ensure(start + min(self.linger_us, LOOKAHEAD_US) + 1)
        if pos == self.sticky:
            sizes, times = arrivals.sizes, arrivals.times
            room = self.batch_size - self.stint_bytes
        else:
            idx = np.flatnonzero(arrivals.parts == pos)
            sizes, times = arrivals.sizes[idx], arrivals.times[idx]
            room = self.batch_size - batch.size
        cum = np.cumsum(sizes)
        j = int(np.searchsorted(cum, room, side="right"))
        return int(times[j]) if j < len(cum) else arrivals.drawn_until

    def repredict(self, arrivals, now: int) -> None:
        """Recompute fill predictions after the future arrivals changed (a new rate, a pause)."""
        self.now = now
        for pos, batch in enumerate(self.open):
            if batch is not None:
                self.fill_us[pos] = self._predict_fill(pos, batch, arrivals)

    def _close(self, pos, full: bool = False) -> None:
        batch = self.open[pos]
        if batch is None:
            return
        batch.full = full
        self.open[pos] = None
        self.fill_us[pos] = INF
        self.ready[pos].append(batch)

    # -- readiness -------------------------------------------------------------

    def _open_ready(self, pos: int, now: int) -> bool:
        batch = self.open[pos]
        return batch is not None and batch.created_us + self.linger_us <= now

    def records_due(self, now: int) -> bool:
        """Must the records that arrived join their batches now (a batch lingered or fills)?"""
        linger = self.linger_us
        return any(batch is not None and (batch.created_us + linger <= now
                                          or self.fill_us[pos] <= now)
                   for pos, batch in enumerate(self.open))

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
            self._close(pos)
        return queue.popleft() if queue else None

    def has_batches(self) -> bool:
        return any(self.ready) or any(b is not None for b in self.open)

    def next_due_us(self, now: int) -> int:
        """The earliest time after now an open batch becomes ready."""
        linger = self.linger_us
        due = INF
        for pos, batch in enumerate(self.open):
            if batch is not None:
                t = min(batch.created_us + linger, self.fill_us[pos])
                if now < t < due:
                    due = t
        return due

    def discard(self, batch) -> None:
        """Remove a batch that failed while waiting here."""
        if self.open[batch.pos] is batch:
            self.open[batch.pos] = None
            self.fill_us[batch.pos] = INF
        elif batch in self.ready[batch.pos]:
            self.ready[batch.pos].remove(batch)

    def flush(self) -> None:
        """Make every open batch ready now (KafkaProducer.flush / close)."""
        for pos in range(len(self.open)):
            self._close(pos)

    def abandon(self) -> list[ProducerBatch]:
        """Drop every batch (the producer died); return them."""
        dropped = [b for b in self.open if b is not None]
        for q in self.ready:
            dropped.extend(q)
            q.clear()
        self.open = [None] * len(self.open)
        self.fill_us = [INF] * len(self.fill_us)
        return dropped
