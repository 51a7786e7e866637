"""Partition changes at the controller (PartitionChangeBuilder): elections, ELR and epochs.

docs/model.md#controller: the controller never empties the ISR without ELR, the election
order, unclean election, and KIP-966's ELR and unclean shutdown. Replicas are listed
in assignment order; `acceptable` is the controller's "registered, unfenced, not shutting
down" test.
"""

from sim.cluster.election import change
from sim.cluster.metadata import NO_LEADER, PartitionState


def ps(leader, isr, elr=(), last_known=(), leader_epoch=5, partition_epoch=9):
    return PartitionState(pidx=0, leader=leader, leader_epoch=leader_epoch,
                          partition_epoch=partition_epoch, isr=tuple(isr), elr=tuple(elr),
                          last_known_elr=tuple(last_known))


def alive(*brokers):
    return lambda b: b in brokers


def run(state, target_isr, replicas=(0, 1, 2), min_isr=2, acceptable=None, elr=False,
        unclean=False, unclean_shutdown=()):
    acceptable = acceptable or alive(*replicas)
    return change(state, replicas, target_isr=target_isr, min_isr=min_isr,
                  acceptable=acceptable, elr_enabled=elr, unclean=unclean,
                  unclean_shutdown=unclean_shutdown)


# -- clean elections -----------------------------------------------------------------------


def test_a_clean_election_picks_the_first_isr_replica_in_assignment_order():
    new, kind = run(ps(2, (0, 1, 2)), target_isr=(0, 1), replicas=(2, 1, 0),
                    acceptable=alive(0, 1))
    assert (new.leader, new.isr, kind) == (1, (0, 1), "clean")


def test_a_clean_election_skips_isr_replicas_that_are_not_acceptable():
    new, kind = run(ps(2, (0, 1, 2)), target_isr=(0, 1), replicas=(2, 1, 0),
                    acceptable=alive(0))
    assert (new.leader, kind) == (0, "clean")


def test_a_clean_election_never_picks_a_replica_outside_the_isr():
    new, kind = run(ps(0, (0, 1)), target_isr=(1,), replicas=(0, 2, 1), acceptable=alive(1, 2))
    assert (new.leader, kind) == (1, "clean")


def test_a_valid_leader_is_kept_even_if_it_is_not_first_in_assignment_order():
    new, kind = run(ps(2, (0, 1, 2)), target_isr=(0, 2))
    assert (new.leader, new.isr, kind) == (2, (0, 2), None)


def test_without_a_candidate_and_without_elr_the_partition_goes_offline_and_keeps_its_isr():
    new, kind = run(ps(0, (0,)), target_isr=(), acceptable=alive(1, 2))
    assert (new.leader, new.isr, new.elr, kind) == (NO_LEADER, (0,), (), "none")
    assert (new.leader_epoch, new.partition_epoch) == (6, 10)


def test_without_a_candidate_and_with_elr_the_isr_becomes_empty():
    new, kind = run(ps(0, (0,)), target_isr=(), acceptable=alive(1, 2), elr=True)
    assert (new.leader, new.isr, kind) == (NO_LEADER, (), "none")
    assert new.elr == (0,)                            # the last ISR member stays eligible


def test_a_last_isr_member_that_is_not_acceptable_is_not_kept_as_leader():
    new, kind = run(ps(0, (0,)), target_isr=(0,), acceptable=alive(1, 2))
    assert (new.leader, new.isr, kind) == (NO_LEADER, (0,), "none")


# -- unclean elections ---------------------------------------------------------------------


def test_an_unclean_election_picks_the_first_acceptable_replica_and_makes_it_the_isr():
    new, kind = run(ps(0, (0,)), target_isr=(), replicas=(0, 2, 1), acceptable=alive(1, 2),
                    unclean=True)
    assert (new.leader, new.isr, kind) == (2, (2,), "unclean")
    assert (new.leader_epoch, new.partition_epoch) == (6, 10)


def test_an_unclean_election_is_only_a_last_resort():
    new, kind = run(ps(0, (0, 1)), target_isr=(1,), replicas=(0, 2, 1), acceptable=alive(1, 2),
                    unclean=True)
    assert (new.leader, new.isr, kind) == (1, (1,), "clean")


def test_an_unclean_election_clears_elr_and_last_known_elr():
    new, kind = run(ps(NO_LEADER, (), elr=(0,), last_known=(1,)), target_isr=(),
                    acceptable=alive(2), elr=True, unclean=True)
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == \
        (2, (2,), (), (), "unclean")


def test_with_no_acceptable_replica_at_all_even_unclean_election_finds_no_leader():
    new, kind = run(ps(0, (0,)), target_isr=(), acceptable=alive(), unclean=True)
    assert (new.leader, new.isr, kind) == (NO_LEADER, (0,), "none")


# -- KIP-966 eligible leader replicas ------------------------------------------------------


def test_replicas_leaving_an_isr_that_falls_below_min_isr_become_elr():
    new, kind = run(ps(0, (0, 1, 2)), target_isr=(0,), elr=True)
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == (0, (0,), (1, 2), (), None)


def test_an_isr_shrink_that_stays_at_min_isr_adds_no_elr():
    new, _ = run(ps(0, (0, 1, 2)), target_isr=(0, 1), elr=True)
    assert (new.isr, new.elr) == ((0, 1), ())


def test_elr_accumulates_over_successive_shrinks():
    new, _ = run(ps(0, (0, 1), elr=(2,)), target_isr=(0,), elr=True)
    assert new.elr == (1, 2)


def test_with_an_empty_isr_an_elr_member_is_elected_and_becomes_the_isr():
    new, kind = run(ps(0, (0,), elr=(1, 2)), target_isr=(), acceptable=alive(1, 2), elr=True)
    assert (new.leader, new.isr, new.elr, kind) == (1, (1,), (0, 2), "elr")
    assert (new.leader_epoch, new.partition_epoch) == (6, 10)


def test_an_elr_member_is_elected_in_assignment_order_when_acceptable():
    new, kind = run(ps(NO_LEADER, (), elr=(0, 1, 2)), target_isr=(), replicas=(2, 0, 1),
                    acceptable=alive(0, 1), elr=True)
    assert (new.leader, new.isr, new.elr, kind) == (0, (0,), (1, 2), "elr")


def test_elr_members_are_not_candidates_while_the_isr_is_not_empty():
    new, kind = run(ps(0, (0, 1), elr=(2,)), target_isr=(1,), replicas=(2, 1, 0),
                    acceptable=alive(1, 2), elr=True)
    assert (new.leader, new.isr, kind) == (1, (1,), "clean")
    assert new.elr == (0, 2)


def test_unclean_shutdown_replicas_leave_the_elr():
    new, kind = run(ps(0, (0,), elr=(1, 2)), target_isr=(0,), unclean_shutdown=(2,), elr=True)
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == (0, (0,), (1,), (), None)
    assert (new.leader_epoch, new.partition_epoch) == (5, 10)


def test_an_uncleanly_shut_down_isr_member_does_not_enter_the_elr():
    new, _ = run(ps(0, (0, 1)), target_isr=(0,), unclean_shutdown=(1,), elr=True)
    assert (new.elr, new.last_known_elr) == ((), ())


def test_the_leader_is_remembered_as_last_known_when_the_isr_empties():
    new, kind = run(ps(0, (0,)), target_isr=(), acceptable=alive(), elr=True)
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == (NO_LEADER, (), (0,), (0,),
                                                                         "none")


def test_the_last_known_leader_is_elected_when_isr_and_elr_are_empty_and_counts_as_unclean():
    state = ps(NO_LEADER, (), elr=(), last_known=(2,))
    new, kind = run(state, target_isr=(), acceptable=alive(2), elr=True)
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == (2, (2,), (), (),
                                                                         "last_known_elr")
    assert new.leader_epoch == state.leader_epoch + 1


def test_a_last_known_leader_that_is_not_acceptable_waits_even_after_an_unclean_shutdown():
    # 4.1 (KAFKA-19522): the last known leader, here the ELR's last member, registering again
    # after an unclean shutdown (fenced), is not elected; it is once it is unfenced
    state = ps(NO_LEADER, (), elr=(2,), last_known=(2,))
    new, kind = run(state, target_isr=(), acceptable=alive(), elr=True, unclean_shutdown=(2,))
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == (NO_LEADER, (), (), (2,),
                                                                         None)
    again, kind = run(new, target_isr=(), acceptable=alive(2), elr=True)
    assert (again.leader, again.isr, kind) == (2, (2,), "last_known_elr")


def test_elr_and_last_known_elr_are_cleared_once_the_isr_reaches_min_isr():
    new, kind = run(ps(0, (0,), elr=(1,), last_known=(2,)), target_isr=(0, 1), elr=True)
    assert (new.leader, new.isr, new.elr, new.last_known_elr, kind) == (0, (0, 1), (), (), None)


def test_with_elr_disabled_stale_elr_state_is_cleared():
    new, _ = run(ps(0, (0, 1), elr=(2,), last_known=(1,)), target_isr=(0, 1), elr=False)
    assert (new.elr, new.last_known_elr) == ((), ())


def test_an_offline_partition_with_an_elr_member_waits_for_it_not_for_the_last_known_leader():
    # the last known leader is only a candidate when the ELR is empty too
    state = ps(NO_LEADER, (), elr=(1,), last_known=(2,))
    assert run(state, target_isr=(), acceptable=alive(2), elr=True) == (None, None)


# -- epochs --------------------------------------------------------------------------------


def test_a_leader_change_bumps_the_leader_epoch_and_the_partition_epoch():
    new, _ = run(ps(0, (0, 1, 2)), target_isr=(1, 2))
    assert (new.leader, new.leader_epoch, new.partition_epoch) == (1, 6, 10)


def test_an_isr_only_change_bumps_only_the_partition_epoch():
    new, kind = run(ps(0, (0, 1, 2)), target_isr=(0, 1))
    assert (new.leader, new.leader_epoch, new.partition_epoch, kind) == (0, 5, 10, None)


def test_an_isr_expansion_bumps_only_the_partition_epoch():
    new, kind = run(ps(0, (0, 1)), target_isr=(0, 1, 2))
    assert (new.isr, new.leader_epoch, new.partition_epoch, kind) == ((0, 1, 2), 5, 10, None)


def test_an_elr_only_change_bumps_only_the_partition_epoch():
    new, kind = run(ps(0, (0,), elr=(1, 2)), target_isr=(0,), unclean_shutdown=(1,), elr=True)
    assert (new.isr, new.elr, new.leader_epoch, new.partition_epoch, kind) == \
        ((0,), (2,), 5, 10, None)


def test_no_change_returns_none():
    assert run(ps(0, (0, 1, 2)), target_isr=(0, 1, 2)) == (None, None)
    assert run(ps(0, (0,), elr=(1, 2)), target_isr=(0,), elr=True) == (None, None)


def test_the_new_state_keeps_the_partition_index():
    new, _ = change(PartitionState(7, 0, 1, 1, (0, 1)), (0, 1), target_isr=(0,), min_isr=1,
                    acceptable=alive(0, 1), elr_enabled=False, unclean=False)
    assert (new.pidx, new.leader, new.isr) == (7, 0, (0,))
