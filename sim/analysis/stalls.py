"""What faults cost the clients: produce stalls, and latency inside fault windows.

`produce_stalled_s` counts partition-seconds during which some record sent to the
partition had waited longer than `analysis.stall_threshold` (default 1 s) for its
outcome: the producer's oldest unacknowledged record is past the threshold, whatever
the controller thought of the partition's leader. A record waits from the
application's send until its acknowledgement or its error callback (a transactional
record: until its transaction's commit or abort returned); a record with
neither waits until its producer crashed or stopped after sending it, or else until
the run ended. So the stalled time of one partition is the union, over its
records, of [send + threshold, end of wait), taken over all producers writing to it.

The latency keys split `ack_p99_ms` and `e2e_p99_ms` by when the record was sent:
inside a fault's window, or in steady state (outside every window and after
`analysis.warmup`, default 5 s, which keeps the consumer group's start-up,
`group.initial.rebalance.delay.ms` and the first joins, out of the figure). A fault's
window opens when it fired and lasts until it ended (or another entry such as
`restart` or `heal` ended it, or the drain began) and every record sent during it
was acknowledged (for `ack_*`) or processed (for `e2e_*`): the backlog a fault leaves
behind is its cost, not steady state. Workload actions (`set_rate`, `slow`, ...)
open no window.
"""

import numpy as np

from sim.analysis.fates import ABORTED, ACKED, FAILED, FAILED_AT_SEND
from sim.core.records import FaultEnded, FaultFired, HostChanged
from sim.scenario.fault_kinds import KINDS

ENDED_BY = {name: kind.ended_by for name, kind in KINDS.items() if kind.ended_by}
DEAD = ("crashed", "stopped", "powered_off")


def timeline_windows(trace, drain_us: int) -> list[tuple]:
    """(index, kind, hosts, start, end) of each fired timeline entry (start == end for an
    instant one); an entry that another ends (`restart`, `heal`) ends there, else at the
    drain."""
    fired = trace.rows(FaultFired)
    ended = {r.index: r.t_us for r in trace.rows(FaultEnded)}
    out = []
    for r in fired:
        end = ended.get(r.index)
        if end is None and r.kind in ENDED_BY:
            end = next((o.t_us for o in fired if o.t_us >= r.t_us and o.kind in ENDED_BY[r.kind]
                        and (o.kind == "heal" or set(o.hosts) & set(r.hosts))), drain_us)
        out.append((r.index, r.kind, r.hosts, r.t_us, r.t_us if end is None else end))
    return out


def produce_stalled_s(streams, trace, threshold_us: int, end_us: int) -> float:
    """Partition-seconds with a record waiting longer than threshold_us (see above)."""
    deaths = _deaths(trace)
    by_partition: dict = {}
    for s in streams.values():
        failed = (s.fate == FAILED) | (s.fate == FAILED_AT_SEND) | (s.fate == ABORTED)
        done = np.where(s.fate == ACKED, s.ack_us, np.where(failed, s.failed_us, -1))
        pending = done < 0
        done[pending] = _death_after(deaths.get(s.producer), s.send_us[pending], end_us)
        start = s.send_us + threshold_us
        late = done > start
        by_partition.setdefault((s.topic, s.partition), []).append((start[late], done[late]))
    total = sum(_union_length(parts) for parts in by_partition.values())
    return round(total / 1_000_000, 3)


def _deaths(trace) -> dict[str, np.ndarray]:
    """Each host's crash and stop times, sorted."""
    deaths: dict = {}
    for r in trace.rows(HostChanged):
        if r.state in DEAD:
            deaths.setdefault(r.host, []).append(r.t_us)
    return {host: np.array(times, np.int64) for host, times in deaths.items()}


def _death_after(deaths, send_us: np.ndarray, end_us: int) -> np.ndarray:
    """For each send time, the producer's first death at or after it, else end_us."""
    if deaths is None:
        return np.full(send_us.shape, end_us, np.int64)
    i = np.searchsorted(deaths, send_us, side="left")
    return np.where(i < len(deaths), deaths[np.minimum(i, len(deaths) - 1)], end_us)


def _union_length(parts: list[tuple[np.ndarray, np.ndarray]]) -> int:
    """The length of the union of the intervals [start, end)."""
    starts = np.concatenate([p[0] for p in parts])
    if starts.size == 0:
        return 0
    ends = np.concatenate([p[1] for p in parts])
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    covered = np.concatenate(([starts[0]], np.maximum.accumulate(ends)[:-1]))
    return int(np.maximum(ends - np.maximum(starts, covered), 0).sum())


def split_by_faults(latency_us: np.ndarray, send_us: np.ndarray, windows: list[tuple],
                    warmup_us: int) -> tuple[np.ndarray, np.ndarray]:
    """(steady, in faults): the latencies of records sent in steady state and in a fault's
    window, which lasts until the fault ended and every record sent during it completed."""
    inside = np.zeros(send_us.shape, bool)
    done = send_us + latency_us
    for _index, kind, _hosts, start, end in windows:
        if KINDS[kind].workload or end <= start:
            continue
        during = (send_us >= start) & (send_us < end)
        if during.any():
            end = max(end, int(done[during].max()))
        inside |= (send_us >= start) & (send_us < end)
    steady = ~inside & (send_us >= warmup_us)
    return latency_us[steady], latency_us[inside]
