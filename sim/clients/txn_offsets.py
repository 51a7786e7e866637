"""sendOffsetsToTransaction (KIP-98, group metadata from KIP-447): a consumer group's offsets
committed in the producer's transaction.

Kafka's TransactionManager.sendOffsetsToTransaction: AddOffsetsToTxn(group) to the
transaction coordinator makes the group's `__consumer_offsets` partition part of the
transaction; then TxnOffsetCommit to the group's coordinator (found with
FindCoordinator(GROUP)) stores the offsets as pending until the transaction's marker. From
2.5 (`txn.offset.commit.fencing: kip-447`) the commit carries the consumer's group metadata
(generation, member id, group instance id); before, generation -1 and no member. Empty offsets
send nothing (KafkaProducer.sendOffsetsToTransaction). The transaction's EndTxn waits for both.

Errors (AddOffsetsToTxnHandler, TxnOffsetCommitHandler): the transaction coordinator's
shared ones as for every transactional request (transactions.py); COORDINATOR_LOAD_IN_PROGRESS
and the other retriable errors retry; UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_ID_MAPPING,
GROUP_AUTHORIZATION_FAILED and TRANSACTION_ABORTABLE are abortable. At the group coordinator:
NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, REQUEST_TIMED_OUT and a lost connection look it
up again; UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION (CommitFailedException), FENCED_INSTANCE_ID,
GROUP_AUTHORIZATION_FAILED and TRANSACTION_ABORTABLE are abortable; PRODUCER_FENCED and
INVALID_PRODUCER_EPOCH fatal; an unexpected error fatal.

Left out: a commit of some partitions failing while others succeed (the answer's error is per
request here), the offsets' metadata strings.
"""

from sim.cluster.protocol import (
    COORDINATOR_LOAD_IN_PROGRESS,
    COORDINATOR_NOT_AVAILABLE,
    FENCED_INSTANCE_ID,
    GROUP,
    ILLEGAL_GENERATION,
    INVALID_PRODUCER_EPOCH,
    NOT_COORDINATOR,
    PRODUCER_FENCED,
    REQUEST_TIMED_OUT,
    TRANSACTION_ABORTABLE,
    UNKNOWN_MEMBER_ID,
    AddOffsetsToTxn,
    FindCoordinator,
    TxnOffsetCommit,
)
from sim.cluster.rpc import Failure

ADDING, COMMITTING = "ADD_OFFSETS", "TXN_OFFSET_COMMIT"
RETRIABLE = (COORDINATOR_LOAD_IN_PROGRESS, "UNKNOWN_TOPIC_OR_PARTITION",
             "UNSTABLE_OFFSET_COMMIT", "CONCURRENT_TRANSACTIONS")
ADD_ABORTABLE = ("UNKNOWN_PRODUCER_ID", "INVALID_PRODUCER_ID_MAPPING",
                 "GROUP_AUTHORIZATION_FAILED", TRANSACTION_ABORTABLE)
GROUP_LOST = (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, REQUEST_TIMED_OUT)
COMMIT_ABORTABLE = (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID,
                    "GROUP_AUTHORIZATION_FAILED", TRANSACTION_ABORTABLE)


class TxnOffsets:
    """One transaction's sendOffsetsToTransaction for one group, as the two requests."""

    def __init__(self, txn, group: str, fencing: bool) -> None:
        self.t = txn
        self.group = group
        self.fencing = fencing          # the release sends the group metadata (KIP-447)
        self.coordinator = -1           # the group coordinator
        self.stage: str | None = None
        self.commit: TxnOffsetCommit | None = None
        self.added = False              # the group's offsets partition joined the transaction

    def send(self, offsets: tuple, generation: int, member_id: str, instance) -> None:
        """sendOffsetsToTransaction(offsets, groupMetadata)."""
        if not offsets:
            return
        t = self.t
        if not self.fencing:
            generation, member_id, instance = -1, "", None
        self.commit = TxnOffsetCommit(t.transactional_id, self.group, t.pid, t.epoch,
                                      generation, member_id, instance, offsets)
        self.stage = ADDING

    def reset(self) -> None:
        """A new transaction, or an abort: nothing pending."""
        self.stage, self.commit = None, None

    def ended(self) -> None:
        self.reset()
        self.added = False

    def pending(self) -> bool:
        return self.stage is not None

    # -- the transaction coordinator ---------------------------------------------------

    def add_request(self) -> tuple:
        """AddOffsetsToTxn, when it is due."""
        if self.stage != ADDING:
            return None, None
        t = self.t
        return AddOffsetsToTxn(t.transactional_id, t.pid, t.epoch, self.group), self._on_added

    def _on_added(self, response) -> None:
        t = self.t
        if isinstance(response, Failure) or response.error is not None:
            error = t._handled(response)
            if error in RETRIABLE:
                t._retry()
            elif error in ADD_ABORTABLE:
                t.abortable(error)
            elif error is not None:
                t.fatal(error)
            return
        self.added = True
        self.stage = COMMITTING

    # -- the group coordinator -----------------------------------------------------------

    def send_commit(self) -> bool:
        """Send TxnOffsetCommit (or find the group coordinator first); False if not due."""
        if self.stage != COMMITTING:
            return False
        t = self.t
        t.inflight = True
        if self.coordinator < 0:
            t.p.sender.request_any(FindCoordinator(self.group, GROUP), t._guard(self._on_found))
        else:
            t.p.sender.request_to(self.coordinator, self.commit, t._guard(self._on_committed))
        return True

    def _on_found(self, response) -> None:
        if not isinstance(response, Failure) and response.error is None and response.broker >= 0:
            self.coordinator = response.broker
        else:
            self.t._retry()

    def _on_committed(self, response) -> None:
        t = self.t
        error = response.error if not isinstance(response, Failure) else NOT_COORDINATOR
        if error is None:
            self.stage = None
        elif error in GROUP_LOST:
            self.coordinator = -1
            t._retry()
        elif error in RETRIABLE:
            t._retry()
        elif error in COMMIT_ABORTABLE:
            self.reset()
            t.abortable(error)
        elif error in (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH):
            t.fatal(PRODUCER_FENCED)
        else:
            t.fatal(error)
