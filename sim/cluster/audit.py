"""The final audit: what a fresh consumer would read, and what each replica holds.

Read at exactly `duration + drain`. A partition's final committed log is its
final leader's log below the leader's high watermark; a partition with no
live leader is offline (its records are neither readable nor provably lost).
A leader that restarted and has not registered its new process yet counts as
not live: it knows no metadata and answers NOT_LEADER_OR_FOLLOWER, and its
high watermark is only what it recovered from its checkpoint.

A partition is also told which markers it is still owed: the transactions whose
PrepareCommit or PrepareAbort is in the final committed log of `__transaction_state`
and names it. Their coordinator has decided and answered the producer, and it (or the
next leader of that txn partition, loading the log) writes every such marker until it
is answered (TransactionCoordinator.endTransaction answers before the markers are
written); a transaction still open in the partition's final committed log under an owed
COMMIT is committed, only not yet readable.
Reads logs only; never changes them. The runner calls it when the run ends;
analysis reads the PartitionAudit rows it returns, never the hosts.
"""

from collections import defaultdict
from dataclasses import dataclass, replace

from sim.cluster.metadata import assigned
from sim.cluster.topology import TXN_TOPIC
from sim.cluster.txn_coordinator import DECISIONS
from sim.cluster.txn_log import replay


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
    owed: tuple = ()              # (producer id, COMMIT or ABORT, decided at): markers owed


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
        out.append((info.pidx, PartitionAudit(info.topic, info.partition, leader, committed,
                                              uncommitted, logs, starts, hw)))
    owed = owed_markers(world.group_records, [a for _, a in out if a.topic == TXN_TOPIC])
    return [replace(a, owed=tuple(owed[pidx])) if pidx in owed else a for pidx, a in out]


def owed_markers(store, txn_audits) -> dict[int, list[tuple[int, str, int]]]:
    """Partition index -> (producer id, result, time of the decision) of each transaction
    decided in the final committed log of `__transaction_state` (PrepareCommit or
    PrepareAbort, the newest record of its transactional id): its markers are not all
    answered."""
    owed: dict = defaultdict(list)
    for a in txn_audits:
        for meta in replay(store, a.committed).values():
            result = DECISIONS.get(meta.state)
            if result is not None:
                for pidx in meta.pidxs:
                    owed[pidx].append((meta.pid, result, meta.update_us))
    return owed
