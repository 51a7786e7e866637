"""Records given by hand, with the interface the producer's accumulator reads from a
producer's arrivals (sim/clients/arrivals.py): shared by the accumulator's unit tests and the
RecordAccumulatorTest ports."""

import numpy as np

from sim.clients.accumulator import INF


class HandArrivals:
    """A fixed, fully known list of records: [(t_us, size, partition)], -1 for keyless."""

    def __init__(self, records) -> None:
        self.times = np.array([r[0] for r in records], dtype=np.int64)
        self.sizes = np.array([r[1] for r in records], dtype=np.int64)
        self.parts = np.array([r[2] for r in records], dtype=np.int64)
        self.keys = np.full(len(records), -1, dtype=np.int64)
        self.drawn_until = INF
        self.rate = 1.0
        self.keyed = bool(records) and records[0][2] >= 0

    def ensure(self, horizon_us) -> None:
        pass

    def take(self, now):
        n = int(np.searchsorted(self.times, now, side="right"))
        out = self.times[:n], self.keys[:n], self.sizes[:n], self.parts[:n]
        self.times, self.keys = self.times[n:], self.keys[n:]
        self.sizes, self.parts = self.sizes[n:], self.parts[n:]
        return out
