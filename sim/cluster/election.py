"""Partition changes at the controller: ISR, ELR and leader election (PartitionChangeBuilder).

A change proposes a target ISR; the builder then
1. tracks eligible leader replicas when the feature is on (KIP-966): with the
   ISR below min ISR, replicas leaving the ISR stay eligible (ELR) unless they
   shut down uncleanly, and those go to the last known ELR;
2. keeps the leader if it is still valid, else elects the first replica in
   assignment order that is in the ISR (or, with an empty ISR, in the ELR) and
   acceptable (registered, unfenced, not shutting down); else, if unclean
   election is enabled, the first acceptable replica at all, with ISR = {it};
3. never empties the ISR unless ELR is on (without ELR the last ISR member
   stays in the ISR of a leaderless partition);
4. bumps the leader epoch when the leader changes and the partition epoch on
   any change.

Left out: reassignment, preferred-leader election, and KIP-966 part 2 (the
last-known-leader recovery, which Kafka 4.x does not enable).
"""

from sim.cluster.metadata import NO_LEADER, PartitionState


def _elr_targets(state, target_isr, min_isr, unclean_shutdown):
    if len(target_isr) >= min_isr:
        return (), ()
    candidates = set(state.elr) | set(state.isr)
    elr = tuple(sorted(r for r in candidates
                       if r not in target_isr and r not in unclean_shutdown))
    last_known = tuple(sorted((candidates | set(state.last_known_elr))
                              - set(target_isr) - set(elr)))
    return elr, last_known


def _elect(state, replicas, target_isr, target_elr, acceptable, unclean):
    def valid(r):
        in_set = r in target_isr or (not target_isr and r in target_elr)
        return in_set and acceptable(r)

    if state.leader != NO_LEADER and valid(state.leader):
        return state.leader, "keep"
    for r in replicas:
        if valid(r):
            return r, ("elr" if r not in target_isr else "clean")
    if unclean:
        for r in replicas:
            if acceptable(r):
                return r, "unclean"
    return NO_LEADER, "none"


def change(state: PartitionState, replicas, *, target_isr, min_isr: int, acceptable,
           elr_enabled: bool, unclean: bool, unclean_shutdown=()):
    """Return (new state or None when nothing changes, election kind or None)."""
    target_isr = tuple(target_isr)
    elr, last_known = state.elr, state.last_known_elr
    if elr_enabled:
        elr, last_known = _elr_targets(state, target_isr, min_isr, unclean_shutdown)
    leader, kind = _elect(state, replicas, target_isr, elr, acceptable, unclean)
    if kind == "elr":
        target_isr, elr = (leader,), tuple(r for r in elr if r != leader)
    elif kind == "unclean":
        target_isr, elr, last_known = (leader,), (), ()
    if not elr_enabled:
        elr, last_known = (), ()
    isr = target_isr if (target_isr or elr_enabled) else state.isr
    leader_changed = leader != state.leader
    if not leader_changed and isr == state.isr and elr == state.elr \
            and last_known == state.last_known_elr:
        return None, None
    new = PartitionState(
        pidx=state.pidx, leader=leader,
        leader_epoch=state.leader_epoch + (1 if leader_changed else 0),
        partition_epoch=state.partition_epoch + 1,
        isr=isr, elr=elr, last_known_elr=last_known)
    return new, (kind if leader_changed else None)
