"""Poison records: records whose processing fails, every time, whoever processes them.

The timeline's `poison: {topic: T, rate: P}` opens a window: each record of T
appended to its leader while the window is open is poison with probability
P. Whether a record is poison is a property of the record (its producer and
sequence, hashed with a key drawn when the window opens), so every attempt
and every member agree, and a replay finds the same poison again.
"""

import numpy as np

from sim.core.units import NEVER

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a uniform 64-bit hash of each value."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


class Window:
    __slots__ = ("topic", "start_us", "end_us", "threshold", "key")

    def __init__(self, topic: str, start_us: int, rate: float, key: int) -> None:
        self.topic, self.start_us, self.end_us = topic, start_us, NEVER
        self.threshold = np.uint64(min(int(rate * 2.0**64), 2**64 - 1))
        self.key = np.uint64(key)


class PoisonWindows:
    """The poison windows of a run."""

    def __init__(self) -> None:
        self.windows: list[Window] = []

    def open(self, topic: str, rate: float, rng, now: int) -> Window:
        window = Window(topic, now, rate, int(rng.integers(0, 2**63)))
        self.windows.append(window)
        return window

    def mask(self, topic: str, batch, lo: int, hi: int) -> np.ndarray | None:
        """Which records at offsets [lo, hi) of a batch are poison (None: none can be)."""
        hits = None
        for w in self.windows:
            if w.topic != topic or not w.start_us <= batch.append_us < w.end_us \
                    or batch.producer < 0:
                continue
            first = batch.first_seq + lo - batch.base_offset
            seqs = np.arange(first, first + hi - lo, dtype=np.uint64)
            ident = seqs ^ (np.uint64(batch.producer) << np.uint64(40)) ^ w.key
            poison = _mix(ident) < w.threshold
            hits = poison if hits is None else hits | poison
        return hits
