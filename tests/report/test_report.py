"""The output folder of a run: summary, manifest, Parquet tables and a self-contained report."""

import json
import re

import pandas as pd
import pytest

from tests.conftest import run_scenario

SCRIPT = "<script>alert(1)</script>"
# A short consumer crash: a group (lag, rebalances), a fault window, a hostile description.
SHORT_CRASH = ("duration=20s", "drain=10s", "timeline.0.at=5s",
               "consumers.billing.config.session.timeout.ms=6000", f"description={SCRIPT}")
TABLES = {
    "records": {"producer", "topic", "partition", "sequence", "send_us", "fate", "ack_us",
                "offset", "copies", "lost"},
    "partitions": {"t_us", "topic", "partition", "leader", "leader_epoch", "isr_size", "broker",
                   "hw", "leo"},
    "throughput": {"t_s", "produced", "acked", "failed", "rejected"},
    "produce_errors": {"t_s", "error", "attempts", "records"},
    "lag": {"t_us", "group", "topic", "partition", "lag"},
    "rebalances": {"group", "generation", "reason", "start_us", "end_us"},
    "faults": {"index", "kind", "hosts", "start_us", "end_us"},
    "unseen": {"t_us", "acked", "unseen"},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    result = run_scenario("consumer-crash-after-processing-duplicates", None, SHORT_CRASH)
    out = tmp_path_factory.mktemp("run") / "out"
    written = result.write(out)
    return result, out, written


def test_the_folder_holds_the_summary_manifest_tables_and_report(folder):
    result, out, written = folder
    expected = {"summary.json", "manifest.json", "report.html",
                *(f"{stem}.parquet" for stem in TABLES)}
    assert {p.name for p in out.iterdir()} == expected
    assert sorted(written) == sorted(out.iterdir())
    assert json.loads((out / "summary.json").read_text()) == result.summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"python", "simpy", "numpy", "pandas", "kafkasim"} <= set(manifest["versions"])


def test_parquet_tables_round_trip_with_their_columns(folder):
    result, out, _ = folder
    for stem, columns in TABLES.items():
        table = pd.read_parquet(out / f"{stem}.parquet")
        assert columns <= set(table.columns), stem
    records = pd.read_parquet(out / "records.parquet")
    assert len(records) == result.summary["produced"]
    assert (records.fate == "acked").sum() == result.summary["acked"]
    throughput = pd.read_parquet(out / "throughput.parquet")
    assert throughput.produced.sum() == result.summary["produced"]
    assert len(pd.read_parquet(out / "rebalances.parquet")) >= result.summary["rebalances"]
    faults = pd.read_parquet(out / "faults.parquet")
    assert list(faults.kind) == ["crash"] and faults.start_us[0] == 5_000_000


def test_the_report_is_self_contained_with_embedded_plots(folder):
    html = (folder[1] / "report.html").read_text()
    images = re.findall(r"src='data:image/png;base64,", html)
    assert len(images) >= 5      # 2 partitions, produce, lag, latency, anomalies (no unseen:
    assert "no unseen records to plot" in html      # acks=all, nothing lost)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()
    assert "Consumer lag" in html and "Expectations" in html and "Summary" in html


def test_text_from_the_scenario_file_is_escaped(folder):
    html = (folder[1] / "report.html").read_text()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_report_shows_expectations_wanted_against_measured(folder):
    result, out, _ = folder
    html = (out / "report.html").read_text()
    for e in result.summary["expect"]:
        assert f"<td>{e['key']}</td><td>{str(e['wanted']).replace('>', '&gt;')}</td>" in html


def test_the_throughput_tables_count_the_sends_that_failed_before_joining_a_batch():
    result = run_scenario("sizes-too-large-batches-split-records-fail")
    s = result.summary
    assert s["errors"].get("RECORD_TOO_LARGE", 0) > 0
    throughput = result.throughput
    assert throughput.failed.sum() == s["failed"]
    assert throughput.rejected.sum() == s["rejected"]
    attempts = result.produce_errors.groupby("error").attempts.sum()
    assert attempts.to_dict() == s["errors"]
