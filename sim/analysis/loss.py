"""Why each lost record was lost: the cause of the event that removed its last copy.

- `power_loss`: the last copy was dropped by a power loss (unflushed data);
- `unclean_election`: a replica truncated to follow a leader elected from
  outside the ISR/ELR (or from the last known ELR) since the record's epoch;
- `last_replica_standing`: it truncated to follow a leader that had itself
  lost data in a power loss before its (clean) election;
- `not_replicated_before_failover`: it truncated to follow a cleanly elected
  leader that never had the record (acks=0/1, or an uncommitted suffix);
- `hw_truncation`: truncation to the replica's own high watermark (pre-KIP-101),
  or truncation to follow a leader that had truncated itself that way before
  its (clean) election;
- `not_committed_at_end`: never removed, still above the final high watermark;
- `never_appended`: acknowledged but never written to any log (acks=0).

Records removed by retention or compaction are expired, not lost.
"""

from collections import Counter, defaultdict

import numpy as np

from sim.core.records import CopiesRemoved, LeaderChanged, Truncated

UNCLEAN_KINDS = ("unclean", "last_known_elr")


def _removal_causes(trace) -> list[str]:
    elections = defaultdict(list)
    for row in trace.rows(LeaderChanged):
        elections[(row.topic, row.partition)].append(row)
    shortened = {"power_loss": defaultdict(list), "high_watermark": defaultdict(list)}
    for row in trace.rows(Truncated):
        if row.cause in shortened:
            shortened[row.cause][(row.broker, row.topic, row.partition)].append(row.t_us)
    causes = []
    for row in trace.rows(CopiesRemoved):
        causes.append(_classify(row, elections[(row.topic, row.partition)], shortened))
    return causes


def _classify(row, elections, shortened) -> str:
    if row.cause == "power_loss":
        return "power_loss"
    if row.cause == "high_watermark":
        return "hw_truncation"
    window = [e for e in elections if row.batch_epoch < e.leader_epoch <= row.leader_epoch]
    if any(e.election in UNCLEAN_KINDS for e in window):
        return "unclean_election"
    for e in window:
        key = (e.leader, e.topic, e.partition)
        if any(t <= e.t_us for t in shortened["power_loss"].get(key, ())):
            return "last_replica_standing"
        if any(t <= e.t_us for t in shortened["high_watermark"].get(key, ())):
            return "hw_truncation"
    return "not_replicated_before_failover"


def lost_by_cause(streams, trace, audits, names) -> Counter:
    """Count lost records (acked, absent, partition online) by cause."""
    causes = _removal_causes(trace)
    out: Counter = Counter()
    elsewhere = None
    for key, s in streams.items():
        lost = s.lost()
        if not lost.any():
            continue
        removed = s.removed_by[lost]
        found, counts = np.unique(removed[removed >= 0], return_counts=True)
        for idx, count in zip(found, counts, strict=True):
            out[causes[idx]] += int(count)
        unremoved = np.flatnonzero(lost)[removed < 0]
        if unremoved.size:
            if elsewhere is None:
                elsewhere = _held_anywhere(audits, names)
            held = elsewhere.get(key)
            n_held = int(held[unremoved[unremoved < len(held)]].sum()) if held is not None else 0
            out["not_committed_at_end"] += n_held
            out["never_appended"] += int(unremoved.size) - n_held
    return Counter({cause: n for cause, n in out.items() if n > 0})


def _held_anywhere(audits, names) -> dict:
    held: dict = {}
    for a in audits:
        for batches in list(a.replica_logs.values()) + [a.uncommitted]:
            for b in batches:
                if b.producer < 0:
                    continue
                key = (names[b.producer], a.topic, a.partition)
                arr = held.get(key)
                end = b.first_seq + b.count
                if arr is None or len(arr) < end:
                    grown = np.zeros(max(end, 2 * len(arr) if arr is not None else end), bool)
                    if arr is not None:
                        grown[:len(arr)] = arr
                    arr = held[key] = grown
                arr[b.first_seq:end] = True
    return held
