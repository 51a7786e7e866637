"""`metadata_unavailable_s`: time with no active controller (docs/summary.md).

A quorum (`cluster.controllers`) has an active controller from the moment its Raft leader's
epoch is committed until it loses the leadership or its process (ControllerActive in the
trace). The one logical `controller` host never fails over (host faults are refused on it and
a network cut leaves it active), so a run without `cluster.controllers` reports 0.0.
"""

from sim.core.records import ControllerActive
from sim.core.units import S


def metadata_unavailable_s(trace, end_us: int) -> float:
    """Seconds up to end_us during which no controller was active."""
    total, since = 0, None
    for r in trace.rows(ControllerActive):
        if r.t_us > end_us:
            break
        if not r.controller and since is None:
            since = r.t_us
        elif r.controller and since is not None:
            total += r.t_us - since
            since = None
    if since is not None:
        total += end_us - since
    return round(total / S, 3)
