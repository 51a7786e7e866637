"""Partition availability: partition-seconds with no live broker leading.

A partition is available while the controller names a leader and that broker
is running (not crashed, stopped, powered off or paused), not fenced, and not
a restarted process that has yet to register again: a broker restarted
before its old session expired is still named leader, but it starts with no
metadata and answers NOT_LEADER_OR_FOLLOWER, and the controller refuses its
registration until the old session expires and fences it; it counts as down
until it is unfenced again.

`Availability` observes the trace (the runner registers it): HostChanged,
BrokerFenced and BrokerUnfenced say whether a broker is up, LeaderChanged
which broker leads a partition. It keeps each partition's unavailable
intervals as they open and close; a partition counts from its first
LeaderChanged (every partition has one at t = 0).
"""

from sim.core.records import (
    DOWN,
    RUNNING,
    BrokerFenced,
    BrokerUnfenced,
    HostChanged,
    LeaderChanged,
)
from sim.core.units import S

BROKER = "broker-"


class Availability:
    """Up brokers, partition leaders, and the intervals each partition had no live leader."""

    def __init__(self) -> None:
        self.process: dict[int, str] = {}          # broker -> its process state
        self.barred: dict[int, bool] = {}          # broker -> fenced, or not registered again
        self.leader: dict[tuple, int] = {}         # (topic, partition) -> leader (-1: none)
        self.led: dict[int, list] = {}             # broker -> the partitions it leads
        self.down_since: dict[tuple, int] = {}     # partitions without a live leader now
        self.intervals: dict[tuple, list] = {}     # (topic, partition) -> closed [start, stop)

    def watch(self, trace) -> None:
        """Follow the brokers' states and the partitions' leaders in this trace."""
        trace.subscribe(HostChanged, self.host_changed)
        trace.subscribe(BrokerFenced, self.fenced)
        trace.subscribe(BrokerUnfenced, self.unfenced)
        trace.subscribe(LeaderChanged, self.leader_changed)

    def up(self, broker: int) -> bool:
        return self.process.get(broker, RUNNING) == RUNNING and not self.barred.get(broker)

    def host_changed(self, r: HostChanged) -> None:
        if not r.host.startswith(BROKER):
            return
        broker = int(r.host[len(BROKER):])
        if r.state == RUNNING and self.process.get(broker, RUNNING) in DOWN:
            self.barred[broker] = True                 # a new process: unregistered
        self.process[broker] = r.state
        self._broker_changed(r.t_us, broker)

    def fenced(self, r: BrokerFenced) -> None:
        self.barred[r.broker] = True
        self._broker_changed(r.t_us, r.broker)

    def unfenced(self, r: BrokerUnfenced) -> None:
        self.barred[r.broker] = False
        self._broker_changed(r.t_us, r.broker)

    def leader_changed(self, r: LeaderChanged) -> None:
        tp = (r.topic, r.partition)
        old = self.leader.get(tp, -1)
        if old >= 0:
            self.led[old].remove(tp)
        self.leader[tp] = r.leader
        if r.leader >= 0:
            self.led.setdefault(r.leader, []).append(tp)
        self._set(r.t_us, tp, r.leader >= 0 and self.up(r.leader))

    def _broker_changed(self, t_us: int, broker: int) -> None:
        up = self.up(broker)
        for tp in self.led.get(broker, ()):
            self._set(t_us, tp, up)

    def _set(self, t_us: int, tp: tuple, available: bool) -> None:
        since = self.down_since.get(tp)
        if available and since is not None:
            del self.down_since[tp]
            self.intervals.setdefault(tp, []).append((since, t_us))
        elif not available and since is None:
            self.down_since[tp] = t_us

    def unavailable_s(self, end_us: int, internal) -> float:
        """Partition-seconds before end_us without a live leader, topics in `internal` aside."""
        total = 0
        for tp, intervals in self.intervals.items():
            if tp[0] not in internal:
                total += sum(max(min(stop, end_us) - start, 0) for start, stop in intervals)
        for tp, since in self.down_since.items():
            if tp[0] not in internal:
                total += max(end_us - since, 0)
        return round(total / S, 3)
