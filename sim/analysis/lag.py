"""Consumer lag, measured as the run goes (docs/summary.md#consumer-groups: `max_lag`, `final_lag`).

A group's lag on a partition is the partition's high watermark (its
leader's, at that moment) minus the group's committed offset, or, before
the group's first commit there, minus the position it started from (0
until it has one). It is evaluated at every change of either side; the
largest value over groups, partitions and time is `max_lag`, and every
evaluation is kept as a row (time, group, partition index, lag) for
`Result.lag`.

`LagTracker` observes the trace (the runner registers it): HighWatermark
moves the high watermark, OffsetsCommitted the committed offset, and
PositionReset a member's starting position (auto.offset.reset).
"""

from sim.core.records import HighWatermark, OffsetsCommitted, PositionReset


class LagTracker:
    """High watermarks and committed offsets of the subscribed partitions."""

    def __init__(self, subscriptions: dict[str, list[int]], partitions: list[tuple]) -> None:
        """subscriptions: group -> partition indexes; partitions: index -> (topic, partition)."""
        self.pidx = {name: pidx for pidx, name in enumerate(partitions)}
        self.groups_of: dict[int, list[str]] = {}
        self.base: dict[tuple[str, int], int] = {}
        for group, pidxs in subscriptions.items():
            for pidx in pidxs:
                self.groups_of.setdefault(pidx, []).append(group)
                self.base[(group, pidx)] = 0
        self.hws: dict[int, int] = {}
        self.committed_once: set[tuple[str, int]] = set()
        self.max_lag = 0
        self.rows: list[tuple] = []

    def watch(self, trace) -> None:
        """Follow the high watermarks, commits and starting positions of this trace."""
        trace.subscribe(HighWatermark, self.hw)
        trace.subscribe(OffsetsCommitted, self.committed)
        trace.subscribe(PositionReset, self.started)

    def hw(self, r: HighWatermark) -> None:
        pidx = self.pidx[(r.topic, r.partition)]
        groups = self.groups_of.get(pidx)
        if not groups:
            return
        self.hws[pidx] = r.hw
        for group in groups:
            self._check(r.t_us, group, pidx)

    def committed(self, r: OffsetsCommitted) -> None:
        key = (r.group, self.pidx[(r.topic, r.partition)])
        if key in self.base:
            self.committed_once.add(key)
            self.base[key] = r.offset
            self._check(r.t_us, *key)

    def started(self, r: PositionReset) -> None:
        """A member of the group took a starting position by auto.offset.reset."""
        key = (r.group, self.pidx[(r.topic, r.partition)])
        if key in self.base and key not in self.committed_once:
            self.base[key] = r.offset
            self._check(r.t_us, *key)

    def _check(self, t_us: int, group: str, pidx: int) -> None:
        lag = self.hws.get(pidx, 0) - self.base[(group, pidx)]
        self.rows.append((t_us, group, pidx, lag))
        if lag > self.max_lag:
            self.max_lag = lag

    def final_lag(self) -> int:
        return sum(max(self.hws.get(pidx, 0) - base, 0) for (_, pidx), base in self.base.items())
