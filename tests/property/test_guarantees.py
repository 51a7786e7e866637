"""Kafka's safety properties over drawn scenarios (sim.testing), shrunk to a minimal one on failure.

With acks=all, min.insync.replicas 2 and unclean election off, while at most one broker is
ever faulty (crash, stop, power loss, pause, isolation, cut from the controller): no
acknowledged record is lost, no election is unclean, the replicas agree after healing, and an
idempotent producer writes nothing twice (KAFKA-MODEL §2.8, §2.12, §3.11).
"""

from hypothesis import given, settings

import sim
from sim.testing import fault_schedules, scenarios


@settings(deadline=None)
@given(raw=scenarios(acks="all", min_insync=2, unclean=False, max_faulty=1))
def test_one_faulty_broker_never_costs_an_acknowledged_record(raw):
    s = sim.run(sim.scenario.from_dict(raw)).summary
    assert s["lost"] == 0, (raw["timeline"], s["lost_by_cause"])
    assert s["unclean_elections"] == 0
    assert s["replica_divergence"] == 0
    idempotent = raw["producers"]["checkout"]["config"]["enable.idempotence"]
    if idempotent:
        assert s["log_duplicates"] == 0 and s["reordered"] == 0
    if "consumers" in raw:
        assert s["skipped"] == 0


@settings(deadline=None)
@given(raw=scenarios())
def test_every_drawn_scenario_accounts_for_every_record(raw):
    s = sim.run(sim.scenario.from_dict(raw)).summary
    assert s["produced"] == s["acked"] + s["failed"] + s["indeterminate"]
    assert sum(s["lost_by_cause"].values()) == s["lost"] <= s["acked"]
    assert sum(s["skipped_by_cause"].values()) == s["skipped"]
    assert s["processed"] <= s["acked"] + s["failed_but_present"] + s["indeterminate"]


@given(timeline=fault_schedules(duration_s=10, brokers=4, max_faulty=2))
def test_fault_schedules_with_max_faulty_target_only_that_many_brokers(timeline):
    named = set()
    for entry in timeline:
        for key, value in entry.items():
            if key == "partition":
                named.update(value[0])
            elif key not in ("at", "for"):
                named.add(value)
    assert named <= {"broker-0", "broker-1"}
    assert all(int(e["at"][:-1]) < 10 for e in timeline)
