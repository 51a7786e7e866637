"""Search for a fault schedule that breaks a scenario's expectations (`kafkasim explore`).

Hypothesis draws up to `budget` fault schedules from `sim.testing.fault_schedules`:
crashes, stops and power losses (each restarting what it took down after a
drawn time, or at the drain), pauses, isolations, cuts from the controller,
slow disks and slow or lossy links, on role targets (`leader(T/P)`,
`follower(T/P)`, `coordinator(G)`, `any-broker`) and broker names, with at
most K faults overlapping in time, so at most K brokers are faulty at the
same time (docs/cli.md#explore; a slow link leaves both ends up and is not counted).
They replace the scenario's own faults; its workload actions (`set_rate`,
`slow`, `poison`, group scaling, offset resets) stay. The search is seeded by
the scenario's seed, so the same command explores the same schedules. When a
schedule breaks an expectation, Hypothesis shrinks it (fewer, shorter,
earlier faults; simpler targets) and the smallest one found is returned as a
runnable scenario. A schedule that violates a runtime invariant counts as
breaking: it shows a bug in the model, and shrinks the same way. A run that
stops at a running limit (`max_wall_s`, the event budget) has a partial
summary: its schedule is not judged, only counted.

Left out: faults on producers, consumer members and the controller quorum,
and one-way cuts.
"""

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings

from sim.invariants import InvariantViolation
from sim.runner import run
from sim.scenario import from_dict
from sim.scenario.fault_kinds import WORKLOAD
from sim.scenario.units import parse_duration
from sim.testing import ALL_FAULTS, fault_schedules

MAX_FAULTS = 4


@dataclass(frozen=True)
class Broken:
    """The smallest breaking scenario found (raw data) and the expectations it broke."""

    raw: dict
    failed: list


@dataclass(frozen=True)
class Explored:
    """What a search found: the smallest breaking scenario or None, how many schedules it
    ran (shrinking included) and how many of those stopped at a running limit."""

    broken: Broken | None
    tried: int
    partial: int


def workload_actions(raw: dict) -> list:
    """The scenario's own timeline entries that are load, not faults."""
    return [e for e in raw.get("timeline") or () if any(k in e for k in WORKLOAD)]


def with_faults(raw: dict, faults: list) -> dict:
    """The scenario with `faults` in place of its own, its workload actions kept."""
    timeline = workload_actions(raw) + faults
    timeline.sort(key=lambda e: parse_duration(e["at"], ("timeline", "at")))
    return dict(raw, timeline=timeline)


def explore(scenario, budget: int, max_faulty: int = 1,
            max_wall_s: float | None = None) -> Explored:
    """Try `budget` schedules with at most `max_faulty` brokers faulty at once."""
    raw = scenario.raw
    topics = {name: topic.partitions for name, topic in scenario.topics.items()}
    strategy = fault_schedules(
        duration_s=max(scenario.duration_us // 1_000_000, 2), brokers=scenario.cluster.brokers,
        max_faults=MAX_FAULTS, at_once=max_faulty, topics=topics,
        groups=tuple(scenario.consumers), kinds=ALL_FAULTS)
    broken: list = []
    counts = {"tried": 0, "partial": 0}

    @seed(scenario.seed)
    @settings(max_examples=budget, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=[Phase.generate, Phase.shrink])
    @given(faults=strategy)
    def holds(faults):
        candidate = with_faults(raw, faults)
        counts["tried"] += 1
        failed = _broken_expectations(from_dict(candidate, scenario.source), max_wall_s)
        if failed is None:
            counts["partial"] += 1
        elif failed:
            broken.append(Broken(candidate, failed))
            raise AssertionError("the schedule breaks the scenario")

    try:
        holds()
    except AssertionError:
        return Explored(broken[-1], counts["tried"], counts["partial"])
    return Explored(None, counts["tried"], counts["partial"])


def _broken_expectations(spec, max_wall_s: float | None) -> list | None:
    """The expectations a run breaks (a violated invariant counts as one); None if partial."""
    try:
        summary = run(spec, max_wall_s=max_wall_s).summary
    except InvariantViolation as violation:
        return [{"key": "invariant", "wanted": "to hold", "got": str(violation), "ok": False}]
    if summary["partial"]:
        return None
    return [e for e in summary["expect"] if not e["ok"]]
