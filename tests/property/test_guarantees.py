"""Kafka's safety properties over drawn scenarios (sim.testing), shrunk to a minimal one on failure.

With acks=all, min.insync.replicas 2 and unclean election off, while at most one broker is
ever faulty (crash, stop, power loss, pause, isolation, cut from the controller): no
acknowledged record is lost, no election is unclean, the replicas agree after healing, and an
idempotent producer writes nothing twice (docs/model.md#published-failure-cases). With unclean
election off and no ELR, whatever fails, no replica outside the ISR is ever elected. The
fault schedules themselves keep their bound (max_faulty, at_once).
"""

from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.scenario.units import parse_duration
from sim.testing import ALL_FAULTS, fault_schedules, scenarios


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


def _seconds(text: str) -> float:
    return parse_duration(text, ()) / 1e6


def _hosts(entry: dict):
    if "partition" in entry:
        return entry["partition"][0]
    if "degrade" in entry:
        return entry["degrade"]["between"]
    kind = next(k for k in entry if k not in ("at", "for", "factor"))
    return entry[kind] if isinstance(entry[kind], list) else [entry[kind]]


@given(timeline=fault_schedules(duration_s=10, brokers=4, max_faulty=2, kinds=ALL_FAULTS))
def test_fault_schedules_with_max_faulty_target_only_that_many_brokers(timeline):
    named = {host for entry in timeline for host in _hosts(entry)}
    assert named <= {"broker-0", "broker-1", "controller"}
    assert all(1 <= _seconds(e["at"]) < 10 for e in timeline)


@given(timeline=fault_schedules(duration_s=10, brokers=3, partitions=2, max_faults=6,
                                at_once=2, kinds=ALL_FAULTS),
       probe=st.integers(0, 99))
def test_fault_schedules_at_once_never_hold_more_brokers_faulty_together(timeline, probe):
    at = probe / 10
    faulty = 0
    for entry in timeline:
        start = _seconds(entry["at"])
        end = start + _seconds(entry["for"]) if "for" in entry else 10
        if start <= at < end and "degrade" not in entry:
            faulty += 3 if _hosts(entry) == ["all-brokers"] else len(_hosts(entry))
    assert faulty <= 2


@settings(deadline=None)
@given(raw=scenarios(unclean=False, elr=0, at_once=4, groups=False))
def test_with_unclean_election_off_no_replica_outside_the_isr_is_ever_elected(raw):
    s = sim.run(sim.scenario.from_dict(raw)).summary
    assert s["unclean_elections"] == 0, raw["timeline"]
