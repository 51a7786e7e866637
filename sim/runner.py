"""One run: build the world, play the timeline, drain, audit, analyze.

`run(scenario, seed)` is the library's core (DESIGN.md, Library first); the
CLI, tests and notebooks call it. The run always ends at exactly
`duration + drain`.
"""

import hashlib
import json
import platform

from sim.analysis.audit import audit
from sim.analysis.expect import evaluate
from sim.analysis.fates import build_streams
from sim.analysis.summary import summarize
from sim.faults import Timeline
from sim.result import Result
from sim.world import World

KEY_ORDER = (
    "scenario", "seed", "digest", "produced", "acked", "failed", "indeterminate",
    "failed_but_present", "lost", "lost_by_cause", "offline_at_end", "expired",
    "log_duplicates", "reordered", "replica_divergence", "inconsistent_offsets", "processed",
    "processed_duplicates", "skipped", "skipped_by_cause", "dead_lettered", "out_of_order",
    "max_lag", "final_lag", "ack_p99_ms", "e2e_p99_ms", "unavailable_s", "rejected", "errors",
    "leader_elections", "unclean_elections", "isr_shrinks", "isr_expands", "isr_min",
    "rebalances", "partial", "expect")


class NotModeled(Exception):
    """The scenario uses a feature this version does not simulate yet."""


def _check_modeled(spec) -> None:
    if spec.consumers:
        raise NotModeled("consumer groups are not modeled yet (the consumer issue adds them)")
    for action in spec.timeline:
        if action.kind in ("slow", "poison", "reset_offsets", "add_member", "remove_member"):
            raise NotModeled(f"timeline.{action.index}: {action.kind} acts on consumer groups, "
                             "which are not modeled yet")
    for producer in spec.producers.values():
        if producer.steps:
            raise NotModeled(f"producers.{producer.name}.steps is not modeled yet")


def run(spec, seed: int | None = None) -> Result:
    """Simulate a validated scenario with a seed (the file's seed by default)."""
    _check_modeled(spec)
    seed = spec.seed if seed is None else seed
    world = World(spec, seed)
    world.boot()
    Timeline(world, spec.timeline, spec.duration_us)
    end = spec.duration_us + spec.drain_us
    world.engine.run(end)
    audits = audit(world)
    streams = build_streams(world, audits)
    summary = summarize(world, streams, audits, end)
    summary["digest"] = world.trace.digest()
    summary["partial"] = False
    summary["expect"] = evaluate(spec.expect, summary)
    summary = {key: summary[key] for key in KEY_ORDER}
    return Result(summary, manifest(spec, seed), world.trace, streams)


def manifest(spec, seed: int) -> dict:
    """What it takes to reproduce a run."""
    import numpy
    import simpy

    from sim import __version__
    canonical = json.dumps(spec.raw, sort_keys=True, default=str).encode()
    return {
        "scenario": spec.name, "source": spec.source, "seed": seed,
        "scenario_sha256": hashlib.sha256(canonical).hexdigest(),
        "overrides": list(getattr(spec, "overrides", ())),
        "versions": {"python": platform.python_version(), "simpy": simpy.__version__,
                     "numpy": numpy.__version__, "kafkasim": __version__},
    }
