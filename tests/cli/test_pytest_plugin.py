"""The pytest plugin: scenario files with expectations are test items; other YAML never is."""

import subprocess
import sys

from tests.cli.test_check import SMALL


def _project(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "holds.yaml").write_text(
        SMALL.format(name="holds") + "expect: {lost: 0}\n")
    (tmp_path / "scenarios" / "breaks.yaml").write_text(
        SMALL.format(name="breaks") + "expect: {acked: '< 10', lost: 0}\n")
    (tmp_path / "scenarios" / "no-expect.yaml").write_text(SMALL.format(name="no-expect"))
    (tmp_path / "tests" / "bad").mkdir(parents=True)
    (tmp_path / "tests" / "bad" / "unknown-key.yaml").write_text(
        "name: x\nduration: 1s\ncluster: {brokers: 1}\nexpect: {nonsense: 1}\n")
    return tmp_path


def pytest_in(folder, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "no:xdist", *args], cwd=folder, capture_output=True,
                          text=True, timeout=300)


def test_a_failing_scenario_shows_wanted_against_measured_and_the_command(tmp_path):
    project = _project(tmp_path)
    proc = pytest_in(project, "scenarios", "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in proc.stdout
    assert "wanted < 10" in proc.stdout and "got 600  FAILED" in proc.stdout
    assert "lost" in proc.stdout and "got 0  ok" in proc.stdout
    assert "reproduce: kafkasim run" in proc.stdout and "breaks.yaml --seed 3" in proc.stdout


def test_yaml_outside_the_scenario_folders_is_never_collected(tmp_path):
    project = _project(tmp_path)
    proc = pytest_in(project, "tests", "-q")
    assert proc.returncode == 5, proc.stdout      # no tests ran
    everything = pytest_in(project, "--collect-only", "-q")
    assert "holds.yaml::holds" in everything.stdout
    assert "breaks.yaml::breaks" in everything.stdout
    assert "unknown-key" not in everything.stdout and "no-expect" not in everything.stdout
