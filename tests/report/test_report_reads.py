"""The report reads well (issue 15, item 6): full fault labels, a line instead of an empty
plot, thousands separators, and a page laid out by a real browser when one is installed."""

import re
import shutil

import pytest

import sim
from sim.report.text import number
from tests.conftest import SCENARIOS, run_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """The quickstart, short: a partition with a side of two and a side of three."""
    spec = sim.load(SCENARIOS / "quickstart.yaml", overrides=["duration=40s", "drain=10s"])
    out = tmp_path_factory.mktemp("quickstart") / "out"
    result = sim.run(spec)
    result.write(out)
    return result, out


def test_numbers_print_with_thousands_separators_and_never_in_exponent_form():
    assert [number(v) for v in (1_000_000, 1e6, 24462.62, 0.5, 7.0, None, True, "all")] == \
        ["1,000,000", "1,000,000", "24,462.62", "0.5", "7", "-", "True", "all"]


def test_a_partition_fault_is_labelled_with_the_hosts_of_each_side(quickstart):
    result, _ = quickstart
    faults = result.tables()["faults"]
    sides = faults.hosts[0].split(" | ")
    assert len(sides) == 2
    leader, followers = (set(side.split(", ")) for side in sides)
    assert "checkout" in leader and len(leader) == 2
    assert "controller" in followers and len(followers) == 3
    assert not leader & followers


def test_the_summary_table_and_text_use_thousands_separators(quickstart):
    result, out = quickstart
    html = (out / "report.html").read_text()
    produced = result.summary["produced"]
    assert produced >= 1000 and f"<td>{produced:,}</td>" in html
    assert f"produced {produced:,}" in sim.report.text.render_summary(result, "")


def test_nothing_to_plot_is_said_in_a_line_not_drawn_as_an_empty_plot(quickstart):
    html = (quickstart[1] / "report.html").read_text()
    assert "No record was lost" not in html            # the quickstart loses records
    calm = sim.load(SCENARIOS / "quickstart.yaml",
                    overrides=["duration=10s", "drain=5s", "timeline=[]", "expect={}",
                               "producers.checkout.config.acks=all"])
    result = sim.run(calm)
    out = quickstart[1].parent / "calm"
    result.write(out)
    page = (out / "report.html").read_text()
    assert "No record was lost, skipped or duplicated: nothing to plot by cause." in page
    assert "no unseen records to plot" in page
    assert len(re.findall(r"data:image/png", page)) < len(re.findall(r"data:image/png", html))


@pytest.mark.skipif(CHROMIUM is None, reason="needs a Chromium (Debian: apt-get install chromium)")
def test_in_a_real_browser_every_plot_loads_and_uses_the_page_width(quickstart, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = quickstart[1] / "report.html"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_path.as_uri())
        layout = page.evaluate("""() => ({
            body: document.body.clientWidth,
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            images: [...document.images].map(i => [i.naturalWidth, i.getBoundingClientRect().width])
        })""")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert layout["overflow"] <= 0
    assert layout["images"] and all(natural > 0 for natural, _ in layout["images"])
    assert all(abs(width - layout["body"]) <= 1 for _, width in layout["images"])
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_the_sweep_table_prints_a_million_as_1_000_000():
    import pandas as pd

    from sim.report.text import render_sweep
    df = pd.DataFrame({"topics.orders.config.segment.bytes": [1e6, 1e6], "seed": [1, 2],
                       "scenario": "s", "acked": [1_500_000, 1_500_000], "failed": 0,
                       "indeterminate": 0, "lost": [0, 2_000_000], "unavailable_s": 0.0,
                       "produce_stalled_s": 0.0,
                       "ack_p99_ms": [12.5, 13.5], "expect_ok": True})
    table = render_sweep(df)
    assert "1,000,000" in table and "1,500,000" in table and "(2,000,000)" in table
    assert "e+06" not in table


def test_committing_at_end_is_printed_only_for_runs_with_transactions(quickstart):
    plain = sim.report.text.render_summary(quickstart[0], "")
    assert "offline_at_end" in plain and "committing_at_end" not in plain
    transactional = sim.report.text.render_summary(run_scenario("txn-zombie-producer-fenced"), "")
    assert "committing_at_end 0" in transactional
