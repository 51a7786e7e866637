"""The command line: thin wrappers over the library (docs/cli.md).

    kafkasim run SCENARIO.yaml [--seed N] [--set PATH=VALUE ...] [--json] [--out DIR] [--no-report]
                               [--max-wall SECONDS] [--stats]
    kafkasim validate SCENARIO.yaml [--set PATH=VALUE ...] [--explain]
    kafkasim check PATH ... [--workers N] [--json] [--max-wall SECONDS]
    kafkasim sweep SCENARIO.yaml --seeds N [--set PATH=V1,V2,...] [--workers N | --dask ADDRESS]
                                 [--out FILE] [--max-wall SECONDS]
    kafkasim explore SCENARIO.yaml --budget N [--max-faulty K] [--target KEY ...]
                                   [--workers N | --dask ADDRESS] [--out DIR] [--max-wall SECONDS]

Exit codes: 0 every expectation holds (or none given); 1 an expectation
failed; 2 the scenario or the command line is invalid; 3 a running limit
(--max-wall, the event budget) stopped the run, the summary is partial; 4 an
internal error or a violated runtime invariant (the traceback only with --debug).
`--max-wall` bounds each run: `check` exits 3 when a run stopped at a limit and
no other run failed; a `sweep` marks such rows `partial` and warns; `explore`
does not judge such a schedule and says how many there were.
"""

import argparse
import gc
import json
import shlex
import sys
import time
import traceback
from pathlib import Path

EXIT_OK, EXIT_EXPECT, EXIT_INVALID, EXIT_LIMIT, EXIT_INTERNAL = 0, 1, 2, 3, 4


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"kafkasim: error: {message}\n")
        raise SystemExit(EXIT_INVALID)


def cmd_run(args) -> int:
    """Run a scenario and report what its faults did; write report.html, summary.json,
    manifest.json and Parquet tables to the output folder.  e.g. kafkasim run s.yaml --seed 7"""
    import sim
    scenario = sim.load(args.scenario, overrides=args.set)
    seed = args.seed = scenario.seed if args.seed is None else args.seed
    started = time.monotonic()
    result = sim.run(scenario, seed=seed, max_wall_s=args.max_wall)
    gc.freeze()     # the run's objects live until exit: spare them the collections at exit
    if args.stats:
        stats = dict(result.stats, run_wall_s=round(time.monotonic() - started, 3))
        sys.stderr.write(f"kafkasim stats: {json.dumps(stats)}\n")
    if not args.no_report:
        out = Path(args.out) if args.out else Path("reports/runs") / scenario.name / f"seed-{seed}"
        result.write(out)
    if args.json:
        print(json.dumps(result.summary))
    else:
        from sim.report.text import render_summary
        print(render_summary(result, repro=_repro(args, seed)))
        if not args.no_report:
            print(f"wrote {out}/ (report.html, summary.json, manifest.json, *.parquet)")
    if result.summary["partial"]:
        sys.stderr.write(f"{args.scenario}: stopped early at a running limit "
                         f"(--max-wall {args.max_wall} s or the event budget); the summary is "
                         "partial.\n")
        return EXIT_LIMIT
    return EXIT_OK if result.ok else EXIT_EXPECT


def cmd_validate(args) -> int:
    """Check a scenario file without running it.  e.g. kafkasim validate s.yaml --explain"""
    import sim
    from sim.scenario import explain
    scenario = sim.load(args.scenario, overrides=args.set)
    if args.explain:
        print(explain(scenario))
    else:
        print(f"{args.scenario}: valid ({len(scenario.topics)} topics, "
              f"{len(scenario.producers)} producers, {len(scenario.timeline)} timeline entries)")
    return EXIT_OK


def cmd_check(args) -> int:
    """Run every scenario with an expect: block under the paths.  e.g. kafkasim check scenarios/"""
    from sim.check import check, scenario_files
    files = scenario_files(args.paths)
    if not files:
        sys.stderr.write(f"kafkasim check: no scenario with an expect: block under "
                         f"{' '.join(args.paths)}.\n")
        return EXIT_INVALID
    results = check(files, workers=args.workers, max_wall_s=args.max_wall)
    if args.json:
        from sim.check import as_json
        print(json.dumps(as_json(results), indent=1))
    else:
        from sim.report.text import render_checks
        print(render_checks(results))
    if any(not r.ok and not r.partial for r in results):
        return EXIT_EXPECT
    return EXIT_LIMIT if any(r.partial for r in results) else EXIT_OK


def cmd_sweep(args) -> int:
    """Run every combination of the --set values for N seeds, one row per run.
    e.g. kafkasim sweep s.yaml --seeds 10 --set producers.checkout.config.acks=1,all --out s.csv"""
    import sim
    from sim.scenario.errors import quote
    suffix = Path(args.out).suffix.lower() if args.out else ""
    if args.out and suffix not in (".csv", ".parquet"):
        sys.stderr.write(f"kafkasim sweep: --out {args.out}: expected a file name ending in .csv "
                         f"or .parquet, found {quote(suffix) if suffix else 'no extension'}.\n")
        return EXIT_INVALID
    df = sim.sweep(args.scenario, args.seeds, args.set, workers=args.workers, dask=args.dask,
                   max_wall_s=args.max_wall)
    partial = int(df["partial"].sum())
    if partial:
        sys.stderr.write(f"kafkasim sweep: {partial} of {len(df)} runs stopped at a running limit "
                         "(--max-wall or the event budget); their rows are partial.\n")
    if not args.out:
        from sim.report.text import render_sweep
        print(render_sweep(df))
        return EXIT_OK
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(out, index=False)
    else:
        df.to_parquet(out, index=False)
    print(f"wrote {len(df)} runs to {out}")
    return EXIT_OK


def cmd_explore(args) -> int:
    """Search fault schedules that break expectations.  e.g. kafkasim explore s.yaml --budget 9"""
    import sim
    from sim.explore import SAFETY, explore, targeted
    scenario = sim.load(args.scenario)
    targets = tuple(args.target) or SAFETY
    unknown = _unknown_target(args.target)
    if unknown:
        sys.stderr.write(unknown)
        return EXIT_INVALID
    if not targeted(scenario, targets):
        return _nothing_to_break(args, scenario, targets)
    started = time.perf_counter()
    outcome = explore(scenario, args.budget, args.max_faulty, max_wall_s=args.max_wall,
                      targets=targets, workers=args.workers, dask=args.dask, progress=True)
    took = time.perf_counter() - started
    timing = (f"{outcome.tried} schedules run in {took:.0f} s, "
              f"{took / max(outcome.tried, 1):.1f} s per schedule")
    if outcome.broken is None:
        unjudged = (f" ({outcome.partial} stopped at a running limit and were not judged)"
                    if outcome.partial else "")
        print(f"{scenario.name}: {outcome.tried} fault schedules with at most {args.max_faulty} "
              f"broker(s) faulty at once kept every expectation{unjudged} ({timing})")
        return EXIT_OK
    return _report_break(args, scenario, outcome.broken, timing)


def _unknown_target(keys: list[str]) -> str:
    """The message for the first --target that is not a summary key ("" if none)."""
    from sim.runner import KEY_ORDER
    from sim.scenario.errors import closest
    for key in keys:
        if key not in KEY_ORDER:
            hint = closest(key, list(KEY_ORDER)) or "The summary keys are listed in the README."
            return (f"kafkasim explore: --target: expected a summary key, found {key!r}. "
                    f"{hint}\n")
    return ""


def _nothing_to_break(args, scenario, targets) -> int:
    keys = [e.key for e in scenario.expect]
    found = f"only {', '.join(keys)}" if keys else "no expect: block"
    hint = f" Name them with --target, e.g. --target {keys[0].partition('.')[0]}." if keys else ""
    sys.stderr.write(f"{args.scenario}: explore breaks expectations on {', '.join(targets)}; "
                     f"expected at least one of them in expect:, found {found}.{hint}\n")
    return EXIT_INVALID


def _report_break(args, scenario, broken, timing: str) -> int:
    import yaml
    out = Path(args.out) if args.out else Path("reports/explore") / scenario.name
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{scenario.name}-broken.yaml"
    raw = dict(broken.raw, name=f"{scenario.name}-broken")
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    violated = broken.failed[0]["key"] == "invariant"
    what = "violates a runtime invariant" if violated else "breaks an expectation"
    print(f"{scenario.name}: this fault schedule {what}:")
    print(yaml.safe_dump({"timeline": raw["timeline"]}, sort_keys=False).rstrip())
    for e in broken.failed:
        print(f"  {e['got']}" if violated else
              f"  {e['key']}: wanted {e['wanted']}, measured {e['got']}")
    print(f"wrote {path}; reproduce: kafkasim run {path} ({timing})")
    return EXIT_INTERNAL if violated else EXIT_EXPECT


def _repro(args, seed: int) -> str:
    parts = ["kafkasim", "run", args.scenario, "--seed", str(seed)]
    for item in args.set or ():
        parts += ["--set", item]
    return " ".join(shlex.quote(p) for p in parts)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kafkasim", description="A deterministic simulator of Apache Kafka "
                     "clusters: which acknowledged records a fault loses, and why.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help=cmd_run.__doc__, description=cmd_run.__doc__)
    run.add_argument("scenario", help="the scenario file (YAML)")
    run.add_argument("--seed", type=int, help="the seed (default: the file's seed)")
    run.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                     help="override a value of the file, e.g. topics.orders.replication.factor=2")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    run.add_argument("--out", help="the output folder (default reports/runs/NAME/seed-SEED)")
    run.add_argument("--no-report", action="store_true", help="write nothing")
    run.add_argument("--max-wall", type=_seconds, metavar="SECONDS",
                     help="stop after this much real time (exit 3, partial summary)")
    run.add_argument("--stats", action="store_true",
                     help="print what the run cost (SimPy events, producer batches, simulated "
                     "and wall seconds) as one JSON line on stderr")
    run.set_defaults(func=cmd_run)
    val = sub.add_parser("validate", help=cmd_validate.__doc__, description=cmd_validate.__doc__)
    val.add_argument("scenario", help="the scenario file (YAML)")
    val.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                     help="override a value of the file before validation")
    val.add_argument("--explain", action="store_true",
                     help="print the effective configuration, each value with its source")
    val.set_defaults(func=cmd_validate)
    chk = sub.add_parser("check", help=cmd_check.__doc__, description=cmd_check.__doc__)
    chk.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    chk.add_argument("--workers", type=_positive, default=1, metavar="N",
                     help="run N scenarios at a time in separate processes (same results)")
    chk.add_argument("--json", action="store_true",
                     help="print one JSON array: path, name, seed, ok, digest, expectations")
    chk.add_argument("--max-wall", type=_seconds, metavar="SECONDS",
                     help="stop each run after this much real time (partial; exit 3)")
    chk.set_defaults(func=cmd_check)
    _add_sweep(sub)
    exp = sub.add_parser("explore", help=cmd_explore.__doc__, description=cmd_explore.__doc__)
    exp.add_argument("scenario", help="the scenario file (YAML) with an expect: block")
    exp.add_argument("--budget", type=_positive, required=True, metavar="N",
                     help="how many fault schedules to try")
    exp.add_argument("--max-faulty", type=_positive, default=1, metavar="K",
                     help="at most K brokers are ever faulty (default 1)")
    exp.add_argument("--out", help="where to write a breaking scenario "
                     "(default reports/explore/NAME)")
    exp.add_argument("--max-wall", type=_seconds, metavar="SECONDS",
                     help="stop each run after this much real time (that schedule is not judged)")
    exp.add_argument("--target", action="append", default=[], metavar="KEY",
                     help="a summary key whose expectations to break (repeatable; default: "
                     "the safety keys lost, log_duplicates, processed_duplicates, reordered, "
                     "replica_divergence, skipped and their causes)")
    _add_where(exp, "searches", "the same result")
    exp.set_defaults(func=cmd_explore)
    return parser


def _add_sweep(sub) -> None:
    swp = sub.add_parser("sweep", help=cmd_sweep.__doc__, description=cmd_sweep.__doc__)
    swp.add_argument("scenario", help="the scenario file (YAML)")
    swp.add_argument("--seeds", type=_positive, required=True, metavar="N",
                     help="run the seeds seed .. seed+N-1 of every combination (seed: the file's)")
    swp.add_argument("--set", action="append", default=[], metavar="PATH=V1,V2,...",
                     help="values to sweep, split on top-level commas ([a, b] is one value); "
                     "several --set form a grid")
    _add_where(swp, "runs", "the same rows")
    swp.add_argument("--out", metavar="FILE", help="write every row to FILE (.csv or .parquet); "
                     "default: a table of the means over seeds on stdout")
    swp.add_argument("--max-wall", type=_seconds, metavar="SECONDS",
                     help="stop each run after this much real time (its row is partial)")
    swp.set_defaults(func=cmd_sweep)


def _add_where(command, what: str, same: str) -> None:
    """--workers N or --dask ADDRESS: where a command's independent pieces run."""
    where = command.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, default=1, metavar="N",
                       help=f"run N {what} at a time in local processes ({same})")
    where.add_argument("--dask", metavar="ADDRESS",
                       help=f"run the {what} on the Dask distributed cluster whose scheduler is "
                       f"at ADDRESS, e.g. tcp://10.0.0.5:8786 ({same})")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, at least 0, "
                                         f"found {text!r}")
    return value


def main(argv=None) -> int:
    """Entry point of the `kafkasim` console script."""
    args = build_parser().parse_args(argv)
    from sim.invariants import InvariantViolation
    from sim.runner import NotModeled
    from sim.scenario import ScenarioError
    try:
        return args.func(args)
    except ScenarioError as err:
        sys.stderr.write(f"{err}\n")
        return EXIT_INVALID
    except NotModeled as err:
        sys.stderr.write(f"{getattr(args, 'scenario', 'kafkasim')}: {err}.\n")
        return EXIT_INVALID
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - the contract: one paragraph, exit 4
        if args.debug:
            traceback.print_exc()
        seed = getattr(args, "seed", None)
        repro = getattr(err, "repro", None) or (    # sweeps name the run that failed
            _repro(args, seed) if seed is not None else " ".join(["kafkasim", *sys.argv[1:]]))
        what = "" if isinstance(err, InvariantViolation) else \
            f"internal error: {type(err).__name__}: "
        sys.stderr.write(f"kafkasim: {what}{err}. Reproduce with: {repro} --debug\n")
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
