"""Benchmark kafkasim against a bare SimPy yardstick measured in the same run.

    .venv/bin/python bench/run.py [SCENARIO.yaml ...] [--repeat 3]

With no scenario it runs the default set: the cluster-core benchmark (issue 2)
and the same with a 3-member consumer group (issue 3), whose ratio is the
group's overhead.

The yardstick is one SimPy process yielding 10^6 timeouts (median of 5), in
events per second. Each scenario runs as a whole `kafkasim run FILE --json
--no-report --stats` subprocess (start-up and analysis included), `--repeat`
times; the table shows the median wall time and, from that run, simulated
seconds per wall second, records per wall second, SimPy events per producer
batch, microseconds of wall time per event, and the child's peak RSS. Run it
with nothing else busy on the machine: it measures, it does not judge.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simpy

KAFKASIM = Path(sys.executable).with_name("kafkasim")
BENCH = Path(__file__).parent
DEFAULT_SCENARIOS = [str(BENCH / "issue2-3x6-10k-60s.yaml"),
                     str(BENCH / "issue3-3x6-10k-60s-group.yaml")]
YARDSTICK_EVENTS = 1_000_000


def yardstick() -> float:
    """Bare SimPy events per second: one process, 10^6 timeouts, median of 5."""
    rates = []
    for _ in range(5):
        env = simpy.Environment()

        def ticker(env):
            for _ in range(YARDSTICK_EVENTS):
                yield env.timeout(1)

        env.process(ticker(env))
        started = time.perf_counter()
        env.run()
        rates.append(YARDSTICK_EVENTS / (time.perf_counter() - started))
    return statistics.median(rates)


def run_once(scenario: str) -> dict:
    """One `kafkasim run` subprocess: its wall time, peak RSS, summary and stats."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([str(KAFKASIM), "run", scenario, "--json", "--no-report",
                                 "--stats"], stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        summary, stderr = json.loads(out.read()), err.read()
    stats = next(json.loads(line.split(":", 1)[1]) for line in stderr.splitlines()
                 if line.startswith("kafkasim stats:"))
    return {"wall_s": wall, "rss_mb": usage.ru_maxrss / 1024, "produced": summary["produced"],
            "digest": summary["digest"], **stats}


def measure(scenario: str, repeat: int) -> dict:
    runs = sorted((run_once(scenario) for _ in range(repeat)), key=lambda r: r["wall_s"])
    run = runs[len(runs) // 2]
    assert len({r["digest"] for r in runs}) == 1, f"{scenario}: digests differ between runs"
    return {**run, "sim_per_wall": run["simulated_s"] / run["wall_s"],
            "records_per_wall": run["produced"] / run["wall_s"],
            "events_per_batch": run["events"] / max(run["batches"], 1),
            "us_per_event": run["wall_s"] * 1e6 / max(run["events"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=DEFAULT_SCENARIOS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rate = yardstick()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SimPy {simpy.__version__}")
    print(f"yardstick: bare SimPy {rate / 1e6:.2f} M events/s "
          f"({1e6 / rate:.2f} us/event)")
    print("| scenario | wall s | sim s / wall s | records / wall s | events | events / batch "
          "| us / event | x yardstick | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in args.scenarios:
        m = measure(scenario, args.repeat)
        print(f"| {Path(scenario).name} | {m['wall_s']:.2f} | {m['sim_per_wall']:.1f} | "
              f"{m['records_per_wall']:,.0f} | {m['events']:,} | {m['events_per_batch']:.2f} | "
              f"{m['us_per_event']:.1f} | {m['us_per_event'] * rate / 1e6:.0f} | "
              f"{m['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
