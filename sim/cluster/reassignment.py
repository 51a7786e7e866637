"""A partition reassignment's replica sets at the controller (KIP-455, KRaft).

An AlterPartitionReassignments request for a partition whose target differs from its
replicas starts a reassignment (PartitionReassignmentReplicas): the replicas become the
target followed by the removing ones (current minus target, in broker order), and the
adding ones are the target minus current. Adding replicas start as followers fetching from
the leader and join the ISR by the ordinary ISR expansion. Every partition change then tries
to complete it (PartitionReassignmentReplicas.maybeCompleteReassignment, called by
PartitionChangeBuilder.build): once the target ISR without the removing replicas is not empty
and holds every remaining replica, the replicas become the target and the ISR loses the
removing ones; the election that follows keeps the leader if it is still in the ISR, else
elects the first replica of the target that is (election.py). A reassignment whose target
only reorders the replicas, or only removes some, completes at once.

Left out: cancelling a reassignment (a null target, PartitionReassignmentRevert), the
controller's ListPartitionReassignments, and the throttles `kafka-reassign-partitions
--throttle` sets: a reassignment honours the throttled-replicas lists the topic has.
"""


def reassignment_replicas(current: tuple, target: tuple) -> tuple[tuple, tuple, tuple]:
    """(replicas, adding, removing) of a reassignment from current to target."""
    removing = tuple(sorted(set(current) - set(target)))
    adding = tuple(sorted(set(target) - set(current)))
    return tuple(target) + removing, adding, removing


def complete(replicas: tuple, adding: tuple, removing: tuple, isr: tuple):
    """(replicas, isr) once the reassignment can complete with this ISR, else None."""
    if not adding and not removing:
        return None
    if removing:
        isr = tuple(r for r in isr if r not in removing)
        replicas = tuple(r for r in replicas if r not in removing)
        if not isr or not replicas:
            return None
    if not set(replicas) <= set(isr):
        return None
    return replicas, isr
