"""Regression checks: run every scenario that states expectations (`kafkasim check`).

`scenario_files(paths)` finds the scenario files under files and folders
(`*.yaml`, `*.yml`, folders searched recursively, sorted), keeping those
with a top-level `expect:` block. `check(files, workers)` runs each at its
own seed, in a process pool when `workers` > 1; each run is independent and
deterministic, so the results are the same whatever the number of workers,
and they come back in file order. `max_wall_s` bounds each run's real time
(`--max-wall`): a run stopped by it, or by the event budget, is `partial`
and holds no expectation. A file that is not a valid scenario stops
the check with its ScenarioError before anything runs.
"""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sim.scenario import load

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Checked:
    """The outcome of one scenario's expectations."""
    path: str
    name: str
    seed: int
    expect: tuple             # ({key, wanted, got, ok}, ...)
    partial: bool
    digest: str

    @property
    def ok(self) -> bool:
        return not self.partial and all(e["ok"] for e in self.expect)


def scenario_files(paths) -> list[Path]:
    """The scenario files with expectations under these files and folders."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES)
        else:
            candidates = [path]
        for candidate in candidates:
            if candidate not in found and load(candidate).expect:
                found.append(candidate)
    return found


def _run_one(path: str, max_wall_s: float | None = None) -> Checked:
    import sim
    scenario = load(path)
    result = sim.run(scenario, max_wall_s=max_wall_s)
    return Checked(path, scenario.name, scenario.seed, tuple(result.summary["expect"]),
                   bool(result.summary["partial"]), result.summary["digest"])


def as_json(results) -> list[dict]:
    """The outcomes as JSON-ready rows (`kafkasim check --json`)."""
    return [{"path": r.path, "name": r.name, "seed": r.seed, "ok": r.ok, "partial": r.partial,
             "digest": r.digest, "expect": list(r.expect)} for r in results]


def check(files, workers: int = 1, max_wall_s: float | None = None) -> list[Checked]:
    """Run the scenarios (in a pool of `workers` processes when > 1), in file order."""
    paths = [str(f) for f in files]
    run_one = partial(_run_one, max_wall_s=max_wall_s)
    if workers <= 1 or len(paths) <= 1:
        return [run_one(p) for p in paths]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_one, paths))
