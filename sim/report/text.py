"""The summary `kafkasim run` prints: what was sent, what was lost and why, the cluster's story."""

import io
import numbers

from rich.console import Console
from rich.table import Table


def number(value) -> str:
    """A value as the reports print it: counts with thousands separators (1,000,000, never
    1e+06), other numbers with up to 3 decimals, None as -."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _fmt(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {number(v)}" for k, v in value.items()) or "-"
    return number(value)


SECTIONS = (
    ("records", ("produced", "acked", "failed", "indeterminate", "failed_but_present")),
    ("transactions", ("aborted", "txn_committed", "txn_aborted", "txn_fatal", "aborted_read",
                      "uncommitted_read", "txn_hanging")),
    ("outputs", ("eos_duplicates",)),
    ("loss", ("lost", "lost_by_cause", "offline_at_end", "committing_at_end", "expired")),
    ("log", ("log_duplicates", "reordered", "replica_divergence", "inconsistent_offsets")),
    ("latency", ("ack_p99_ms", "e2e_p99_ms")),
    ("in steady state", ("ack_p99_ms_steady", "e2e_p99_ms_steady")),
    ("in faults", ("ack_p99_ms_in_faults", "e2e_p99_ms_in_faults")),
    ("consumers", ("processed", "processed_duplicates", "skipped", "skipped_by_cause",
                   "dead_lettered", "out_of_order")),
    ("groups", ("rebalances", "max_lag", "final_lag")),
    ("produce errors", ("rejected", "errors")),
    ("cluster", ("unavailable_s", "produce_stalled_s", "leader_elections", "unclean_elections",
                 "isr_shrinks", "isr_expands", "isr_min", "preferred_leaders_at_end")),
    ("controllers", ("metadata_unavailable_s",)),
    ("replication", ("under_replicated_s", "under_min_isr_s", "max_catch_up_s")),
    ("quotas", ("throttle_s",)),
)
TRANSACTIONS_ONLY = ("committing_at_end",)     # printed only for runs with transactions


def render_summary(result, repro: str) -> str:
    """The summary as text, with expectations and the reproducing command."""
    s = result.summary
    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=False, color_system=None)
    console.print(f"scenario {s['scenario']}  seed {s['seed']}")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    transactions = bool(result.manifest.get("transactional") or result.manifest.get("outputs"))
    for title, keys in SECTIONS:
        if title in ("consumers", "groups") and not result.manifest.get("groups"):
            continue
        if title == "transactions" and not transactions:
            continue
        if title == "outputs" and not result.manifest.get("outputs"):
            continue
        shown = [k for k in keys if transactions or k not in TRANSACTIONS_ONLY]
        table.add_row(title, "  ".join(f"{k} {_fmt(s[k])}" for k in shown))
    console.print(table)
    if s["expect"]:
        exp = Table(title="expectations", title_justify="left")
        for col in ("key", "wanted", "got", "ok"):
            exp.add_column(col)
        for e in s["expect"]:
            exp.add_row(e["key"], str(e["wanted"]), _fmt(e["got"]), "ok" if e["ok"] else "FAILED")
        console.print(exp)
    console.print(f"digest {s['digest']}")
    if not result.ok:
        console.print(f"reproduce: {repro}", soft_wrap=True)
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip().splitlines())


def render_checks(results) -> str:
    """`kafkasim check`: one row per scenario, its expectations wanted against measured."""
    buf = io.StringIO()
    console = Console(file=buf, width=120, force_terminal=False, color_system=None)
    table = Table(title="kafkasim check", title_justify="left")
    for col in ("scenario", "seed", "result", "expectations (wanted -> measured)"):
        table.add_column(col, overflow="fold")
    for r in results:
        status = "ok" if r.ok else ("PARTIAL" if r.partial else "FAILED")
        expectations = "; ".join(
            f"{e['key']} {e['wanted']} -> {_fmt(e['got'])}" + ("" if e["ok"] else " FAILED")
            for e in r.expect)
        table.add_row(r.name, str(r.seed), status, expectations)
    console.print(table)
    failed = [r for r in results if not r.ok]
    console.print(f"{len(results) - len(failed)} of {len(results)} scenarios hold their "
                  "expectations")
    for r in failed:
        console.print(f"reproduce: kafkasim run {r.path} --seed {r.seed}", soft_wrap=True)
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip().splitlines())


SWEEP_METRICS = ("acked", "failed", "indeterminate", "lost", "unavailable_s", "produce_stalled_s",
                 "ack_p99_ms")


def render_sweep(df) -> str:
    """`kafkasim sweep` without --out: one row per combination, the means over its seeds."""
    params = list(df.columns[:df.columns.get_loc("seed")])
    groups = df.groupby(params, sort=False, dropna=False) if params else [((), df)]
    buf = io.StringIO()
    console = Console(file=buf, width=240, force_terminal=False, color_system=None)
    seeds = df["seed"].unique()
    table = Table(title=f"kafkasim sweep {df['scenario'].iloc[0]}: seeds {seeds.min()} .. "
                  f"{seeds.max()}, means over seeds (max lost)", title_justify="left")
    for col in (*params, "runs", "expect ok", *SWEEP_METRICS):
        table.add_column(col, overflow="fold")
    for key, rows in groups:
        key = key if isinstance(key, tuple) else (key,)
        means = [_fmt(_mean(rows[m])) for m in SWEEP_METRICS]
        means[3] += f" ({number(rows['lost'].max())})"
        table.add_row(*map(number, key), str(len(rows)),
                      f"{int(rows['expect_ok'].sum())}/{len(rows)}", *means)
    console.print(table)
    console.print("every run, every summary key: --out FILE.csv or FILE.parquet")
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip().splitlines())


def _mean(column):
    values = column.dropna()
    return None if values.empty else round(float(values.mean()), 3)
