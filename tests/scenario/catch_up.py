"""A returning follower's catch-up time, read from a run's trace (shared by the catch-up
tests; independent of the summary's `max_catch_up_s`)."""

from sim.core.records import HostChanged, IsrChanged


def catch_up_s(trace, host: str = "broker-1", broker: int = 1, partitions: int = 4) -> float:
    """Seconds from the host's last return to the last ISR expansion taking it back."""
    back = max(h.t_us for h in trace.rows(HostChanged)
               if h.host == host and h.state == "running")
    rejoined = [i.t_us for i in trace.rows(IsrChanged)
                if i.reason == "expand" and broker in i.isr and i.t_us > back]
    assert len(rejoined) == partitions, f"every partition takes {host} back"
    return (max(rejoined) - back) / 1e6
