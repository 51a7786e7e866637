"""One run: build the world, register its observers, play the timeline, drain, audit, analyze.

`run(scenario, seed)` is the library's core; the CLI, tests and notebooks
call it. The run always ends at exactly `duration + drain`.

What watches a run watches its trace: before the world boots, `observe`
registers the runtime invariants (which stop the run at the first violated
rule), the lag tracker, the processing book, the availability tracker, the
book of consumer fetches and the book of committed batches (runs with groups) on
the trace, as Kafka's RaftEventSimulationTest
registers its invariants on the simulated cluster. Model code only emits
records; it never calls them.
"""

import gc
import hashlib
import json
import platform
import time
from contextlib import contextmanager
from typing import NamedTuple

from sim.analysis.availability import Availability
from sim.analysis.consumption import CommitBook, ProcessingBook
from sim.analysis.expect import evaluate
from sim.analysis.fates import build_streams
from sim.analysis.isr_time import CatchUp
from sim.analysis.lag import LagTracker
from sim.analysis.replicas import FetchBook
from sim.analysis.summary import summarize
from sim.analysis.transactions import read_committed_groups
from sim.cluster.audit import audit
from sim.faults import Timeline
from sim.invariants import Invariants
from sim.result import Result
from sim.world import World

KEY_ORDER = (
    "scenario", "seed", "digest", "produced", "acked", "failed", "indeterminate",
    "failed_but_present", "lost", "lost_by_cause", "aborted", "txn_committed", "txn_aborted",
    "txn_fatal", "aborted_read", "uncommitted_read", "txn_hanging", "eos_duplicates",
    "offline_at_end", "committing_at_end", "expired",
    "log_duplicates", "reordered", "replica_divergence", "inconsistent_offsets", "processed",
    "processed_duplicates", "skipped", "skipped_by_cause", "dead_lettered", "out_of_order",
    "max_lag", "final_lag", "ack_p99_ms", "e2e_p99_ms", "ack_p99_ms_steady",
    "ack_p99_ms_in_faults", "e2e_p99_ms_steady", "e2e_p99_ms_in_faults", "unavailable_s",
    "produce_stalled_s", "under_replicated_s", "under_min_isr_s", "max_catch_up_s",
    "throttle_s", "metadata_unavailable_s", "rejected", "errors",
    "leader_elections", "unclean_elections", "isr_shrinks", "isr_expands", "isr_min",
    "preferred_leaders_at_end", "rebalances", "partial", "expect")


MAX_EVENTS = 500_000_000       # a run's event budget (exit 3 past it)
SLICE_US = 1_000_000           # limits are checked between slices of simulated time
GC_THRESHOLDS = (10_000, 1_000, 1_000_000)    # young every 10^4 allocations, middle every
                                              # 10^3 young collections, full never in a run


class NotModeled(Exception):
    """The scenario uses a feature this version does not simulate yet."""


class Observers(NamedTuple):
    """What watches a run through its trace."""
    invariants: Invariants
    lag: LagTracker
    processing: ProcessingBook
    availability: Availability
    fetches: FetchBook
    commits: CommitBook
    catch_up: CatchUp


def observe(world) -> Observers:
    """Register the run's observers on its trace, before the world boots."""
    topology = world.topology
    subscriptions = {g.name: [p for t in g.topics for p in topology.by_topic[t]]
                     for g in world.spec.consumers.values()}
    names = [(info.topic, info.partition) for info in topology.partitions]
    observers = Observers(Invariants(world.seed, topology, world.brokers),
                          LagTracker(subscriptions, names,
                                     frozenset(read_committed_groups(world.spec))),
                          ProcessingBook(world.producer_names), Availability(), FetchBook(),
                          CommitBook(bool(world.spec.consumers)), CatchUp())
    for observer in observers:
        observer.watch(world.trace)
    return observers


def check_modeled(spec) -> None:
    for producer in spec.producers.values():
        if producer.steps and producer.tombstones:
            raise NotModeled(f"producers.{producer.name}: tombstones in causal steps are "
                             "not modeled yet")


def run(spec, seed: int | None = None, *, max_events: int = MAX_EVENTS,
        max_wall_s: float | None = None, watch=()) -> Result:
    """Simulate a validated scenario with a seed (the file's seed by default).

    A run that processes more than max_events events, or takes longer than
    max_wall_s seconds of real time, stops at a slice boundary: the result is
    then audited where it stopped and marked `partial`. `watch`: more
    observers, each with a `watch(trace)` that subscribes it, registered after
    the run's own.
    """
    check_modeled(spec)
    seed = spec.seed if seed is None else seed
    with young_collections():
        world = World(spec, seed)
        observers = observe(world)
        for observer in watch:
            observer.watch(world.trace)
        world.boot()
        Timeline(world, spec.timeline, spec.duration_us)
        end = _play(world, spec.duration_us + spec.drain_us, max_events, max_wall_s)
        audits = audit(world)
        streams = build_streams(world, audits)
        summary = summarize(world, streams, audits, end, observers)
    summary["digest"] = world.trace.digest()
    summary["partial"] = end < spec.duration_us + spec.drain_us
    summary["expect"] = evaluate(spec.expect, summary)
    summary = {key: summary[key] for key in KEY_ORDER}
    names = [(info.topic, info.partition) for info in world.topology.partitions]
    return Result(summary, manifest(spec, seed), world.trace, streams, stats(world),
                  dict(observers.processing.rows), observers.lag.rows, names)


def _play(world, end: int, max_events: int, max_wall_s: float | None) -> int:
    """Run to end, in slices, stopping early at a limit; return where it stopped."""
    started = time.monotonic()
    engine = world.engine
    while engine.now < end:
        engine.run(min(engine.now + SLICE_US, end))
        if engine.events_processed() > max_events:
            return engine.now
        if max_wall_s is not None and time.monotonic() - started > max_wall_s:
            return engine.now
    return end


@contextmanager
def young_collections():
    """Let the cyclic garbage collector collect mostly young objects meanwhile.

    A run makes hardly any cycles, and full collections would rescan every log
    batch and trace row, again and again, as they accumulate (the analysis
    allocates its own rows on top of them). The middle generation is collected
    rarely too: what is in flight (requests awaiting their response, parked
    fetches, a consumer's buffered batches) outlives a young collection, and
    the middle generation it moves to would be rescanned every 10 of them.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def stats(world) -> dict:
    """What the run cost the simulator: SimPy events, producer batches, simulated time."""
    return {"events": world.engine.events_processed(),
            "batches": sum(p.acc.batches_opened for p in world.producers),
            "simulated_s": world.engine.now / 1_000_000}


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
        "description": getattr(spec, "description", None) or "",
        "duration_s": spec.duration_us / 1_000_000, "drain_s": spec.drain_us / 1_000_000,
        "groups": list(spec.consumers),
        "transactional": [name for name, p in spec.producers.items() if p.transactional],
        "outputs": [name for name, g in spec.consumers.items() if g.output is not None],
        "timeline": json.loads(json.dumps(spec.raw.get("timeline") or [], default=str)),
        "versions": {"python": platform.python_version(), "simpy": simpy.__version__,
                     "numpy": numpy.__version__, "pandas": _version("pandas"),
                     "pyarrow": _version("pyarrow"), "matplotlib": _version("matplotlib"),
                     "kafkasim": __version__},
    }


def _version(package: str) -> str | None:
    """An installed package's version, without importing it (a plain run never needs pandas)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(package)
    except PackageNotFoundError:
        return None
