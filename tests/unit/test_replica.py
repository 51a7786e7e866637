"""The leader's bookkeeping of one partition: HW rule, follower fetch state, ISR shrink and expand.

docs/model.md#replication: Replica.updateFetchStateOrThrow, Partition.maybeIncrementLeaderHW,
getOutOfSyncReplicas, needsExpandIsr and makeLeader. Broker 0 leads
partition t-0 with replicas (0, 1, 2) unless a test says otherwise.
"""


from sim.cluster.log import Batch
from sim.cluster.metadata import PartitionState
from sim.cluster.replica import NEVER_CAUGHT_UP, Replica
from sim.cluster.topology import PartitionInfo
from sim.core.units import MS, NEVER, S

LAG_US = 30 * S                       # replica.lag.time.max.ms = 30000
T0 = 100 * S                          # well past the run's start


def info(min_isr=2, replicas=(0, 1, 2)):
    return PartitionInfo(pidx=0, topic="t", partition=0, replicas=replicas, min_isr=min_isr,
                         unclean=False, flush_messages=NEVER, flush_us=NEVER, internal=False)


def state(leader=0, isr=(0, 1, 2), leader_epoch=1, partition_epoch=1):
    return PartitionState(pidx=0, leader=leader, leader_epoch=leader_epoch,
                          partition_epoch=partition_epoch, isr=isr)


def append(replica, count, epoch=None):
    log = replica.log
    epoch = replica.leader_epoch if epoch is None else epoch
    log.append(Batch(log.leo, count, epoch, 0, log.leo, -1, -1, -1, 61 + 10 * count, 0))


def leader_with(leo, isr=(0, 1, 2), min_isr=2, now=T0, epoch=1):
    """Broker 0 leads at `epoch` since `now` with `leo` records appended in that epoch."""
    replica = Replica(info(min_isr=min_isr), 0)
    replica.make_leader(state(isr=isr, leader_epoch=epoch), now)
    append(replica, leo)
    return replica


def everyone(_broker):
    return True


def nobody(_broker):
    return False


def hw_after(replica, now=T0, eligible=everyone, strict=False):
    replica.maybe_increment_hw(now, LAG_US, eligible, strict)
    return replica.log.hw


# -- the high-watermark rule (maybeIncrementLeaderHW) ---------------------------------------


def test_hw_is_the_smallest_leo_among_the_isr():
    r = leader_with(10)
    r.update_follower(1, 7, T0)
    r.update_follower(2, 9, T0)
    assert r.maybe_increment_hw(T0, LAG_US, everyone, False) is True
    assert r.log.hw == 7


def test_hw_reaches_the_leader_leo_once_every_isr_follower_has_fetched_it():
    r = leader_with(10)
    r.update_follower(1, 10, T0)
    r.update_follower(2, 10, T0)
    assert hw_after(r) == 10


def test_an_isr_follower_that_has_not_fetched_since_the_election_holds_the_hw_at_its_old_value():
    r = leader_with(10)
    r.update_follower(1, 10, T0)                   # follower 2 never fetched: LEO unknown (-1)
    assert r.maybe_increment_hw(T0, LAG_US, everyone, False) is False
    assert r.log.hw == 0


def test_a_pending_isr_addition_counts_as_isr_for_the_hw_kip_497():
    r = leader_with(10, isr=(0, 1))
    r.update_follower(1, 10, T0)
    r.update_follower(2, 4, T0)
    r.pending_isr = (0, 1, 2)
    assert r.maximal_isr == (0, 1, 2)
    assert hw_after(r, eligible=nobody) == 4


def test_a_pending_isr_removal_still_counts_until_the_controller_answers():
    r = leader_with(10)
    r.update_follower(1, 10, T0)
    r.update_follower(2, 3, T0)
    r.pending_isr = (0, 1)                             # shrink proposed, not yet committed
    assert r.maximal_isr == (0, 1, 2)
    assert hw_after(r) == 3


def test_a_caught_up_non_isr_eligible_follower_also_holds_the_hw_back():
    r = leader_with(10, isr=(0, 1))
    r.update_follower(1, 10, T0)
    r.update_follower(2, 0, T0 + 1 * S)
    r.update_follower(2, 6, T0 + 2 * S)             # leader LEO 10 at this fetch
    append(r, 5)                                       # leader LEO 15
    r.update_follower(2, 10, T0 + 3 * S)            # reached the previous fetch's LEO
    assert r.followers[2].last_caught_up_us == T0 + 2 * S
    r.update_follower(1, 15, T0 + 3 * S)
    assert hw_after(r, now=T0 + 3 * S) == 10


def test_a_caught_up_non_isr_follower_that_is_not_eligible_does_not_hold_the_hw():
    r = leader_with(10, isr=(0, 1))
    r.update_follower(1, 10, T0)
    r.update_follower(2, 0, T0 + 1 * S)
    r.update_follower(2, 6, T0 + 2 * S)
    r.update_follower(2, 10, T0 + 3 * S)            # at the leader's LEO: caught up now
    append(r, 5)
    r.update_follower(2, 12, T0 + 4 * S)
    r.update_follower(1, 15, T0 + 4 * S)
    assert hw_after(r, now=T0 + 4 * S, eligible=lambda b: b != 2) == 15


def test_a_non_isr_follower_that_fell_behind_longer_than_the_lag_time_does_not_hold_the_hw():
    r = leader_with(10, isr=(0, 1))
    r.update_follower(1, 10, T0)
    r.update_follower(2, 10, T0)                    # caught up at T0
    append(r, 5)
    r.update_follower(1, 15, T0 + LAG_US + 1)
    r.update_follower(2, 11, T0 + LAG_US + 1)       # 11 >= 10: caught up as of T0 only
    assert r.followers[2].last_caught_up_us == T0
    assert hw_after(r, now=T0 + LAG_US + 1) == 15


def test_the_leader_hw_never_decreases():
    r = leader_with(10)
    r.log.hw = 8                                       # e.g. inherited as the new leader
    r.update_follower(1, 5, T0)
    r.update_follower(2, 5, T0)
    assert r.maybe_increment_hw(T0, LAG_US, everyone, False) is False
    assert r.log.hw == 8


def test_with_strict_min_isr_the_hw_does_not_advance_while_the_isr_is_below_min_isr():
    r = leader_with(10, isr=(0,), min_isr=2)
    assert r.maybe_increment_hw(T0, LAG_US, nobody, True) is False
    assert r.log.hw == 0


def test_without_strict_min_isr_the_hw_advances_with_an_isr_of_the_leader_alone():
    r = leader_with(10, isr=(0,), min_isr=2)
    assert r.maybe_increment_hw(T0, LAG_US, nobody, False) is True
    assert r.log.hw == 10


def test_strict_min_isr_counts_the_committed_isr_not_the_maximal_one():
    r = leader_with(10, isr=(0,), min_isr=2)
    r.pending_isr = (0, 1)
    r.update_follower(1, 10, T0)
    assert hw_after(r, strict=True) == 0
    r.isr, r.pending_isr = (0, 1), None                # the controller committed the expansion
    assert hw_after(r, strict=True) == 10


def test_a_follower_that_never_caught_up_does_not_hold_the_hw_early_in_the_run():
    r = Replica(info(), 0)
    r.make_leader(state(isr=(0, 1)), 1 * S)          # follower 2 is outside the ISR
    append(r, 10)
    r.update_follower(1, 10, 2 * S)
    r.update_follower(2, 0, 2 * S)                 # restarted, empty, starts catching up
    assert hw_after(r, now=2 * S) == 10              # Kafka: 2 is not caught up -> HW 10


# -- lastCaughtUpTime (Replica.updateFetchStateOrThrow) -------------------------------------


def test_last_caught_up_time_follows_replica_update_fetch_state():
    r = leader_with(10)                               # ISR members start caught up at T0
    f = r.followers[1]
    assert f.last_caught_up_us == T0 and f.leo == -1
    assert r.update_follower(1, 4, T0 + 1 * MS) is True     # behind: unchanged
    assert f.last_caught_up_us == T0
    append(r, 5)                                      # leader LEO 15
    r.update_follower(1, 10, T0 + 2 * MS)          # >= LEO of the previous fetch (10)
    assert f.last_caught_up_us == T0 + 1 * MS         # caught up as of the previous fetch
    r.update_follower(1, 12, T0 + 3 * MS)          # < 15 (previous fetch's LEO): unchanged
    assert f.last_caught_up_us == T0 + 1 * MS
    r.update_follower(1, 15, T0 + 4 * MS)          # at the leader's LEO: caught up now
    assert f.last_caught_up_us == T0 + 4 * MS
    assert (f.leo, f.last_fetch_us, f.last_fetch_leader_leo) == (15, T0 + 4 * MS, 15)


def test_update_follower_says_whether_the_follower_leo_moved():
    r = leader_with(10)
    assert r.update_follower(1, 3, T0) is True
    assert r.update_follower(1, 3, T0 + 1) is False
    assert r.update_follower(1, 5, T0 + 2) is True


def test_a_broker_that_is_not_an_assigned_follower_is_told_apart():
    r = leader_with(10)
    assert not r.is_follower(7)             # the leader answers its fetch with an error
    assert r.is_follower(1) and r.is_follower(2)
    assert not r.is_follower(r.broker_id)


# -- shrink (getOutOfSyncReplicas) -----------------------------------------------------------


def test_an_isr_follower_is_out_of_sync_only_after_replica_lag_time_max():
    r = leader_with(10)
    r.update_follower(1, 10, T0)
    r.update_follower(2, 10, T0)
    append(r, 5)
    r.update_follower(1, 15, T0 + LAG_US + 1)       # follower 1 keeps up
    assert r.out_of_sync(T0 + LAG_US, LAG_US) == []   # exactly the lag: still in sync
    assert r.out_of_sync(T0 + LAG_US + 1, LAG_US) == [2]


def test_a_follower_at_the_leader_leo_is_never_out_of_sync():
    r = leader_with(10)
    r.update_follower(1, 10, T0)
    r.update_follower(2, 10, T0)
    assert r.out_of_sync(T0 + 10 * LAG_US, LAG_US) == []


def test_only_isr_members_are_candidates_for_a_shrink():
    r = leader_with(10, isr=(0, 1))
    r.update_follower(1, 10, T0)
    append(r, 1)
    assert r.out_of_sync(T0 + 2 * LAG_US, LAG_US) == [1]      # 2 is stuck but not in the ISR


# -- expand (needsExpandIsr) -----------------------------------------------------------------


def expanding(leo_before_election=0, leader_appends=10, hw=10):
    """Broker 0 leads epoch 2 (its log has `leo_before_election` records of epoch 1); ISR (0, 1)."""
    r = Replica(info(), 0)
    if leo_before_election:
        append(r, leo_before_election, epoch=1)
    r.make_leader(state(isr=(0, 1), leader_epoch=2), T0)
    if leader_appends:
        append(r, leader_appends)
    r.log.hw = hw
    return r


def test_a_follower_at_the_hw_that_fetched_in_this_epoch_should_join_the_isr():
    r = expanding(hw=10)
    r.update_follower(2, 10, T0)
    assert r.should_expand(2, everyone) is True


def test_a_follower_below_the_hw_should_not_join_the_isr():
    r = expanding(hw=10)
    r.update_follower(2, 9, T0)
    assert r.should_expand(2, everyone) is False


def test_a_follower_below_the_leader_epoch_start_offset_should_not_join_the_isr():
    r = expanding(leo_before_election=10, leader_appends=5, hw=6)
    assert r.epoch_start_offset == 10
    r.update_follower(2, 8, T0)                     # 8 >= HW 6, but 8 < 10
    assert r.should_expand(2, everyone) is False
    r.update_follower(2, 10, T0 + 1)
    assert r.should_expand(2, everyone) is True


def test_no_expansion_while_an_isr_change_is_pending():
    r = expanding(hw=10)
    r.update_follower(2, 10, T0)
    r.pending_isr = (0,)
    assert r.should_expand(2, everyone) is False


def test_an_ineligible_follower_should_not_join_the_isr():
    r = expanding(hw=10)
    r.update_follower(2, 10, T0)
    assert r.should_expand(2, nobody) is False


def test_an_isr_member_is_not_expanded_again():
    r = expanding(hw=10)
    r.update_follower(1, 10, T0)
    assert r.should_expand(1, everyone) is False


def test_a_follower_that_never_fetched_should_not_join_the_isr():
    r = expanding(leader_appends=0, hw=0)
    assert r.should_expand(2, everyone) is False       # LEO unknown (-1) < HW 0


# -- makeLeader ------------------------------------------------------------------------------


def test_make_leader_stamps_the_epoch_at_the_leo_and_resets_follower_state():
    r = Replica(info(), 0)
    append(r, 5, epoch=1)
    r.make_follower(state(leader=1, leader_epoch=1))
    r.make_leader(state(leader=0, isr=(0, 2), leader_epoch=3, partition_epoch=4), T0)
    assert (r.is_leader, r.leader, r.leader_epoch, r.partition_epoch) == (True, 0, 3, 4)
    assert r.log.epochs == [(1, 0), (3, 5)]
    assert r.epoch_start_offset == 5
    assert r.log.leo == 5                              # the new leader keeps its whole log
    assert sorted(r.followers) == [1, 2]
    assert r.followers[1].last_caught_up_us == NEVER_CAUGHT_UP     # not in the ISR
    assert r.followers[2].last_caught_up_us == T0      # in the ISR: caught up now
    assert all(f.leo == -1 and f.last_fetch_leader_leo == -1 for f in r.followers.values())


def test_make_leader_again_in_the_same_epoch_keeps_follower_state():
    r = leader_with(10)
    r.update_follower(1, 10, T0 + 1)
    r.make_leader(state(isr=(0, 1), leader_epoch=1, partition_epoch=2), T0 + 2)
    assert r.followers[1].leo == 10
    assert (r.isr, r.partition_epoch, r.epoch_start_offset) == ((0, 1), 2, 0)
    assert r.log.epochs == [(1, 0)]


def test_make_follower_drops_the_leader_bookkeeping():
    r = leader_with(10)
    r.pending_isr = (0, 1)
    r.make_follower(state(leader=1, leader_epoch=2, isr=(1, 2)))
    assert (r.is_leader, r.leader, r.leader_epoch, r.isr, r.pending_isr, r.followers) == \
        (False, 1, 2, (1, 2), None, {})


def test_update_isr_commits_an_isr_change_within_the_epoch():
    r = leader_with(10)
    r.pending_isr = (0, 1)
    r.update_isr(state(isr=(0, 1), partition_epoch=5))
    assert (r.isr, r.pending_isr, r.partition_epoch, r.maximal_isr) == ((0, 1), None, 5, (0, 1))
