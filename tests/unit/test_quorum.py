"""`cluster.controllers`: the quorum wired in (sim/cluster/quorum.py), its targets and
`metadata_unavailable_s`, on the two library scenarios and small variants of them."""

import pytest

import sim
from sim.core.records import BrokerFenced, ControllerActive
from sim.scenario.errors import ScenarioError
from tests.conftest import run_scenario

BASE = """
name: q
seed: 7
duration: 12s
drain: 3s
cluster: {brokers: 3, controllers: 3}
topics:
  orders: {partitions: 3, replication.factor: 3}
producers:
  p: {topic: orders, rate: 20/s, keys: 10}
"""


def test_active_controller_loss_fails_over_in_a_few_seconds_and_brokers_keep_sessions():
    result = run_scenario("kraft-active-controller-loss")
    rows = result.trace.rows(ControllerActive)
    assert rows[0].controller == "controller-0"
    gone = [r for r in rows if not r.controller][0]
    back = [r for r in rows if r.controller and r.t_us > gone.t_us][0]
    assert back.controller != "controller-0"
    assert 2_000_000 <= back.t_us - gone.t_us <= 5_000_000   # fetch timeout + election
    assert result.trace.rows(BrokerFenced) == []
    assert result.summary["lost"] == 0


def test_quorum_loss_freezes_fencing_until_a_majority_returns():
    result = run_scenario("kraft-quorum-loss-freezes-metadata")
    fenced = [r for r in result.trace.rows(BrokerFenced) if r.broker == 2]
    active_again = [r for r in result.trace.rows(ControllerActive)
                    if r.controller and r.t_us > 10_000_000]
    assert fenced and active_again
    assert fenced[0].t_us > active_again[0].t_us >= 30_000_000
    assert result.summary["metadata_unavailable_s"] > 17


def test_without_controllers_the_logical_host_reports_no_metadata_gap():
    plain = BASE.replace(", controllers: 3", "")
    result = sim.run(sim.loads(plain + "timeline:\n  - {at: 2s, isolate: controller, for: 5s}\n"))
    assert result.summary["metadata_unavailable_s"] == 0.0


def test_controller_is_no_host_with_a_quorum_and_voters_need_one():
    with pytest.raises(ScenarioError, match="quorum controller"):
        sim.loads(BASE + "timeline:\n  - {at: 1s, crash: controller}\n")
    with pytest.raises(ScenarioError, match="controller-0 to controller-2"):
        sim.loads(BASE + "timeline:\n  - {at: 1s, crash: controller-3}\n")
    plain = BASE.replace(", controllers: 3", "")
    with pytest.raises(ScenarioError, match="cluster.controllers"):
        sim.loads(plain + "timeline:\n  - {at: 1s, crash: \"controller(active)\"}\n")


def test_crashing_all_controllers_leaves_no_active_one_until_they_restart():
    text = BASE + "timeline:\n  - {at: 3s, crash: controllers, for: 5s}\n"
    result = sim.run(sim.loads(text))
    gap = result.summary["metadata_unavailable_s"]
    assert 5 <= gap <= 9


def test_check_quorum_is_a_3_7_rule_and_controllers_need_a_kraft_release():
    from sim.world import World
    old = sim.loads(BASE.replace("controllers: 3", "controllers: 3, version: \"3.6\""))
    new = sim.loads(BASE.replace("controllers: 3", "controllers: 3, version: \"3.7\""))
    assert not World(old, 1).controllers[0].raft.settings.check_quorum
    assert World(new, 1).controllers[0].raft.settings.check_quorum
    switched = sim.loads(BASE.replace("controllers: 3", "controllers: 3, version: \"3.6\", "
                                      "protocol: {quorum.check: true}"))
    assert World(switched, 1).controllers[0].raft.settings.check_quorum
    with pytest.raises(ScenarioError, match="version 3.3 or later"):
        sim.loads(BASE.replace("controllers: 3", "controllers: 3, version: \"2.8\""))


def test_a_single_explicit_voter_is_down_until_it_restarts():
    text = BASE.replace("controllers: 3", "controllers: 1") + \
        "timeline:\n  - {at: 3s, crash: controller-0, for: 4s}\n"
    result = sim.run(sim.loads(text))
    assert result.summary["metadata_unavailable_s"] == pytest.approx(4, abs=0.1)


def test_the_fetch_timeout_sets_how_long_followers_wait_for_a_lost_leader():
    text = BASE.replace("controllers: 3", "controllers: 3, config: "
                        "{controller.quorum.fetch.timeout.ms: 5000}") + \
        "timeline:\n  - {at: 3s, crash: \"controller(active)\"}\n"
    gap = sim.run(sim.loads(text)).summary["metadata_unavailable_s"]
    assert 5 <= gap <= 7.1          # fetch timeout, then at most two election timeouts
