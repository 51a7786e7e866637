"""Where a long run's slowdown goes: profile an early and a late window of one run.

    .venv/bin/python bench/slowdown.py bench/perf-a-3x6-10k.yaml --duration 600 \
        --early 60:120 --late 540:600

Runs the scenario in process with the run's collector thresholds, profiles the two
windows of simulated time with cProfile (the rest runs unprofiled) and prints each
window's CPU microseconds per event, then the functions whose self time grew most, with
their call counts in both windows. Same calls and a uniform growth mean no algorithmic
cost grows with the run (the machine's memory system is slower on a bigger heap); a
function whose calls or time per call grow out of line is a cost that grows with the log.
"""

import argparse
import cProfile
import gc
import pstats
import time

from run import world_for

from sim.runner import GC_THRESHOLDS

S = 1_000_000


def window(arg: str) -> tuple[int, int]:
    start, stop = arg.split(":")
    return int(start), int(stop)


def profile(engine, start_s: int, stop_s: int) -> tuple[float, dict]:
    """Run unprofiled to start_s, profiled to stop_s: (CPU us per event, pstats table)."""
    engine.run(start_s * S)
    events, cpu = engine.events_processed(), time.process_time()
    profiler = cProfile.Profile()
    profiler.enable()
    engine.run(stop_s * S)
    profiler.disable()
    cpu = time.process_time() - cpu
    return cpu * 1e6 / max(engine.events_processed() - events, 1), \
        pstats.Stats(profiler).stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--duration", type=int, default=600, help="simulated seconds")
    parser.add_argument("--early", type=window, default=(60, 120))
    parser.add_argument("--late", type=window, default=(540, 600))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    world, _end = world_for(args.scenario, f"{args.duration}s")
    gc.set_threshold(*GC_THRESHOLDS)
    early_us, early = profile(world.engine, *args.early)
    late_us, late = profile(world.engine, *args.late)
    print(f"CPU us per event (profiled): early {early_us:.1f}, late {late_us:.1f} "
          f"({late_us / early_us - 1:+.0%})")
    total_early = sum(row[2] for row in early.values())
    total_late = sum(row[2] for row in late.values())
    print(f"self time: early {total_early:.1f} s, late {total_late:.1f} s\n")
    print("| function | early s | late s | growth | calls early | calls late |")
    print("|---|--:|--:|--:|--:|--:|")
    grown = sorted(set(early) | set(late),
                   key=lambda k: late.get(k, (0, 0, 0))[2] - early.get(k, (0, 0, 0))[2],
                   reverse=True)
    for key in grown[:args.top]:
        e, la = early.get(key, (0, 0, 0)), late.get(key, (0, 0, 0))
        name = f"{key[0].rsplit('/', 1)[-1]}:{key[1]} {key[2]}"
        growth = f"{la[2] / e[2] - 1:+.0%}" if e[2] else "new"
        print(f"| `{name}` | {e[2]:.2f} | {la[2]:.2f} | {growth} | {e[1]:,} | {la[1]:,} |")


if __name__ == "__main__":
    main()
