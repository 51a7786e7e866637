"""The summary of docs/summary.md, computed from the per-record streams, the trace and the audit.

Totals cover the scenario's own topics (internal topics start with `__`).
Percentiles are nearest-rank; with no samples they are None. Consumer keys
come from consumption.py, with the lag and processing the run's observers
recorded; `unavailable_s` from the availability observer, `max_catch_up_s` from the
catch-up observer (isr_time.py).
"""

from collections import Counter

import numpy as np

from sim.analysis.consumption import consumer_summary
from sim.analysis.eos import eos_duplicates
from sim.analysis.fates import ABORTED, ACKED, FAILED, FAILED_AT_SEND, INDETERMINATE
from sim.analysis.isr_time import isr_seconds
from sim.analysis.loss import lost_by_cause
from sim.analysis.metadata_gap import metadata_unavailable_s
from sim.analysis.replicas import inconsistent_offsets, replica_divergence
from sim.analysis.stalls import produce_stalled_s, split_by_faults, timeline_windows
from sim.analysis.throttle import throttle_s
from sim.analysis.transactions import txn_summary
from sim.core.records import (
    ABORT,
    COMMIT,
    IsrChanged,
    LeaderChanged,
    ProduceRejected,
    ProducerFatal,
    SendFailed,
    TxnDecided,
)
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
        expired = (s.expired > 0) & ~present & ~s.committing
        c["expired"] += int(expired.sum())
        c["produced"] += s.n
        c["acked"] += int(acked.sum())
        c["failed"] += int(((s.fate == FAILED) | (s.fate == FAILED_AT_SEND)).sum())
        c["indeterminate"] += int((s.fate == INDETERMINATE).sum())
        c["aborted"] += int((s.fate == ABORTED).sum())
        c["failed_but_present"] += int(((s.fate == FAILED) & present).sum())
        if s.offline:
            c["offline_at_end"] += int(acked.sum())
        else:
            c["lost"] += int(s.lost().sum())
            c["committing_at_end"] += int(s.committing_at_end().sum())
        c["log_duplicates"] += int(np.maximum(s.copies - 1, 0).sum())
        offsets = s.first_offset[present]
        c["reordered"] += int((np.diff(offsets) < 0).sum()) if offsets.size > 1 else 0
    return dict(c)


def transaction_counts(trace) -> dict:
    """Transactions the coordinators decided, by result (TxnDecided; a decision a new
    coordinator loaded was counted when it was made), and the transactional producers closed
    by a fatal error (ProducerFatal)."""
    results = Counter(r.result for r in trace.rows(TxnDecided) if r.reason != "loaded")
    return {"txn_committed": results[COMMIT], "txn_aborted": results[ABORT],
            "txn_fatal": len(trace.rows(ProducerFatal))}


def p99_ms(values: np.ndarray):
    """The nearest-rank p99 of microsecond latencies, in ms (None without samples)."""
    p99 = nearest_rank(values, 99)
    return None if p99 is None else round(p99 / MS, 3)


def ack_latencies(streams) -> tuple[np.ndarray, np.ndarray]:
    """(latency, send time) of every acknowledged record, in microseconds."""
    acked = [s.fate == ACKED for s in streams.values()]
    lat = [s.ack_us[a] - s.send_us[a] for s, a in zip(streams.values(), acked, strict=True)]
    sent = [s.send_us[a] for s, a in zip(streams.values(), acked, strict=True)]
    empty = np.empty(0, np.int64)
    return (np.concatenate(lat) if lat else empty), (np.concatenate(sent) if sent else empty)


def fault_latencies(summary: dict, ack, e2e, windows, warmup_us: int) -> None:
    """The *_steady and *_in_faults p99s of acknowledgement and end-to-end latency."""
    for name, (latency, sent) in (("ack", ack), ("e2e", e2e)):
        steady, faulty = split_by_faults(latency, sent, windows, warmup_us)
        summary[f"{name}_p99_ms_steady"] = p99_ms(steady)
        summary[f"{name}_p99_ms_in_faults"] = p99_ms(faulty)


def cluster_counts(trace, internal) -> dict:
    """Elections, ISR changes and produce errors, for the scenario's topics."""
    leaders = [r for r in trace.rows(LeaderChanged) if r.topic not in internal]
    changes = [r for r in leaders if r.election not in ("initial", "created")]
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
    errors = Counter(r.error for r in rejected)
    failed_sends = 0
    for r in trace.rows(SendFailed):
        if r.topic not in internal:
            errors[r.error] += r.count
            failed_sends += r.count
    return {
        "leader_elections": len(changes),
        "unclean_elections": sum(r.election in ("unclean", "last_known_elr") for r in changes),
        "isr_shrinks": shrinks, "isr_expands": expands, "isr_min": isr_min or 0,
        "rejected": len(rejected) + failed_sends,
        "errors": dict(sorted(errors.items())),
    }


def preferred_leaders(world, internal) -> float | None:
    """The fraction of the scenario's partitions led by their preferred (first) replica in the
    controller's metadata when the run ends."""
    states = world.controller.image.partitions
    parts = [info for info in world.topology.partitions
             if info.topic not in internal and info.pidx in states]   # created ones only
    if not parts:
        return None
    preferred = sum(states[i.pidx].leader == (states[i.pidx].replicas or i.replicas)[0]
                    for i in parts)     # the first of the current replicas (reassign moves them)
    return round(preferred / len(parts), 3)


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
    summary["aborted"] = counts.get("aborted", 0)
    summary.update(transaction_counts(world.trace))
    summary["offline_at_end"] = counts.get("offline_at_end", 0)
    summary["committing_at_end"] = counts.get("committing_at_end", 0)
    summary["expired"] = counts.get("expired", 0)
    summary["log_duplicates"] = counts.get("log_duplicates", 0)
    summary["reordered"] = counts.get("reordered", 0)
    summary["replica_divergence"] = replica_divergence(audits_mine)
    summary["inconsistent_offsets"] = inconsistent_offsets(
        mine, audits_mine, world.producer_names, observers.fetches.observations())
    consumed = consumer_summary(world, mine, audits, observers.processing, observers.lag,
                                observers.commits)
    e2e = consumed.pop("e2e_us"), consumed.pop("e2e_sent_us")
    summary.update(consumed)
    transactional = {p.name for p in world.producers if p.txn is not None}
    abandoned = {key: s.fate == ABORTED for key, s in mine.items() if key[0] in transactional}
    summary.update(txn_summary(world, observers.processing, end_us, abandoned))
    summary["eos_duplicates"] = eos_duplicates(world, mine)
    ack = ack_latencies(mine)
    summary["ack_p99_ms"] = p99_ms(ack[0])
    summary["e2e_p99_ms"] = p99_ms(e2e[0])
    fault_latencies(summary, ack, e2e, timeline_windows(world.trace, spec.duration_us),
                    spec.analysis.warmup_us)
    summary["unavailable_s"] = observers.availability.unavailable_s(end_us, internal)
    summary["produce_stalled_s"] = produce_stalled_s(mine, world.trace,
                                                     spec.analysis.stall_threshold_us, end_us)
    summary["under_replicated_s"], summary["under_min_isr_s"] = isr_seconds(
        world.trace, world.topology.partitions, end_us, internal)
    summary["max_catch_up_s"] = observers.catch_up.max_catch_up_s(internal)
    summary["throttle_s"] = throttle_s(world.trace, end_us)
    summary["metadata_unavailable_s"] = metadata_unavailable_s(world.trace, end_us)
    summary.update(cluster_counts(world.trace, internal))
    summary["preferred_leaders_at_end"] = preferred_leaders(world, internal)
    return summary
