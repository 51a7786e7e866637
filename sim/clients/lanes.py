"""The drawn arrivals split by where they go: one lane per partition for keyed records.

Keyed records know their partition when they are drawn (murmur2 of the key),
so each partition's records wait in a lane of their own and join their
batches only when that partition needs them: an intake step touches the
partition whose batch lingered or fills, not every partition. Keyless
records wait in a single lane in arrival order, because the sticky
partitioner decides their partition as they come. The split is vectorized,
once per block the workload draws; a lane keeps the records' times, key
indexes and sizes, oldest first.
"""

import numpy as np

_EMPTY = np.empty(0, dtype=np.int64)


class Lane:
    """The records drawn for one partition (or for the sticky partitioner), not yet taken.

    `cum` holds the running total of the sizes of every record the lane ever
    held, so `cum - base` is the cumulative size of the waiting records.
    """

    __slots__ = ("times", "keys", "sizes", "cum", "base")

    def __init__(self) -> None:
        self.times = self.keys = self.sizes = self.cum = _EMPTY
        self.base = 0

    def push(self, times, keys, sizes) -> None:
        cum = sizes.cumsum() + (int(self.cum[-1]) if len(self.cum) else self.base)
        if len(self.times):
            times = np.concatenate((self.times, times))
            keys = np.concatenate((self.keys, keys))
            sizes = np.concatenate((self.sizes, sizes))
            cum = np.concatenate((self.cum, cum))
        self.times, self.keys, self.sizes, self.cum = times, keys, sizes, cum

    def take(self, now: int):
        """Remove and return (times, keys, sizes) of the records that arrived by now."""
        n = int(self.times.searchsorted(now, side="right"))
        if not n:
            return _EMPTY, _EMPTY, _EMPTY
        out = self.times[:n], self.keys[:n], self.sizes[:n]
        self.base = int(self.cum[n - 1])
        self.times, self.keys = self.times[n:], self.keys[n:]
        self.sizes, self.cum = self.sizes[n:], self.cum[n:]
        return out

    def first_past(self, room: int, side: str) -> int:
        """Index of the first waiting record whose cumulative size passes (side right) or
        reaches (side left) room; the number of waiting records if none does."""
        return int(self.cum.searchsorted(self.base + room, side=side))

    def discard_after(self, now: int) -> None:
        n = int(self.times.searchsorted(now, side="right"))
        self.times, self.keys = self.times[:n], self.keys[:n]
        self.sizes, self.cum = self.sizes[:n], self.cum[:n]


class Lanes:
    """A producer's drawn records by lane: per partition position (keyed) or one (keyless)."""

    def __init__(self, source, partitions: int, keyed: bool) -> None:
        self.source = source                  # the Arrivals that draw the records
        self.keyed = keyed
        self.lanes = [Lane() for _ in range(partitions if keyed else 1)]

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
        self.source.ensure(horizon_us)
        if len(self.source.times):
            self._split()

    def _split(self) -> None:
        times, keys, sizes, parts = self.source.take(self.source.drawn_until - 1)
        if not len(times):
            return
        if not self.keyed:
            self.lanes[0].push(times, keys, sizes)
            return
        order = np.argsort(parts, kind="stable")
        ordered = parts[order]
        starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        bounds = [0, *starts.tolist(), len(order)]
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            idx = order[lo:hi]
            self.lanes[int(ordered[lo])].push(times[idx], keys[idx], sizes[idx])

    def take(self, lane: int, now: int):
        """Remove and return (times, keys, sizes) of the lane's records that arrived by now."""
        self.ensure(now + 1)
        return self.lanes[lane].take(now)

    def set_rate(self, rate: float, now: int) -> None:
        """Change the rate from now on (records drawn beyond now are discarded)."""
        for lane in self.lanes:
            lane.discard_after(now)
        self.source.set_rate(rate, now)
