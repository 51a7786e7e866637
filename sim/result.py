"""The result of one run: the summary, the per-record fate table, the trace and the manifest."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FATES = np.array(["indeterminate", "acked", "failed", "failed_at_send", "aborted"])


@dataclass
class Result:
    """What `sim.run` returns. `summary` is docs/summary.md; the rest is for reports and notebooks.

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
        """One row per record: producer, topic, partition, sequence, key, fate, copies, offsets,
        committing (acked, its transaction committing at the end) and lost.

        A pandas DataFrame; pandas is imported on demand, a plain run never needs it.
        """
        import pandas as pd
        frames = []
        for s in self.streams.values():
            frames.append(pd.DataFrame({
                "producer": s.producer, "topic": s.topic, "partition": s.partition,
                "sequence": np.arange(s.n), "key": s.key, "send_us": s.send_us,
                "fate": FATES[s.fate], "ack_us": s.ack_us, "ack_offset": s.ack_offset,
                "copies": s.copies, "offset": s.first_offset,
                "committing": s.committing_at_end(),
                "lost": s.lost()}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def processing(self):
        """One row per completed processing: group, producer, topic, partition, sequence,
        offset and the time processing finished (`done_us`)."""
        import pandas as pd
        columns = ("group", "producer", "topic", "partition", "sequence", "offset", "done_us")
        frames = []
        for group, rows in self.processed.items():
            if not rows:
                continue
            producer, topic, partition, seq, count, offset, done = zip(*rows, strict=True)
            producer, topic, partition, seq, count, offset = map(
                np.array, (producer, topic, partition, seq, count, offset))
            within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
            frames.append(pd.DataFrame({
                "group": group, "producer": np.repeat(producer, count),
                "topic": np.repeat(topic, count), "partition": np.repeat(partition, count),
                "sequence": np.repeat(seq, count) + within,
                "offset": np.repeat(offset, count) + within, "done_us": np.concatenate(done)}))
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

    @property
    def end_us(self) -> int:
        """Where the run ended (duration + drain, or where a limit stopped it)."""
        return int(self.stats.get("simulated_s", 0) * 1_000_000)

    @property
    def partitions(self):
        """Leader, leader epoch, ISR size, high watermark and log end offset of each
        partition at every change (sim.analysis.series.partition_timeline)."""
        from sim.analysis.series import partition_timeline
        return partition_timeline(self.trace)

    @property
    def throughput(self):
        """Records produced, acked and failed, and produce attempts rejected, per second."""
        from sim.analysis.series import produce_per_second
        return produce_per_second(self.records, self.trace, self.end_us)

    @property
    def produce_errors(self):
        """Rejected produce attempts per second and error name."""
        from sim.analysis.series import produce_errors
        return produce_errors(self.trace)

    @property
    def rebalances(self):
        """Each group's rebalances: group, generation, reason, start_us, end_us."""
        from sim.analysis.series import rebalances
        return rebalances(self.trace)

    @property
    def faults(self):
        """The timeline entries that fired: index, kind, hosts, start_us, end_us."""
        from sim.analysis.series import fault_windows
        duration = self.manifest.get("duration_s")
        return fault_windows(self.trace, self.end_us,
                             None if duration is None else int(duration * 1_000_000))

    def unseen(self, records=None, partitions=None):
        """Jepsen's unseen over time: acked records not yet below their high watermark."""
        from sim.analysis.series import unseen
        records = self.records if records is None else records
        partitions = self.partitions if partitions is None else partitions
        return unseen(records, partitions, self.end_us)

    def tables(self) -> dict:
        """Every table the output folder keeps, by file stem."""
        records, partitions = self.records, self.partitions
        tables = {"records": records, "partitions": partitions, "throughput": self.throughput,
                  "produce_errors": self.produce_errors, "lag": self.lag,
                  "rebalances": self.rebalances, "faults": self.faults,
                  "unseen": self.unseen(records, partitions)}
        from sim.core.records import FollowerLagBytes, NicBytes
        if self.trace.rows(NicBytes):         # a run with a bandwidth (wire_sampler.py)
            tables["nic_bytes"] = self.frame(NicBytes)
            tables["follower_lag_bytes"] = self.frame(FollowerLagBytes)
        return tables

    def write(self, out: Path, report: bool = True) -> list[Path]:
        """Write the output folder: summary.json, manifest.json, the tables as Parquet and
        (unless report is False) report.html; return the files written."""
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "summary.json", out / "manifest.json"]
        written[0].write_text(json.dumps(self.summary, indent=2) + "\n")
        written[1].write_text(json.dumps(self.manifest, indent=2) + "\n")
        tables = self.tables()
        for stem, table in tables.items():
            written.append(out / f"{stem}.parquet")
            table.to_parquet(written[-1], index=False)
        if report:
            from sim.report.html import render
            written.append(out / "report.html")
            written[-1].write_text(render(self, tables), encoding="utf-8")
        return written
