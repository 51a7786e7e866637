"""A broker's disk: the page cache, fsync, OS write-back and power loss.

An append lands in the page cache after the write latency; the disk serves
one operation at a time, so a burst queues. Data becomes stable (survives a
power loss) when the broker fsyncs it (the flush policy, a clean shutdown) or
when the OS writes dirty pages back, every `os_flush_interval`. A process
crash keeps the page cache; a power loss drops every log's unstable suffix.
A slow disk multiplies the latencies by its factor. With a sequential write
throughput (`cluster.disk.throughput`, bytes per second), an append also costs
its bytes ÷ throughput (rounded up to a microsecond); an fsync's cost does not
grow with what it flushes.

Simplified: stability is tracked per log as one offset (the recovery point);
data is stable from the instant the fsync or write-back is issued; torn
batches are not modeled (recovery drops whole batches only).
"""

from sim.cluster.wire import transmission_us


class Disk:
    """One broker's disk."""

    def __init__(self, spec, throughput: int | None = None) -> None:
        """throughput: this broker's own (`cluster.hosts`), else the cluster's."""
        self.throughput = spec.throughput if throughput is None else throughput
        self.write_us = spec.write_us
        self.fsync_us = spec.fsync_us
        self.os_flush_interval_us = spec.os_flush_interval_us
        self.factors: list[tuple[int, float]] = []     # (fault index, factor)
        self.busy_until = 0

    @property
    def factor(self) -> float:
        factor = 1.0
        for _index, f in self.factors:
            factor *= f
        return factor

    def write(self, now: int, fsync: bool = False, size: int = 0) -> int:
        """Queue one append of size bytes (and an fsync if asked); return the delay until it
        completes."""
        cost = self.write_us + (self.fsync_us if fsync else 0)
        if self.throughput:
            cost += transmission_us(size, self.throughput)
        if self.factors:
            cost = int(cost * self.factor)
        start = self.busy_until if self.busy_until > now else now
        self.busy_until = start + cost
        return self.busy_until - now

    def fsync(self, now: int) -> int:
        """Queue one fsync; return the delay until it completes."""
        cost = int(self.fsync_us * self.factor) if self.factors else self.fsync_us
        start = self.busy_until if self.busy_until > now else now
        self.busy_until = start + cost
        return self.busy_until - now
