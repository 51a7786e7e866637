"""Runtime invariants hold in the library, record their exemptions, and fire when a rule breaks."""

import pytest

import sim
import sim.cluster.election as election
from sim.cluster.invariants import InvariantViolation
from sim.core.records import InvariantExempted
from tests.conftest import SCENARIOS, run_scenario


def test_an_unclean_election_is_recorded_as_an_exemption_not_a_violation():
    result = run_scenario("min-isr-1-leader-lost-unclean-on")
    assert result.trace.rows(InvariantExempted)


def test_a_clean_election_that_hides_an_unclean_one_breaks_committed_history(monkeypatch):
    original = election.change

    def disguised(state, replicas, **kw):
        new, kind = original(state, replicas, **kw)
        return new, ("clean" if kind == "unclean" else kind)

    monkeypatch.setattr("sim.cluster.controller.change", disguised)
    spec = sim.load(SCENARIOS / "min-isr-1-leader-lost-unclean-on.yaml")
    with pytest.raises(InvariantViolation, match="committed records never change.*seed 4"):
        sim.run(spec)


def test_electing_a_leader_outside_the_isr_fires_the_isr_invariant(monkeypatch):
    original = election.change

    def careless(state, replicas, **kw):
        new, kind = original(state, replicas, **kw)
        if new is not None and new.leader >= 0 and kind == "unclean":
            new = type(new)(new.pidx, new.leader, new.leader_epoch, new.partition_epoch,
                            tuple(r for r in replicas if r != new.leader), (), ())
        return new, kind

    monkeypatch.setattr("sim.cluster.controller.change", careless)
    spec = sim.load(SCENARIOS / "min-isr-1-leader-lost-unclean-on.yaml")
    with pytest.raises(InvariantViolation, match="ISR contains the leader"):
        sim.run(spec)
