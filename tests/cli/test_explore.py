"""`kafkasim explore`: seeded fault schedules against expect:, a shrunk runnable scenario out."""

import yaml

from tests.cli.test_cli import kafkasim

BASE = """name: {name}
seed: 2
duration: 20s
drain: 15s
cluster: {{brokers: 3}}
topics:
  orders: {{partitions: 1, replication.factor: 3, config: {{min.insync.replicas: {isr}}}}}
producers:
  checkout: {{topic: orders, rate: 1000/s, config: {{acks: {acks}}}}}
expect: {{lost: 0}}
"""


def test_explore_finds_and_shrinks_a_schedule_that_loses_acks1_writes(tmp_path):
    path = tmp_path / "acks1.yaml"
    path.write_text(BASE.format(name="acks1", isr=1, acks=1))
    proc = kafkasim("explore", path, "--budget", "30", "--out", tmp_path / "out")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    broken = tmp_path / "out" / "acks1-broken.yaml"
    timeline = yaml.safe_load(broken.read_text())["timeline"]
    faults = [e for e in timeline if "restart" not in e]
    assert len(faults) == 1 and set(faults[0]) & {"crash", "stop", "power_loss", "isolate",
                                                  "pause", "partition", "slow_disk"}
    rerun = kafkasim("run", broken, "--no-report")
    assert rerun.returncode == 1 and "lost" in rerun.stdout
    again = kafkasim("explore", path, "--budget", "30", "--out", tmp_path / "again")
    assert again.returncode == 1
    assert (tmp_path / "again" / "acks1-broken.yaml").read_text() == broken.read_text()


def test_explore_exits_0_when_kafka_keeps_its_promise(tmp_path):
    path = tmp_path / "safe.yaml"
    path.write_text(BASE.format(name="safe", isr=2, acks="all"))
    proc = kafkasim("explore", path, "--budget", "4", "--max-faulty", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "kept every expectation" in proc.stdout
