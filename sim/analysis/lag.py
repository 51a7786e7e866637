"""Consumer lag, measured as the run goes (CONTRACT §4 `max_lag`, `final_lag`).

A group's lag on a partition is the partition's high watermark (its
leader's, at that moment) minus the group's committed offset, or, before
the group's first commit there, minus the position it started from (0
until it has one). It is evaluated at every change of either side; the
largest value over groups, partitions and time is `max_lag`, and every
evaluation is kept as a row (time, group, partition index, lag) for
`Result.lag`.
"""


class LagTracker:
    """High watermarks and committed offsets of the subscribed partitions."""

    def __init__(self, subscriptions: dict[str, list[int]]) -> None:
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
        self.clock = None

    def hw(self, pidx: int, hw: int) -> None:
        groups = self.groups_of.get(pidx)
        if not groups:
            return
        self.hws[pidx] = hw
        for group in groups:
            self._check(group, pidx)

    def committed(self, group: str, pidx: int, offset: int) -> None:
        if (group, pidx) in self.base:
            self.committed_once.add((group, pidx))
            self.base[(group, pidx)] = offset
            self._check(group, pidx)

    def started(self, group: str, pidx: int, offset: int) -> None:
        """A member of the group took a starting position by auto.offset.reset."""
        key = (group, pidx)
        if key in self.base and key not in self.committed_once:
            self.base[key] = offset
            self._check(group, pidx)

    def _check(self, group: str, pidx: int) -> None:
        lag = self.hws.get(pidx, 0) - self.base[(group, pidx)]
        self.rows.append((self.clock.now, group, pidx, lag))
        if lag > self.max_lag:
            self.max_lag = lag

    def final_lag(self) -> int:
        return sum(max(self.hws.get(pidx, 0) - base, 0) for (_, pidx), base in self.base.items())
