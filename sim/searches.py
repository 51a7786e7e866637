"""Running explore's independent searches: in order, on a process pool or on a Dask cluster.

The searches are plain data and each is deterministic, so where they run does not change
what they find. They are consumed in order, and consuming stops at the first search that
broke the scenario: a pool or a cluster may have started later searches by then, and
those are stopped and their results dropped. So a serial run, a pool and a cluster return
the same outcomes, the same counts included.

Progress: each search reports every schedule it runs; from a pool worker the reports
travel through a managed queue, from a Dask worker they arrive as one report per search
when it finishes. The bar counts drawn schedules against the budget, with the breaks
found and the runs spent shrinking them.
"""

from __future__ import annotations

import queue as queues
from collections.abc import Callable
from contextlib import contextmanager

POLL_S = 0.1


def execute(searches: list, run_search: Callable, workers: int = 1, dask: str | None = None,
            progress: bool = False) -> list:
    """The searches' outcomes in order, up to and including the first that broke."""
    with _bar(sum(s.budget for s in searches), progress) as report:
        if dask:
            return _on_dask(searches, run_search, dask, report)
        if workers > 1 and len(searches) > 1:
            return _on_pool(searches, run_search, workers, report)
        outcomes = []
        for search in searches:
            outcomes.append(run_search(search, report))
            if outcomes[-1].broken:
                break
        return outcomes


def _reporting(run_search: Callable, search, reports) -> object:
    """In a pool worker: run the search, its reports sent to the parent's queue."""
    return run_search(search, lambda outcome, drawn: reports.put((outcome, drawn)))


def _on_pool(searches: list, run_search: Callable, workers: int, report) -> list:
    from sim.sweep import pool_context
    context = pool_context()
    with context.Manager() as manager:
        reports = manager.Queue()
        pool = context.Pool(min(workers, len(searches)))
        try:
            pending = [pool.apply_async(_reporting, (run_search, s, reports)) for s in searches]
            outcomes = []
            for result in pending:
                while not result.ready():
                    _relay(reports, report, POLL_S)
                outcomes.append(result.get())
                if outcomes[-1].broken:
                    break
            _relay(reports, report, 0)
            return outcomes
        finally:
            pool.terminate()
            pool.join()


def _relay(reports, report, wait_s: float) -> None:
    """Pass on the reports queued so far (waiting up to wait_s for the first)."""
    try:
        item = reports.get(timeout=wait_s) if wait_s else reports.get_nowait()
        while True:
            report(*item)
            item = reports.get_nowait()
    except queues.Empty:
        return


def _on_dask(searches: list, run_search: Callable, address: str, report) -> list:
    from sim.sweep import dask_client
    with dask_client(address, searches[0].source) as client:
        futures = [client.submit(run_search, s, _silent, pure=False) for s in searches]
        outcomes = []
        try:
            for search, future in zip(searches, futures, strict=True):
                outcomes.append(future.result())
                _report_whole(search, outcomes[-1], report)
                if outcomes[-1].broken:
                    break
            return outcomes
        finally:
            client.cancel(futures)


def _silent(_outcome: str, _drawn: bool) -> None:
    """A search on a Dask worker reports nothing while it runs."""


def _report_whole(search, outcome, report) -> None:
    """One finished search as reports: its budget drawn, its break and its shrinking runs."""
    for _ in range(search.budget):
        report("skipped", True)
    for i in range(outcome.tried - outcome.drawn):
        report("broke" if outcome.broken and i == 0 else "held", False)


@contextmanager
def _bar(total: int, enabled: bool):
    """A progress bar on stderr (when it is a terminal or Jupyter); yields report()."""
    from rich.console import Console
    console = Console(stderr=True)
    if not enabled or not (console.is_terminal or console.is_jupyter):
        yield lambda outcome, drawn: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    columns = ("explore", BarColumn(), MofNCompleteColumn(), "schedules,",
               "{task.fields[breaks]} breaks,", "{task.fields[shrinking]} shrinking runs",
               TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("explore", total=total, breaks=0, shrinking=0)
        counts = {"breaks": 0, "shrinking": 0}

        def report(outcome: str, drawn: bool) -> None:
            counts["breaks"] += outcome == "broke"
            counts["shrinking"] += not drawn
            bar.update(task, advance=int(drawn), **counts)
        yield report
