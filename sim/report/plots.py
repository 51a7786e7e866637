"""The report's plots: one function per plot, each returning a matplotlib Figure.

Every time axis is simulated seconds, with the scenario's fault windows shaded
(numbered as in the report's timeline table; instant actions such as restart
or heal are dashed lines). The functions take the tables of `Result.tables()`
and draw them as they are: no resampling, no smoothing. Left out: interactive
plots (the report must open offline without JavaScript) and per-broker
follower offsets (the trace keeps the leader's high watermark and log end only; a run with a
bandwidth samples each follower's lag in bytes every second).
"""

import textwrap

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from sim.analysis.summary import nearest_rank  # noqa: E402

S = 1e6
MIB = 1 << 20
LABEL_WIDTH = 150
FAULT_COLORS = ("#f4a582", "#92c5de", "#c2a5cf", "#a6dba0", "#fddbc7", "#d1e5f0")
WIDTH = 11


def _fault_color(i: int) -> str:
    return FAULT_COLORS[i % len(FAULT_COLORS)]


def _layout(heights: list, faults, sharex: bool = True):
    """A figure of stacked axes (heights in inches), topped by a fault strip when any fired."""
    lanes = sum(len(_label(f)) for f in faults.itertuples())
    strip = [0.35 + 0.24 * lanes] if lanes else []
    fig = Figure(figsize=(WIDTH, sum(strip + heights) + 0.9))
    axes = list(fig.subplots(len(strip + heights), 1, sharex=sharex, squeeze=False,
                             gridspec_kw={"height_ratios": strip + heights})[:, 0])
    if lanes:
        _fault_strip(axes.pop(0), faults)
    return fig, axes


def _label(f) -> list[str]:
    """A fault's label in full, in lines of at most LABEL_WIDTH characters: entry, action,
    when, and the hosts it took (a partition's sides separated by |)."""
    when = f"{f.start_us / S:g} s" if f.end_us <= f.start_us else \
        f"{f.start_us / S:g}-{f.end_us / S:g} s"
    return textwrap.wrap(f"#{f.index} {f.kind}, {when}: {f.hosts}", LABEL_WIDTH,
                         subsequent_indent="    ")


def _fault_strip(ax, faults) -> None:
    """One lane per fired timeline entry (as tall as its label): a bar from start to end,
    or a tick when instant, and its whole label from the left edge."""
    top = 0.0
    for i, f in enumerate(faults.itertuples()):
        lines = _label(f)
        lane = top + (len(lines) - 1) / 2
        start, end = f.start_us / S, f.end_us / S
        if end > start:
            ax.barh(lane, end - start, left=start, height=0.7 * len(lines),
                    color=_fault_color(i))
        else:
            ax.plot([start], [lane], marker="|", ms=12, mew=2, color="#555555")
        ax.text(0.002, lane, "\n".join(lines), va="center", ha="left", fontsize=8,
                transform=ax.get_yaxis_transform(),
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1})
        top += len(lines)
    ax.set_ylim(top - 0.5, -0.5)
    ax.set_yticks([])
    ax.set_title("Faults (timeline entries as they fired; shaded below)", fontsize=9)
    ax.tick_params(axis="x", labelbottom=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def shade_faults(ax, faults) -> None:
    """Shade each fault window on ax (a dashed line for instant actions)."""
    for lane, f in enumerate(faults.itertuples()):
        if f.end_us > f.start_us:
            ax.axvspan(f.start_us / S, f.end_us / S, color=_fault_color(lane), alpha=0.22,
                       lw=0, zorder=0)
        else:
            ax.axvline(f.start_us / S, color="#555555", ls="--", lw=1, zorder=0)


def _counts(axis) -> None:
    """An axis of counts: whole-number ticks with thousands separators."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _legend(ax, handles=None, labels=None) -> None:
    """A legend outside the axes, on the right, so it never hides data."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1),
              borderaxespad=0, frameon=False)


def _finish(fig, axes, faults, duration_s: float | None = None) -> Figure:
    for ax in axes:
        shade_faults(ax, faults)
        ax.grid(alpha=0.3)
        if duration_s is not None:
            ax.axvline(duration_s, color="#888888", ls=":", lw=1.2, zorder=0)
            ax.text(duration_s, 0.98, " drain ", transform=ax.get_xaxis_transform(),
                    fontsize=7, color="#666666", va="top", ha="left")
    axes[-1].set_xlabel("simulated time (s)")
    fig.tight_layout(h_pad=0.4)
    return fig


TRUNCATION_MARKERS = "v^Ds<>ph"


def partition_timeline(part, truncations, faults, name: str, span: tuple) -> Figure:
    """One partition: log end and high watermark per leader, uncommitted records, leader/ISR.

    span is (duration_s, end_s): where the drain began and where the run ended.
    """
    fig, (ax_off, ax_gap, ax_state) = _layout([2.4, 1.4, 1.5], faults)
    bin_s = _bin_s(span[1])
    for broker, rows in part[part.broker >= 0].groupby("broker"):
        t, color = rows.t_us.to_numpy() / S, f"C{broker}"
        ax_off.step(t, rows.leo.astype(float), where="post", color=color, lw=1.6,
                    label=f"broker-{broker} log end offset")
        ax_off.step(t, rows.hw.astype(float), where="post", color=color, lw=1.2, ls="--",
                    label=f"broker-{broker} high watermark")
        gap = (rows.leo - rows.hw).astype(float).groupby((t // bin_s).astype(int)).max()
        ax_gap.step(gap.index * bin_s, gap, where="post", color=color, lw=1,
                    label=f"broker-{broker} as leader")
    for broker, rows in truncations.groupby("broker"):
        causes = ", ".join(sorted(set(rows.cause)))
        ax_off.scatter(rows.t_us / S, rows.new_leo, s=50, facecolor="none", lw=1.5,
                       marker=TRUNCATION_MARKERS[broker % len(TRUNCATION_MARKERS)],
                       edgecolor=f"C{broker}", zorder=5,
                       label=f"broker-{broker} truncated its log to ({causes})")
    ax_off.set(title=f"Partition {name}: log end offset and high watermark on the leader",
               ylabel="offset")
    _counts(ax_off.yaxis)
    _counts(ax_gap.yaxis)
    ax_gap.set(title="Uncommitted records on the leader: log end offset − high watermark "
               f"(max per {bin_s:g} s)", ylabel="records")
    ax_gap.set_ylim(bottom=0)
    _legend(ax_off)
    _legend(ax_gap)
    _state_axes(ax_state, part[part.broker < 0], span[1])
    return _finish(fig, [ax_off, ax_gap, ax_state], faults, span[0])


def _bin_s(end_s: float) -> float:
    """A round bin width giving at most about 400 bins over the run."""
    return next((b for b in (0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 60) if end_s / b <= 400), 600)


def _state_axes(ax, changes, end_s: float) -> None:
    changes = pd.concat([changes, changes.tail(1).assign(t_us=int(end_s * S))])
    t = changes.t_us.to_numpy() / S
    leader = changes.leader.fillna(-1).astype(float)
    ax.step(t, leader, where="post", color="black", lw=1.6, label="leader (broker id; −1: none)")
    ax.step(t, changes.isr_size.astype(float), where="post", color="C2", lw=1.2,
            label="ISR size (replicas)")
    epoch_ax = ax.twinx()
    epoch_ax.step(t, changes.leader_epoch.astype(float), where="post", color="C3", lw=1,
                  ls=":", label="leader epoch (right axis)")
    epoch_ax.set_ylabel("leader epoch", color="C3")
    epoch_ax.set_ylim(-0.5, float(changes.leader_epoch.max()) + 0.5)
    epoch_ax.yaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set(title="Leader, ISR size and leader epoch (as the controller committed them)",
           ylabel="broker id / replicas")
    top = max(float(np.nanmax(leader.to_numpy(), initial=0)), float(changes.isr_size.max()))
    ax.set_ylim(-1.5, top + 0.8)
    h, labels = ax.get_legend_handles_labels()
    h2, labels2 = epoch_ax.get_legend_handles_labels()
    ax.legend(h + h2, labels + labels2, fontsize=8, loc="upper left",
              bbox_to_anchor=(1.09, 1), borderaxespad=0, frameon=False)


def throughput(per_second, errors, faults, duration_s: float | None = None) -> Figure:
    """Records produced, acknowledged and failed per second; rejected attempts by error."""
    has_errors = len(errors) > 0
    fig, axes = _layout([2.4, 1.8] if has_errors else [2.4], faults)
    ax, t = axes[0], per_second.t_s.to_numpy()
    styles = (("produced", "C0", 3.0, 0.45), ("acked", "C2", 1.3, 1.0),
              ("failed", "C3", 1.3, 1.0))
    for column, color, lw, alpha in styles:
        ax.step(t, per_second[column], where="post", color=color, lw=lw, alpha=alpha,
                label=f"records {column}")
    ax.set(title="Produce throughput, acknowledgements and failures (per second of "
           "callbacks)" + ("" if has_errors else "; no produce errors"), ylabel="records / s")
    _counts(ax.yaxis)
    _legend(ax)
    if has_errors:
        wide = errors.pivot_table(index="t_s", columns="error", values="attempts",
                                  aggfunc="sum", fill_value=0)
        bottom = np.zeros(len(wide))
        for i, error in enumerate(wide.columns):
            axes[1].bar(wide.index + 0.5, wide[error], width=0.9, bottom=bottom,
                        color=f"C{(i + 3) % 10}", label=error)
            bottom += wide[error].to_numpy()
        axes[1].set(title="Rejected produce attempts (partition batches) by error",
                    ylabel="attempts / s")
        _counts(axes[1].yaxis)
        _legend(axes[1])
    return _finish(fig, axes, faults, duration_s)


def wire(nic_bytes, lag_bytes, faults, duration_s: float | None = None) -> Figure:
    """A run with a bandwidth: each broker NIC's bytes per second out and in (from the
    per-second samples of sim/cluster/wire_sampler.py), and each follower's lag in bytes
    (summed over its partitions)."""
    fig, axes = _layout([2.4, 2.2], faults)
    ax = axes[0]
    for i, (host, rows) in enumerate(nic_bytes.groupby("host", sort=True)):
        t = rows.t_us.to_numpy() / S
        for column, style in (("sent", "-"), ("received", ":")):
            rate = np.diff(rows[column].to_numpy(), prepend=0) / MIB
            ax.step(t, rate, where="pre", color=f"C{i % 10}", ls=style, lw=1.2,
                    label=f"{host} {'out' if column == 'sent' else 'in'}")
    ax.set(title="Bytes per second handed to each broker's NIC (out solid, in dotted)",
           ylabel="MiB / s")
    _legend(ax)
    ax = axes[1]
    total = lag_bytes.groupby(["broker", "t_us"]).lag_bytes.sum()
    for broker, rows in total.groupby(level=0):
        ax.step(rows.index.get_level_values(1) / S, rows.to_numpy() / MIB, where="post",
                lw=1.2, label=f"broker-{broker}")
    ax.set(title="Follower lag in bytes (the leaders' batches a follower lacks, over its "
           "partitions)", ylabel="MiB")
    _legend(ax)
    return _finish(fig, axes, faults, duration_s)


def consumer_lag(lag, rebalances, faults, duration_s: float | None = None) -> Figure:
    """Each group's lag per partition over time, rebalances marked."""
    groups = list(dict.fromkeys(lag.group))
    fig, axes = _layout([2.6] * len(groups), faults)
    for ax, group in zip(axes, groups, strict=True):
        for (topic, partition), rows in lag[lag.group == group].groupby(["topic", "partition"]):
            ax.step(rows.t_us / S, rows.lag, where="post", lw=1.1, label=f"{topic}/{partition}")
        ax.set(title=f"Consumer lag of group {group} (high watermark − committed offset)",
               ylabel="lag (records)")
        _counts(ax.yaxis)
        for i, r in enumerate(rebalances[rebalances.group == group].itertuples()):
            ax.axvline(r.start_us / S, color="black", ls="-.", lw=1,
                       label="rebalance starts" if i == 0 else None)
            ax.text(r.start_us / S, 0.97, f" {r.reason} ", rotation=90, va="top", ha="right",
                    fontsize=7, transform=ax.get_xaxis_transform())
        _legend(ax)
    return _finish(fig, axes, faults, duration_s)


def latency(ack_ms, e2e_ms) -> Figure | None:
    """Distributions of send → acknowledgement and, with groups, send → first processing;
    a distribution without samples is left out, and with neither there is no figure."""
    panels = [("Acknowledgement latency (send → success)", ack_ms, "C0"),
              ("End-to-end latency (send → first completed processing)", e2e_ms, "C1")]
    panels = [p for p in panels if p[1] is not None and len(p[1])]
    if not panels:
        return None
    fig = Figure(figsize=(WIDTH, 3.8))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, values, color) in zip(axes, panels, strict=True):
        _histogram(ax, np.asarray(values, float), color)
        ax.set(title=title, xlabel="latency (ms, log scale)", ylabel="records")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _histogram(ax, values, color) -> None:
    low = max(values.min(), 1e-3)
    bins = np.geomspace(low, max(values.max(), low * 10), 60)
    ax.hist(np.clip(values, low, None), bins=bins, color=color, alpha=0.8, label="records")
    _counts(ax.yaxis)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    for q, ls in ((50, "--"), (99, "-")):
        v = nearest_rank(values, q)
        ax.axvline(v, color="black", ls=ls, lw=1, label=f"p{q} {v:,.1f} ms")
    ax.legend(fontsize=8)


def anomalies(summary: dict, groups: bool) -> Figure | None:
    """Lost, skipped and duplicated records, each by cause; None when there are none."""
    bars = [(f"lost: {c}", n, "C3") for c, n in summary["lost_by_cause"].items()]
    bars = bars or [("lost", 0, "C3")]
    bars += [(f"skipped: {c}", n, "C1") for c, n in summary["skipped_by_cause"].items()]
    bars.append(("extra copies in the final log", summary["log_duplicates"], "C4"))
    if groups:
        bars.append(("extra processings (same group)", summary["processed_duplicates"], "C9"))
    if summary["offline_at_end"]:
        bars.append(("offline at end (acked, no leader)", summary["offline_at_end"], "C7"))
    if summary["committing_at_end"]:
        bars.append(("committing at end (COMMIT marker owed)", summary["committing_at_end"],
                     "C7"))
    labels, counts, colors = zip(*reversed(bars), strict=True)
    if not sum(counts):
        return None
    fig = Figure(figsize=(WIDTH, 1.4 + 0.42 * len(bars)))
    ax = fig.subplots()
    ax.barh(labels, counts, color=colors)
    for y, n in enumerate(counts):
        ax.text(n, y, f" {n:,}", va="center", fontsize=9)
    ax.set(title="Lost, skipped and duplicated records by cause", xlabel="records")
    ax.set_xlim(0, max(counts) * 1.15)
    _counts(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def unseen(series, faults, lost: int, duration_s: float | None = None) -> Figure:
    """Jepsen's unseen: acknowledged records not (yet) below their high watermark."""
    fig, (ax,) = _layout([2.6], faults)
    ax.step(series.t_us / S, series.unseen, where="post", color="C3", lw=1.2,
            label="acked, not (yet) readable:\nabove the high watermark, or gone")
    ax.axhline(lost, color="black", ls="--", lw=1, label=f"lost at the end: {lost:,}")
    ax.set(title="Unseen over time: acknowledged records consumers cannot (yet) read",
           ylabel="records")
    _counts(ax.yaxis)
    _legend(ax)
    return _finish(fig, [ax], faults, duration_s)
