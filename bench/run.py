"""Benchmark kafkasim against a bare SimPy yardstick measured in the same run.

    .venv/bin/python bench/run.py                       # everything below (make bench)
    .venv/bin/python bench/run.py bench/perf-a-3x6-10k.yaml --repeat 3 --no-sweep --no-memory

The yardstick is one SimPy process yielding 10^6 timeouts (median of 5), in
events per second; every rate is also given scaled to a yardstick of 1.6 M
events/s, the machine the budgets are written for.

- Scenarios: each runs as a whole `kafkasim run FILE --json --no-report
  --stats` subprocess (start-up and analysis included), `--repeat` times; the
  table shows the median run: simulated seconds per wall second, records per
  wall second, SimPy events per producer batch and the child's peak RSS.
- Memory: each scenario runs again in this process for `--memory-s`
  simulated seconds; the replica logs' retained bytes (lists, batch
  descriptors and their ints, each shared object counted once) per record
  per replica, and the process's RSS growth per record per replica.
- Over time: scenario (a) runs in this process for `--long-s` simulated
  seconds in windows of 60 s: wall microseconds per event and RSS per
  window, and that cost in events of a short yardstick run right after the
  window, to show that a run does not slow down and memory grows linearly.
- Sweep: `--sweep-runs` short `kafkasim run` subprocesses (the quickstart
  scenario, one seed each) on a pool of `--workers` threads, each waiting on
  its own child process: the children's CPU time over the wall time is the
  number of cores used.

Run it with nothing else busy on the machine: it measures, it does not judge.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import simpy

KAFKASIM = Path(sys.executable).with_name("kafkasim")
BENCH = Path(__file__).parent
ROOT = BENCH.parent
SCENARIOS = [str(BENCH / name) for name in
             ("perf-a-3x6-10k.yaml", "perf-b-3x6-100k.yaml", "perf-c-9x100-10p.yaml",
              "perf-a-3x6-10k-bw.yaml")]
# simulated s per wall s at a 1.6 M yardstick (issue 14; stretch 20, 15, 12); (a) on a wire
# (issue 17) has none yet
BUDGETS = {"perf-a-3x6-10k": 12, "perf-b-3x6-100k": 9, "perf-c-9x100-10p": 6}
SWEEP_SCENARIO = ROOT / "scenarios" / "quickstart.yaml"
SWEEP_ARGS = ("--set", "duration=40s", "--set", "drain=10s")
YARDSTICK_EVENTS = 1_000_000
WINDOW_YARDSTICK_EVENTS = 200_000   # after each window of the long run: 3 x about 0.15 s
REFERENCE_RATE = 1.6e6          # the yardstick the budgets are scaled to
WINDOW_US = 60_000_000


def yardstick(events: int = YARDSTICK_EVENTS, repeat: int = 5) -> float:
    """Bare SimPy events per second: one process, `events` timeouts, median of `repeat`."""
    rates = []
    for _ in range(repeat):
        env = simpy.Environment()

        def ticker(env):
            for _ in range(events):
                yield env.timeout(1)

        env.process(ticker(env))
        started = time.perf_counter()
        env.run()
        rates.append(events / (time.perf_counter() - started))
    return statistics.median(rates)


# -- whole-process runs ------------------------------------------------------

def run_once(scenario: str, *extra: str) -> dict:
    """One `kafkasim run` subprocess: its wall and CPU time, peak RSS, summary and stats."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([str(KAFKASIM), "run", scenario, "--json", "--no-report",
                                 "--stats", *extra], stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        assert os.waitstatus_to_exitcode(status) in (0, 1), f"{scenario}: exit {status}"
        out.seek(0)
        err.seek(0)
        summary, stderr = json.loads(out.read()), err.read()
    stats = next(json.loads(line.split(":", 1)[1]) for line in stderr.splitlines()
                 if line.startswith("kafkasim stats:"))
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "produced": summary["produced"],
            "digest": summary["digest"], **stats}


def measure(scenario: str, repeat: int) -> dict:
    """The median of `repeat` runs (by wall time), with its derived rates."""
    runs = sorted((run_once(scenario) for _ in range(repeat)), key=lambda r: r["wall_s"])
    run = runs[len(runs) // 2]
    assert len({r["digest"] for r in runs}) == 1, f"{scenario}: digests differ between runs"
    return {**run, "sim_per_wall": run["simulated_s"] / run["wall_s"],
            "sim_per_cpu": run["simulated_s"] / run["cpu_s"],
            "records_per_wall": run["produced"] / run["wall_s"],
            "events_per_batch": run["events"] / max(run["batches"], 1),
            "us_per_event": run["wall_s"] * 1e6 / max(run["events"], 1)}


def sweep(runs: int, workers: int) -> dict:
    """`runs` short kafkasim runs (one seed each) on `workers` concurrent children."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(lambda seed: run_once(str(SWEEP_SCENARIO), "--seed", str(seed),
                                                   *SWEEP_ARGS), range(1, runs + 1)))
    wall = time.perf_counter() - started
    cpu = sum(r["cpu_s"] for r in done)
    return {"runs": runs, "workers": workers, "wall_s": wall, "cpu_s": cpu,
            "cores_used": cpu / wall, "runs_per_wall_s": runs / wall,
            "sim_per_wall": sum(r["simulated_s"] for r in done) / wall,
            "serial_wall_s": sum(r["wall_s"] for r in done)}


# -- in-process probes ---------------------------------------------------------

def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def deep_log_bytes(world) -> int:
    """Bytes the replica logs retain: their lists, batch descriptors and the descriptors'
    ints and strings, each object counted once however many replicas share it."""
    seen, total = set(), 0
    for broker in world.brokers:
        for replica in broker.replicas.values():
            log = replica.log
            total += sys.getsizeof(log.batches) + sys.getsizeof(log.bases)
            for batch in log.batches:
                for obj in (batch, *batch):
                    if id(obj) not in seen and not _cached(obj):
                        seen.add(id(obj))
                        total += sys.getsizeof(obj)
    return total


def _cached(obj) -> bool:
    """Small ints, None and bools are shared by the interpreter: they cost nothing."""
    return obj is None or isinstance(obj, bool) or (type(obj) is int and -5 <= obj <= 256)


def world_for(scenario: str, duration: str | None = None):
    """A booted world of a scenario (optionally with another duration), and its end time."""
    import sim
    from sim.faults import Timeline
    from sim.runner import observe
    from sim.world import World
    spec = sim.load(scenario, overrides=[f"duration={duration}"] if duration else [])
    world = World(spec, spec.seed)
    observe(world)
    world.boot()
    Timeline(world, spec.timeline, spec.duration_us)
    return world, spec.duration_us + spec.drain_us


def replica_records(world) -> int:
    """Records held by the replica logs, summed over replicas (a record on 3 replicas: 3)."""
    return sum(r.log.leo - r.log.log_start for b in world.brokers for r in b.replicas.values())


def windows(world, end: int, window_us: int = WINDOW_US):
    """Run to end in windows; yield (simulated s, wall s, CPU s, events, RSS bytes) each."""
    from sim.runner import GC_THRESHOLDS
    gc.collect()
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        engine, events = world.engine, world.engine.events_processed()
        while engine.now < end:
            started, cpu = time.perf_counter(), time.process_time()
            engine.run(min(engine.now + window_us, end))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            now_events = engine.events_processed()
            yield engine.now / 1e6, wall, cpu, now_events - events, rss_bytes()
            events = now_events
    finally:
        gc.set_threshold(*thresholds)


def memory(scenario: str, duration_s: int) -> dict:
    """Log bytes and RSS growth per record per replica over a run of duration_s."""
    world, end = world_for(scenario, f"{duration_s}s")
    rss0 = rss_bytes()
    for _ in windows(world, end, window_us=end):
        pass
    records = replica_records(world)
    return {"replica_records": records,
            "log_bytes_per_record_replica": deep_log_bytes(world) / records,
            "rss_bytes_per_record_replica": (rss_bytes() - rss0) / records}


def over_time(scenario: str, duration_s: int) -> list[dict]:
    """Per 60-s window of a long run: wall and CPU us per event, simulated s per wall s, RSS,
    and the yardstick measured right after the window (in this process, with the run's heap).

    CPU time is this process's own: other work on the machine inflates it much
    less than wall time. The machine's own speed drifts by 10-30 % within minutes; the
    window's cost in yardstick events takes that drift out, so a growth there is the
    simulation slowing down.
    """
    world, end = world_for(scenario, f"{duration_s}s")
    rows, since = [], 0.0
    for t, wall, cpu, events, rss in windows(world, end):
        us_per_event = wall * 1e6 / max(events, 1)
        rate = yardstick(WINDOW_YARDSTICK_EVENTS, 3)
        rows.append({"until_s": t, "us_per_event": us_per_event,
                     "cpu_us_per_event": cpu * 1e6 / max(events, 1),
                     "yardstick": rate, "x_yardstick": us_per_event * rate / 1e6,
                     "sim_per_wall": (t - since) / wall, "rss_mb": rss / 2**20,
                     "replica_records": replica_records(world)})
        since = t
    return rows


# -- report ------------------------------------------------------------------

def table(*columns: str) -> None:
    """Print a Markdown table's header and separator (its rows follow)."""
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def row(*cells) -> None:
    print("| " + " | ".join(map(str, cells)) + " |", flush=True)


def report_scenarios(args, rate: float) -> None:
    scale = REFERENCE_RATE / rate
    table("scenario", "wall s", "sim s / wall s", "scaled to 1.6 M", "budget", "sim s / CPU s",
          "records / wall s", "events", "events / batch", "us / event", "x yardstick",
          "peak RSS MB")
    for scenario in args.scenarios:
        m, name = measure(scenario, args.repeat), Path(scenario).stem
        row(name, f"{m['wall_s']:.2f}", f"{m['sim_per_wall']:.2f}",
            f"{m['sim_per_wall'] * scale:.2f}", BUDGETS.get(name, "-"),
            f"{m['sim_per_cpu']:.2f}", f"{m['records_per_wall']:,.0f}", f"{m['events']:,}",
            f"{m['events_per_batch']:.2f}", f"{m['us_per_event']:.1f}",
            f"{m['us_per_event'] * rate / 1e6:.0f}", f"{m['rss_mb']:.0f}")


def report_memory(args) -> None:
    print(f"\nmemory, in process, {args.memory_s} s simulated (+ drain):")
    table("scenario", "records x replicas", "log bytes / record / replica",
          "RSS growth bytes / record / replica")
    for scenario in args.scenarios:
        m = memory(scenario, args.memory_s)
        gc.collect()
        row(Path(scenario).stem, f"{m['replica_records']:,}",
            f"{m['log_bytes_per_record_replica']:.1f}", f"{m['rss_bytes_per_record_replica']:.1f}")


def report_over_time(args) -> None:
    print(f"\nover time, {Path(SCENARIOS[0]).stem} for {args.long_s} s simulated, in process:")
    table("until s", "wall us / event", "CPU us / event", "yardstick M/s", "x yardstick",
          "sim s / wall s", "RSS MB", "records x replicas")
    for w in over_time(SCENARIOS[0], args.long_s):
        row(f"{w['until_s']:.0f}", f"{w['us_per_event']:.1f}", f"{w['cpu_us_per_event']:.1f}",
            f"{w['yardstick'] / 1e6:.2f}", f"{w['x_yardstick']:.1f}",
            f"{w['sim_per_wall']:.2f}", f"{w['rss_mb']:.0f}", f"{w['replica_records']:,}")


def report_sweep(args, rate: float) -> None:
    s = sweep(args.sweep_runs, args.workers)
    print(f"\nsweep: {s['runs']} runs of {SWEEP_SCENARIO.name} {' '.join(SWEEP_ARGS)} "
          f"(seeds 1..{s['runs']}), {s['workers']} concurrent kafkasim processes "
          "(a thread pool in bench/run.py)")
    print(f"wall {s['wall_s']:.1f} s, children's CPU {s['cpu_s']:.1f} s: {s['cores_used']:.2f} "
          f"cores used; {s['runs_per_wall_s']:.2f} runs / wall s; {s['sim_per_wall']:.1f} "
          f"simulated s / wall s ({s['sim_per_wall'] * REFERENCE_RATE / rate:.1f} scaled); "
          f"the runs' own wall times add up to {s['serial_wall_s']:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-s", type=int, default=30)
    parser.add_argument("--long-s", type=int, default=600)
    parser.add_argument("--sweep-runs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    for part in ("memory", "over-time", "sweep"):
        parser.add_argument(f"--no-{part}", action="store_true")
    args = parser.parse_args()
    rate = yardstick()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SimPy {simpy.__version__}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"yardstick: bare SimPy {rate / 1e6:.2f} M events/s ({1e6 / rate:.2f} us/event); "
          f"scaled figures x {REFERENCE_RATE / rate:.2f}\n", flush=True)
    report_scenarios(args, rate)
    if not args.no_memory:
        report_memory(args)
    if not args.no_over_time:
        report_over_time(args)
    if not args.no_sweep:
        report_sweep(args, rate)


if __name__ == "__main__":
    main()
