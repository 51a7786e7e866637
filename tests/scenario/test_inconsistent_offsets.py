"""`inconsistent_offsets` counts what consumers saw: a record a consumer fetched at an offset
that the final committed log holds another record at is an inconsistency even when no
producer acknowledgement named that offset (acks=0 returns none)."""

import numpy as np
import yaml

import sim
from sim.analysis.replicas import FetchBook, inconsistent_offsets
from sim.cluster.log import Batch
from sim.core.records import RecordsFetched
from sim.scenario import from_dict
from tests.conftest import SCENARIOS


def _unclean(consumers: dict) -> dict:
    """The unclean-election case with acks=0 (no acknowledged offsets) and these groups."""
    raw = yaml.safe_load((SCENARIOS / "min-isr-1-leader-lost-unclean-on.yaml").read_text())
    raw["producers"]["writer"]["config"]["acks"] = 0
    raw.pop("expect")
    raw["consumers"] = consumers
    return raw


def test_records_a_consumer_fetched_then_replaced_by_an_unclean_leader_are_inconsistent():
    with_reader = sim.run(from_dict(_unclean({"reader": {"topic": "ledger", "members": 1}})))
    unread = sim.run(from_dict(_unclean({})))
    assert with_reader.summary["unclean_elections"] >= 1
    assert unread.summary["inconsistent_offsets"] == 0       # acks=0: nothing else observed
    assert with_reader.summary["inconsistent_offsets"] > 0
    assert with_reader.summary["inconsistent_offsets"] <= with_reader.summary["produced"]


def _batch(base, count, producer, first_seq):
    return Batch(base, count, 0, producer, first_seq, -1, -1, -1, 100, 0)


class _Audit:
    topic, partition = "t", 0

    def __init__(self, committed):
        self.committed = committed


def test_a_fetch_is_compared_with_the_final_log_and_repeated_fetches_count_once():
    book = FetchBook()
    seen = (_batch(0, 5, 0, 0), _batch(5, 5, 0, 5))
    for _ in range(3):                                   # fetched three times, one observation
        book.add(RecordsFetched(0, "g", "t", 0, seen))
    book.add(RecordsFetched(0, "g", "other", 0, seen))   # not audited: ignored
    final = [_batch(0, 7, 0, 0), _batch(7, 3, 1, 0)]     # offsets 7..9 now hold producer 1's
    total = inconsistent_offsets({}, [_Audit(final)], ["a", "b"], book.observations())
    assert total == 3
    offsets, ids = book.observations()[("t", 0)]
    assert offsets.tolist() == list(range(10)) and np.all(ids == np.arange(10))
