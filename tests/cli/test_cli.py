"""The command line: exit codes, --json, output folders, clear errors, help for every command."""

import json
import os
import subprocess
import sys

import pytest

from sim.cli import build_parser
from tests.conftest import ROOT, SCENARIOS

FAST = SCENARIOS / "acks-all-leader-stop.yaml"


def kafkasim(*args, cwd=ROOT, env=None):
    """Run the CLI as a user would; `env` adds to the environment."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env} if env else None)


def test_every_command_has_help_with_an_example():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(commands) >= {"run", "validate"}
    for name, sub in commands.items():
        assert "e.g. kafkasim" in sub.description, name


def test_run_json_prints_exactly_one_object_and_writes_only_into_out(tmp_path):
    proc = kafkasim("run", FAST, "--json", "--out", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["scenario"] == "acks-all-leader-stop" and summary["lost"] == 0
    written = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert written == summary
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["seed"] == 11 and len(manifest["scenario_sha256"]) == 64
    assert {"python", "simpy", "numpy", "pandas", "kafkasim"} <= set(manifest["versions"])
    assert [p.name for p in tmp_path.iterdir()] == ["o"]
    assert all(p.is_file() for p in (tmp_path / "o").iterdir())
    assert {"report.html", "records.parquet"} <= {p.name for p in (tmp_path / "o").iterdir()}


def test_a_failed_expectation_exits_1_and_prints_the_reproducing_command(tmp_path):
    proc = kafkasim("run", FAST, "--no-report", "--set", 'expect.lost="> 0"')
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout
    assert "kafkasim run" in proc.stdout and "--seed 11" in proc.stdout


def test_no_report_writes_nothing_and_imports_no_pandas_matplotlib_or_pyarrow(tmp_path):
    code = ("import sys; from sim.cli import main; code = main(sys.argv[1:]); "
            "heavy = {'pandas', 'matplotlib', 'pyarrow'} & set(sys.modules); "
            "sys.stderr.write(f'heavy={sorted(heavy)}'); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code, "run", str(FAST), "--no-report",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert "heavy=[]" in proc.stderr


@pytest.mark.parametrize("args, fragment", [
    (("run", "missing.yaml"), "missing.yaml"),
    (("run", FAST, "--set", "cluster.brokers=0"), "--set cluster.brokers"),
    (("run", FAST, "--seed", "x"), "invalid int value"),
    (("validate", FAST, "--set", "topics.test_topic.config.log.retention.ms=5"), "retention.ms"),
])
def test_bad_input_exits_2_with_one_clear_paragraph_and_no_traceback(args, fragment, tmp_path):
    proc = kafkasim(*args, "--json" if args[0] == "run" else "--explain", cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr


def test_validate_explain_shows_each_value_with_its_source():
    proc = kafkasim("validate", FAST, "--explain",
                    "--set", "cluster.config.replica.lag.time.max.ms=10000")
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "replica.lag.time.max.ms" in x)
    assert "10000" in line and "--set" in line
    assert any("min.insync.replicas" in x and "scenario" in x for x in proc.stdout.splitlines())


def test_the_human_summary_names_the_causes_of_loss():
    proc = kafkasim("run", SCENARIOS / "acks1-leader-crash.yaml", "--no-report")
    assert proc.returncode == 0, proc.stderr
    assert "not_replicated_before_failover" in proc.stdout
    assert "digest" in proc.stdout


def test_a_wall_clock_limit_stops_the_run_with_exit_3_and_a_partial_summary():
    proc = kafkasim("run", SCENARIOS / "quickstart.yaml", "--json", "--no-report",
                    "--max-wall", "0.2")
    assert proc.returncode == 3
    summary = json.loads(proc.stdout)
    assert summary["partial"] is True
    assert 0 < summary["produced"] < 120_000


BAD = ROOT / "tests" / "scenario_file" / "bad"
COMMANDS = {"run": ("run", "{f}"), "validate": ("validate", "{f}"), "check": ("check", "{f}"),
            "explore": ("explore", "{f}", "--budget", "2"),
            "sweep": ("sweep", "{f}", "--seeds", "2")}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("bad", ["yaml_syntax.yaml", "unknown_property.yaml", "alias_bomb.yaml",
                                 "binary.yaml", "python_tag.yaml"])
def test_every_command_refuses_a_bad_file_the_same_way_and_writes_nothing(command, bad,
                                                                          tmp_path):
    path = tmp_path / bad
    path.write_bytes((BAD / bad).read_bytes())
    args = [a.format(f=path) for a in COMMANDS[command]]
    proc = kafkasim(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith(f"{path}: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad]
