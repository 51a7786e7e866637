"""report.html: one self-contained page per run that opens offline.

It shows the scenario (name, description, timeline), the summary, the
expectations wanted against measured, and the plots of sim.report.plots as
PNG images embedded as base64 data URIs: per-partition timelines, produce
throughput and errors, consumer lag (only with consumer groups), latency
distributions, lost/skipped/duplicated records by cause and unseen records
over time. Every text that comes from the scenario file is HTML-escaped. It
leaves out scripts, style sheets and fonts from elsewhere (no URL at all), and
the raw tables, which sit next to it as Parquet files.
"""

import base64
import io
import json
from html import escape

from sim.report import plots
from sim.report.text import number

MAX_PARTITIONS = 6
CSS = """body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;
text-align:left;font-size:90%}th{background:#eee}.ok{color:#1a7f37}.failed{color:#cf222e;
font-weight:bold}img{width:100%;height:auto}code,pre{background:#f6f8fa}pre{padding:.5em;
white-space:pre-wrap}"""


def render(result, tables: dict) -> str:
    """The whole page as a string."""
    s, m = result.summary, result.manifest
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>kafkasim: "
             f"{escape(s['scenario'])} seed {s['seed']}</title><style>{CSS}</style></head><body>",
             f"<h1>{escape(s['scenario'])} <small>seed {s['seed']}</small></h1>",
             f"<p>{escape(m.get('description', ''))}</p>",
             _verdict(result), _expectations(s["expect"]), _timeline(m, tables["faults"]),
             _summary(s), *_plots(result, tables), _manifest(m), "</body></html>"]
    return "\n".join(p for p in parts if p)


def _verdict(result) -> str:
    s = result.summary
    what = "every expectation holds" if result.ok else "an expectation FAILED"
    partial = " The run stopped early at a running limit: partial." if s["partial"] else ""
    return (f"<p><b>{what}.</b>{partial} Digest <code>{escape(s['digest'])}</code>. "
            f"Reproduce: <code>kafkasim run {escape(str(result.manifest.get('source')))} "
            f"--seed {s['seed']}</code></p>")


def _table(header, rows) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _value(v) -> str:
    if isinstance(v, dict):
        return escape(", ".join(f"{k}: {number(n)}" for k, n in v.items()) or "-")
    return escape(number(v))


def _expectations(expect) -> str:
    if not expect:
        return "<h2>Expectations</h2><p>The scenario has no expect: block.</p>"
    rows = [(escape(e["key"]), escape(str(e["wanted"])), _value(e["got"]),
             "<span class='ok'>ok</span>" if e["ok"] else "<span class='failed'>FAILED</span>")
            for e in expect]
    return "<h2>Expectations</h2>" + _table(("key", "wanted", "measured", ""), rows)


def _timeline(manifest, faults) -> str:
    entries = manifest.get("timeline") or []
    text = "\n".join(json.dumps(e) for e in entries) or "(no timeline entries)"
    rows = [(f"#{f.index}", escape(f.kind), escape(f.hosts), f"{f.start_us / 1e6:g}",
             f"{f.end_us / 1e6:g}") for f in faults.itertuples()]
    fired = _table(("entry", "action", "hosts", "from (s)", "to (s)"), rows) if rows else \
        "<p>No timeline entry fired.</p>"
    return (f"<h2>Timeline</h2><p>Duration {manifest.get('duration_s')} s, then a drain of "
            f"{manifest.get('drain_s')} s (every fault ends, every host restarts).</p>"
            f"<pre>{escape(text)}</pre><p>What fired (the shaded windows in the plots):</p>"
            f"{fired}")


def _summary(summary) -> str:
    rows = [(escape(k), _value(v)) for k, v in summary.items()
            if k not in ("expect", "scenario", "seed", "digest")]
    return "<h2>Summary</h2>" + _table(("key", "value"), rows)


def _image(fig, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='{escape(alt)}' src='data:image/png;base64,{data}'>"


def _plots(result, tables):
    faults, duration = tables["faults"], result.manifest.get("duration_s")
    yield "<h2>Partitions</h2>" + _partitions(result, tables["partitions"], faults)
    yield "<h2>Produce</h2>" + _image(
        plots.throughput(tables["throughput"], tables["produce_errors"], faults,
                          duration), "throughput")
    if "nic_bytes" in tables:
        fig = plots.wire(tables["nic_bytes"], tables["follower_lag_bytes"], faults, duration)
        yield "<h2>Network</h2>" + _image(fig, "NIC bytes per second and follower lag in bytes")
    if result.manifest.get("groups") and len(tables["lag"]):
        fig = plots.consumer_lag(tables["lag"], tables["rebalances"], faults, duration)
        yield "<h2>Consumer lag</h2>" + _image(fig, "consumer lag")
    ack, e2e = _latencies(result, tables["records"])
    fig = plots.latency(ack, e2e)
    yield "<h2>Latency</h2>" + (_image(fig, "latency distributions") if fig else
                                "<p>No record was acknowledged or processed: no latency to "
                                "plot.</p>")
    yield "<h2>Lost, skipped and duplicated records</h2>" + _anomalies(result, tables, duration)


def _anomalies(result, tables, duration) -> str:
    s = result.summary
    fig = plots.anomalies(s, bool(result.manifest.get("groups")))
    causes = _image(fig, "anomalies by cause") if fig else \
        "<p>No record was lost, skipped or duplicated: nothing to plot by cause.</p>"
    unseen = tables["unseen"]
    if len(unseen) and (unseen.unseen.max() > 0 or s["lost"]):
        return causes + _image(plots.unseen(unseen, tables["faults"], s["lost"], duration),
                               "unseen over time")
    return causes + ("<p>Every acknowledged record was readable (below its high watermark) "
                     "as soon as it was acknowledged: no unseen records to plot.</p>")


def _partitions(result, timeline, faults) -> str:
    from sim.core.records import Truncated
    truncated = result.frame(Truncated)
    changes = timeline[timeline.broker < 0].groupby(["topic", "partition"]).size()
    names = list(changes.sort_values(ascending=False, kind="stable").index[:MAX_PARTITIONS])
    names.sort()
    note = "" if len(changes) <= MAX_PARTITIONS else (
        f"<p>The {MAX_PARTITIONS} partitions with the most leader and ISR changes of "
        f"{len(changes)}; every partition is in partitions.parquet.</p>")
    span = (result.manifest.get("duration_s"), result.end_us / 1e6)
    images = []
    for topic, partition in names:
        part = timeline[(timeline.topic == topic) & (timeline.partition == partition)]
        cut = truncated[(truncated.topic == topic) & (truncated.partition == partition)]
        fig = plots.partition_timeline(part, cut, faults, f"{topic}/{partition}", span)
        images.append(_image(fig, f"partition {topic}/{partition}"))
    return note + "".join(images)


def _latencies(result, records):
    acked = records[records.fate == "acked"] if len(records) else records
    ack = ((acked.ack_us - acked.send_us) / 1e3).to_numpy() if len(acked) else []
    if not result.manifest.get("groups"):
        return ack, None
    done = result.processing.groupby(["producer", "topic", "partition", "sequence"]).done_us.min()
    joined = records.join(done, on=["producer", "topic", "partition", "sequence"], how="inner")
    return ack, ((joined.done_us - joined.send_us) / 1e3).to_numpy()


def _manifest(manifest) -> str:
    versions = ", ".join(f"{escape(k)} {escape(str(v))}" for k, v in
                         manifest.get("versions", {}).items())
    return (f"<h2>Reproducing</h2><p>Scenario file {escape(str(manifest.get('source')))}, "
            f"SHA-256 <code>{escape(manifest.get('scenario_sha256', ''))}</code>; "
            f"{versions}. The tables behind these plots are the .parquet files next to "
            "this page.</p>")
