"""Kafka's SimpleRate: bytes per second over a SampledStat's windows (replication quotas).

The replication quota managers (ReplicationQuotaManager, KIP-73) measure bytes with a
`SimpleRate` over `replication.quota.window.num` samples of
`replication.quota.window.size.seconds`. The samples are SampledStat's: a record goes into
the current sample until its window has passed, then into the next of `window.num` + 1
recycled samples (SampledStat.record, advance); a sample whose last record is `window.num`
windows old is reset to now when the rate is measured (purgeObsoleteSamples). The rate is
the samples' sum over the time since the oldest sample started, and at least one window
(SimpleRate.windowSize; the client quotas' Rate pads to `window.num` - 1 windows instead).
Left out: Kafka's event-count windows (`MetricConfig.eventWindow`, never set for quotas).
"""

from sim.core.units import S


class SimpleRate:
    """Kafka's SimpleRate over a SampledStat of `samples` windows of `window_us`."""

    __slots__ = ("window_us", "samples", "starts", "lasts", "values", "current")

    def __init__(self, window_us: int, samples: int) -> None:
        self.window_us, self.samples = window_us, samples
        self.starts: list[int] = []           # per sample: when it started
        self.lasts: list[int] = []            # per sample: its last record
        self.values: list[int] = []           # per sample: the bytes it holds
        self.current = 0

    def record(self, value: int, now: int) -> None:
        """SampledStat.record: add to the current sample, or to the next once its window
        has passed (a new sample while fewer than samples + 1 exist, else the oldest reset)."""
        if not self.starts:
            self._add(now)
        elif now - self.starts[self.current] >= self.window_us:
            self.current = (self.current + 1) % (self.samples + 1)
            if self.current == len(self.starts):
                self._add(now)
            else:
                self._reset(self.current, now)
        self.values[self.current] += value
        self.lasts[self.current] = now

    def measure(self, now: int) -> float:
        """Bytes per second at now: the samples' sum over max(now - oldest start, a window)."""
        if not self.starts:
            self._add(now)
        expire = self.samples * self.window_us
        for i, last in enumerate(self.lasts):
            if now - last >= expire:
                self._reset(i, now)
        elapsed = max(now - min(self.starts), self.window_us)
        return sum(self.values) * S / elapsed

    def _add(self, now: int) -> None:
        self.starts.append(now)
        self.lasts.append(now)
        self.values.append(0)

    def _reset(self, i: int, now: int) -> None:
        self.starts[i] = self.lasts[i] = now
        self.values[i] = 0
