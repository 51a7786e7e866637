"""A partition reassignment at the controller (KIP-455): PartitionReassignmentReplicas and
PartitionChangeBuilder's completion, election and leader epoch bump (docs/model.md#controller).

Each step: the start (target plus removing replicas, adding ones outside the ISR), waiting
while an adding replica is out of the ISR, completion when the ISR holds the whole target
(removing replicas leave the replicas and the ISR), and the leader moving to the first of the
target in the ISR when it is not in the target.
"""

from hypothesis import given
from hypothesis import strategies as st

from sim.cluster.election import change
from sim.cluster.metadata import NO_LEADER, PartitionState
from sim.cluster.reassignment import complete, reassignment_replicas


def state(leader=0, isr=(0, 1, 2), replicas=(), adding=(), removing=(), leader_epoch=4):
    return PartitionState(pidx=0, leader=leader, leader_epoch=leader_epoch, partition_epoch=7,
                          isr=tuple(isr), replicas=tuple(replicas), adding=tuple(adding),
                          removing=tuple(removing))


def run(old, current, target_isr, reassignment=None, alive=(0, 1, 2, 3, 4)):
    return change(old, current, target_isr=target_isr, min_isr=2,
                  acceptable=lambda b: b in alive, elr_enabled=False, unclean=False,
                  reassignment=reassignment)


def test_the_replicas_are_the_target_then_the_removing_ones():
    assert reassignment_replicas((0, 1, 2), (3, 1, 2)) == ((3, 1, 2, 0), (3,), (0,))
    assert reassignment_replicas((0, 1, 2), (4, 3, 1)) == ((4, 3, 1, 0, 2), (3, 4), (0, 2))
    assert reassignment_replicas((0, 1), (0, 1, 2)) == ((0, 1, 2), (2,), ())


def test_starting_adds_the_new_replicas_outside_the_isr_and_keeps_the_leader_and_its_epoch():
    old = state()
    new, kind = run(old, (0, 1, 2), old.isr, reassignment_replicas((0, 1, 2), (3, 1, 2)))
    assert (new.replicas, new.adding, new.removing) == ((3, 1, 2, 0), (3,), (0,))
    assert new.isr == (0, 1, 2) and new.leader == 0 and kind is None
    assert (new.leader_epoch, new.partition_epoch) == (4, 8)      # the replicas only grew


def test_nothing_completes_while_an_adding_replica_is_out_of_the_isr():
    old = state(replicas=(3, 1, 2, 0), adding=(3,), removing=(0,))
    assert run(old, old.replicas, (0, 1, 2)) == (None, None)
    shrunk, _ = run(old, old.replicas, (0, 1))                   # an ordinary ISR change
    assert (shrunk.replicas, shrunk.adding, shrunk.removing) == (old.replicas, (3,), (0,))


def test_joining_the_isr_completes_it_and_moves_leadership_to_the_first_of_the_target():
    old = state(replicas=(3, 1, 2, 0), adding=(3,), removing=(0,))
    new, kind = run(old, old.replicas, (0, 1, 2, 3))
    assert (new.replicas, new.adding, new.removing) == ((3, 1, 2), (), ())
    assert new.isr == (1, 2, 3)                                  # the removing one left
    assert (new.leader, kind, new.leader_epoch) == (3, "clean", 5)


def test_a_leader_in_the_target_keeps_leading_with_a_new_epoch_when_a_replica_left():
    old = state(leader=1, replicas=(1, 2, 3, 0), adding=(3,), removing=(0,))
    new, kind = run(old, old.replicas, (0, 1, 2, 3))
    assert (new.leader, kind) == (1, None)
    assert new.leader_epoch == 5      # triggerLeaderEpochBumpForReplicaReassignmentIfNeeded


def test_the_new_leader_is_the_first_of_the_target_that_is_in_the_isr_and_alive():
    old = state(replicas=(3, 1, 2, 0), adding=(3,), removing=(0,))
    new, _ = run(old, old.replicas, (0, 1, 2, 3), alive=(0, 1, 2))
    assert new.leader == 1 and new.replicas == (3, 1, 2)


def test_a_reordering_or_a_removal_alone_completes_at_once():
    old = state()
    reordered, _ = run(old, (0, 1, 2), old.isr, reassignment_replicas((0, 1, 2), (2, 1, 0)))
    assert (reordered.replicas, reordered.adding, reordered.leader) == ((2, 1, 0), (), 0)
    assert reordered.leader_epoch == 4
    removed, kind = run(old, (0, 1, 2), old.isr, reassignment_replicas((0, 1, 2), (1, 2)))
    assert (removed.replicas, removed.isr, removed.leader, kind) == ((1, 2), (1, 2), 1, "clean")


def test_an_isr_of_only_removing_replicas_never_completes():
    assert complete((3, 0), (3,), (0,), (0,)) is None
    assert complete((3, 0), (3,), (0,), (0, 3)) == ((3,), (3,))


brokers = st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True)


@given(brokers, brokers, st.data())
def test_once_complete_the_replicas_are_the_target_and_the_leader_in_it(current, target, data):
    """A law: whatever the ISR, a completed reassignment leaves exactly the target as
    replicas, an ISR inside it, and a leader from that ISR; an incomplete one changes no
    replica set."""
    current, target = tuple(current), tuple(target)
    replicas, adding, removing = reassignment_replicas(current, target)
    isr = tuple(sorted(data.draw(st.sets(st.sampled_from(replicas), min_size=1))))
    old = state(leader=isr[0], isr=isr, replicas=current)
    new, _ = run(old, current, isr, (replicas, adding, removing))
    if new is None:
        assert replicas == current
        return
    if new.adding or new.removing:
        assert (new.replicas, new.adding, new.removing) == (replicas, adding, removing)
        assert not set(target) <= set(isr) - set(removing) or not set(isr) - set(removing)
    else:
        assert new.replicas == target and set(new.isr) <= set(target)
        assert new.leader == NO_LEADER or new.leader in new.isr
