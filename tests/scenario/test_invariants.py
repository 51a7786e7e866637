"""Runtime invariants hold in the library, record their exemptions, and fire when a rule breaks."""

import pytest

import sim
import sim.cluster.election as election
from sim.core.records import InvariantExempted
from sim.invariants import InvariantViolation
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


def test_a_leader_change_without_an_epoch_bump_fires_the_one_leader_per_epoch_invariant(
        monkeypatch):
    original = election.change

    def epochless(state, replicas, **kw):
        new, kind = original(state, replicas, **kw)
        if new is not None and new.leader >= 0:
            new = type(new)(new.pidx, new.leader, 0, new.partition_epoch,
                            new.isr, new.elr, new.last_known_elr)
        return new, kind

    monkeypatch.setattr("sim.cluster.controller.change", epochless)
    spec = sim.load(SCENARIOS / "acks-all-leader-crash.yaml")
    with pytest.raises(InvariantViolation, match="one leader per epoch"):
        sim.run(spec)


def test_a_high_watermark_past_the_log_end_fires_the_hw_invariant(monkeypatch):
    from sim.cluster.replica import Replica
    original = Replica.maybe_increment_hw

    def overshoot(self, *args):
        moved = original(self, *args)
        if moved and self.log.hw > 100:
            self.log.hw = self.log.leo + 1
        return moved

    monkeypatch.setattr(Replica, "maybe_increment_hw", overshoot)
    with pytest.raises(InvariantViolation, match="HW <= LEO"):
        sim.run(sim.load(SCENARIOS / "acks-all-leader-stop.yaml"))


def test_a_high_watermark_that_moves_back_fires_the_monotonic_hw_invariant(monkeypatch):
    from sim.cluster.replica import Replica
    original = Replica.maybe_increment_hw
    seen = {}

    def regress(self, *args):
        moved = original(self, *args)
        key = (self.info.pidx, self.leader_epoch)
        if moved and seen.get(key, 0) > 0 and self.log.hw > 200:
            self.log.hw = seen[key] - 1
        seen[key] = self.log.hw
        return moved

    monkeypatch.setattr(Replica, "maybe_increment_hw", regress)
    with pytest.raises(InvariantViolation, match="leader HW never decreases"):
        sim.run(sim.load(SCENARIOS / "acks-all-leader-stop.yaml"))


def test_a_violated_invariant_exits_4_with_the_time_seed_and_command(tmp_path):
    import subprocess
    import sys
    code = ("import sim.cluster.replica as r, sys\n"
            "o = r.Replica.maybe_increment_hw\n"
            "def f(self, *a):\n"
            "    m = o(self, *a)\n"
            "    if m and self.log.hw > 100: self.log.hw = self.log.leo + 1\n"
            "    return m\n"
            "r.Replica.maybe_increment_hw = f\n"
            "from sim.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    out = subprocess.run([sys.executable, "-c", code, "run",
                          str(SCENARIOS / "acks-all-leader-stop.yaml"), "--no-report"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 4
    assert "invariant 'HW <= LEO' violated at t=" in out.stderr and "seed 11" in out.stderr
    assert "Reproduce with: kafkasim run" in out.stderr and "--seed 11" in out.stderr
    assert "Traceback" not in out.stderr
