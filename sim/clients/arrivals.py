"""The records a workload hands to one producer, drawn ahead in blocks.

Arrivals are `even` (record i of a rate segment at start + floor(i / rate),
so fractions carry) or `poisson` (exponential gaps). Each record gets a key
index (uniform over the workload's keys; -1 without keys) and a size: value +
key + 10 bytes of record overhead (docs/model.md#simplifications). With `tombstones: F` each
record is null-valued with probability F (no value bytes); the flag travels
to the record book inside the key index (book.TOMBSTONE). Draws come from the
producer's own stream, in blocks, so the accumulator can look ahead to when a
batch will fill without an event per record. A rate change or a producer
crash discards what was drawn beyond that instant.
"""

import numpy as np

from sim.clients.book import TOMBSTONE
from sim.core.units import S

RECORD_OVERHEAD = 10
BLOCK_US = 50_000


class Arrivals:
    """A producer's future records: times, key indexes and sizes, oldest first."""

    def __init__(self, rate: float, even: bool, key_parts: np.ndarray, key_sizes: np.ndarray,
                 value_size: int, rng, start_us: int = 0, tombstones: float = 0.0) -> None:
        self.even = even
        self.tombstones = tombstones
        self.key_parts = key_parts
        self.key_sizes = key_sizes
        self.value_size = value_size
        self.rng = rng
        self.times = np.empty(0, dtype=np.int64)
        self.keys = np.empty(0, dtype=np.int64)
        self.sizes = np.empty(0, dtype=np.int64)
        self.parts = np.empty(0, dtype=np.int64)
        self._restart(rate, start_us)

    def _restart(self, rate: float, start_us: int) -> None:
        self.rate = rate
        self.segment_start = start_us
        self.segment_index = 0
        self.last_us = float(start_us)
        self.drawn_until = start_us

    def set_rate(self, rate: float, now: int) -> None:
        """Change the rate from now on (records drawn beyond now are discarded)."""
        self.discard_after(now)
        self._restart(rate, now)

    def forget_pending(self, now: int) -> None:
        """The process died at now: nothing drawn before it is pending (see steps.py)."""

    def discard_after(self, now: int) -> None:
        keep = int(np.searchsorted(self.times, now, side="right"))
        self.times, self.keys = self.times[:keep], self.keys[:keep]
        self.sizes, self.parts = self.sizes[:keep], self.parts[:keep]
        self.drawn_until = min(self.drawn_until, now)

    def ensure(self, horizon_us: int) -> None:
        """Draw until every arrival before horizon_us is known."""
        while self.drawn_until < horizon_us:
            self._draw_block(max(horizon_us, self.drawn_until + BLOCK_US))

    def _draw_block(self, until_us: int) -> None:
        if self.rate <= 0:
            self.drawn_until = until_us
            return
        times = self._even(until_us) if self.even else self._poisson(until_us)
        n = len(times)
        if self.key_sizes.size:
            keys = self.rng.integers(0, self.key_sizes.size, n)
            sizes = self.key_sizes[keys] + (self.value_size + RECORD_OVERHEAD)
            parts = self.key_parts[keys]
        else:
            keys = np.full(n, -1, dtype=np.int64)
            sizes = np.full(n, self.value_size + RECORD_OVERHEAD, dtype=np.int64)
            parts = keys
        if self.tombstones > 0:
            null = self.rng.random(n) < self.tombstones
            sizes = sizes - self.value_size * null
            keys = keys + TOMBSTONE * null
        self.parts = np.concatenate((self.parts, parts))
        self.times = np.concatenate((self.times, times))
        self.keys = np.concatenate((self.keys, keys))
        self.sizes = np.concatenate((self.sizes, sizes))
        self.drawn_until = until_us

    def _even(self, until_us: int) -> np.ndarray:
        last = int(np.ceil((until_us - self.segment_start) * self.rate / S))
        first = self.segment_index
        idx = np.arange(first, max(last, first), dtype=np.float64)
        times = self.segment_start + np.floor(idx * S / self.rate).astype(np.int64)
        times = times[times < until_us]
        self.segment_index = first + len(times)
        return times

    def _poisson(self, until_us: int) -> np.ndarray:
        mean_gap = S / self.rate
        expected = int((until_us - self.last_us) / mean_gap) + 16
        out = []
        while True:
            gaps = self.rng.exponential(mean_gap, expected)
            t = self.last_us + np.cumsum(gaps)
            inside = t[t < until_us]
            out.append(inside)
            if len(inside) < len(t):
                self.last_us = float(until_us)      # memoryless: the next gap starts at the end
                break
            self.last_us = float(t[-1])
        return np.floor(np.concatenate(out)).astype(np.int64)

    def take(self, now: int):
        """Remove and return (times, keys, sizes, partitions) of the records arrived by now.

        The partition is the keyed partitioner's choice, -1 for keyless records.
        """
        self.ensure(now + 1)
        n = int(np.searchsorted(self.times, now, side="right"))
        out = self.times[:n], self.keys[:n], self.sizes[:n], self.parts[:n]
        self.times, self.keys = self.times[n:], self.keys[n:]
        self.sizes, self.parts = self.sizes[n:], self.parts[n:]
        return out
