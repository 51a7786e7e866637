"""The result of one run: the summary, the per-record fate table, the trace and the manifest."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FATES = np.array(["indeterminate", "acked", "failed"])


@dataclass
class Result:
    """What `sim.run` returns. `summary` is CONTRACT §4; the rest is for reports and notebooks.

    `stats` is what the run cost the simulator (SimPy events, producer batches,
    simulated seconds), for benchmarks; it is not part of the summary.
    """
    summary: dict
    manifest: dict
    trace: object = field(repr=False)
    streams: dict = field(repr=False)
    stats: dict = field(default_factory=dict)
    processed: dict = field(default_factory=dict, repr=False)
    lag_rows: list = field(default_factory=list, repr=False)
    partition_names: list = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """Every expectation holds (or there are none)."""
        return all(e["ok"] for e in self.summary["expect"])

    @property
    def records(self):
        """One row per record: producer, topic, partition, sequence, key, fate, copies, offsets.

        A pandas DataFrame; pandas is imported on demand, a plain run never needs it.
        """
        import pandas as pd
        frames = []
        for s in self.streams.values():
            acked = s.fate == 1
            frames.append(pd.DataFrame({
                "producer": s.producer, "topic": s.topic, "partition": s.partition,
                "sequence": np.arange(s.n), "key": s.key, "send_us": s.send_us,
                "fate": FATES[s.fate], "ack_us": s.ack_us, "ack_offset": s.ack_offset,
                "copies": s.copies, "offset": s.first_offset,
                "lost": acked & (s.copies == 0) & (not s.offline)}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def processing(self):
        """One row per completed processing: group, producer, topic, partition, sequence,
        offset and the time processing finished (`done_us`)."""
        import pandas as pd
        columns = ("group", "producer", "topic", "partition", "sequence", "offset", "done_us")
        frames = []
        for group, rows in self.processed.items():
            for producer, topic, partition, seq, count, offset, done in rows:
                frames.append(pd.DataFrame({
                    "group": group, "producer": producer, "topic": topic,
                    "partition": partition, "sequence": np.arange(seq, seq + count),
                    "offset": np.arange(offset, offset + count), "done_us": done}))
        if not frames:
            return pd.DataFrame(columns=list(columns))
        return pd.concat(frames, ignore_index=True)

    @property
    def lag(self):
        """Consumer lag (records) per group and partition at every change: t_us, group,
        topic, partition, lag."""
        import pandas as pd
        rows = [(t, g, *self.partition_names[p], lag) for t, g, p, lag in self.lag_rows]
        return pd.DataFrame(rows, columns=["t_us", "group", "topic", "partition", "lag"])

    @property
    def consumer_anomalies(self):
        """Jepsen's consumer anomalies: a member's position jumping forward (poll-skip) or
        back (nonmonotonic-poll) without a reassignment, i.e. an out-of-range reset."""
        import pandas as pd

        from sim.core.records import PositionReset
        rows = [(r.t_us, r.group, r.member, r.topic, r.partition, r.previous, r.offset,
                 "poll-skip" if r.offset > r.previous else "nonmonotonic-poll")
                for r in self.trace.rows(PositionReset)
                if r.reason == "out_of_range" and r.offset != r.previous]
        return pd.DataFrame(rows, columns=["t_us", "group", "member", "topic", "partition",
                                           "from_offset", "to_offset", "anomaly"])

    def frame(self, kind):
        """The trace records of one type as a DataFrame."""
        return self.trace.frame(kind)

    def write(self, out: Path) -> None:
        """Write summary.json and manifest.json into out (created if needed)."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
        (out / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n")
