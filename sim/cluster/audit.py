"""The final audit: what a fresh consumer would read, and what each replica holds.

Read at exactly `duration + drain`. A partition's final committed log is its
final leader's log below the leader's high watermark; a partition with no
live leader is offline (its records are neither readable nor provably lost).
A leader that restarted and has not registered its new process yet counts as
not live: it knows no metadata and answers NOT_LEADER_OR_FOLLOWER, and its
high watermark is only what it recovered from its checkpoint.
Reads logs only; never changes them. The runner calls it when the run ends;
analysis reads the PartitionAudit rows it returns, never the hosts.
"""

from dataclasses import dataclass

from sim.cluster.metadata import assigned


@dataclass(frozen=True, slots=True)
class PartitionAudit:
    topic: str
    partition: int
    leader: int                   # -1: offline
    committed: tuple              # batches below the leader's HW
    uncommitted: tuple            # batches at or above it on the leader
    replica_logs: dict            # broker -> tuple of batches, live replicas only
    log_starts: dict              # broker -> log start offset
    hw: int


def audit(world) -> list[PartitionAudit]:
    """Audit every partition of the world as it is now."""
    out = []
    image, registered = world.controller.image, world.controller.incarnations
    for info in world.topology.partitions:
        state = image.partitions.get(info.pidx)
        if state is None:           # an add_partitions entry that did not run (or not yet)
            continue
        live = [b for b in assigned(state, info) if world.brokers[b].running]
        logs = {b: tuple(world.brokers[b].replicas[info.pidx].log.batches) for b in live}
        starts = {b: world.brokers[b].replicas[info.pidx].log.log_start for b in live}
        leading = state.leader in live and \
            registered.get(state.leader) == world.brokers[state.leader].incarnation
        leader = state.leader if leading else -1
        committed, uncommitted, hw = (), (), 0
        if leader >= 0:
            log = world.brokers[leader].replicas[info.pidx].log
            hw = log.hw
            committed = tuple(b for b in log.batches if b.end_offset <= hw)
            uncommitted = tuple(b for b in log.batches if b.end_offset > hw)
        out.append(PartitionAudit(info.topic, info.partition, leader, committed, uncommitted,
                                  logs, starts, hw))
    return out
