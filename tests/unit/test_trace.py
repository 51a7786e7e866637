"""The trace's subscriptions: observers see their record types in emission order, and
probes reach observers without feeding the digest or the kept rows."""

import inspect
import pickle

import numpy as np
import pytest

import sim.core.records as records
from sim.core.records import (
    BatchSent,
    FaultSides,
    FollowerLagBytes,
    HighWatermark,
    HwAdvanced,
    InvariantExempted,
    LeaderChanged,
    NicBytes,
    OutOfSyncFetch,
    PartitionChanged,
    ProcessingTimes,
    RecordsCommitted,
    RecordsFetched,
)
from sim.core.trace import Trace

PROBES = [k for _, k in inspect.getmembers(records, inspect.isclass)
          if getattr(k, "PROBE", False)]
FACTS = [HighWatermark(t, 0, "t", 0, 0, t, t + 1) for t in range(5000)] + \
    [BatchSent(t, "p", "t", 0, t, 1, 0, 0) for t in range(3000)]


def a_probe(kind, t_us: int):
    """One record of a probe type, its fields filled by position."""
    values = {HwAdvanced: (t_us, 0, 0, 0, 0, 1, 2),
              PartitionChanged: (t_us, None, object(), "initial"),
              ProcessingTimes: (t_us, "g", "t", 0, 0, 1, (), np.zeros(1, np.int64)),
              FaultSides: (t_us, 0, (("broker-0",), ("broker-1", "checkout"))),
              RecordsFetched: (t_us, "g", "t", 0, ()),
              RecordsCommitted: (t_us, "t", 0, ()),
              OutOfSyncFetch: (t_us, 0, 1, "t", 0),
              NicBytes: (t_us, "broker-0", 100, 200),
              FollowerLagBytes: (t_us, 1, "t", 0, 300)}
    return kind(*values[kind])


def test_the_probe_types_are_known_and_only_the_report_notes_kept():
    assert set(PROBES) == {HwAdvanced, PartitionChanged, ProcessingTimes, FaultSides,
                           RecordsFetched, RecordsCommitted, OutOfSyncFetch, NicBytes,
                           FollowerLagBytes}
    assert {kind for kind in PROBES if kind.KEEP} == {FaultSides, NicBytes, FollowerLagBytes}


def test_an_observer_sees_every_record_of_its_type_in_emission_order_and_no_other():
    trace, seen = Trace(), []
    trace.subscribe(HighWatermark, seen.append)
    for r in FACTS:
        trace.emit(r)
    assert seen == [r for r in FACTS if type(r) is HighWatermark]
    assert seen == trace.rows(HighWatermark)


def test_observers_of_one_type_are_called_in_the_order_they_subscribed():
    trace, calls = Trace(), []
    trace.subscribe(HighWatermark, lambda r: calls.append(("first", r.t_us)))
    trace.subscribe(HighWatermark, lambda r: calls.append(("second", r.t_us)))
    trace.subscribe(BatchSent, lambda r: calls.append(("sent", r.t_us)))
    trace.emit(FACTS[0])
    trace.emit(FACTS[-1])
    trace.emit(FACTS[1])
    assert calls == [("first", 0), ("second", 0), ("sent", 2999), ("first", 1), ("second", 1)]


def test_an_observer_subscribed_late_sees_only_later_records():
    trace, seen = Trace(), []
    trace.emit(FACTS[0])
    trace.subscribe(HighWatermark, seen.append)
    trace.emit(FACTS[1])
    assert seen == [FACTS[1]]


def test_a_record_an_observer_emits_follows_the_record_it_saw():
    trace, order = Trace(), []
    exempted = InvariantExempted(7, "t", 0, "rule", "why")
    trace.subscribe(HighWatermark, lambda r: trace.emit(exempted) if r.t_us == 1 else None)
    trace.subscribe(HighWatermark, lambda r: order.append(r))
    trace.subscribe(InvariantExempted, lambda r: order.append(r))
    for r in FACTS[:3]:
        trace.emit(r)
    assert order == [FACTS[0], exempted, FACTS[1], FACTS[2]]
    plain = Trace()
    for r in (FACTS[0], FACTS[1], exempted, FACTS[2]):
        plain.emit(r)
    assert trace.digest() == plain.digest()          # the digest has the same order


def test_an_observer_that_raises_stops_the_emit_after_the_record_is_recorded():
    trace = Trace()

    def violated(record):
        raise AssertionError(f"violated at {record.t_us}")

    trace.subscribe(HighWatermark, violated)
    with pytest.raises(AssertionError, match="violated at 3"):
        trace.emit(FACTS[3])
    assert trace.rows(HighWatermark) == [FACTS[3]]


@pytest.mark.parametrize("kind", PROBES, ids=lambda k: k.__name__)
def test_a_probe_reaches_its_observers_but_not_the_digest_and_is_kept_only_if_a_note(kind):
    with_probes, without, seen = Trace(), Trace(), []
    with_probes.subscribe(kind, seen.append)
    probes = []
    for i, r in enumerate(FACTS):              # more than one digest chunk
        with_probes.emit(r)
        without.emit(r)
        if i % 3 == 0:
            probes.append(a_probe(kind, r.t_us))
            with_probes.emit(probes[-1])
    assert seen == probes
    assert with_probes.digest() == without.digest()
    assert with_probes.count == without.count == len(FACTS)
    assert with_probes.rows(kind) == (probes if kind.KEEP else [])


def test_a_fact_does_feed_the_digest_so_the_probe_test_can_fail():
    one, other = Trace(), Trace()
    for r in FACTS:
        one.emit(r)
        other.emit(r)
    other.emit(LeaderChanged(9, "t", 0, 1, 1, (1,), "clean"))
    assert one.digest() != other.digest()


def test_a_pickled_trace_keeps_its_rows_count_and_digest_but_not_its_observers():
    trace, seen = Trace(), []
    trace.subscribe(HighWatermark, seen.append)
    for r in FACTS[:3000]:
        trace.emit(r)
    copy = pickle.loads(pickle.dumps(trace))
    for r in FACTS[3000:]:
        trace.emit(r)
    assert copy.digest() != trace.digest()      # pickled before the last facts
    whole = pickle.loads(pickle.dumps(trace))
    assert whole.digest() == trace.digest() and whole.count == trace.count == len(FACTS)
    assert whole.rows(HighWatermark) == trace.rows(HighWatermark)
    assert {type(r) for r in whole.rows(HighWatermark)} == {HighWatermark}  # typed again
    assert not whole.observed(HighWatermark) and trace.observed(HighWatermark)
