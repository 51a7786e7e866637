"""Every scenario of the library runs and its documented outcome (its expect: block) holds."""

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
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"]
    assert s["lost"] <= s["acked"]
    assert s["failed_but_present"] <= s["failed"]
    assert sum(s["lost_by_cause"].values()) == s["lost"]
    assert s["rejected"] == sum(s["errors"].values())
