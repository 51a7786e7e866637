"""What watches a run watches its trace: an observer registered on a run sees every record
of its types, in emission order, and watching changes nothing in the run."""

import pytest

import sim
from sim.core.records import (
    BrokerFenced,
    BrokerUnfenced,
    HighWatermark,
    HostChanged,
    HwAdvanced,
    LeaderChanged,
    OffsetsCommitted,
    PartitionChanged,
    PositionReset,
    ProcessingTimes,
    RecordsProcessed,
)
from tests.conftest import SCENARIOS, run_scenario

FACTS = (HostChanged, BrokerFenced, BrokerUnfenced, LeaderChanged, HighWatermark,
         OffsetsCommitted, PositionReset, RecordsProcessed)
PROBES = (HwAdvanced, PartitionChanged, ProcessingTimes)
NAME = "consumer-coordinator-crash-no-rebalance"


class Recorder:
    """Every record of some types, in the order the observer is called."""

    def __init__(self, kinds) -> None:
        self.kinds, self.seen = kinds, []

    def watch(self, trace) -> None:
        for kind in self.kinds:
            trace.subscribe(kind, self.seen.append)


@pytest.fixture(scope="module")
def watched():
    """The scenario run once with a recorder of FACTS and PROBES watching: (recorder, result)."""
    recorder = Recorder(FACTS + PROBES)
    return recorder, sim.run(sim.load(SCENARIOS / f"{NAME}.yaml"), watch=[recorder])


def test_an_observer_sees_every_record_of_its_types_in_emission_order(watched):
    recorder, result = watched
    seen = recorder.seen
    for kind in FACTS:
        assert [r for r in seen if type(r) is kind] == result.trace.rows(kind), kind.__name__
    times = [r.t_us for r in seen if type(r) not in (RecordsProcessed, ProcessingTimes)]
    assert times == sorted(times) and times[-1] > 60_000_000   # emission order is time order
    kinds = [type(r) for r in seen]
    assert kinds.count(HwAdvanced) == kinds.count(HighWatermark) > 0
    assert all(b is HwAdvanced for a, b in zip(kinds, kinds[1:], strict=False)
               if a is HighWatermark)                          # each probe follows its fact
    assert kinds.count(ProcessingTimes) == kinds.count(RecordsProcessed) > 0
    assert kinds.count(PartitionChanged) >= len(result.trace.rows(LeaderChanged))


def test_watching_a_run_changes_neither_its_digest_nor_its_summary(watched):
    _recorder, result = watched
    assert result.summary == run_scenario(NAME).summary


def test_the_lag_observer_ends_where_the_summary_says():
    result = run_scenario(NAME)
    lag = result.lag
    assert lag.lag.max() == result.summary["max_lag"] > 0
    last = lag.groupby(["group", "partition"]).lag.last()
    assert last.clip(lower=0).sum() == result.summary["final_lag"]
