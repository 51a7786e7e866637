"""Fuzzing: any valid scenario (sim.testing.any_scenarios) runs without an internal error or a
violated runtime invariant, and its summary is consistent with itself (issue 8).

`make test` draws a few derandomized examples; `make fuzz` draws 200 fresh ones."""

from hypothesis import given, settings

import sim
from sim.testing import any_scenarios


@settings(deadline=None)
@given(raw=any_scenarios())
def test_any_scenario_runs_and_its_summary_adds_up(raw):
    result = sim.run(sim.scenario.from_dict(raw))
    s = result.summary
    assert not s["partial"]
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"] + s["aborted"]
    assert 0 <= s["lost"] <= s["acked"] and sum(s["lost_by_cause"].values()) == s["lost"]
    assert sum(s["skipped_by_cause"].values()) == s["skipped"]
    assert 0 <= s["failed_but_present"] <= s["failed"]
    assert 0 <= s["preferred_leaders_at_end"] <= 1
    processing = result.processing
    record = ["group", "producer", "topic", "partition", "sequence"]      # sequences per partition
    distinct = processing.drop_duplicates(record).groupby("group").size()
    assert int(distinct.sum()) == s["processed"]
    assert all(n <= s["produced"] for n in distinct)
    assert s["processed_duplicates"] == len(processing) - s["processed"]
