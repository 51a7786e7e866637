"""Search for a fault schedule that breaks a scenario's expectations (`kafkasim explore`).

Hypothesis draws up to `budget` fault schedules from `sim.testing.fault_schedules`:
crashes, stops and power losses (each restarting what it took down after a
drawn time, or at the drain), pauses, isolations, cuts from the controller,
slow disks and slow or lossy links, on role targets (`leader(T/P)`,
`follower(T/P)`, `coordinator(G)`, `any-broker`, `rack(NAME)` given racks) and broker names, with at
most K faults overlapping in time, so at most K brokers are faulty at the
same time (docs/cli.md#explore; a slow link leaves both ends up and is not counted). They replace
the scenario's own faults; its workload actions (`set_rate`, `slow`,
`poison`, group scaling, offset resets) stay.

What breaks: an expectation on one of the target keys (by default the safety
ones: `lost`, duplicates, `reordered`, `replica_divergence`, `skipped`, and
their causes), or a runtime invariant (a bug in the model). A schedule with no
fault is never judged, so a search never "shrinks" to an empty timeline.

The budget is cut into independent searches of `SEARCH` schedules each, the
first seeded by the scenario's seed and the others by seeds drawn from it, so
the same command explores the same schedules. They run one after the other,
or side by side on a process pool (`workers`) or a Dask cluster (`dask`); the
outcome is the same: the first search in order that breaks the scenario
gives the result, and the schedules counted are those of the searches up to
it. Within a search Hypothesis shrinks a break (fewer, shorter, earlier
faults; simpler targets) and the smallest one found is returned as a
runnable scenario. A run that stops at a running limit (`max_wall_s`, the
event budget) has a partial summary: its schedule is not judged, only counted.

Left out: faults on producers, consumer members and the controller quorum,
and one-way cuts. Progress from a Dask cluster arrives per search, not per
schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings

from sim.core.rng import stream
from sim.invariants import InvariantViolation
from sim.runner import run
from sim.scenario import from_dict
from sim.scenario.fault_kinds import WORKLOAD
from sim.scenario.units import parse_duration
from sim.testing import ALL_FAULTS, fault_schedules

MAX_FAULTS = 4
SEARCH = 20          # schedules drawn by one independent search
SAFETY = ("lost", "lost_by_cause", "log_duplicates", "processed_duplicates", "reordered",
          "replica_divergence", "skipped", "skipped_by_cause")


@dataclass(frozen=True)
class Broken:
    """The smallest breaking scenario found (raw data) and the expectations it broke."""

    raw: dict
    failed: list


@dataclass(frozen=True)
class Explored:
    """What a search found: the smallest breaking scenario or None, how many schedules it
    ran (shrinking included), how many of those stopped at a running limit, and how many
    it drew (the rest shrank a break)."""

    broken: Broken | None
    tried: int
    partial: int
    drawn: int = 0


@dataclass(frozen=True)
class Search:
    """One independent seeded search: what a worker needs to run it (plain data)."""

    raw: dict
    source: str
    seed: int
    budget: int
    max_faulty: int
    targets: tuple[str, ...]
    max_wall_s: float | None


def workload_actions(raw: dict) -> list:
    """The scenario's own timeline entries that are load, not faults."""
    return [e for e in raw.get("timeline") or () if any(k in e for k in WORKLOAD)]


def with_faults(raw: dict, faults: list) -> dict:
    """The scenario with `faults` in place of its own, its workload actions kept."""
    timeline = workload_actions(raw) + faults
    timeline.sort(key=lambda e: parse_duration(e["at"], ("timeline", "at")))
    return dict(raw, timeline=timeline)


def targeted(scenario, targets: tuple[str, ...] = SAFETY) -> list[str]:
    """The keys of the scenario's expectations that explore tries to break."""
    return [e.key for e in scenario.expect if e.key.partition(".")[0] in targets]


def searches(scenario, budget: int, max_faulty: int = 1, max_wall_s: float | None = None,
             targets: tuple[str, ...] = SAFETY) -> list[Search]:
    """The budget cut into searches of SEARCH schedules; the first seeded by the scenario."""
    count = math.ceil(budget / SEARCH)
    seeds = [scenario.seed] + [int(s) for s in stream(scenario.seed, "explore").integers(
        0, 2**32, count - 1)]
    return [Search(scenario.raw, scenario.source, seeds[i], min(SEARCH, budget - i * SEARCH),
                   max_faulty, tuple(targets), max_wall_s) for i in range(count)]


def explore(scenario, budget: int, max_faulty: int = 1, max_wall_s: float | None = None,
            targets: tuple[str, ...] = SAFETY, workers: int = 1, dask: str | None = None,
            progress: bool = False) -> Explored:
    """Try `budget` schedules with at most `max_faulty` brokers faulty at once, breaking the
    expectations on `targets`; a progress bar on stderr if `progress` (and a terminal)."""
    from sim.searches import execute
    outcomes = execute(searches(scenario, budget, max_faulty, max_wall_s, targets),
                       run_search, workers, dask, progress)
    return Explored(next((o.broken for o in outcomes if o.broken), None),
                    sum(o.tried for o in outcomes), sum(o.partial for o in outcomes),
                    sum(o.drawn for o in outcomes))


def run_search(search: Search, report: Callable[[str, bool], None]) -> Explored:
    """One Hypothesis search. After each schedule, report(outcome, drawn): outcome "held",
    "broke" or "partial", drawn False for the runs that shrink a break; and ("skipped",
    True) for each schedule of the budget not drawn because the search broke first."""
    raw = search.raw
    scenario = from_dict(raw, search.source)
    topics = {name: topic.partitions for name, topic in scenario.topics.items()}
    strategy = fault_schedules(
        duration_s=max(scenario.duration_us // 1_000_000, 2), brokers=scenario.cluster.brokers,
        max_faults=MAX_FAULTS, at_once=search.max_faulty, topics=topics,
        groups=tuple(scenario.consumers), kinds=ALL_FAULTS,
        racks={name: len(ids) for name, ids in scenario.cluster.racks.items()})
    broken: list = []
    counts = {"tried": 0, "partial": 0, "drawn": 0}

    @seed(search.seed)
    @settings(max_examples=search.budget, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=[Phase.generate, Phase.shrink])
    @given(faults=strategy)
    def holds(faults):
        drawn = not broken
        counts["tried"] += 1
        counts["drawn"] += drawn
        candidate = with_faults(raw, faults)
        failed = _broken_expectations(from_dict(candidate, search.source), search.max_wall_s,
                                      search.targets) if faults else []
        if failed is None:
            counts["partial"] += 1
            report("partial", drawn)
        elif failed:
            broken.append(Broken(candidate, failed))
            report("broke", drawn)
            raise AssertionError("the schedule breaks the scenario")
        else:
            report("held", drawn)

    try:
        holds()
    except AssertionError:
        pass
    for _ in range(search.budget - counts["drawn"]):
        report("skipped", True)
    return Explored(broken[-1] if broken else None, counts["tried"], counts["partial"],
                    counts["drawn"])


def _broken_expectations(spec, max_wall_s: float | None, targets) -> list | None:
    """The targeted expectations a run breaks (a violated invariant counts as one); None if
    the run was partial."""
    try:
        summary = run(spec, max_wall_s=max_wall_s).summary
    except InvariantViolation as violation:
        return [{"key": "invariant", "wanted": "to hold", "got": str(violation), "ok": False}]
    if summary["partial"]:
        return None
    return [e for e in summary["expect"]
            if not e["ok"] and e["key"].partition(".")[0] in targets]
