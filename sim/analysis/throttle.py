"""`throttle_s`: the time clients spent throttled by client quotas, summed over clients.

Each ClientThrottled record is one throttle: from its time for its throttle time, the
client sends nothing to that broker (KIP-219). A client's throttled time is the union of
its throttles over every broker (overlapping throttles count once), cut at the end of the
run; clients are summed.
"""

from sim.core.records import ClientThrottled
from sim.core.units import S


def throttle_s(trace, end_us: int) -> float:
    """Seconds of client time under a quota's throttle, up to end_us."""
    spans: dict[str, list] = {}
    for r in trace.rows(ClientThrottled):
        spans.setdefault(r.client, []).append((r.t_us, min(r.t_us + r.throttle_us, end_us)))
    return round(sum(_union(s) for s in spans.values()) / S, 3)


def _union(spans: list) -> int:
    """Total length of the union of [start, stop) spans."""
    total, reach = 0, None
    for start, stop in sorted(spans):
        if reach is None or start > reach:
            total += max(stop - start, 0)
            reach = stop
        elif stop > reach:
            total += stop - reach
            reach = stop
    return total
