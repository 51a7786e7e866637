"""Every scenario of the library runs, its documented outcome (its expect: block) holds, and
its whole summary matches the golden one (`make golden` rewrites them after a meant change)."""

import json

import pytest

from tests.conftest import SCENARIOS, run_scenario

NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_scenario_expectations_hold(name):
    result = run_scenario(name)
    failed = [e for e in result.summary["expect"] if not e["ok"]]
    assert result.summary["expect"], f"{name} has no expect: block"
    assert not failed, failed


@pytest.mark.parametrize("name", NAMES)
def test_every_record_has_exactly_one_fate_and_loss_is_explained(name):
    s = run_scenario(name).summary
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"] + s["aborted"]
    assert s["lost"] <= s["acked"]
    assert s["failed_but_present"] <= s["failed"]
    assert sum(s["lost_by_cause"].values()) == s["lost"]
    assert s["rejected"] == sum(s["errors"].values())


@pytest.mark.parametrize("name", NAMES)
def test_the_summary_matches_the_golden_one(name):
    from tests.golden.rewrite import golden_path
    path = golden_path(name)
    assert path.exists(), f"no golden summary for {name}: run make golden and commit it"
    golden = json.loads(path.read_text())
    summary = json.loads(json.dumps(run_scenario(name).summary))
    changed = {k: (golden.get(k), summary.get(k)) for k in sorted(set(golden) | set(summary))
               if golden.get(k) != summary.get(k)}
    assert not changed, f"{name}: golden -> now {changed}; if meant, run make golden"
