"""The run's observers, each built alone and fed records by hand: the invariants, the lag
tracker, the processing book and the availability tracker."""

from types import SimpleNamespace as NS

import numpy as np
import pytest

from sim.analysis.availability import Availability
from sim.analysis.consumption import ProcessingBook
from sim.analysis.lag import LagTracker
from sim.cluster.log import Batch, ReplicaLog
from sim.cluster.metadata import PartitionState
from sim.core.records import (
    BrokerFenced,
    BrokerUnfenced,
    HighWatermark,
    HostChanged,
    HwAdvanced,
    InvariantExempted,
    LeaderChanged,
    OffsetsCommitted,
    PartitionChanged,
    PositionReset,
    ProcessingTimes,
)
from sim.core.trace import Trace
from sim.core.units import S
from sim.invariants import Invariants, InvariantViolation

# -- invariants -----------------------------------------------------------------------------


def batch(base: int, count: int, epoch: int, producer: int = 0, seq: int = 0) -> Batch:
    return Batch(base, count, epoch, producer, seq, -1, -1, -1, 100, 0)


def cluster(unclean: bool = False):
    """Two brokers with an empty log for partition 0 of topic t, and the invariants on a trace."""
    brokers = [NS(replicas={0: NS(log=ReplicaLog())}, storage=NS(power_lost=set(),
                                                                 hw_truncated=set()))
               for _ in range(2)]
    topology = NS(partitions=[NS(pidx=0, topic="t", partition=0, unclean=unclean)])
    trace = Trace()
    Invariants(7, topology, brokers).watch(trace)
    return trace, brokers


def commit(trace, brokers, broker: int, t_us: int, epoch: int, *batches) -> None:
    """Append batches to a broker's log and advance its HW over them, as a leader."""
    log = brokers[broker].replicas[0].log
    old_hw = log.hw
    for b in batches:
        log.append(b)
    log.hw = log.leo
    trace.emit(HwAdvanced(t_us, broker, 0, epoch, old_hw, log.hw, log.leo))


def test_two_leaders_in_one_epoch_stop_the_run_with_time_and_seed():
    trace, _ = cluster()
    trace.emit(PartitionChanged(0, None, PartitionState(0, 0, 0, 0, (0, 1)), "initial"))
    old = PartitionState(0, 0, 0, 1, (0, 1))
    with pytest.raises(InvariantViolation, match=r"'one leader per epoch' violated at t=5 us "
                                                 r"\(seed 7\)"):
        trace.emit(PartitionChanged(5, old, PartitionState(0, 1, 0, 2, (0, 1)), "clean"))


def test_a_leader_from_outside_the_isr_fires_unless_unclean_election_is_enabled():
    old, new = PartitionState(0, 0, 0, 0, (0,)), PartitionState(0, 1, 1, 1, (1,))
    trace, _ = cluster()
    with pytest.raises(InvariantViolation, match="leader from the ISR or ELR"):
        trace.emit(PartitionChanged(3, old, new, "clean"))
    trace, _ = cluster(unclean=True)
    trace.emit(PartitionChanged(3, old, new, "unclean"))


def test_a_high_watermark_past_the_log_end_or_moving_back_fires():
    trace, brokers = cluster()
    with pytest.raises(InvariantViolation, match="'HW <= LEO' violated at t=4"):
        trace.emit(HwAdvanced(4, 0, 0, 0, 0, 11, 10))
    trace, brokers = cluster()
    commit(trace, brokers, 0, 1, 0, batch(0, 5, 0))
    with pytest.raises(InvariantViolation, match="leader HW never decreases"):
        trace.emit(HwAdvanced(2, 0, 0, 0, 5, 4, 5))


def test_changed_committed_records_fire_unless_the_election_was_unclean():
    for kind in ("clean", "unclean"):
        trace, brokers = cluster(unclean=kind == "unclean")
        commit(trace, brokers, 0, 1, 0, batch(0, 3, 0, seq=0))
        isr = (0, 1) if kind == "clean" else (0,)
        trace.emit(PartitionChanged(2, PartitionState(0, 0, 0, 0, isr),
                                    PartitionState(0, 1, 1, 1, (1,)), kind))
        if kind == "clean":                         # broker 1 holds other records at 0..2
            with pytest.raises(InvariantViolation, match="committed records never change"):
                commit(trace, brokers, 1, 3, 1, batch(0, 3, 1, seq=50))
        else:
            commit(trace, brokers, 1, 3, 1, batch(0, 3, 1, seq=50))
            assert trace.rows(InvariantExempted) == [InvariantExempted(
                3, "t", 0, "committed records never change", "unclean election or lost data")]


# -- lag ------------------------------------------------------------------------------------


def test_lag_is_the_high_watermark_minus_the_start_position_then_the_committed_offset():
    trace = Trace()
    lag = LagTracker({"g": [0]}, [("t", 0), ("t", 1)])
    lag.watch(trace)
    trace.emit(HighWatermark(1, 0, "t", 0, 0, 10, 10))
    trace.emit(HighWatermark(1, 0, "t", 1, 0, 99, 99))          # nobody reads partition 1
    trace.emit(PositionReset(2, "g", "g-0", "t", 0, -1, 4, "no_committed_offset"))
    trace.emit(OffsetsCommitted(3, "g", "g-0", "t", 0, 8))
    trace.emit(PositionReset(4, "g", "g-1", "t", 0, -1, 0, "no_committed_offset"))
    trace.emit(OffsetsCommitted(5, "other", "o-0", "t", 0, 1))   # not a subscribed group
    assert lag.rows == [(1, "g", 0, 10), (2, "g", 0, 6), (3, "g", 0, 2)]
    assert (lag.max_lag, lag.final_lag()) == (10, 2)


# -- processing -----------------------------------------------------------------------------


def test_the_processing_book_keeps_identity_ranges_of_workload_batches_only():
    trace = Trace()
    book = ProcessingBook(["checkout"])
    book.watch(trace)
    done = np.arange(100, 106, dtype=np.int64)
    batches = (batch(10, 4, 0, producer=0, seq=40), batch(14, 1, 0, producer=-1),
               batch(15, 5, 0, producer=0, seq=44))
    trace.emit(ProcessingTimes(105, "g", "t", 0, 12, 6, batches, done))   # offsets 12..17
    (a, b), = [book.rows["g"]]
    assert a[:6] == ("checkout", "t", 0, 42, 2, 12) and list(a[6]) == [100, 101]
    assert b[:6] == ("checkout", "t", 0, 44, 3, 15) and list(b[6]) == [103, 104, 105]


# -- availability ---------------------------------------------------------------------------


def test_a_partition_is_unavailable_while_its_leader_is_down_fenced_or_unregistered():
    trace = Trace()
    seen = Availability()
    seen.watch(trace)
    for r in (LeaderChanged(0, "t", 0, 0, 0, (0, 1), "initial"),
              LeaderChanged(0, "t", 1, 1, 0, (0, 1), "initial"),
              LeaderChanged(0, "__consumer_offsets", 0, -1, 0, (), "initial"),
              HostChanged(1 * S, "broker-0", "crashed"),         # t-0 down from 1 s
              HostChanged(2 * S, "broker-0", "running"),         # a new process: unregistered
              BrokerUnfenced(4 * S, 0),                          # t-0 back at 4 s
              HostChanged(10 * S, "broker-1", "paused"),         # t-1 down 10 s .. 11 s
              HostChanged(11 * S, "broker-1", "running"),
              BrokerFenced(12 * S, 0, "session_timeout"),        # t-0 down from 12 s
              LeaderChanged(13 * S, "t", 0, 1, 1, (1,), "clean"),
              HostChanged(14 * S, "controller", "crashed"),       # not a broker
              LeaderChanged(18 * S, "t", 1, -1, 1, (), "none")):  # t-1 offline from 18 s
        trace.emit(r)
    assert seen.unavailable_s(20 * S, {"__consumer_offsets"}) == 3 + 1 + 1 + 2
    assert seen.unavailable_s(3 * S, {"__consumer_offsets"}) == 2
    assert seen.unavailable_s(20 * S, ()) == 7 + 20
