"""Consumer lag, measured as the run goes (docs/summary.md#consumer-groups: `max_lag`, `final_lag`).

A group's lag on a partition is the partition's high watermark (its
leader's, at that moment) minus the group's committed offset, or, before
the group's first commit there, minus the position it started from (0
until it has one). A read_committed group reads only up to the last stable
offset (KIP-98), so its lag is measured from the LSO where the partition has
seen transactions (StableOffset), from the high watermark elsewhere (the two
are equal there). It is evaluated at every change of either side; the
largest value over groups, partitions and time is `max_lag`, and every
evaluation is kept as a row (time, group, partition index, lag) for
`Result.lag`.

`LagTracker` observes the trace (the runner registers it): HighWatermark
moves the high watermark, StableOffset the LSO, OffsetsCommitted the committed
offset, and PositionReset a member's starting position (auto.offset.reset).
"""

from sim.core.records import HighWatermark, OffsetsCommitted, PositionReset, StableOffset


class LagTracker:
    """High watermarks and committed offsets of the subscribed partitions."""

    def __init__(self, subscriptions: dict[str, list[int]], partitions: list[tuple],
                 read_committed: frozenset = frozenset()) -> None:
        """subscriptions: group -> partition indexes; partitions: index -> (topic, partition);
        read_committed: the groups whose consumers read with isolation.level read_committed."""
        self.pidx = {name: pidx for pidx, name in enumerate(partitions)}
        self.read_committed = read_committed
        self.lsos: dict[int, int] = {}
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
        if self.read_committed:
            trace.subscribe(StableOffset, self.lso)
        trace.subscribe(OffsetsCommitted, self.committed)
        trace.subscribe(PositionReset, self.started)

    def hw(self, r: HighWatermark) -> None:
        pidx = self.pidx[(r.topic, r.partition)]
        groups = self.groups_of.get(pidx)
        if not groups:
            return
        self.hws[pidx] = r.hw
        for group in groups:
            if pidx not in self.lsos or group not in self.read_committed:
                self._check(r.t_us, group, pidx)

    def lso(self, r: StableOffset) -> None:
        pidx = self.pidx[(r.topic, r.partition)]
        groups = self.groups_of.get(pidx)
        if not groups:
            return
        self.lsos[pidx] = r.lso
        for group in groups:
            if group in self.read_committed:
                self._check(r.t_us, group, pidx)

    def _end(self, group: str, pidx: int) -> int:
        """Where the group's reading ends on pidx: the LSO for read_committed, else the HW."""
        if self.lsos and group in self.read_committed and pidx in self.lsos:
            return self.lsos[pidx]
        return self.hws.get(pidx, 0)

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
        lag = self._end(group, pidx) - self.base[(group, pidx)]
        self.rows.append((t_us, group, pidx, lag))
        if lag > self.max_lag:
            self.max_lag = lag

    def final_lag(self) -> int:
        return sum(max(self._end(group, pidx) - base, 0)
                   for (group, pidx), base in self.base.items())
