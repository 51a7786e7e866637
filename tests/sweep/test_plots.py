"""`sim.plots`: figures of a sweep's rows, labelled, from the means over seeds."""

import matplotlib
import pandas as pd

from sim.plots import heatmap, metric_vs

ROWS = pd.DataFrame({
    "cluster.brokers": [3, 3, 5, 5, 3, 3, 5, 5],
    "producers.checkout.config.acks": ["1"] * 4 + ["all"] * 4,
    "seed": [1, 2] * 4,
    "lost": [10, 20, 0, 2, 0, 0, 0, 0],
})
BROKERS, ACKS = "cluster.brokers", "producers.checkout.config.acks"


def test_heatmap_shows_the_mean_over_seeds_of_each_combination():
    fig = heatmap(ROWS, BROKERS, ACKS, "lost")
    assert isinstance(fig, matplotlib.figure.Figure)
    ax, colorbar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == (BROKERS, ACKS)
    assert ax.get_title() == "lost: mean over 2 seeds" and colorbar.get_ylabel() == "lost (mean)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "5"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "all"]
    assert [t.get_text() for t in ax.texts] == ["15", "1", "0", "0"]


def test_metric_vs_draws_the_mean_and_spread_with_a_legend():
    fig = metric_vs(ROWS, BROKERS, "lost", by=ACKS)
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == (BROKERS, "lost")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"{ACKS} = 1", f"{ACKS} = all"]
    assert list(ax.lines[0].get_ydata()) == [15, 1] and list(ax.lines[0].get_xdata()) == [3, 5]
    assert "2 runs per point" in ax.get_title()
    fig = metric_vs(ROWS, ACKS, "lost")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean", "min-max"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "all"]
    assert list(ax.lines[0].get_ydata()) == [8, 0] and "4 runs per point" in ax.get_title()
