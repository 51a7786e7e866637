"""Plots of a sweep's rows (`sim.sweep`): a metric over one or two swept parameters.

    fig = sim.plots.heatmap(df, "cluster.brokers", "producers.checkout.config.acks", "lost")
    fig = sim.plots.metric_vs(df, "topics.orders.config.min.insync.replicas", "ack_p99_ms")
    fig.savefig("lost.png")

Each helper returns a matplotlib Figure drawn with the Agg canvas, never through pyplot, so it
neither needs a display nor changes the backend of a notebook (which shows the Figure as it is
returned). Parameter values keep their grid order; numeric values are placed by value.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def heatmap(df, x: str, y: str, metric: str) -> Figure:
    """The mean over seeds of `metric` for every (x, y) combination, one cell each."""
    means = df.groupby([y, x], sort=False)[metric].mean().unstack(x)
    means = means.reindex(index=_levels(df[y]), columns=_levels(df[x]))
    fig = _figure()
    ax = fig.add_subplot()
    image = ax.imshow(means.to_numpy(dtype=float), cmap="viridis", aspect="auto",
                      origin="lower")
    ax.set_xticks(range(len(means.columns)), [str(v) for v in means.columns])
    ax.set_yticks(range(len(means.index)), [str(v) for v in means.index])
    for (row, col), value in np.ndenumerate(means.to_numpy(dtype=float)):
        light = not np.isnan(value) and image.norm(value) > 0.6      # viridis turns yellow
        ax.text(col, row, _cell(value), ha="center", va="center",
                color="black" if light else "white", fontsize="small")
    fig.colorbar(image, ax=ax, label=f"{metric} (mean)")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{metric}: mean over {_seeds(df)}")
    return fig


def metric_vs(df, param: str, metric: str, by: str | None = None) -> Figure:
    """The mean of `metric` over seeds against `param`, with its min-max spread shaded.

    `by` draws one line per value of another swept parameter; without it, every run at a
    value of `param` counts (whatever the other parameters are).
    """
    fig = _figure()
    ax = fig.add_subplot()
    levels = _levels(df[param])
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                  for v in levels)
    xs = np.asarray(levels, dtype=float) if numeric else np.arange(len(levels))
    lines = [(None, df)] if by is None else [(v, df[df[by] == v]) for v in _levels(df[by])]
    for value, rows in lines:
        stats = rows.groupby(param, sort=False)[metric].agg(["mean", "min", "max"])
        stats = stats.reindex(levels)
        label = "mean" if by is None else f"{by} = {value}"
        (line,) = ax.plot(xs, stats["mean"], marker="o", label=label)
        ax.fill_between(xs, stats["min"], stats["max"], color=line.get_color(), alpha=0.2,
                        label="min-max" if by is None else None)
    if not numeric or len(levels) <= 12:
        ax.set_xticks(xs, [str(v) for v in levels])
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    runs = len(df) // (len(levels) * len(lines))
    ax.set_title(f"{metric}: mean and min-max (shaded) of {runs} runs per point")
    ax.legend()
    return fig


def _cell(value: float) -> str:
    if np.isnan(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _figure() -> Figure:
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _levels(column) -> list:
    """The distinct values in order of first appearance (the grid's order), sorted if numeric."""
    values = list(dict.fromkeys(column.tolist()))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return values


def _seeds(df) -> str:
    count = df["seed"].nunique()
    return f"{count} seed{'s' if count != 1 else ''}"
