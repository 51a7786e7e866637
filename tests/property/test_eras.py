"""Each era's own guarantees, over drawn scenarios and faults (docs/model.md#kafka-versions).

From 2.0 (KIP-279) the replicas of every partition agree once the faults heal, whatever
failed and however leaders were elected; from 0.11 (leader epochs) acks=all with
min.insync.replicas 2 and unclean election off loses nothing while one broker is faulty.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.testing import scenarios

CONVERGING = st.sampled_from(["2.0", "2.8", "3.6", "3.7", "4.0", "4.1"])
EPOCHS = st.sampled_from(["0.11", "1.1", "2.0", "2.8", "3.6", "3.7", "4.0", "4.1"])


def on(raw: dict, release: str) -> dict:
    """The drawn scenario on `release`; an idempotent producer there sets retries, as Kafka
    requires when the release's default is none (before 2.1)."""
    producers = {name: dict(p, config=dict(p["config"])) for name, p in raw["producers"].items()}
    for p in producers.values():
        if p["config"].get("enable.idempotence"):
            p["config"]["retries"] = 2_147_483_647
    return dict(raw, cluster=dict(raw["cluster"], version=release), producers=producers)


@settings(deadline=None)
@given(raw=scenarios(at_once=3, groups=False), release=CONVERGING)
def test_from_2_0_replicas_agree_after_healing_whatever_failed(raw, release):
    s = sim.run(sim.scenario.from_dict(on(raw, release))).summary
    assert s["replica_divergence"] == 0, (release, raw["timeline"])


@settings(deadline=None)
@given(raw=scenarios(acks="all", min_insync=2, unclean=False, max_faulty=1, groups=False),
       release=EPOCHS)
def test_from_0_11_one_faulty_broker_costs_no_acknowledged_record(raw, release):
    s = sim.run(sim.scenario.from_dict(on(raw, release))).summary
    assert s["lost"] == 0, (release, raw["timeline"], s["lost_by_cause"])
