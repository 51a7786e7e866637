"""Partition availability: partition-seconds with no live broker leading.

A partition is available while the controller names a leader and that broker
is running (not crashed, stopped, powered off or paused), not fenced, and not
a restarted process that has yet to register again: a broker restarted
before its old session expired is still named leader, but it starts with no
metadata and answers NOT_LEADER_OR_FOLLOWER, and the controller refuses its
registration until the old session expires and fences it; it counts as down
until it is unfenced again. Computed from the trace by sweeping each
partition's change points.
"""

from collections import defaultdict

from sim.cluster.host import DOWN, RUNNING
from sim.core.records import BrokerFenced, BrokerUnfenced, HostChanged, LeaderChanged
from sim.core.units import S


def _broker_timelines(trace):
    """Per broker id: [(t, running, unfenced and registered)] change points."""
    events = defaultdict(list)
    state = defaultdict(lambda: [RUNNING, False])     # process state, fenced or unregistered
    for row in sorted(trace.rows(HostChanged) + trace.rows(BrokerFenced)
                      + trace.rows(BrokerUnfenced), key=lambda r: r.t_us):
        if isinstance(row, HostChanged):
            if not row.host.startswith("broker-"):
                continue
            b = int(row.host.split("-")[1])
            if row.state == RUNNING and state[b][0] in DOWN:
                state[b][1] = True                      # a new process: unregistered
            state[b][0] = row.state
        else:
            b = row.broker
            state[b][1] = isinstance(row, BrokerFenced)
        events[b].append((row.t_us, state[b][0] == RUNNING and not state[b][1]))
    return events


def _up_at(points, t: int) -> bool:
    up = True
    for when, value in points:
        if when > t:
            break
        up = value
    return up


def unavailable_s(world, end_us: int, internal) -> float:
    brokers = _broker_timelines(world.trace)
    leaders = defaultdict(list)
    for row in world.trace.rows(LeaderChanged):
        leaders[(row.topic, row.partition)].append((row.t_us, row.leader))
    total = 0
    for (topic, _partition), changes in leaders.items():
        if topic in internal:
            continue
        points = sorted({t for t, _ in changes} | {
            t for _, leader in changes if leader >= 0 for t, _ in brokers.get(leader, ())})
        points = [t for t in points if t < end_us] + [end_us]
        for start, stop in zip(points, points[1:], strict=False):
            leader = -1
            for t, who in changes:
                if t > start:
                    break
                leader = who
            if leader < 0 or not _up_at(brokers.get(leader, ()), start):
                total += stop - start
    return round(total / S, 3)
