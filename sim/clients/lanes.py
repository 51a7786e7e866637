"""The drawn arrivals split by where they go: one lane per partition for keyed records.

Keyed records know their partition when they are drawn (murmur2 of the key),
so each partition's records wait in a lane of their own and join their
batches only when that partition needs them: an intake step touches the
partition whose batch lingered or fills, not every partition. Keyless
records wait in a single lane in arrival order, because the sticky
partitioner decides their partition as they come. The split is vectorized,
once per block the workload draws; a lane keeps the records' times, key
indexes and sizes, oldest first. When the producer learns that its topic has more
partitions (CreatePartitions), the records drawn for after that instant are split again
with the new key table (`remap`): send() partitions a record when the application hands
it, with the metadata the producer has then.
"""

from bisect import bisect_left, bisect_right

import numpy as np

from sim.clients.book import TOMBSTONE

_EMPTY = np.empty(0, dtype=np.int64)


class Lane:
    """The records drawn for one partition (or for the sticky partitioner), not yet taken.

    The numpy arrays hold the records' times and keys for the book; the lists
    hold their times and the running total of their sizes for scalar
    look-ups; `head` is the first record not yet taken.
    """

    __slots__ = ("arrays", "times", "cum", "head")

    def __init__(self) -> None:
        self.arrays = (_EMPTY, _EMPTY)               # times, key indexes
        self.times: list[int] = []
        self.cum: list[int] = [0]                    # cum[i + 1]: sizes of records 0..i
        self.head = 0

    def push(self, times, keys, sizes) -> None:
        head = self.head
        old_times, old_keys = self.arrays
        self.arrays = (np.concatenate((old_times[head:], times)),
                       np.concatenate((old_keys[head:], keys)))
        cum = self.cum[head:]
        self.cum = cum + (sizes.cumsum() + cum[-1]).tolist()
        self.times = self.times[head:] + times.tolist()
        self.head = 0

    def waiting(self) -> int:
        return len(self.times) - self.head

    def first_us(self) -> int:
        """Arrival of the first waiting record (there must be one)."""
        return self.times[self.head]

    def take(self, now: int):
        """Remove the records that arrived by now; return their times and keys (numpy) and
        the running total of sizes around them (a list, one longer: cum[i + 1] - cum[i] is
        record i's size)."""
        head = self.head
        n = bisect_right(self.times, now, head)
        self.head = n
        times, keys = self.arrays
        return times[head:n], keys[head:n], self.cum[head:n + 1]

    def give_back(self, count: int) -> None:
        """Return the last `count` records taken (a send blocked on a full buffer)."""
        self.head -= count

    def take_first(self):
        """Remove the first waiting record; return its time and key (numpy, one each)."""
        head = self.head
        self.head = head + 1
        times, keys = self.arrays
        return times[head:head + 1], keys[head:head + 1]

    def arrival_past(self, room: int, reach: bool):
        """Arrival of the first waiting record whose cumulative size passes room (or reaches
        it, with reach); None if no drawn record does."""
        cum = self.cum
        target = cum[self.head] + room
        j = (bisect_left if reach else bisect_right)(cum, target, self.head + 1) - 1
        return self.times[j] if j < len(self.times) else None

    def take_after(self, now: int):
        """Remove the records that arrive after now; return their times, keys and sizes."""
        n = bisect_right(self.times, now, self.head)
        times, keys = self.arrays
        out = times[n:], keys[n:], np.diff(np.array(self.cum[n:], dtype=np.int64))
        self.discard_after(now)
        return out

    def discard_after(self, now: int) -> None:
        n = bisect_right(self.times, now, self.head)
        del self.times[n:]
        del self.cum[n + 1:]
        self.arrays = (self.arrays[0][:n], self.arrays[1][:n])


class Lanes:
    """A producer's drawn records by lane: per partition position (keyed) or one (keyless)."""

    def __init__(self, source, partitions: int, keyed: bool) -> None:
        self.source = source                  # the Arrivals that draw the records
        self.keyed = keyed
        self.lanes = [Lane() for _ in range(partitions if keyed else 1)]
        self._split()

    @property
    def drawn_until(self) -> int:
        """Every arrival before this time is in the lanes."""
        return self.source.drawn_until

    @property
    def stopped(self) -> bool:
        """No more records come until the rate changes."""
        return self.source.rate <= 0

    def ensure(self, horizon_us: int) -> None:
        """Draw until every arrival before horizon_us is in its lane."""
        if horizon_us > self.source.drawn_until:
            self.source.ensure(horizon_us)
            self._split()

    def _split(self) -> None:
        times, keys, sizes, parts = self.source.take(self.source.drawn_until - 1)
        if not len(times):
            return
        if not self.keyed:
            self.lanes[0].push(times, keys, sizes)
            return
        self._push(times, keys, sizes, parts)

    def _push(self, times, keys, sizes, parts) -> None:
        """Append keyed records (oldest first) to the lanes of their partitions."""
        order = np.argsort(parts, kind="stable")
        ordered = parts[order]
        starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        bounds = [0, *starts.tolist(), len(order)]
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            idx = order[lo:hi]
            self.lanes[int(ordered[lo])].push(times[idx], keys[idx], sizes[idx])

    def remap(self, key_parts: np.ndarray, now: int) -> None:
        """Keyed records arriving after now go to the partitions of the new key table, and
        so do those the source draws from now on. Those arriving by now keep the old one:
        they are drawn first if they were not yet."""
        self.ensure(now + 1)
        self._split()
        self.source.key_parts = key_parts
        moved = [lane.take_after(now) for lane in self.lanes]
        times, keys, sizes = (np.concatenate([m[i] for m in moved]) for i in range(3))
        if not len(times):
            return
        order = np.argsort(times, kind="stable")
        times, keys, sizes = times[order], keys[order], sizes[order]
        self._push(times, keys, sizes, key_parts[keys % TOMBSTONE])

    def take(self, lane: int, now: int):
        """Remove the lane's records that arrived by now (as Lane.take returns them)."""
        self.ensure(now + 1)
        return self.lanes[lane].take(now)

    def set_rate(self, rate: float, now: int) -> None:
        """Change the rate from now on (records drawn beyond now are discarded).

        A causal step's records lag their events by the step's delay (steps.py): the
        change applies to events after now, so its records up to now + delay stay.
        """
        for lane in self.lanes:
            lane.discard_after(now + getattr(self.source, "offset_us", 0))
        self.source.set_rate(rate, now)

    def drop_waiting(self) -> None:
        """Forget every record not yet taken (queued behind a blocked send of a dead process)."""
        for lane in self.lanes:
            lane.discard_after(-1)

    def drop_after(self, now: int) -> None:
        """The application is gone: records after now will never be handed over."""
        for lane in self.lanes:
            lane.discard_after(now)
        self.source.forget_pending(now)
