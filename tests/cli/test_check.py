"""`kafkasim check`: every scenario with expectations, one row each, exit 1 on a failure."""

import json

from tests.cli.test_cli import kafkasim

SMALL = """name: {name}
seed: 3
duration: 3s
drain: 2s
cluster: {{brokers: 3}}
topics:
  orders: {{partitions: 1, replication.factor: 3, config: {{min.insync.replicas: 2}}}}
producers:
  checkout: {{topic: orders, rate: 200/s}}
"""


def _folder(tmp_path):
    (tmp_path / "nested").mkdir()
    (tmp_path / "holds.yaml").write_text(SMALL.format(name="holds") + "expect: {lost: 0}\n")
    (tmp_path / "nested" / "breaks.yml").write_text(
        SMALL.format(name="breaks") + "expect: {acked: '< 10'}\n")
    (tmp_path / "no-expect.yaml").write_text(SMALL.format(name="no-expect"))
    return tmp_path


def test_check_runs_every_scenario_with_expectations_and_exits_1_on_a_failure(tmp_path):
    folder = _folder(tmp_path)
    proc = kafkasim("check", folder)
    assert proc.returncode == 1, proc.stderr
    rows = {line.split("│")[1].strip(): line for line in proc.stdout.splitlines()
            if line.startswith("│") and line.split("│")[1].strip()}
    assert set(rows) == {"holds", "breaks"}
    assert "ok" in rows["holds"] and "FAILED" in rows["breaks"]
    assert "acked < 10 -> 600 FAILED" in proc.stdout
    assert "1 of 2 scenarios hold their expectations" in proc.stdout
    assert f"kafkasim run {folder / 'nested' / 'breaks.yml'} --seed 3" in proc.stdout


def test_check_gives_the_same_table_with_several_workers(tmp_path):
    folder = _folder(tmp_path)
    serial, pooled = kafkasim("check", folder), kafkasim("check", folder, "--workers", "2")
    assert serial.returncode == pooled.returncode == 1
    assert serial.stdout == pooled.stdout


def test_check_refuses_paths_without_scenarios_to_check_and_bad_files(tmp_path):
    (tmp_path / "no-expect.yaml").write_text(SMALL.format(name="no-expect"))
    proc = kafkasim("check", tmp_path)
    assert proc.returncode == 2 and "no scenario with an expect: block" in proc.stderr
    (tmp_path / "bad.yaml").write_text("name: Bad Name\nduration: 1s\ncluster: {brokers: 1}\n")
    proc = kafkasim("check", tmp_path)
    assert proc.returncode == 2 and "bad.yaml" in proc.stderr and "Traceback" not in proc.stderr
    assert kafkasim("check", tmp_path, "--workers", "0").returncode == 2


def test_the_docs_worked_ci_example_holds(tmp_path):
    from tests.conftest import ROOT
    page = (ROOT / "docs" / "ci.md").read_text()
    start = page.index("name: broker-crash-loses-nothing")
    (tmp_path / "broker-crash.yaml").write_text(page[start:page.index("```", start)])
    proc = kafkasim("check", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 of 1 scenarios hold their expectations" in proc.stdout


def test_a_run_stopped_by_max_wall_is_partial_and_check_exits_3(tmp_path):
    folder = _folder(tmp_path)
    proc = kafkasim("check", folder, "--max-wall", "0", "--json")
    assert proc.returncode == 3, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert set(rows) == {"holds", "breaks"}
    assert all(row["partial"] and not row["ok"] for row in rows.values())


def test_a_failed_expectation_outranks_a_partial_run(tmp_path):
    (tmp_path / "breaks.yaml").write_text(SMALL.format(name="breaks") + "expect: {acked: '< 10'}\n")
    long = SMALL.format(name="long").replace("duration: 3s", "duration: 2000s")
    (tmp_path / "long.yaml").write_text(long + "expect: {lost: 0}\n")
    proc = kafkasim("check", tmp_path, "--max-wall", "1", "--json")
    assert proc.returncode == 1, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert not rows["breaks"]["partial"] and not rows["breaks"]["ok"]
    assert rows["long"]["partial"]
