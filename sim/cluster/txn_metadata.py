"""One transactional id's state at its coordinator: Kafka's TransactionMetadata.

The state machine of KIP-98: Empty -> Ongoing (AddPartitionsToTxn) -> PrepareCommit or
PrepareAbort (EndTxn, or an abort the coordinator starts) -> CompleteCommit or CompleteAbort
(once every partition has its marker) -> Ongoing again with the next transaction, or Empty
after a new InitProducerId. PrepareEpochFence is the in-memory step that fences the producer
(its epoch bumped) before the coordinator aborts its transaction itself; Dead is the state of
an expired id.

Every change is two steps, as in Kafka: `prepare_*` checks the transition is legal (else
IllegalTransition, Kafka's IllegalStateException), marks it pending and returns the
`TxnTransit` to write to `__transaction_state`; `complete(transit)` applies it once the write
is replicated. While a transition is pending, requests get CONCURRENT_TRANSACTIONS.

The epoch is bumped by InitProducerId and by fencing; with transaction.version 2 (KIP-890
part 2, 4.0) also by every PrepareCommit or PrepareAbort, and an abort may then end a
transaction no partition joined (Empty, CompleteCommit or CompleteAbort -> PrepareAbort),
which only bumps the epoch. Timestamps are simulator microseconds. Dead
is in the table of legal transitions but never entered: transactional-id expiration
(`transactional.id.expiration.ms`, 7 days) is beyond any run.
"""

from typing import NamedTuple

EMPTY, ONGOING = "Empty", "Ongoing"
PREPARE_COMMIT, PREPARE_ABORT = "PrepareCommit", "PrepareAbort"
COMPLETE_COMMIT, COMPLETE_ABORT = "CompleteCommit", "CompleteAbort"
DEAD, PREPARE_EPOCH_FENCE = "Dead", "PrepareEpochFence"
NO_PRODUCER_ID, NO_PRODUCER_EPOCH = -1, -1
MAX_EPOCH = (1 << 15) - 1       # Short.MaxValue

# TransactionState.validPreviousStates
VALID_PREVIOUS = {
    EMPTY: (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT),
    ONGOING: (ONGOING, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT),
    PREPARE_COMMIT: (ONGOING,),
    PREPARE_ABORT: (ONGOING, PREPARE_EPOCH_FENCE, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT),
    COMPLETE_COMMIT: (PREPARE_COMMIT,),
    COMPLETE_ABORT: (PREPARE_ABORT,),
    DEAD: (EMPTY, COMPLETE_ABORT, COMPLETE_COMMIT),
    PREPARE_EPOCH_FENCE: (ONGOING,),
}
STATES = tuple(VALID_PREVIOUS)


class IllegalTransition(Exception):
    """A transition Kafka's TransactionMetadata refuses with IllegalStateException."""


class TxnTransit(NamedTuple):
    """TxnTransitMetadata: a state to move to; also the record written to the txn log."""
    transactional_id: str
    pid: int
    previous_pid: int
    producer_epoch: int
    last_producer_epoch: int
    timeout_us: int
    state: str
    pidxs: tuple                # the transaction's partitions, sorted
    start_us: int               # txnStartTimestamp, -1 before the first AddPartitionsToTxn
    update_us: int


def is_epoch_exhausted(epoch: int) -> bool:
    """No client may use Short.MaxValue, so the coordinator can always fence once more."""
    return epoch >= MAX_EPOCH - 1


class TxnMetadata:
    """The coordinator's cached state of one transactional id."""

    def __init__(self, transactional_id: str, pid: int, timeout_us: int, now: int) -> None:
        self.transactional_id = transactional_id
        self.pid = pid
        self.previous_pid = NO_PRODUCER_ID
        self.producer_epoch = NO_PRODUCER_EPOCH
        self.last_producer_epoch = NO_PRODUCER_EPOCH
        self.timeout_us = timeout_us
        self.state = EMPTY
        self.pidxs: tuple = ()
        self.start_us = -1
        self.update_us = now
        self.pending: str | None = None
        self.failed_fence = False       # hasFailedEpochFence

    @classmethod
    def from_record(cls, record: TxnTransit) -> "TxnMetadata":
        """The metadata a loaded txn-log record describes (TransactionLog.readTxnRecordValue)."""
        meta = cls(record.transactional_id, record.pid, record.timeout_us, record.update_us)
        meta.previous_pid = record.previous_pid
        meta.producer_epoch, meta.last_producer_epoch = \
            record.producer_epoch, record.last_producer_epoch
        meta.state, meta.pidxs, meta.start_us = record.state, record.pidxs, record.start_us
        return meta

    @property
    def epoch_exhausted(self) -> bool:
        return is_epoch_exhausted(self.producer_epoch)

    # -- prepare ---------------------------------------------------------------------------

    def prepare_fence_epoch(self) -> TxnTransit:
        """Fence the producer of an ongoing transaction before aborting it (not written)."""
        if self.producer_epoch == MAX_EPOCH:
            raise IllegalTransition("cannot fence a producer at epoch Short.MaxValue")
        bumped = self.producer_epoch if self.failed_fence else self.producer_epoch + 1
        return self._transit(PREPARE_EPOCH_FENCE, self.pid, bumped, NO_PRODUCER_EPOCH,
                             self.timeout_us, self.pidxs, self.start_us, self.update_us)

    def prepare_increment_epoch(self, timeout_us: int, expected_epoch: int | None, now: int):
        """InitProducerId on a known id: the next epoch, or the same one for a retry of a
        bump that succeeded; (error, None) for a fenced expected epoch."""
        if self.epoch_exhausted:
            raise IllegalTransition(f"no epoch left for producer id {self.pid}")
        bumped = self.producer_epoch + 1
        if expected_epoch is None:
            epoch, last = bumped, NO_PRODUCER_EPOCH
        elif self.producer_epoch == NO_PRODUCER_EPOCH or expected_epoch == self.producer_epoch:
            epoch, last = bumped, self.producer_epoch
        elif expected_epoch == self.last_producer_epoch:
            epoch, last = self.producer_epoch, self.last_producer_epoch
        else:
            return None
        return self._transit(EMPTY, self.pid, epoch, last, timeout_us, (), -1, now)

    def prepare_rotation(self, new_pid: int, timeout_us: int, now: int,
                         record_last_epoch: bool) -> TxnTransit:
        """A new producer id once the epochs of this one are exhausted."""
        if self.state in (ONGOING, PREPARE_ABORT, PREPARE_COMMIT):
            raise IllegalTransition("cannot rotate producer ids while a transaction is pending")
        last = self.producer_epoch if record_last_epoch else NO_PRODUCER_EPOCH
        return self._transit(EMPTY, new_pid, 0, last, timeout_us, (), -1, now)

    def prepare_add_partitions(self, pidxs, now: int) -> TxnTransit:
        start = now if self.state in (EMPTY, COMPLETE_ABORT, COMPLETE_COMMIT) else self.start_us
        merged = tuple(sorted(set(self.pidxs) | set(pidxs)))
        return self._transit(ONGOING, self.pid, self.producer_epoch, self.last_producer_epoch,
                             self.timeout_us, merged, start, now)

    def prepare_abort_or_commit(self, state: str, now: int, bump: bool = False) -> TxnTransit:
        """PrepareCommit or PrepareAbort; bump: transaction.version 2 ends every transaction
        with the next epoch, the current one kept as the last (KIP-890 part 2)."""
        epoch, last = (self.producer_epoch + 1, self.producer_epoch) if bump else \
            (self.producer_epoch, self.last_producer_epoch)
        return self._transit(state, self.pid, epoch, last, self.timeout_us, self.pidxs,
                             self.start_us, now)

    def prepare_complete(self, now: int) -> TxnTransit:
        state = COMPLETE_COMMIT if self.state == PREPARE_COMMIT else COMPLETE_ABORT
        self.failed_fence = False
        return self._transit(state, self.pid, self.producer_epoch, self.producer_epoch,
                             self.timeout_us, (), self.start_us, now)

    def apply_fence(self, epoch: int) -> None:
        """endTransaction of an epoch fence: the bumped epoch holds at once, in memory only
        (the producer is fenced before the abort is written)."""
        self.pending = None
        self.producer_epoch, self.last_producer_epoch = epoch, NO_PRODUCER_EPOCH

    def _transit(self, state, pid, epoch, last_epoch, timeout_us, pidxs, start_us,
                 now) -> TxnTransit:
        """prepareTransitionTo: legal from the current state, nothing else pending."""
        if self.pending is not None:
            raise IllegalTransition(f"{self.transactional_id}: {state} while {self.pending} "
                                    "is pending")
        if state != DEAD and epoch < 0:
            raise IllegalTransition(f"illegal producer epoch {epoch}")
        if self.state not in VALID_PREVIOUS[state]:
            raise IllegalTransition(f"{self.transactional_id}: {self.state} -> {state}")
        self.pending = state
        return TxnTransit(self.transactional_id, pid, self.pid, epoch, last_epoch, timeout_us,
                          state, pidxs, start_us, now)

    # -- complete --------------------------------------------------------------------------

    def complete(self, transit: TxnTransit) -> None:
        """completeTransitionTo: the pending transition's record is in the log."""
        if self.pending != transit.state or transit.state in (PREPARE_EPOCH_FENCE, DEAD):
            raise IllegalTransition(f"{self.transactional_id}: completing {transit.state} "
                                    f"while {self.pending} is pending")
        if transit.state == EMPTY:
            self.pid, self.previous_pid = transit.pid, transit.previous_pid
            self.producer_epoch, self.last_producer_epoch = \
                transit.producer_epoch, transit.last_producer_epoch
            self.timeout_us = transit.timeout_us
        elif transit.state == ONGOING:
            self.start_us, self.pidxs = transit.start_us, transit.pidxs
        elif transit.state in (COMPLETE_COMMIT, COMPLETE_ABORT):
            self.start_us, self.pidxs = transit.start_us, ()
        else:
            self.producer_epoch, self.last_producer_epoch = \
                transit.producer_epoch, transit.last_producer_epoch
        self.state = transit.state
        self.update_us = transit.update_us
        self.pending = None
