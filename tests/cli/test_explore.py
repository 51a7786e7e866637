"""`kafkasim explore`: seeded fault schedules against expect:, a shrunk runnable scenario out."""

import json
import re

import pytest
import yaml

from sim.explore import with_faults
from tests.cli.test_cli import kafkasim

BASE = """name: {name}
seed: 2
duration: 20s
drain: 10s
cluster: {{brokers: 3}}
topics:
  orders: {{partitions: 1, replication.factor: 3, config: {{min.insync.replicas: {isr}}}}}
producers:
  checkout: {{topic: orders, rate: 500/s, config: {{acks: {acks}}}}}
expect: {{lost: 0}}
"""


@pytest.mark.slow
def test_explore_finds_and_shrinks_a_schedule_that_loses_acks1_writes(tmp_path):
    """About 200 runs (30 drawn, the rest shrinking): make fuzz. make test finds and shrinks
    with the power-loss search below and test_broken_rule's."""
    path = tmp_path / "acks1.yaml"
    path.write_text(BASE.format(name="acks1", isr=1, acks=1))
    proc = kafkasim("explore", path, "--budget", "30", "--out", tmp_path / "out")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    broken = tmp_path / "out" / "acks1-broken.yaml"
    timeline = yaml.safe_load(broken.read_text())["timeline"]
    assert 1 <= len(timeline) <= 2 and set(timeline[0]) & {
        "crash", "stop", "power_loss", "isolate", "pause", "partition", "slow_disk"}
    assert "lost: wanted 0, measured" in proc.stdout
    rerun = kafkasim("run", broken, "--no-report")
    assert rerun.returncode == 1 and "lost" in rerun.stdout


def test_explore_exits_0_when_kafka_keeps_its_promise_with_one_broker_faulty_at_once(tmp_path):
    path = tmp_path / "safe.yaml"
    path.write_text(BASE.format(name="safe", isr=2, acks="all"))
    proc = kafkasim("explore", path, "--budget", "25", "--max-faulty", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "25 fault schedules with at most 1 broker(s) faulty at once kept" in proc.stdout


def test_explore_finds_the_page_cache_loss_kafka_has_when_every_replica_loses_power(tmp_path):
    path = tmp_path / "safe.yaml"
    path.write_text(BASE.format(name="safe", isr=2, acks="all"))
    proc = kafkasim("explore", path, "--budget", "100", "--max-faulty", "3",
                    "--out", tmp_path / "out")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    broken = tmp_path / "out" / "safe-broken.yaml"
    (fault,) = yaml.safe_load(broken.read_text())["timeline"]
    assert fault["power_loss"] == "all-brokers"
    rerun = kafkasim("run", broken, "--no-report", "--json")
    assert rerun.returncode == 1
    assert json.loads(rerun.stdout)["lost_by_cause"]["power_loss"] > 0
    # the searches are seeded by the scenario: the same first search finds and shrinks the
    # same schedule when searches run side by side on a process pool (checked here, on the
    # cheapest search that shrinks, not on the acks=1 one). The first search breaks, so two
    # searches (40 schedules) give the outcome of five; a pool of all five would cost 3x.
    again = kafkasim("explore", path, "--budget", "40", "--max-faulty", "3",
                     "--workers", "2", "--out", tmp_path / "again")
    assert again.returncode == 1
    assert (tmp_path / "again" / "safe-broken.yaml").read_text() == broken.read_text()


def test_explore_keeps_the_scenarios_workload_actions_and_replaces_its_faults():
    raw = {"timeline": [{"at": "30s", "crash": "broker-1"},
                        {"at": "1m", "set_rate": {"producer": "checkout", "rate": "5/s"}}]}
    merged = with_faults(raw, [{"at": "50s", "pause": "broker-0", "for": "1s"}])
    assert merged["timeline"] == [{"at": "50s", "pause": "broker-0", "for": "1s"},
                                  {"at": "1m", "set_rate": {"producer": "checkout", "rate": "5/s"}}]


def test_explore_does_not_judge_a_schedule_whose_run_stopped_at_max_wall(tmp_path):
    path = tmp_path / "acks1.yaml"
    path.write_text(BASE.format(name="acks1", isr=1, acks=1))
    proc = kafkasim("explore", path, "--budget", "5", "--max-wall", "0", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 fault schedules" in proc.stdout
    # every schedule with a fault stopped at once; one drawn with none is not run at all
    unjudged = re.search(r"\((\d) stopped at a running limit and were not judged\)", proc.stdout)
    assert unjudged and 1 <= int(unjudged[1]) <= 5
    assert not (tmp_path / "out").exists()


EXPECTS_ELECTIONS = BASE.replace("expect: {{lost: 0}}", "expect: {{leader_elections: '>= 1'}}")


def test_explore_breaks_only_the_safety_expectations_unless_told_which(tmp_path):
    path = tmp_path / "elections.yaml"
    path.write_text(EXPECTS_ELECTIONS.format(name="elections", isr=2, acks="all"))
    proc = kafkasim("explore", path, "--budget", "5")
    assert proc.returncode == 2 and not proc.stdout
    assert "found only leader_elections" in proc.stderr
    assert "--target leader_elections" in proc.stderr
    typo = kafkasim("explore", path, "--budget", "5", "--target", "leader_election")
    assert typo.returncode == 2 and "Did you mean leader_elections?" in typo.stderr


def test_a_schedule_without_faults_is_never_reported_as_the_break(tmp_path):
    """Without faults the scenario already breaks its expectation: the break must be a fault."""
    path = tmp_path / "elections.yaml"
    path.write_text(EXPECTS_ELECTIONS.format(name="elections", isr=2, acks="all"))
    proc = kafkasim("explore", path, "--budget", "10", "--target", "leader_elections",
                    "--out", tmp_path / "out", env={"FORCE_COLOR": "1"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    timeline = yaml.safe_load((tmp_path / "out" / "elections-broken.yaml").read_text())["timeline"]
    assert len(timeline) == 1
    assert re.search(r"\(\d+ schedules run in \d+ s, \d+\.\d s per schedule\)", proc.stdout)
    assert "schedules," in proc.stderr and "breaks," in proc.stderr     # the progress bar
