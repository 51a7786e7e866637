"""`skipped` counts records once below the high watermark that a group never processed and
its final committed offset passed, including those a later leader truncated away (cause
`truncated`): committed on a leader alone in the ISR, lost in an unclean election before a
lagging group read them."""

import yaml

import sim
from sim.scenario import from_dict
from tests.conftest import SCENARIOS


def _unclean_with_reader(processing: str) -> dict:
    raw = yaml.safe_load((SCENARIOS / "min-isr-1-leader-lost-unclean-on.yaml").read_text())
    raw.pop("expect")
    raw["consumers"] = {"reader": {"topic": "ledger", "members": 1, "processing": processing,
                                   "config": {"auto.offset.reset": "earliest"}}}
    return raw


def test_committed_records_an_unclean_leader_lost_before_a_lagging_group_read_them_are_skipped():
    s = sim.run(from_dict(_unclean_with_reader("4ms"))).summary   # 250/s against 500/s
    truncated = s["skipped_by_cause"].get("truncated", 0)
    assert s["unclean_elections"] >= 1 and s["lost_by_cause"]["unclean_election"] > 0
    assert 0 < truncated <= s["lost"]
    assert s["skipped"] >= truncated
