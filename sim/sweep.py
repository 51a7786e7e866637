"""Sweeps: every combination of some settings, times many seeds, one row per run.

    df = sim.sweep("scenarios/quickstart.yaml", seeds=10,
                   sets=["producers.checkout.config.acks=1,all", "cluster.brokers=3,5"])

`sets` are `PATH=V1,V2,...` texts, as `kafkasim sweep --set` takes them (values split on
top-level commas, `[a, b]` is one value), or a mapping {PATH: [value, ...]} of Python values.
Several paths form a grid: the first varies slowest. Every combination is validated before
anything runs; a bad value raises the usual `ScenarioError` naming `--set PATH`.

Each run is independent and deterministic, so the rows are the same whether the runs go one
after the other, to a local process pool (`workers=N`) or to a Dask distributed cluster
(`dask="tcp://host:port"`): rows come back in grid order, then seed order, whatever order the
runs finished in. A worker receives the parsed scenario and its overrides, not a file path,
so a remote worker needs kafkasim installed (the same versions give the same digests) but
not the scenario file. `max_wall_s` bounds each run's real time: a run stopped by it (or by
the event budget) has `partial` set, and its `expect_ok` is False.

See docs/cli.md#sweep.
"""

from __future__ import annotations

import itertools
import json
import shlex
import sys
import types
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass

from sim.scenario import ScenarioError, from_dict, split_sweep_values
from sim.scenario.errors import describe, quote
from sim.scenario.yamlload import load_yaml, parse_text, read_file

NESTED = ("lost_by_cause", "skipped_by_cause", "errors")


@dataclass(frozen=True)
class Param:
    """One swept path: the YAML text of each value (for the override) and its column value."""
    path: str
    texts: tuple[str, ...]
    values: tuple


@dataclass(frozen=True)
class Job:
    """One run: the parsed file, the overrides of its combination, and the seed."""
    raw: dict
    source: str
    overrides: tuple[str, ...]
    seed: int
    max_wall_s: float | None = None


def sweep(path, seeds: int, sets=None, workers: int = 1, dask: str | None = None,
          progress: bool = True, max_wall_s: float | None = None):
    """Run every combination of `sets` for seeds seed .. seed+seeds-1; a DataFrame, one row each.

    Columns: the swept paths, `seed`, the summary (nested counters flattened with dots, a cause
    a run did not see counted 0), `digest` and `expect_ok` (the run was whole and every
    expectation held).
    Example: sim.sweep("s.yaml", 10, ["topics.orders.replication.factor=2,3"], workers=2)
    """
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"seeds: expected a whole number of at least 1, found {seeds!r}")
    if dask and workers > 1:
        raise ValueError("workers and dask: expected one of them, found both")
    source = str(path)
    raw = parse_text(read_file(path), source)
    params = parse_sets(sets, source)
    jobs = plan(raw, source, params, seeds, max_wall_s)
    summaries = execute(jobs, workers, dask, progress)
    return table(params, jobs, summaries)


def parse_sets(sets, source: str) -> list[Param]:
    """The swept paths and their values, in the order given; each path at most once."""
    if sets is None:
        return []
    if isinstance(sets, str):
        sets = [sets]
    items = sets.items() if isinstance(sets, Mapping) else [_split(s, source) for s in sets]
    params: list[Param] = []
    for name, values in items:
        if any(p.path == name for p in params):
            raise ScenarioError(source, f"--set {name}", "one --set per path, its values "
                                "separated by commas", "a second --set of the same path")
        if name == "seed":
            raise ScenarioError(source, "--set seed", "a path other than seed", "seed",
                                "A sweep runs the seeds seed .. seed+N-1 of each combination: "
                                "change the file's seed.")
        params.append(_param(name, values, source))
    return params


class _Texts(tuple):
    """Values split from a `PATH=V1,V2` text: YAML texts, not Python values."""


def _split(item: object, source: str) -> tuple[str, _Texts]:
    if not isinstance(item, str) or "=" not in item:
        raise ScenarioError(source, "--set", "PATH=V1,V2,...", describe(item))
    name, _, values = item.partition("=")
    return name.strip(), _Texts(split_sweep_values(values))


def _param(name: str, values, source: str) -> Param:
    """Column values are the parsed values when all are numbers, all strings or all booleans,
    else their texts (a column of one type plots and writes to Parquet)."""
    if isinstance(values, _Texts):
        texts = shown = tuple(values)
        parsed = tuple(load_yaml(t, source, f"--set {name}") for t in texts)
    elif isinstance(values, (list, tuple)) and values:
        texts = tuple(json.dumps(v) for v in values)     # JSON is YAML's flow syntax
        parsed = tuple(values)
        shown = tuple(v if isinstance(v, str) else t for v, t in zip(values, texts, strict=True))
    else:
        raise ScenarioError(source, f"--set {name}", "a non-empty list of values",
                            describe(values))
    kinds = {_kind(v) for v in parsed}
    return Param(name, texts, parsed if len(kinds) == 1 and None not in kinds else shown)


def _kind(value) -> str | None:
    """bool, number or str (a column of one kind keeps its values), else None."""
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "str" if isinstance(value, str) \
        else None


def plan(raw: dict, source: str, params: list[Param], seeds: int,
         max_wall_s: float | None = None) -> list[Job]:
    """Validate every combination (before anything runs); one job per combination and seed."""
    from sim.runner import check_modeled
    jobs = []
    for combination in itertools.product(*(p.texts for p in params)):
        overrides = tuple(f"{p.path}={text}" for p, text in zip(params, combination, strict=True))
        spec = from_dict(raw, source, overrides)
        check_modeled(spec)
        jobs += [Job(raw, source, overrides, spec.seed + k, max_wall_s) for k in range(seeds)]
    return jobs


def run_job(job: Job) -> dict:
    """Run one job (in this process, a pool worker or a Dask worker); its summary."""
    from sim.runner import run
    return run(from_dict(job.raw, job.source, job.overrides), seed=job.seed,
               max_wall_s=job.max_wall_s).summary


def execute(jobs: list[Job], workers: int = 1, dask: str | None = None,
            progress: bool = True) -> list[dict]:
    """The jobs' summaries, in job order: serially, on a process pool or on a Dask cluster."""
    with _bar(len(jobs), progress) as advance:
        if dask:
            return _on_dask(jobs, dask, advance)
        if workers > 1 and len(jobs) > 1:
            return _on_pool(jobs, workers, advance)
        summaries = []
        for job in jobs:
            summaries.append(_blaming(job, run_job, job))
            advance()
        return summaries


def pool_context():
    """The start method for worker processes: forkserver where there is one, else spawn (never
    fork: a forked worker would inherit the parent's threads and open files)."""
    import multiprocessing
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def dask_client(address: str, source: str):
    """A client of the Dask scheduler at `address`; a bad address is the user's mistake."""
    import distributed
    from distributed.comm import get_address_host_port
    try:
        get_address_host_port(address)     # a malformed address, before a Client half exists
        return distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ScenarioError(source, "--dask", "the address of a running Dask scheduler",
                            f"{quote(address)} ({err})") from None


def _on_pool(jobs: list[Job], workers: int, advance) -> list[dict]:
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        futures = [pool.submit(run_job, job) for job in jobs]
        index = {future: i for i, future in enumerate(futures)}
        try:
            return _collect(jobs, as_completed(futures), lambda f: index[f], advance)
        finally:
            pool.shutdown(cancel_futures=True)


def _on_dask(jobs: list[Job], address: str, advance) -> list[dict]:
    import distributed
    with dask_client(address, jobs[0].source) as client:
        futures = client.map(run_job, jobs, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        completed = distributed.as_completed(futures, loop=client.loop, raise_errors=False)
        try:
            return _collect(jobs, completed, lambda f: index[f.key], advance)
        except BaseException:
            client.cancel(futures)
            raise


def _collect(jobs, completed, position, advance) -> list[dict]:
    """Each future's result in its job's place, as they complete."""
    summaries: list = [None] * len(jobs)
    for future in completed:
        i = position(future)
        summaries[i] = _blaming(jobs[i], future.result)
        advance()
    return summaries


def _blaming(job: Job, call, *args):
    """call(*args); an error names the run that raised it (`repro`, for the CLI)."""
    try:
        return call(*args)
    except Exception as err:
        parts = ["kafkasim", "run", job.source, "--seed", str(job.seed)]
        for override in job.overrides:
            parts += ["--set", override]
        err.repro = " ".join(shlex.quote(p) for p in parts)
        raise


@contextmanager
def _bar(total: int, enabled: bool):
    """A progress bar on stderr (when it is a terminal or Jupyter); yields advance()."""
    from rich.console import Console
    console = Console(stderr=True)
    if not enabled or not (console.is_terminal or console.is_jupyter):
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    columns = ("sweep", BarColumn(), MofNCompleteColumn(), "runs", TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("sweep", total=total)
        yield lambda: bar.advance(task)


def table(params: list[Param], jobs: list[Job], summaries: list[dict]):
    """One row per run: the swept values, seed, the flattened summary, digest, expect_ok."""
    import pandas as pd

    from sim.runner import KEY_ORDER
    points = list(itertools.product(*(p.values for p in params)))
    per_point = len(jobs) // max(len(points), 1)
    nested = {key: sorted(set().union(*(s[key] for s in summaries))) for key in NESTED}
    rows = []
    for i, summary in enumerate(summaries):
        row = {p.path: value for p, value in zip(params, points[i // per_point], strict=True)}
        row["seed"] = summary["seed"]
        for key in KEY_ORDER:
            if key in nested:
                row.update({f"{key}.{k}": summary[key].get(k, 0) for k in nested[key]})
            elif key not in ("seed", "digest", "expect"):
                row[key] = summary[key]
        row["digest"] = summary["digest"]
        row["expect_ok"] = not summary["partial"] and all(e["ok"] for e in summary["expect"])
        rows.append(row)
    return pd.DataFrame(rows)


class _CallableModule(types.ModuleType):
    """`sim.sweep` names both this module and its function: calling the module calls sweep()."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
