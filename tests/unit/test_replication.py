"""The replication decisions, called alone on logs and follower states built in the test.

The leader's answer to one partition of a follower fetch (Partition.fetchRecords), the
follower's `lastCaughtUpTimeMs` (ReplicaState.updateFetchStateOrThrow), the high watermark
(Partition.maybeIncrementLeaderHW) and the follower's truncation offset (KIP-279).
"""

from sim.cluster.log import UNDEFINED, Batch, ReplicaLog
from sim.cluster.protocol import (
    FENCED_LEADER_EPOCH,
    OFFSET_OUT_OF_RANGE,
    UNKNOWN_LEADER_EPOCH,
    FetchPartition,
)
from sim.cluster.replica import NEVER_CAUGHT_UP, FollowerState
from sim.cluster.replication import (
    READ,
    fetch_decision,
    high_watermark,
    last_caught_up_us,
    out_of_range_truncation,
    truncation_offset,
)
from sim.core.units import S

LAG_US = 30 * S
T0 = 100 * S


def log_of(*runs):
    """A log of batches (count, epoch), in order from offset 0."""
    log = ReplicaLog()
    for count, epoch in runs:
        log.append(Batch(log.leo, count, epoch, 0, log.leo, -1, -1, -1, 61 + 10 * count, 0))
    return log


def follower(leo, caught_up_us=NEVER_CAUGHT_UP, last_fetch_us=NEVER_CAUGHT_UP,
             last_fetch_leader_leo=-1):
    f = FollowerState(caught_up_us)
    f.leo, f.last_fetch_us, f.last_fetch_leader_leo = leo, last_fetch_us, last_fetch_leader_leo
    return f


def everyone(_broker):
    return True


def nobody(_broker):
    return False


# -- the leader's answer to one partition of a follower fetch ----------------------------


def test_a_follower_in_the_leader_epoch_at_or_below_the_leo_reads_records():
    log = log_of((5, 1), (5, 2))
    assert fetch_decision(log, 2, FetchPartition(10, 2, 2), "kip-279") == READ
    assert fetch_decision(log, 2, FetchPartition(7, 2, 2), "kip-279") == READ


def test_an_older_leader_epoch_is_fenced_and_a_newer_one_unknown():
    log = log_of((5, 2))
    older, newer = FetchPartition(5, 2, 1), FetchPartition(5, 2, 3)
    assert fetch_decision(log, 2, older, "kip-279") == (FENCED_LEADER_EPOCH, None)
    assert fetch_decision(log, 2, newer, "kip-279") == (UNKNOWN_LEADER_EPOCH, None)


def test_a_follower_ahead_in_an_older_epoch_is_told_where_that_epoch_ends():
    log = log_of((5, 1), (5, 2))                      # epoch 1 ends at 5 on the leader
    assert fetch_decision(log, 2, FetchPartition(8, 1, 2), "kip-279") == (None, (1, 5))


def test_a_follower_whose_epoch_the_leader_never_had_gets_the_largest_below_it():
    log = log_of((5, 1), (5, 3))
    assert fetch_decision(log, 3, FetchPartition(7, 2, 3), "kip-279") == (None, (1, 5))


def test_a_follower_past_the_leo_or_below_the_log_start_is_out_of_range():
    log = log_of((5, 2))
    assert fetch_decision(log, 2, FetchPartition(9, UNDEFINED, 2), "kip-279") == (
        OFFSET_OUT_OF_RANGE, None)
    log.log_start = 3
    assert fetch_decision(log, 2, FetchPartition(1, UNDEFINED, 2), "kip-279") == (
        OFFSET_OUT_OF_RANGE, None)


def test_before_kip_279_the_leader_answers_the_start_of_the_next_epoch():
    log = log_of((5, 1), (5, 3))
    # KIP-279 would answer epoch 1 ending at 5; the KIP-101 leader answers (2, 5) as it asked
    assert fetch_decision(log, 3, FetchPartition(7, 2, 3), "kip-101") == (None, (2, 5))
    assert fetch_decision(log, 3, FetchPartition(5, 2, 3), "kip-101") == READ


# -- the follower's fetch state ---------------------------------------------------------


def test_a_fetch_up_to_the_leader_leo_makes_the_follower_caught_up_now():
    f = follower(4, caught_up_us=T0 - S, last_fetch_us=T0 - S, last_fetch_leader_leo=4)
    assert last_caught_up_us(f, 10, 10, T0) == T0


def test_reaching_the_leo_of_the_previous_fetch_dates_the_catch_up_to_that_fetch():
    f = follower(4, caught_up_us=T0 - 5 * S, last_fetch_us=T0 - S, last_fetch_leader_leo=8)
    assert last_caught_up_us(f, 8, 12, T0) == T0 - S


def test_a_follower_still_behind_the_previous_leo_keeps_its_catch_up_time():
    f = follower(4, caught_up_us=T0 - 5 * S, last_fetch_us=T0 - S, last_fetch_leader_leo=8)
    assert last_caught_up_us(f, 6, 12, T0) == T0 - 5 * S


# -- the high watermark -------------------------------------------------------------------


def test_the_hw_is_the_smallest_leo_of_the_maximal_isr():
    log = log_of((10, 1))
    followers = {1: follower(7), 2: follower(9)}
    assert high_watermark(log, followers, (0, 1, 2), T0, LAG_US, everyone, False) == 7


def test_a_lagging_follower_outside_the_isr_does_not_hold_the_hw_back():
    log = log_of((10, 1))
    followers = {1: follower(10), 2: follower(3, caught_up_us=T0 - LAG_US - 1)}
    assert high_watermark(log, followers, (0, 1), T0, LAG_US, everyone, False) == 10


def test_a_caught_up_eligible_follower_outside_the_isr_holds_the_hw_back_unless_fenced():
    log = log_of((10, 1))
    followers = {1: follower(10), 2: follower(6, caught_up_us=T0)}
    assert high_watermark(log, followers, (0, 1), T0, LAG_US, everyone, False) == 6
    assert high_watermark(log, followers, (0, 1), T0, LAG_US, nobody, False) == 10


def test_the_hw_never_moves_back_and_is_frozen_below_min_isr():
    log = log_of((10, 1))
    log.hw = 8
    followers = {1: follower(5), 2: follower(10)}
    assert high_watermark(log, followers, (0, 1, 2), T0, LAG_US, everyone, False) == 8
    followers[1].leo = 10
    assert high_watermark(log, followers, (0, 1, 2), T0, LAG_US, everyone, True) == 8
    assert high_watermark(log, followers, (0, 1, 2), T0, LAG_US, everyone, False) == 10


# -- the follower's truncation -----------------------------------------------------------


def test_a_diverged_follower_truncates_to_the_smaller_end_of_the_shared_epoch():
    log = log_of((5, 1), (4, 2))                      # epoch 1 ends at 5 here
    assert truncation_offset(log, (1, 3)) == 3
    assert truncation_offset(log, (1, 7)) == 5


def test_a_follower_without_the_leaders_epoch_truncates_to_its_largest_epoch_below():
    log = log_of((5, 1), (4, 3))
    assert truncation_offset(log, (2, 7)) == 5


def test_out_of_range_truncates_past_the_leaders_leo_or_all_below_its_log_start():
    assert out_of_range_truncation(log_of((5, 1), (5, 2)), 7, 0) == 7
    assert out_of_range_truncation(log_of((5, 1)), 20, 12) == 0
    assert out_of_range_truncation(log_of((5, 1)), 20, 3) is None
