"""The transactional producer's TransactionManager and its application's transactions (KIP-98).

The client side of Kafka's TransactionManager with the Sender's transactional request path
(Sender.maybeSendAndPollTransactionalRequest): one transactional request in flight at a time,
to the transaction coordinator found with FindCoordinator(TRANSACTION).
- initTransactions: FindCoordinator, then InitProducerId(transactional.id,
  transaction.timeout.ms); the producer id and epoch it returns number every batch.
- Per transaction (beginTransaction is local): each partition the application sends to joins
  the transaction with AddPartitionsToTxn, and the sender holds that partition's batches until
  the coordinator added it (isSendToPartitionAllowed); transactional batches carry the
  transactional id. commitTransaction flushes and sends EndTxn(commit) once every batch of
  the transaction completed; abortTransaction drops the batches never drained (those holding
  a sequence still complete: RecordAccumulator.abortUndrainedBatches), then EndTxn(abort).
- Errors: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a lost connection look the
  coordinator up again; they and CONCURRENT_TRANSACTIONS retry after retry.backoff.ms
  (AddPartitionsToTxn's first partition after 20 ms, ADD_PARTITIONS_RETRY_BACKOFF_MS).
  PRODUCER_FENCED, INVALID_PRODUCER_EPOCH and INVALID_TXN_STATE from the coordinator are fatal.
  A batch of the transaction that fails makes the error abortable: the application aborts
  the transaction. INVALID_PRODUCER_EPOCH on a produce is abortable from 2.7
  (InvalidProducerEpochException, KIP-588) and fatal before (ProducerFencedException:
  protocol switch `transactional.produce.epoch.error`). From 2.5 (KIP-360,
  `idempotent.producer.epoch.bump`) a failed batch also makes the producer bump its epoch
  through InitProducerId(transactional id, producer id, epoch) once the abort completed
  (epochBumpRequired); before 2.5 a sequence error is fatal (OutOfOrderSequenceException).
  A fatal error fails every batch not yet done, in flight or not (maybeAbortBatches); the
  application closes the producer.

The application (the workload's `transactional: {records, abort}`): it begins a transaction,
sends the next `records` records (the gate: records arriving later wait for the next
transaction, the application being blocked in commitTransaction), then aborts with
probability `abort` (stream `transactions.<producer>`) or commits, and begins the next one
when that returned. An abortable error ends the transaction at once with the records sent so
far, aborted. The workload's end ends the open transaction the same way (commit or abort);
close() aborts an open transaction (Sender's shutdown: beginAbort). Each ended transaction is
traced per partition (TxnEnded): COMMIT, ABORT or FATAL.

Transaction version 2 (KIP-890 part 2, the cluster's `transaction.version` feature 2, 4.0):
no AddPartitionsToTxn (a partition is in the transaction once a record is sent to it, and its
leader adds it with the first write); EndTxn answers with the producer id and the bumped
epoch, which number the next transaction's batches (sequences from 0); a failed batch needs
no InitProducerId of the client's own (EndTxn's bump serves). A produce answered
INVALID_TXN_STATE or TRANSACTION_ABORTABLE (KIP-890's verification) aborts the transaction.

A consumer member can drive the transactions instead (`drive`, consume-transform-produce):
it begins one per poll batch, hands the batch's outputs, then sends its offsets with the
transaction (txn_offsets.py) and commits; an abortable error surfaces at that commit (the
transaction aborts then), and each end is reported back to the member (`txn_ready`, or
`txn_fatal`).

Left out: transactional.id authorization errors, epoch overflow, the
transaction's own timeout on the client (the coordinator enforces transaction.timeout.ms).
"""

import numpy as np

from sim.clients.txn_offsets import TxnOffsets
from sim.cluster.producer_state import OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    CONCURRENT_TRANSACTIONS,
    COORDINATOR_NOT_AVAILABLE,
    INVALID_PRODUCER_EPOCH,
    INVALID_TXN_STATE,
    NOT_COORDINATOR,
    PRODUCER_FENCED,
    TRANSACTION,
    AddPartitionsToTxn,
    EndTxn,
    FindCoordinator,
    InitProducerId,
)
from sim.cluster.rpc import Failure
from sim.core.records import FATAL as FATAL_RESULT
from sim.core.records import ProducerFatal, TxnEnded
from sim.core.units import MS, S

UNINITIALIZED, INITIALIZING, READY = "UNINITIALIZED", "INITIALIZING", "READY"
IN_TRANSACTION = "IN_TRANSACTION"
COMMITTING, ABORTING, FATAL = "COMMITTING_TRANSACTION", "ABORTING_TRANSACTION", "FATAL_ERROR"
ADD_PARTITIONS_RETRY_BACKOFF_US = 20 * MS
INF = 2**62
COORDINATOR_LOST = (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE)
FENCED = (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH)
SEQUENCE_ERRORS = (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID)
TRANSACTION_ABORTED = "TRANSACTION_ABORTED"


class TransactionManager:
    """One transactional producer's transaction state, coordinator requests and application."""

    def __init__(self, producer, workload, rng) -> None:
        self.p = producer
        self.transactional_id = producer.settings.transactional_id
        self.records = workload.records
        self.abort_rate = workload.abort
        self.rng = rng
        self.state = UNINITIALIZED
        self.coordinator = -1
        self.pid, self.epoch = -1, -1
        self.bump = False               # epochBumpRequired (KIP-360)
        self.error: str | None = None   # the transaction's abortable error
        self.added: dict[int, None] = {}    # positions in the transaction (transactionStarted)
        self.pending: dict[int, None] = {}  # positions to add (newPartitionsInTransaction)
        self.adding: tuple = ()
        self.inflight = False           # hasInFlightRequest
        self.retry_at = 0
        self.first_seq = list(producer.acc.next_seq)
        self.gate = -1                  # the arrival of the transaction's last record
        self.until = INF                # the workload's end: no transaction goes past it
        self.was_empty = False          # the last transaction ended held no record
        self.closing = False            # close(): abort the open transaction
        self.generation = 0             # responses to an earlier incarnation are ignored
        self.tv2 = producer.settings.transaction_version >= 2      # KIP-890 part 2
        self.loop = None                # the consumer member driving the transactions (CTP)
        self.offsets = None             # its sendOffsetsToTransaction (txn_offsets.py)
        self.result: str | None = None  # how the last transaction ended
        producer.acc.gate_us = -1

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """initTransactions (at boot, and after a restart): find the coordinator, get an id."""
        self.generation += 1
        self.state = INITIALIZING
        self.coordinator, self.pid, self.epoch = -1, -1, -1
        self.inflight, self.retry_at, self.bump, self.closing = False, 0, False, False
        self.result = None
        self._set_gate(-1)
        self.p.sender.new_session(-1, 0)

    def crash(self) -> None:
        """The process died: its open transaction is left to the coordinator's timeout."""
        self.generation += 1
        self.state = UNINITIALIZED
        self.inflight = False

    def finish(self, until: int) -> None:
        """The workload ended at until: no transaction takes a record after it."""
        self.until = until
        if self.state == IN_TRANSACTION:
            self._set_gate(min(self.gate, until))

    def close(self, now: int) -> None:
        """close(): the open transaction is aborted (Sender.run's shutdown: beginAbort)."""
        self.closing = True
        self.finish(now)

    def idle(self) -> bool:
        """Nothing left to do before the producer may exit."""
        return self.state in (FATAL, UNINITIALIZED, READY) and not self.inflight

    # -- the application -------------------------------------------------------------

    def _next(self) -> None:
        """The application goes on: the next transaction, unless the workload is over."""
        if self.loop is not None:
            self.state = READY
            self.loop.txn_ready(self.result)
            return
        if self.until < INF and self.was_empty:
            self.state = READY
            return
        self.state = IN_TRANSACTION
        self.added, self.pending, self.error = {}, {}, None
        self.first_seq = list(self.p.acc.next_seq)
        self._set_gate(min(self._gate_for(self.records), self.until))

    def rearm(self) -> None:
        """The arrivals changed (a rate change, a resume): find the transaction's last record
        again among them."""
        if self.state == IN_TRANSACTION and self.error is None and self.until == INF \
                and self.loop is None:
            self._set_gate(self._gate_for(self.records - self._taken()))

    def _taken(self) -> int:
        """Records the application sent in this transaction so far."""
        return sum(self.p.acc.next_seq) - sum(self.first_seq)

    def _gate_for(self, remaining: int) -> int:
        """The arrival time of the remaining-th record still to come, INF if none comes."""
        if remaining <= 0:
            return self.p.engine.now
        lanes = self.p.lanes
        while True:
            times = np.concatenate([lane.arrays[0][lane.head:] for lane in lanes.lanes])
            if len(times) >= remaining:
                return int(np.partition(times, remaining - 1)[remaining - 1])
            if lanes.stopped:
                return INF
            ahead = int((remaining - len(times)) * S / lanes.source.rate)
            lanes.ensure(lanes.drawn_until + max(ahead, 50 * MS))

    def _set_gate(self, gate: int) -> None:
        self.gate = gate
        self.p.acc.gate_us = gate

    def handed(self, pos: int) -> None:
        """KafkaProducer.send -> maybeAddPartition: a new partition joins the transaction;
        with transaction.version 2 at once, its leader adds it with the first write."""
        if pos not in self.added and self.state in (IN_TRANSACTION, COMMITTING):
            if self.tv2:
                self.added[pos] = None
            else:
                self.pending[pos] = None

    def may_send(self, pos: int) -> bool:
        """isSendToPartitionAllowed: the partition was added to the transaction."""
        return pos in self.added

    def _all_sent(self, now: int) -> bool:
        """Has the application sent every record of the transaction (up to the gate)?"""
        if now < self.gate:
            return False
        self.p.absorb_all(now)
        lanes = self.p.lanes
        lanes.ensure(self.gate + 1)
        return not any(lane.waiting() and lane.first_us() <= self.gate for lane in lanes.lanes)

    def _end(self) -> None:
        """commitTransaction, or abortTransaction: abort drawn, an error, or close()."""
        drawn_abort = self.rng.random() < self.abort_rate
        if self.error is not None or self.closing or drawn_abort:
            self._begin_abort()
            return
        self.state = COMMITTING
        self.p.acc.flush()

    def _begin_abort(self) -> None:
        """beginAbort: drop the batches never drained (abortUndrainedBatches)."""
        self.state = ABORTING
        self.pending = {}
        if self.offsets is not None:
            self.offsets.reset()
        self.p.sender.drop_undrained(self.error or TRANSACTION_ABORTED)

    def _completed(self, result: str) -> None:
        """The transaction completed: commitTransaction/abortTransaction returned."""
        self.was_empty = self._taken() == 0
        self.result = result
        self._trace_ended(result)
        if self.offsets is not None:
            self.offsets.ended()
        if self.bump:
            self.state = INITIALIZING       # InitProducerId with the current id: a new epoch
            return
        self._next()

    def _trace_ended(self, result: str) -> None:
        p = self.p
        now = p.engine.now
        for pos, (first, end) in enumerate(zip(self.first_seq, p.acc.next_seq, strict=True)):
            if end > first:
                p.trace.emit(TxnEnded(now, p.name, p.topic, pos, first, end - first, result))
        self.first_seq = list(p.acc.next_seq)

    # -- errors --------------------------------------------------------------------------

    def batch_failed(self, error: str, sequenced: bool) -> None:
        """A batch of the transaction failed (handleFailedBatch, maybeTransitionToErrorState)."""
        s = self.p.settings
        if error == PRODUCER_FENCED or (error == INVALID_PRODUCER_EPOCH and s.produce_epoch_fatal):
            self.fatal(PRODUCER_FENCED)
        elif error in SEQUENCE_ERRORS and not s.kip_360:
            self.fatal(error)
        else:
            if sequenced and s.kip_360 and not self.tv2:
                self.bump = True
            self.abortable(error)

    def abortable(self, error: str) -> None:
        """transitionToAbortableError: the application aborts the transaction."""
        if self.state not in (IN_TRANSACTION, COMMITTING) or self.error is not None:
            return
        self.error = error
        if self.state == IN_TRANSACTION and self.loop is None:
            self._set_gate(min(self.gate, self.p.engine.now))
        else:
            self._begin_abort()
        self.p.wake()

    def fatal(self, error: str) -> None:
        """transitionToFatalError: every batch not done fails; the application closes.

        The records the application handed by now join their batches first (send() accepted
        them before the error), so that they end with the transaction and fail with it."""
        if self.state == FATAL:
            return
        p = self.p
        p.absorb_all(p.engine.now)
        open_ = self.state in (IN_TRANSACTION, COMMITTING, ABORTING)
        self.state = FATAL
        self.inflight = False
        p.trace.emit(ProducerFatal(p.engine.now, p.name, self.transactional_id, error))
        if open_:
            self._trace_ended(FATAL_RESULT)
        p.sender.abort_incomplete(error)
        p.close_after_fatal()
        if self.loop is not None:
            self.loop.txn_fatal(error)

    # -- requests ------------------------------------------------------------------------

    def poll(self, now: int) -> None:
        """The application's and the sender's transactional step."""
        if self.state == IN_TRANSACTION and self._all_sent(now):
            self._end()
        if self.inflight or now < self.retry_at:
            return
        if self.offsets is not None and self.offsets.send_commit():
            return
        request, handler = self._next_request()
        if request is None:
            return
        self.inflight = True
        if self.coordinator < 0:
            find = FindCoordinator(self.transactional_id, TRANSACTION)
            self.p.sender.request_any(find, self._guard(self._on_found))
        else:
            self.p.sender.request_to(self.coordinator, request, self._guard(handler))

    def _next_request(self) -> tuple:
        """TransactionManager.nextRequest: the request to send now, with its handler."""
        state = self.state
        if state == INITIALIZING:
            bump = self.bump and self.pid >= 0
            return InitProducerId(self.p.name, self.transactional_id,
                                  self.p.settings.transaction_timeout_ms,
                                  self.pid if bump else -1, self.epoch if bump else -1), \
                self._on_init
        if self.pending and state in (IN_TRANSACTION, COMMITTING):
            self.adding = tuple(sorted(self.pending))
            pidxs = tuple(self.p.pidxs[pos] for pos in self.adding)
            return AddPartitionsToTxn(self.transactional_id, self.pid, self.epoch, pidxs), \
                self._on_added
        if self.offsets is not None and state in (IN_TRANSACTION, COMMITTING):
            request, handler = self.offsets.add_request()
            if request is not None:
                return request, handler
        if state in (COMMITTING, ABORTING) and self.p.sender.complete() and \
                (self.offsets is None or not self.offsets.pending()):
            if not self.added and not (self.offsets and self.offsets.added):
                # no partition was added: nothing to end on the broker; the application
                # returns from commit/abort and goes on, so the producer steps again
                self._completed(COMMIT if state == COMMITTING else ABORT)
                self.p.wake()
                return self._next_request()
            return EndTxn(self.transactional_id, self.pid, self.epoch, state == COMMITTING), \
                self._on_ended
        return None, None

    def next_due(self, now: int) -> int:
        """When poll has something to do with no response arriving: the gate, a backoff."""
        due = INF
        if self.state == IN_TRANSACTION and self.gate > now:
            due = self.gate
        if self.retry_at > now and not self.inflight:
            due = min(due, self.retry_at)
        return due

    def _guard(self, handler):
        generation = self.generation

        def done(response) -> None:
            if generation != self.generation or self.state == FATAL:
                return
            self.inflight = False
            handler(response)
            self.p.wake()
        return done

    def _retry(self, backoff_us: int = -1) -> None:
        """Try again after retry.backoff.ms (or backoff_us)."""
        wait = self.p.settings.retry_backoff_us if backoff_us < 0 else backoff_us
        self.retry_at = self.p.engine.now + wait

    def _lost(self) -> None:
        """lookupCoordinator: the coordinator moved or is unreachable; find it again."""
        self.coordinator = -1
        self._retry()

    def _on_found(self, response) -> None:
        if isinstance(response, Failure) or response.error is not None or response.broker < 0:
            self._retry()
            return
        self.coordinator = response.broker

    def _handled(self, response) -> str | None:
        """The errors every coordinator response shares; the error left to the caller."""
        if isinstance(response, Failure):
            self._lost()
            return None
        error = response.error
        if error in COORDINATOR_LOST:
            self._lost()
        elif error == CONCURRENT_TRANSACTIONS:
            self._retry()
        elif error in FENCED:
            self.fatal(PRODUCER_FENCED)
        else:
            return error
        return None

    def _on_init(self, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            error = self._handled(response)
            if error is not None:
                self.fatal(error)
            return
        self.pid, self.epoch, self.bump = response.pid, response.producer_epoch, False
        self.p.sender.new_session(self.pid, self.epoch)
        self._next()

    def _on_added(self, response) -> None:
        adding, self.adding = self.adding, ()
        if isinstance(response, Failure):
            self._lost()
            return
        backoff = -1
        for pos in adding:
            error = response.results.get(self.p.pidxs[pos])
            if error is None:
                self.added[pos] = None
                self.pending.pop(pos, None)
            elif error in COORDINATOR_LOST:
                self._lost()
                return
            elif error == CONCURRENT_TRANSACTIONS:
                backoff = ADD_PARTITIONS_RETRY_BACKOFF_US if not self.added else -1
            elif error in FENCED or error == INVALID_TXN_STATE:
                self.fatal(PRODUCER_FENCED if error in FENCED else error)
                return
            else:
                self.abortable(error)
                return
        if self.pending:
            self._retry(backoff)

    def _on_ended(self, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            error = self._handled(response)
            if error is not None:
                self.fatal(error)
            return
        if self.tv2:
            self._new_epoch(response.pid, response.producer_epoch)
        self._completed(COMMIT if self.state == COMMITTING else ABORT)

    def _new_epoch(self, pid: int, epoch: int) -> None:
        """The producer id and epoch EndTxn bumped to number the next transaction's batches
        (transaction.version 2)."""
        self.pid, self.epoch = pid, epoch
        self.p.sender.new_session(pid, epoch)

    # -- consume-transform-produce (KIP-447) ----------------------------------------------

    def drive(self, member, group: str, fencing: bool) -> None:
        """A consumer member's loop drives the transactions (ExactlyOnceMessageProcessor):
        it begins one per poll batch and commits it with the batch's offsets."""
        self.loop = member
        self.offsets = TxnOffsets(self, group, fencing)

    def begin(self) -> None:
        """beginTransaction: the member has records to process."""
        self.state = IN_TRANSACTION
        self.added, self.pending, self.error = {}, {}, None
        self.first_seq = list(self.p.acc.next_seq)
        self.offsets.reset()
        self._set_gate(INF)

    def commit_with(self, offsets: tuple, generation: int, member_id: str, instance) -> None:
        """sendOffsetsToTransaction(offsets, groupMetadata), then commitTransaction: every
        output of the batch was handed by now."""
        self.offsets.send(offsets, generation, member_id, instance)
        self._set_gate(self.p.engine.now)
        self.p.wake()
