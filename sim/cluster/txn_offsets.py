"""Transactional offset commits at the group coordinator (KIP-98, KIP-447).

A transactional producer's sendOffsetsToTransaction ends with a TxnOffsetCommit to the
group's coordinator (GroupCoordinator.handleTxnCommitOffsets):
- a group this broker does not coordinate: NOT_COORDINATOR (loading is instantaneous here,
  so never COORDINATOR_LOAD_IN_PROGRESS); an unknown group is created empty;
- with KIP-447 (2.5+, the protocol switch `txn.offset.commit.fencing`) the consumer's group
  metadata is checked as validateOffsetCommit does for a transactional commit: generation
  -1 to an empty group passes; otherwise a request with a generation, a member id or an
  instance id must come from a current member: an instance id mapped to another member id
  is FENCED_INSTANCE_ID, an unknown instance id or member id UNKNOWN_MEMBER_ID, another
  generation ILLEGAL_GENERATION; a request with none of them passes (the pre-KIP-447 API).
  Before 2.5 nothing is checked (doCommitOffsets skipped the check for a producer id);
- the offsets are pending for the producer id at once (prepareTxnOffsetCommit), and appended
  to the group's `__consumer_offsets` partition as one commit record in a transactional
  batch of that producer id and epoch, without a sequence, acks=all and
  `offsets.commit.timeout.ms` (GroupMetadataManager.storeOffsets). Once replicated the
  request is answered with no error and the pending offsets know their record's log offset
  (onTxnOffsetCommitAppend); a failed append drops them (failPendingTxnOffsetCommit) and is
  answered as maybeConvertOffsetCommitError maps it: not enough replicas
  COORDINATOR_NOT_AVAILABLE, leadership lost NOT_COORDINATOR, a stale producer epoch (the
  partition saw a marker of a newer one) INVALID_PRODUCER_EPOCH, a timeout
  REQUEST_TIMED_OUT.

When a COMMIT or ABORT marker of a producer id is replicated on an offsets partition this
broker leads (KafkaApis.handleWriteTxnMarkersRequest, then GroupCoordinator.
onTransactionCompleted), every group coordinated there completes that producer id's pending
offsets: COMMIT makes them the committed offsets (over older commit records only; traced as
OffsetsCommitted), ABORT drops them. A new coordinator finds the pending ones in the log
(group_log.py). From 3.6 the append is verified with the transaction's coordinator like a
client's (KIP-890, replica_manager.py). Left out: the per-partition errors of the response
(one error for the request here), offset metadata.
"""

from sim.cluster.group import EMPTY, Group
from sim.cluster.group_log import CommitRecord
from sim.cluster.protocol import (
    COMMIT,
    COORDINATOR_NOT_AVAILABLE,
    FENCED_INSTANCE_ID,
    ILLEGAL_GENERATION,
    NOT_COORDINATOR,
    NOT_ENOUGH_REPLICAS,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    NOT_LEADER_OR_FOLLOWER,
    UNKNOWN_MEMBER_ID,
    TxnOffsetCommit,
    TxnOffsetCommitResponse,
)

NOT_AVAILABLE = frozenset(("UNKNOWN_TOPIC_OR_PARTITION", NOT_ENOUGH_REPLICAS,
                           NOT_ENOUGH_REPLICAS_AFTER_APPEND))


def commit_error(error: str) -> str:
    """maybeConvertOffsetCommitError: a failed append as the client gets it."""
    if error in NOT_AVAILABLE:
        return COORDINATOR_NOT_AVAILABLE
    if error in (NOT_LEADER_OR_FOLLOWER, "KAFKA_STORAGE_ERROR"):
        return NOT_COORDINATOR
    return "INVALID_COMMIT_OFFSET_SIZE" if error == "MESSAGE_TOO_LARGE" else error


def validate(group: Group, req: TxnOffsetCommit) -> str | None:
    """validateOffsetCommit for a transactional commit (KIP-447)."""
    if req.generation < 0 and group.state == EMPTY:
        return None
    if req.generation < 0 and not req.member_id and req.group_instance_id is None:
        return None
    if req.group_instance_id is not None:
        current = group.static.get(req.group_instance_id)
        if current is None:
            return UNKNOWN_MEMBER_ID
        if current != req.member_id:
            return FENCED_INSTANCE_ID
    if req.member_id not in group.members:
        return UNKNOWN_MEMBER_ID
    return ILLEGAL_GENERATION if req.generation != group.generation else None


class TxnOffsetCommits:
    """The TxnOffsetCommits and marker completions of one broker's group coordinator."""

    def __init__(self, coordinator) -> None:
        self.coordinator = coordinator
        self.kip_447 = coordinator.broker.settings.kip_447

    def commit(self, group: Group, req: TxnOffsetCommit, reply) -> None:
        """handleTxnCommitOffsets for a group this broker coordinates."""
        error = validate(group, req) if self.kip_447 else None
        if error is not None:
            reply(TxnOffsetCommitResponse(error))
            return
        member = group.members.get(req.member_id)
        client = member.client if member is not None else req.transactional_id
        group.prepare_txn_offset_commit(req.pid, req.offsets, client)
        record = CommitRecord(group.name, req.offsets, client)
        self.coordinator.append(group, record,
                                lambda e, at: self._appended(group, req, e, at, reply),
                                req.pid, req.producer_epoch, req.transactional_id)

    @staticmethod
    def _appended(group: Group, req: TxnOffsetCommit, error, at: int, reply) -> None:
        if error is None:
            group.on_txn_offset_commit_append(req.pid, req.offsets, at)
            reply(TxnOffsetCommitResponse(None))
        else:
            group.fail_pending_txn_offset_commit(req.pid, req.offsets)
            reply(TxnOffsetCommitResponse(commit_error(error)))

    def complete(self, pid: int, result: str, pidxs) -> None:
        """onTransactionCompleted: a marker of pid is replicated on these offsets partitions
        (handleTxnCompletion for the groups coordinated there)."""
        coordinator = self.coordinator
        pidx_of = coordinator.ctx.topology.coordinator_pidx
        for name, group in list(coordinator.groups.items()):
            if pid in group.pending_txn and pidx_of(name) in pidxs:
                moved = group.complete_pending_txn_offset_commit(pid, result == COMMIT)
                coordinator.offsets_committed(group, moved)
