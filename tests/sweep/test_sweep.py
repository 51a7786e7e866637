"""`sim.sweep`: one row per (combination, seed), the same rows serially, on a pool, on Dask."""

import importlib
import itertools
import subprocess
import sys

import pandas as pd
import pytest

import sim
from sim.scenario import ScenarioError
from tests.sweep.conftest import ACKS, GRID, MIN_ISR


@pytest.fixture(scope="module")
def serial(tiny):
    return sim.sweep(tiny, 10, GRID, progress=False)


def test_a_pool_and_a_dask_cluster_give_the_serial_rows_digests_included(tiny, serial):
    from distributed import LocalCluster
    pooled = sim.sweep(tiny, 10, GRID, workers=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        on_dask = sim.sweep(tiny, 10, GRID, dask=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(pooled, serial)
    pd.testing.assert_frame_equal(on_dask, serial)
    assert serial.groupby([ACKS, MIN_ISR])["digest"].nunique().eq(10).all()   # seeds matter


def test_rows_follow_the_grid_then_the_seeds(serial):
    assert list(serial.columns[:3]) == [ACKS, MIN_ISR, "seed"]
    assert list(serial.columns[-2:]) == ["digest", "expect_ok"]
    grid = [(a, m, s) for a, m in itertools.product(["1", "all"], [1, 2, 3]) for s in range(1, 11)]
    assert list(serial[[ACKS, MIN_ISR, "seed"]].itertuples(index=False, name=None)) == grid
    assert serial[MIN_ISR].dtype == "int64"     # one type: parsed values; mixed: the texts
    lost = serial.groupby([ACKS, MIN_ISR], sort=False)["lost"].min()
    assert lost[("1", 3)] > 0 and lost.drop(("1", 3)).eq(0).all()


def test_nested_keys_are_flattened_with_causes_a_run_did_not_see_as_0(serial):
    causes = [c for c in serial.columns if c.startswith("lost_by_cause.")]
    assert causes == ["lost_by_cause.not_committed_at_end"]
    assert serial[causes].sum(axis=1).eq(serial["lost"]).all()
    assert not {"lost_by_cause", "errors", "skipped_by_cause", "expect"} & set(serial.columns)
    assert not serial.map(lambda v: isinstance(v, (dict, list))).any().any()
    assert serial["expect_ok"].eq(serial["lost"] == 0).all()      # expect: {lost: 0}


def test_every_combination_is_validated_before_anything_runs(tiny, monkeypatch):
    module = importlib.import_module("sim.sweep")
    ran = []
    monkeypatch.setattr(module, "run_job", ran.append)
    with pytest.raises(ScenarioError, match=f"--set {MIN_ISR}: expected") as err:
        sim.sweep(tiny, 3, [f"{ACKS}=1,all", f"{MIN_ISR}=1,2,-1"], progress=False)
    assert str(tiny) in str(err.value) and ran == []


@pytest.mark.parametrize("sets, fragment", [
    ([f"{ACKS}=1", f"{ACKS}=all"], f"--set {ACKS}: expected one --set per path"),
    (["seed=1,2"], "--set seed: expected a path other than seed"),
    (["cluster.brokerz=3,5"], "--set cluster.brokerz: expected a field"),
    (["cluster.brokers"], "--set: expected PATH=V1,V2"),
    ({"cluster.brokers": 3}, "--set cluster.brokers: expected a non-empty list"),
])
def test_bad_sets_are_refused_naming_the_path(tiny, sets, fragment):
    with pytest.raises(ScenarioError, match=fragment.replace(".", r"\.")):
        sim.sweep(tiny, 1, sets, progress=False)


def test_a_list_stays_one_value_and_python_values_sweep_like_the_texts(tiny):
    assignment = "topics.orders.assignment"
    texts = sim.sweep(tiny, 2, [f"{ACKS}=1,all", f"{assignment}=[[0, 1, 2]],[[1, 2, 0]]"],
                      progress=False)
    values = sim.sweep(tiny, 2, {ACKS: ["1", "all"], assignment: [[[0, 1, 2]], [[1, 2, 0]]]},
                       progress=False)
    assert list(texts[assignment][:4]) == ["[[0, 1, 2]]"] * 2 + ["[[1, 2, 0]]"] * 2
    pd.testing.assert_frame_equal(values, texts)


def test_import_sim_stays_light_and_sim_sweep_stays_callable():
    code = ("import sys, sim; assert not {'pandas', 'distributed'} & set(sys.modules); "
            "import sim.sweep; from sim.sweep import sweep; assert callable(sim.sweep)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_progress_goes_to_stderr_and_progress_false_silences_it(tiny, capfd, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")      # rich then draws as on a terminal
    sim.sweep(tiny, 2, progress=True)
    shown = capfd.readouterr()
    assert "2/2" in shown.err and shown.out == ""
    sim.sweep(tiny, 2, progress=False)
    assert capfd.readouterr() == ("", "")


def test_a_run_that_fails_exits_4_naming_the_command_that_reproduces_it(tiny, capsys,
                                                                          monkeypatch):
    from sim.cli import main

    def broken(job):
        raise RuntimeError("boom")
    monkeypatch.setattr(importlib.import_module("sim.sweep"), "run_job", broken)
    assert main(["sweep", str(tiny), "--seeds", "1", "--set", "cluster.brokers=3,5"]) == 4
    assert (f"internal error: RuntimeError: boom. Reproduce with: kafkasim run {tiny} --seed 1 "
            "--set cluster.brokers=3 --debug") in capsys.readouterr().err
