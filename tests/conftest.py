"""Shared test fixtures: Hypothesis profiles and one cached run per (scenario, seed, overrides)."""

import functools
import gc
import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

import sim

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# `make test` draws the same examples on every machine (CI stays reproducible) and skips the
# explain phase (it reruns a failure under a line tracer, ten times slower); `make fuzz`
# draws fresh ones, many more, and keeps failures in .hypothesis/ for replay.
settings.register_profile("default", max_examples=8, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow],
                          phases=[p for p in Phase if p is not Phase.explain])
settings.register_profile("fuzz", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@functools.lru_cache(maxsize=None)
def run_scenario(name: str, seed: int | None = None, overrides: tuple = ()) -> sim.Result:
    """Run scenarios/<name>.yaml once per process for these arguments."""
    result = sim.run(sim.load(SCENARIOS / f"{name}.yaml", overrides=list(overrides)), seed=seed)
    gc.freeze()     # cached until the end: spare them every later collection (12 % of CPU)
    return result
