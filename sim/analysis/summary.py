"""The summary of docs/summary.md, computed from the per-record streams, the trace and the audit.

Totals cover the scenario's own topics (internal topics start with `__`).
Percentiles are nearest-rank; with no samples they are None. Consumer keys
come from consumption.py, with the lag and processing the run's observers
recorded; `unavailable_s` from the availability observer.
"""

from collections import Counter

import numpy as np

from sim.analysis.consumption import consumer_summary
from sim.analysis.fates import ACKED, FAILED, INDETERMINATE
from sim.analysis.loss import lost_by_cause
from sim.analysis.replicas import inconsistent_offsets, replica_divergence
from sim.core.records import IsrChanged, LeaderChanged, ProduceRejected
from sim.core.units import MS


def nearest_rank(values: np.ndarray, q: float):
    """The q-th percentile by nearest rank, or None without samples."""
    if values.size == 0:
        return None
    k = max(int(np.ceil(q / 100.0 * values.size)) - 1, 0)
    return float(np.partition(values, k)[k])


def record_counts(streams) -> dict:
    """Fates, presence, loss, duplicates and order over every (producer, partition)."""
    c = Counter()
    for s in streams.values():
        acked = s.fate == ACKED
        present = s.copies > 0
        expired = (s.expired > 0) & ~present
        c["expired"] += int(expired.sum())
        c["produced"] += s.n
        c["acked"] += int(acked.sum())
        c["failed"] += int((s.fate == FAILED).sum())
        c["indeterminate"] += int((s.fate == INDETERMINATE).sum())
        c["failed_but_present"] += int(((s.fate == FAILED) & present).sum())
        if s.offline:
            c["offline_at_end"] += int(acked.sum())
        else:
            c["lost"] += int((acked & ~present & ~expired).sum())
        c["log_duplicates"] += int(np.maximum(s.copies - 1, 0).sum())
        offsets = s.first_offset[present]
        c["reordered"] += int((np.diff(offsets) < 0).sum()) if offsets.size > 1 else 0
    return dict(c)


def ack_p99_ms(streams):
    lat = [s.ack_us[s.fate == ACKED] - s.send_us[s.fate == ACKED] for s in streams.values()]
    values = np.concatenate(lat) if lat else np.empty(0, np.int64)
    p99 = nearest_rank(values, 99)
    return None if p99 is None else round(p99 / MS, 3)


def cluster_counts(trace, internal) -> dict:
    """Elections, ISR changes and produce errors, for the scenario's topics."""
    leaders = [r for r in trace.rows(LeaderChanged) if r.topic not in internal]
    changes = [r for r in leaders if r.election != "initial"]
    shrinks = expands = 0
    isr_min = None
    last: dict = {}
    for r in trace.rows(IsrChanged):
        if r.topic in internal:
            continue
        key = (r.topic, r.partition)
        if key in last:
            shrinks += len(r.isr) < len(last[key])
            expands += len(r.isr) > len(last[key])
        last[key] = r.isr
        isr_min = len(r.isr) if isr_min is None else min(isr_min, len(r.isr))
    rejected = [r for r in trace.rows(ProduceRejected) if r.topic not in internal]
    return {
        "leader_elections": len(changes),
        "unclean_elections": sum(r.election in ("unclean", "last_known_elr") for r in changes),
        "isr_shrinks": shrinks, "isr_expands": expands, "isr_min": isr_min or 0,
        "rejected": len(rejected),
        "errors": dict(sorted(Counter(r.error for r in rejected).items())),
    }


def summarize(world, streams, audits, end_us: int, observers) -> dict:
    """Every summary key but `expect`, `digest` and `partial`."""
    spec = world.spec
    internal = {t for t in world.topology.by_topic if t.startswith("__")}
    mine = {k: s for k, s in streams.items() if s.topic not in internal}
    audits_mine = [a for a in audits if a.topic not in internal]
    summary = {"scenario": spec.name, "seed": world.seed}
    counts = record_counts(mine)
    for key in ("produced", "acked", "failed", "indeterminate", "failed_but_present", "lost"):
        summary[key] = counts.get(key, 0)
    summary["lost_by_cause"] = dict(sorted(
        lost_by_cause(mine, world.trace, audits_mine, world.producer_names).items()))
    summary["offline_at_end"] = counts.get("offline_at_end", 0)
    summary["expired"] = counts.get("expired", 0)
    summary["log_duplicates"] = counts.get("log_duplicates", 0)
    summary["reordered"] = counts.get("reordered", 0)
    summary["replica_divergence"] = replica_divergence(audits_mine)
    summary["inconsistent_offsets"] = inconsistent_offsets(mine, audits_mine,
                                                           world.producer_names)
    consumed = consumer_summary(world, mine, audits, observers.processing, observers.lag)
    e2e = nearest_rank(consumed.pop("e2e_us"), 99)
    summary.update(consumed)
    summary["ack_p99_ms"] = ack_p99_ms(mine)
    summary["e2e_p99_ms"] = None if e2e is None else round(e2e / MS, 3)
    summary["unavailable_s"] = observers.availability.unavailable_s(end_us, internal)
    summary.update(cluster_counts(world.trace, internal))
    return summary
