"""Kafka's byte rates over a SampledStat's windows, for client and replication quotas.

Both quota kinds measure bytes with a rate over `window.num` samples of `window.size`
(ClientQuotaManager: `quota.window.*`; ReplicationQuotaManager, KIP-73:
`replication.quota.window.*`). The samples are SampledStat's: a record goes into the
current sample until its window has passed, then into the next of `window.num` + 1
recycled samples (SampledStat.record, advance); a sample whose last record is
`window.num` windows old is reset to now when the rate is measured
(purgeObsoleteSamples). The rate is the samples' sum over the time since the oldest
sample started, stretched to a minimum that differs by kind: the client quotas' `Rate`
counts at least `window.num` - 1 whole windows (Rate.windowSize), the replication quotas'
`SimpleRate` at least one window (SimpleRate.windowSize).
Left out: Kafka's event-count windows (`MetricConfig.eventWindow`, never set for quotas).
"""

from sim.core.units import MS, S


class SampledRate:
    """A Rate (padded=True) or a SimpleRate over a SampledStat of `samples` windows."""

    __slots__ = ("window_us", "samples", "padded", "starts", "lasts", "values", "current")

    def __init__(self, window_us: int, samples: int, padded: bool = False) -> None:
        self.window_us, self.samples, self.padded = window_us, samples, padded
        self.starts: list[int] = []           # per sample: when it started
        self.lasts: list[int] = []            # per sample: its last record
        self.values: list[float] = []         # per sample: the bytes it holds
        self.current = 0

    def record(self, value: float, now: int) -> None:
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

    def measure(self, now: int) -> tuple[float, int]:
        """(bytes per second, the window it is measured over in microseconds) at now."""
        if not self.starts:
            self._add(now)
        expire = self.samples * self.window_us
        for i, last in enumerate(self.lasts):
            if now - last >= expire:
                self._reset(i, now)
        elapsed = now - min(self.starts)
        if self.padded:
            full = elapsed // self.window_us
            if full < self.samples - 1:
                elapsed += (self.samples - 1 - full) * self.window_us
            elapsed = max(elapsed, MS)
        else:
            elapsed = max(elapsed, self.window_us)
        return sum(self.values) / (elapsed / S), elapsed

    def _add(self, now: int) -> None:
        self.starts.append(now)
        self.lasts.append(now)
        self.values.append(0)

    def _reset(self, i: int, now: int) -> None:
        self.starts[i] = self.lasts[i] = now
        self.values[i] = 0
