"""Time series of a run, as pandas DataFrames, for the report and notebooks.

Built at the end from the kept trace rows and the per-record fate table:

- `partition_timeline`: one row per change of a partition's leader, leader
  epoch, ISR (from the controller's LeaderChanged / IsrChanged) or of a
  leader's high watermark and log end offset (HighWatermark, BatchAppended:
  the broker that acted as leader, `broker`); the other columns carry forward.
- `produce_per_second`: records handed to producers, acknowledged and failed,
  and partition-batch produce attempts rejected, per second of simulated time.
- `produce_errors`: rejected produce attempts per second and error name.
- `rebalances`: each group's rebalances, from PreparingRebalance to Stable.
- `unseen`: acknowledged records not yet visible to consumers (Jepsen's
  unseen): acked, but their partition's high watermark has not passed the
  offset they hold in the final log. Records absent from the final log
  (lost, offline, or of a transaction committing at the end) stay unseen to
  the end.
- `fault_windows`: each timeline entry that fired, from when it fired to when
  it ended (`for:` expiry, a later restart/resume/heal of the same hosts, or
  the drain); instant actions have start == end.

Times are integer microseconds (`t_us`) except the per-second tables (`t_s`).
Internal topics (`__consumer_offsets`) are left out of the partition timeline.
"""

import numpy as np
import pandas as pd

from sim.analysis.stalls import timeline_windows
from sim.core.records import (
    BatchAppended,
    BatchFailed,
    FaultSides,
    GroupRebalancing,
    GroupStable,
    HighWatermark,
    IsrChanged,
    LeaderChanged,
    ProduceRejected,
    SendFailed,
)

US_PER_S = 1_000_000
TIMELINE_COLUMNS = ["t_us", "topic", "partition", "leader", "leader_epoch", "isr_size",
                    "broker", "hw", "leo"]


def partition_timeline(trace) -> pd.DataFrame:
    """Leader, epoch, ISR size, high watermark and log end offset of each partition."""
    rows = [(r.t_us, r.topic, r.partition, r.leader, r.leader_epoch, len(r.isr), -1, -1, -1)
            for r in trace.rows(LeaderChanged)]
    rows += [(r.t_us, r.topic, r.partition, -2, -1, len(r.isr), -1, -1, -1)
             for r in trace.rows(IsrChanged)]
    rows += [(r.t_us, r.topic, r.partition, -2, -1, -1, r.broker, r.hw, r.leo)
             for r in trace.rows(HighWatermark)]
    rows += [(r.t_us, r.topic, r.partition, -2, -1, -1, r.broker, -1, r.base_offset + r.count)
             for r in trace.rows(BatchAppended)]
    df = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    df = df[~df.topic.str.startswith("__")].sort_values(["topic", "partition", "t_us"],
                                                        kind="stable")
    unknown = {"leader": -2, "leader_epoch": -1, "isr_size": -1}
    for column, missing in unknown.items():
        df[column] = df[column].where(df[column] != missing)
    df["hw"] = df.hw.where(df.hw >= 0)
    df["leo"] = df.leo.where(df.leo >= 0)
    df["hw"] = df.hw.where(df.broker < 0, df.groupby(["topic", "partition", "broker"]).hw.ffill())
    keys = ["topic", "partition"]
    filled = df.groupby(keys)[["leader", "leader_epoch", "isr_size"]].ffill()
    df[["leader", "leader_epoch", "isr_size"]] = filled
    return df.astype({"leader": "Int64", "leader_epoch": "Int64", "isr_size": "Int64",
                      "hw": "Int64", "leo": "Int64"}).reset_index(drop=True)


def produce_per_second(records: pd.DataFrame, trace, end_us: int) -> pd.DataFrame:
    """Records produced, acked and failed, and produce attempts rejected, per second.

    A record whose send failed before it joined a batch (SendFailed) counts as failed and
    as one rejected attempt, as in the summary's `failed` and `rejected`."""
    seconds = int(np.ceil(end_us / US_PER_S)) or 1

    def per_second(t_us, weights=None):
        idx = np.minimum(np.asarray(t_us, np.int64) // US_PER_S, seconds - 1)
        return np.bincount(idx, weights=weights, minlength=seconds).astype(np.int64)

    acked = records.ack_us[records.fate == "acked"] if len(records) else []
    at_send = trace.rows(SendFailed)
    failed = [*trace.rows(BatchFailed), *at_send]
    rejected = [(r.t_us, 1) for r in trace.rows(ProduceRejected)] + \
        [(r.t_us, r.count) for r in at_send]
    return pd.DataFrame({
        "t_s": np.arange(seconds),
        "produced": per_second(records.send_us if len(records) else []),
        "acked": per_second(acked),
        "failed": per_second([r.t_us for r in failed], [r.count for r in failed] or None),
        "rejected": per_second([t for t, _n in rejected], [n for _t, n in rejected] or None)})


def produce_errors(trace) -> pd.DataFrame:
    """Rejected partition-batch produce attempts per second and error name, and the records
    whose send failed before they joined a batch (one attempt each)."""
    rows = [(r.t_us // US_PER_S, r.error, 1, r.count) for r in trace.rows(ProduceRejected)]
    rows += [(r.t_us // US_PER_S, r.error, r.count, r.count) for r in trace.rows(SendFailed)]
    df = pd.DataFrame(rows, columns=["t_s", "error", "attempts", "records"])
    out = df.groupby(["t_s", "error"], as_index=False).agg(
        attempts=("attempts", "sum"), records=("records", "sum"))
    return out.astype({"t_s": "int64", "attempts": "int64", "records": "int64"})


def rebalances(trace) -> pd.DataFrame:
    """One row per rebalance: group, generation it led to, reason, start and end (-1: never)."""
    stable = {}
    for r in trace.rows(GroupStable):
        stable.setdefault((r.group, r.generation), r.t_us)
    rows = [(r.group, r.generation, r.reason, r.t_us, _stable_after(stable, r))
            for r in trace.rows(GroupRebalancing)]
    return pd.DataFrame(rows, columns=["group", "generation", "reason", "start_us", "end_us"])


def _stable_after(stable: dict, row) -> int:
    later = [t for (g, gen), t in stable.items()
             if g == row.group and gen >= row.generation and t >= row.t_us]
    return min(later, default=-1)


def unseen(records: pd.DataFrame, timeline: pd.DataFrame, end_us: int,
           step_us: int = 100_000) -> pd.DataFrame:
    """Acked records not yet below their partition's high watermark, sampled every step_us."""
    grid = np.arange(0, end_us + step_us, step_us)
    acked = records[records.fate == "acked"] if len(records) else records
    seen_at = np.full(len(acked), np.iinfo(np.int64).max, np.int64)
    hws = timeline.dropna(subset=["hw"])
    for (topic, partition), idx in acked.groupby(["topic", "partition"]).indices.items():
        part = acked.iloc[idx]
        hw = hws[(hws.topic == topic) & (hws.partition == partition)]
        if hw.empty:
            continue
        reach = np.maximum.accumulate(hw.hw.to_numpy(np.int64))
        offsets = part.offset.to_numpy(np.int64)
        at = np.searchsorted(reach, offsets, side="right")
        present = (offsets >= 0) & (at < len(reach))
        when = hw.t_us.to_numpy(np.int64)[np.minimum(at, len(reach) - 1)]
        seen = np.maximum(when, part.ack_us.to_numpy(np.int64))
        seen_at[idx[present]] = seen[present]
    acked_by = np.searchsorted(np.sort(acked.ack_us.to_numpy(np.int64)), grid, side="right")
    seen_by = np.searchsorted(np.sort(seen_at), grid, side="right")
    return pd.DataFrame({"t_us": grid, "acked": acked_by, "unseen": acked_by - seen_by})


def fault_windows(trace, end_us: int, duration_us: int | None = None) -> pd.DataFrame:
    """Each fired timeline entry with its start and end (start == end for instant actions);
    `hosts` names what it took, a partition's sides separated by ` | `."""
    drain = end_us if duration_us is None else duration_us
    sides = {r.index: r.sides for r in trace.rows(FaultSides)}
    rows = [(index, kind, " | ".join(", ".join(side) for side in sides[index])
             if index in sides else ", ".join(hosts), start, end)
            for index, kind, hosts, start, end in timeline_windows(trace, drain)]
    return pd.DataFrame(rows, columns=["index", "kind", "hosts", "start_us", "end_us"])
