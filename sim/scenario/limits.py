"""Limits the file alone decides (exit code 2): the run must fit in memory and time.

Brokers (1..100) and durations (<= 365d) are checked where they are read. Here: at most
10 000 partitions over the declared topics (internal `__consumer_offsets` not counted), and
at most 2 x 10^8 records over the run: each producer's rate x time, following its `set_rate`
changes, times the number of `steps` per event.

See docs/cli.md#exit-codes.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.scenario.errors import Invalid
from sim.scenario.spec import Action, Producer

MAX_TOTAL_PARTITIONS = 10_000
MAX_RECORDS = 200_000_000


def check_partitions(topics: Mapping) -> None:
    """Refuse more than MAX_TOTAL_PARTITIONS partitions in all."""
    total = sum(topic.partitions for topic in topics.values())
    if total > MAX_TOTAL_PARTITIONS:
        raise Invalid(
            ("topics",),
            f"at most {MAX_TOTAL_PARTITIONS} partitions in all",
            f"{total}",
            "Fewer topics or partitions keep the run fast.",
        )


def planned_records(producer: Producer, timeline: tuple[Action, ...], duration_us: int) -> float:
    """Records a producer's workload will hand over during the run."""
    rate, since, total = producer.rate, 0, 0.0
    for action in timeline:
        if action.kind == "set_rate" and action.params["producer"] == producer.name:
            total += rate * (action.at_us - since) / 1e6
            rate, since = action.params["rate"], action.at_us
    total += rate * (duration_us - since) / 1e6
    return total * (len(producer.steps) if producer.steps else 1)


def check_records(producers: Mapping, timeline: tuple[Action, ...], duration_us: int) -> None:
    """Refuse scenarios that would produce more than MAX_RECORDS records."""
    total = sum(planned_records(p, timeline, duration_us) for p in producers.values())
    if total > MAX_RECORDS:
        raise Invalid(
            ("producers",),
            f"at most {MAX_RECORDS} records in the run (rate x duration, summed over producers)",
            f"{int(total):,} records",
            "Lower a rate or the duration.",
        )
