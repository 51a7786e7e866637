"""`kafkasim sweep`: a table or a file of rows, exit 2 with nothing written on bad input."""

import pandas as pd
import pytest

import sim
from tests.cli.test_cli import kafkasim
from tests.sweep.conftest import ACKS, MIN_ISR

SETS = ("--set", f"{ACKS}=1,all", "--set", f"{MIN_ISR}=3")


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet"])
def test_out_writes_the_rows_of_sim_sweep(tiny, tmp_path, name):
    out = tmp_path / "nested" / name
    proc = kafkasim("sweep", tiny, "--seeds", 2, *SETS, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"wrote 4 runs to {out}\n" and proc.stderr == ""
    read = pd.read_csv(out) if name.endswith(".csv") else pd.read_parquet(out)
    expected = sim.sweep(tiny, 2, [f"{ACKS}=1,all", f"{MIN_ISR}=3"], progress=False)
    if name.endswith(".csv"):
        expected = expected.fillna(float("nan"))     # CSV has no None, only empty cells
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)


def test_without_out_it_prints_the_means_of_each_combination(tiny):
    proc = kafkasim("sweep", tiny, "--seeds", 2, *SETS, "--workers", 2)
    assert proc.returncode == 0, proc.stderr     # an expectation failed: reported, not enforced
    rows = [line for line in proc.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 2 and "0/2" in rows[0] and "2/2" in rows[1]
    assert "seeds 1 .. 2" in proc.stdout and ACKS in proc.stdout


@pytest.mark.parametrize("args, fragment", [
    (("--set", f"{ACKS}=1,al", "--out", "rows.csv"), f"--set {ACKS}: expected one of"),
    (("--set", "cluster.brokers=3,5", "--out", "rows.txt"), "expected a file name ending in .csv"),
    (("--out", "rows"), "found no extension"),
    (("--workers", "2", "--dask", "tcp://127.0.0.1:1"), "not allowed with argument"),
    (("--seeds", "0"), "at least 1"),
    (("--dask", "nonsense"), "--dask: expected the address of a running Dask scheduler"),
])
def test_bad_input_exits_2_with_one_paragraph_and_writes_nothing(tiny, tmp_path, args, fragment):
    seeds = () if "--seeds" in args else ("--seeds", 2)
    proc = kafkasim("sweep", tiny, *seeds, *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr and "Traceback" not in proc.stderr and proc.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_max_wall_marks_the_rows_partial_and_warns(tiny, tmp_path):
    out = tmp_path / "rows.csv"
    proc = kafkasim("sweep", tiny, "--seeds", 2, "--set", f"{ACKS}=all", "--max-wall", "0",
                    "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 2 runs stopped at a running limit" in proc.stderr
    rows = pd.read_csv(out)
    assert rows["partial"].all() and not rows["expect_ok"].any()
    assert (rows["produced"] < 800).all()


@pytest.mark.parametrize("command", [("sweep", "--seeds", "1"), ("check",),
                                     ("explore", "--budget", "1"), ("run",)])
def test_a_negative_max_wall_is_refused(tiny, command):
    name, *rest = command
    proc = kafkasim(name, tiny, *rest, "--max-wall", "-1")
    assert proc.returncode == 2
    assert "--max-wall: expected a number of seconds, at least 0, found '-1'" in proc.stderr
