"""Shared test fixtures: Hypothesis profiles and one cached run per (scenario, seed, overrides).

A run is cached in the process, and shared between pytest-xdist's workers through a folder
the controller makes for the session: the first worker to need a run makes it under a file
lock and pickles it; a worker that needs it later (or waits on the lock meanwhile) loads it.
About a third of the library runs the tests ask for are asked for by both workers.
"""

import fcntl
import functools
import gc
import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

import sim
from sim.runner import young_collections

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# `make test` draws the same examples on every machine (CI stays reproducible) and skips the
# explain phase (it reruns a failure under a line tracer, ten times slower); `make fuzz`
# draws fresh ones, many more, and keeps failures in .hypothesis/ for replay.
settings.register_profile("default", max_examples=8, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow],
                          phases=[p for p in Phase if p is not Phase.explain])
FUZZ_EXAMPLES = 200
settings.register_profile("fuzz", max_examples=FUZZ_EXAMPLES, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """The examples of a property that sets its own count (which overrides the profile's): n
    in `make test`, at least the fuzz profile's in `make fuzz`."""
    return max(n, FUZZ_EXAMPLES) if PROFILE == "fuzz" else n


SHARED_RUNS = "KAFKASIM_TEST_RUNS"     # the session's folder of pickled runs

# The test files that take longest, longest first (seconds on one core, at about 0.9 M
# yardstick events/s). `make test` hands whole files to its two workers in collection order
# (`--dist loadfile --no-loadscope-reorder`): the long ones first, the short ones fill in, so
# that neither worker ends alone on a long file (xdist's own order, by number of tests, left
# the one-test notebooks for last).
SLOWEST_FIRST = (
    "scenario/test_library.py",         # 350
    "scenario/test_versions.py",        # 150
    "cli/test_explore.py",              # 55
    "cli/test_cli.py",                  # 50
    "notebooks/test_transactions.py",   # 45
    "notebooks/test_kafka_versions.py",
    "notebooks/test_consumer_groups.py",
    "property/test_broken_rule.py",
    "notebooks/test_durability_tradeoffs.py",
    "scenario/test_faults.py",
    "scenario/test_consumer_liveness.py",
    "determinism/test_digest.py",
)


def pytest_collection_modifyitems(items) -> None:
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}

    def order(item) -> int:
        path = item.path.as_posix().removeprefix(f"{ROOT.as_posix()}/tests/")
        return rank.get(path, len(SLOWEST_FIRST))
    items.sort(key=order)        # stable: the other files keep their order


def pytest_configure(config) -> None:
    workers = config.getoption("numprocesses", None)
    if workers and not hasattr(config, "workerinput") and SHARED_RUNS not in os.environ:
        os.environ[SHARED_RUNS] = config._kafkasim_runs = tempfile.mkdtemp(prefix="kafkasim-runs-")


def pytest_unconfigure(config) -> None:
    folder = getattr(config, "_kafkasim_runs", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        del os.environ[SHARED_RUNS]


@functools.lru_cache(maxsize=None)
def run_scenario(name: str, seed: int | None = None, overrides: tuple = ()) -> sim.Result:
    """Run scenarios/<name>.yaml once per test session for these arguments."""
    path = SCENARIOS / f"{name}.yaml"
    folder = os.environ.get(SHARED_RUNS)
    if folder is None:
        result = _run(path, seed, overrides)
    else:
        key = hashlib.sha256(repr((path.read_bytes(), seed, overrides)).encode()).hexdigest()
        result = _shared_run(Path(folder) / key, path, seed, overrides)
    gc.freeze()     # cached until the end: spare them every later collection (12 % of CPU)
    return result


def _run(path: Path, seed, overrides: tuple) -> sim.Result:
    return sim.run(sim.load(path, overrides=list(overrides)), seed=seed)


def _shared_run(stem: Path, path: Path, seed, overrides: tuple) -> sim.Result:
    """The run pickled at stem by another worker, or made here (and pickled) under its lock.

    Pickling and loading go under the run's own collector thresholds: they make or walk
    millions of objects, and the full collections that would set off walk the whole heap
    (a dump takes 2.5 times as long, a load 5 times)."""
    pickled = stem.with_suffix(".pickle")
    with open(stem.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if pickled.exists():
            with open(pickled, "rb") as f, young_collections():
                return pickle.load(f)
        result = _run(path, seed, overrides)
        partial = stem.with_suffix(".partial")
        with open(partial, "wb") as f, young_collections():
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.rename(pickled)
        return result

