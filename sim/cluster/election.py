"""Partition changes at the controller: ISR, ELR and leader election (PartitionChangeBuilder).

A change proposes a target ISR; the builder then
1. tracks eligible leader replicas when the feature is on (KIP-966): with the
   target ISR below min ISR, the replicas leaving the ISR stay eligible (ELR)
   unless they shut down uncleanly; at or above min ISR the ELR is cleared;
2. with a PREFERRED election (ElectLeaders or the preferred-leader check) elects the first
   replica of the assignment if it is valid (in the ISR, or with an empty ISR the ELR,
   and acceptable); otherwise, and for every other change, keeps the leader if it is
   still valid, else elects the first replica in
   assignment order that is in the ISR (or, with an empty ISR, in the ELR) and
   acceptable (registered, unfenced, not shutting down); else, with ELR on and
   an empty ISR and ELR, the last known leader if it is acceptable (Kafka's
   balanced recovery, counted as unclean); else, if unclean election is
   enabled, the first acceptable replica at all. After an unclean election the
   ISR is the new leader alone and the ELR is cleared;
3. never empties the ISR unless ELR is on (without ELR the last ISR member
   stays in the ISR of a leaderless partition);
4. remembers the last leader (`last_known_elr`) when the ISR becomes empty,
   and forgets it once the partition has a leader again;
5. bumps the leader epoch when the leader changes or the replicas lose a broker
   (triggerLeaderEpochBumpForReplicaReassignmentIfNeeded) and the partition epoch on
   any change.

With a reassignment in progress (the state's adding or removing replicas, or a new one
given as `reassignment`), the builder first tries to complete it (reassignment.py), then
elects among the resulting replicas.
"""

from sim.cluster.metadata import NO_LEADER, PartitionState
from sim.cluster.reassignment import complete


def _target_elr(state, target_isr, min_isr, unclean_shutdown) -> tuple:
    if len(target_isr) >= min_isr:
        return ()
    candidates = set(state.elr) | set(state.isr)
    return tuple(sorted(r for r in candidates
                        if r not in target_isr and r not in unclean_shutdown))


def _elect(state, replicas, target_isr, target_elr, acceptable, unclean, elr_enabled,
           preferred):
    def valid(r):
        in_set = r in target_isr or (not target_isr and r in target_elr)
        return in_set and acceptable(r)

    if preferred and valid(replicas[0]):
        return replicas[0], ("keep" if replicas[0] == state.leader else "preferred")
    if state.leader != NO_LEADER and valid(state.leader):
        return state.leader, "keep"
    for r in replicas:
        if valid(r):
            return r, ("elr" if r not in target_isr else "clean")
    last = state.last_known_elr
    if elr_enabled and not target_isr and not target_elr and len(last) == 1 \
            and acceptable(last[0]):
        return last[0], "last_known_elr"
    if unclean:
        for r in replicas:
            if acceptable(r):
                return r, "unclean"
    return NO_LEADER, "none"


def _last_known_leader(state, leader: int, isr: tuple, elr_enabled: bool) -> tuple:
    if not elr_enabled:
        return ()
    if not isr and state.isr and state.last_known_elr != (state.leader,):
        return (state.leader,) if state.leader != NO_LEADER else state.last_known_elr
    if leader != NO_LEADER:
        return ()
    return state.last_known_elr


def change(state: PartitionState, replicas, *, target_isr, min_isr: int, acceptable,
           elr_enabled: bool, unclean: bool, unclean_shutdown=(), reassignment=None,
           preferred: bool = False):
    """Return (new state or None when nothing changes, election kind or None).

    `replicas` are the partition's current ones; `reassignment` (replicas, adding, removing)
    starts a reassignment (reassignment.py); `preferred` asks for the PREFERRED election."""
    target_isr = tuple(target_isr)
    current = replicas
    adding, removing = state.adding, state.removing
    if reassignment is not None:
        replicas, adding, removing = reassignment
    if adding or removing:
        done = complete(replicas, adding, removing, target_isr)
        if done is not None:
            (replicas, target_isr), adding, removing = done, (), ()
    elr = _target_elr(state, target_isr, min_isr, unclean_shutdown) if elr_enabled else ()
    leader, kind = _elect(state, replicas, target_isr, elr, acceptable, unclean, elr_enabled,
                          preferred)
    if kind == "elr":
        target_isr, elr = (leader,), tuple(r for r in elr if r != leader)
    elif kind in ("unclean", "last_known_elr"):
        target_isr, elr = (leader,), ()
    isr = target_isr if (target_isr or elr_enabled) else state.isr
    last_known = _last_known_leader(state, leader, isr, elr_enabled)
    leader_changed = leader != state.leader
    moved = replicas != current or adding != state.adding or removing != state.removing
    if not leader_changed and isr == state.isr and elr == state.elr \
            and last_known == state.last_known_elr and not moved:
        return None, None
    shrunk = moved and not set(current) <= set(replicas)
    new = PartitionState(
        pidx=state.pidx, leader=leader,
        leader_epoch=state.leader_epoch + (1 if leader_changed or shrunk else 0),
        partition_epoch=state.partition_epoch + 1,
        isr=isr, elr=elr, last_known_elr=last_known,
        replicas=replicas if moved else state.replicas, adding=adding, removing=removing)
    return new, (kind if leader_changed else None)
