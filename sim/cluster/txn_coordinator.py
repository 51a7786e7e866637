"""The transaction coordinator of one broker (KIP-98): Kafka's TransactionCoordinator.

A broker coordinates the transactional ids whose `__transaction_state` partition it leads
(partition = abs(transactionalId.hashCode()) % transaction.state.log.num.partitions).
Becoming leader loads that partition's ids from its log, at a coordinator epoch equal to the
partition's leader epoch, and resends the markers of every transaction found in
PrepareCommit or PrepareAbort; losing leadership (or dying) unloads them, and requests then
get NOT_COORDINATOR. Every state transition (txn_metadata.py) is appended to the partition
with acks=all through the ordinary produce path, with the transaction's timeout as the
request timeout, and takes effect only once replicated; a failed append maps to
COORDINATOR_NOT_AVAILABLE (not enough replicas, timed out) or NOT_COORDINATOR (leadership
lost), as TransactionStateManager.appendTransactionToLog does.

Requests, as TransactionCoordinator handles them (transaction version 0; version 2 below):
- FindCoordinator(TRANSACTION): the leader of the id's partition in this broker's metadata,
  or COORDINATOR_NOT_AVAILABLE.
- InitProducerId: a timeout above `transaction.max.timeout.ms` is INVALID_TRANSACTION_TIMEOUT;
  a new id gets a producer id at epoch 0, a known one the next epoch (a new producer id once
  the epochs run out). A transaction still ongoing is first aborted by the coordinator
  itself, fencing its producer with a bumped epoch, and the request is answered
  CONCURRENT_TRANSACTIONS so the client retries; so is one while a transaction completes.
- AddPartitionsToTxn: moves the transaction to Ongoing (its start time is the first add).
- AddOffsetsToTxn (sendOffsetsToTransaction, KIP-98): the group's `__consumer_offsets`
  partition is added to the transaction exactly as by AddPartitionsToTxn, same checks and
  errors (KafkaApis.handleAddOffsetsToTxnRequest), so EndTxn's markers go there too.
- EndTxn: writes PrepareCommit or PrepareAbort, answers, then writes the markers
  (txn_marker_channel.py) and, once all are written, CompleteCommit or CompleteAbort. A retried
  EndTxn of a decided transaction gets CONCURRENT_TRANSACTIONS while it completes and
  success once complete; the opposite decision gets INVALID_TXN_STATE.
- AddPartitionsToTxnBatch, from partition leaders (KIP-890): a verify-only transaction is
  answered per partition at once (handleVerifyPartitionsInTransaction: in the ongoing
  transaction at the producer's epoch, else INVALID_TXN_STATE before 3.8 and
  TRANSACTION_ABORTABLE after; PRODUCER_FENCED, CONCURRENT_TRANSACTIONS while it completes);
  any other adds its partitions as AddPartitionsToTxn does.
- transaction.version 2 (4.0): PrepareCommit and PrepareAbort carry the next producer epoch,
  EndTxn answers with it, a retry at the previous epoch is answered as a retry, and an abort
  of a transaction no partition joined still bumps the epoch.
A stale producer id is INVALID_PRODUCER_ID_MAPPING; a stale epoch is PRODUCER_FENCED (2.7+,
KIP-588) or INVALID_PRODUCER_EPOCH before (the protocol switch `producer.fenced.error`).

Every `transaction.abort.timed.out.transaction.cleanup.interval.ms` the coordinator aborts
the ongoing transactions older than their timeout, fencing their producers first.
A decided transaction is traced (TxnDecided) when its PrepareCommit or PrepareAbort is
replicated, with why ("client", "timeout", "fenced"), and again with "loaded" by each
coordinator that finds it in PrepareCommit or PrepareAbort when it loads the partition (so
one transaction, keyed by id, producer id and epoch, may be traced more than once).

Simplified: loading is instantaneous (no COORDINATOR_LOAD_IN_PROGRESS); the id's
expiration and Dead state are not modeled.
"""

from sim.cluster.coordinator import LocalReply
from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    CONCURRENT_TRANSACTIONS,
    COORDINATOR_NOT_AVAILABLE,
    INVALID_PRODUCER_ID_MAPPING,
    INVALID_REQUEST,
    INVALID_TRANSACTION_TIMEOUT,
    INVALID_TXN_STATE,
    MESSAGE_TOO_LARGE,
    NOT_COORDINATOR,
    NOT_ENOUGH_REPLICAS,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    NOT_LEADER_OR_FOLLOWER,
    PRODUCER_FENCED,
    REQUEST_TIMED_OUT,
    TRANSACTION,
    AddOffsetsToTxn,
    AddOffsetsToTxnResponse,
    AddPartitionsToTxn,
    AddPartitionsToTxnBatch,
    AddPartitionsToTxnBatchResponse,
    AddPartitionsToTxnResponse,
    BatchData,
    EndTxn,
    EndTxnResponse,
    FindCoordinator,
    FindCoordinatorResponse,
    InitProducerId,
    InitProducerIdResponse,
    ProduceRequest,
)
from sim.cluster.txn_log import record_size, replay
from sim.cluster.txn_marker_channel import RETRY_BACKOFF_US, TxnMarkerChannel
from sim.cluster.txn_metadata import (
    COMPLETE_ABORT,
    COMPLETE_COMMIT,
    DEAD,
    EMPTY,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    ONGOING,
    PREPARE_ABORT,
    PREPARE_COMMIT,
    PREPARE_EPOCH_FENCE,
    IllegalTransition,
    TxnMetadata,
    is_epoch_exhausted,
)
from sim.core.records import TxnDecided
from sim.core.units import ms

NOT_AVAILABLE = frozenset(("UNKNOWN_TOPIC_OR_PARTITION", NOT_ENOUGH_REPLICAS,
                           NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT))
DECISIONS = {PREPARE_COMMIT: COMMIT, PREPARE_ABORT: ABORT}


def is_txn_request(request) -> bool:
    """Is this request the transaction coordinator's (not the group coordinator's, not an
    idempotent producer's InitProducerId)?"""
    kind = type(request)
    if kind is FindCoordinator:
        return request.key_type == TRANSACTION
    if kind is InitProducerId:
        return request.transactional_id is not None
    return kind in (AddPartitionsToTxn, EndTxn, AddPartitionsToTxnBatch, AddOffsetsToTxn)


def append_error(error: str) -> str:
    """How a failed write of the transaction log reaches the client."""
    if error in NOT_AVAILABLE:
        return COORDINATOR_NOT_AVAILABLE
    if error in (NOT_LEADER_OR_FOLLOWER, "KAFKA_STORAGE_ERROR"):
        return NOT_COORDINATOR
    return "UNKNOWN_SERVER_ERROR" if error == MESSAGE_TOO_LARGE else error


class TransactionCoordinator:
    """The transactional ids one broker coordinates."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.ctx = broker.ctx
        self.topology = broker.ctx.topology
        cfg = self.ctx.config
        self.max_timeout_ms = int(cfg["transaction.max.timeout.ms"])
        self.abort_interval_us = ms(
            cfg["transaction.abort.timed.out.transaction.cleanup.interval.ms"])
        self.fenced = broker.settings.fenced_error
        self.not_in_txn = broker.settings.txn_verification_error     # KIP-890 part 1
        self.tv2 = broker.settings.transaction_version >= 2          # KIP-890 part 2
        self.epochs: dict[int, int] = {}            # loaded txn partition -> coordinator epoch
        self.txns: dict[str, TxnMetadata] = {}
        self.channel = TxnMarkerChannel(self)

    def start_loops(self) -> None:
        """The periodic abort of timed-out transactions, when the run has transactions."""
        if self.topology.has_transactions:
            self.broker.timer(self.abort_interval_us, self._abort_timed_out)

    # -- loading -------------------------------------------------------------------------

    def load(self, pidx: int) -> None:
        """This broker leads a txn partition now: take over its ids and finish the
        transactions already decided (TransactionStateManager's load, then the markers)."""
        self.unload(pidx)
        replica = self.broker.replicas[pidx]
        epoch = self.epochs[pidx] = replica.leader_epoch
        now = self.broker.engine.now
        for txn_id, meta in replay(self.ctx.group_records, replica.log.batches).items():
            self.txns[txn_id] = meta
            result = DECISIONS.get(meta.state)
            if result is not None:
                self.broker.trace.emit(TxnDecided(now, txn_id, meta.pid, meta.producer_epoch,
                                                  result, "loaded"))
                self.channel.add(epoch, result, meta, meta.prepare_complete(now))

    def unload(self, pidx: int) -> None:
        """Leadership of a txn partition moved away: forget its ids and their markers."""
        if self.epochs.pop(pidx, None) is None:
            return
        pidx_of = self.topology.txn_pidx
        for txn_id in [t for t in self.txns if pidx_of(t) == pidx]:
            del self.txns[txn_id]
        self.channel.remove_for_partition(pidx)

    def unload_all(self) -> None:
        for pidx in list(self.epochs):
            self.unload(pidx)

    def epoch_of(self, txn_id: str) -> int | None:
        """The coordinator epoch this broker holds the id's partition at (None: not loaded)."""
        return self.epochs.get(self.topology.txn_pidx(txn_id))

    def _meta(self, txn_id: str, epoch: int) -> TxnMetadata | None:
        """The id's metadata if its partition is still loaded at that coordinator epoch."""
        return self.txns.get(txn_id) if self.epoch_of(txn_id) == epoch else None

    # -- requests ------------------------------------------------------------------------

    def handle(self, conn, rid, request) -> None:
        def reply(response):
            conn.respond(rid, response)
        kind = type(request)
        if kind is FindCoordinator:
            reply(self._find(request.group))
        elif kind is InitProducerId:
            self._init_producer_id(request, reply)
        elif kind is AddPartitionsToTxn:
            self._add_partitions(request, lambda error: reply(AddPartitionsToTxnResponse(
                {pidx: error for pidx in request.pidxs})))
        elif kind is AddPartitionsToTxnBatch:
            self._from_leader(request, lambda results: reply(
                AddPartitionsToTxnBatchResponse(results)))
        elif kind is AddOffsetsToTxn:
            self._add_partitions(self._offsets_partition(request),
                                 lambda error: reply(AddOffsetsToTxnResponse(error)))
        else:
            self._end_txn_request(request, lambda error: reply(self._end_txn_response(
                request.transactional_id, error)))

    def _find(self, txn_id: str) -> FindCoordinatorResponse:
        state = self.broker.image.partitions.get(self.topology.txn_pidx(txn_id))
        if state is None or state.leader == NO_LEADER:
            return FindCoordinatorResponse(COORDINATOR_NOT_AVAILABLE, -1)
        return FindCoordinatorResponse(None, state.leader)

    # -- InitProducerId ------------------------------------------------------------------

    def _init_producer_id(self, req: InitProducerId, reply) -> None:
        def fail(error):
            reply(InitProducerIdResponse(error, NO_PRODUCER_ID, NO_PRODUCER_EPOCH))
        txn_id = req.transactional_id
        if not txn_id:
            fail(INVALID_REQUEST)
            return
        if not 0 < req.transaction_timeout_ms <= self.max_timeout_ms:
            fail(INVALID_TRANSACTION_TIMEOUT)
            return
        epoch = self.epoch_of(txn_id)
        if epoch is None:
            fail(NOT_COORDINATOR)
            return
        expected = None
        if req.producer_id != NO_PRODUCER_ID or req.producer_epoch != NO_PRODUCER_EPOCH:
            if req.producer_id == NO_PRODUCER_ID or req.producer_epoch == NO_PRODUCER_EPOCH:
                fail(INVALID_REQUEST)
                return
            expected = (req.producer_id, req.producer_epoch)
        now = self.broker.engine.now
        meta = self.txns.get(txn_id)
        if meta is None:
            meta = self.txns[txn_id] = TxnMetadata(txn_id, self.ctx.ids.next_pid(),
                                                   ms(req.transaction_timeout_ms), now)
        error, transit = self._init_transit(meta, ms(req.transaction_timeout_ms), expected)
        if error is not None:
            fail(error)
        elif transit.state == PREPARE_EPOCH_FENCE:
            self._end_txn(txn_id, transit.pid, transit.producer_epoch, False, False, "fenced",
                          lambda e: fail(e or CONCURRENT_TRANSACTIONS))
        else:
            self._append(meta, epoch, transit, lambda e: fail(e) if e else reply(
                InitProducerIdResponse(None, transit.pid, transit.producer_epoch)))

    def _init_transit(self, meta: TxnMetadata, timeout_us: int, expected):
        """prepareInitProducerIdTransit: (error, None) or (None, the transition)."""
        if meta.pending is not None:
            return CONCURRENT_TRANSACTIONS, None
        if expected is not None and not _valid_producer_id(meta, *expected):
            return self.fenced, None
        if meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            return CONCURRENT_TRANSACTIONS, None
        now = self.broker.engine.now
        if meta.state == ONGOING:
            return None, meta.prepare_fence_epoch()
        if meta.state not in (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT):
            raise IllegalTransition(f"{meta.transactional_id} found in {meta.state}")
        if meta.epoch_exhausted and (expected is None or expected[1] == meta.producer_epoch):
            return None, meta.prepare_rotation(self.ctx.ids.next_pid(), timeout_us, now,
                                               expected is not None)
        transit = meta.prepare_increment_epoch(
            timeout_us, None if expected is None else expected[1], now)
        return (self.fenced, None) if transit is None else (None, transit)

    # -- AddPartitionsToTxn --------------------------------------------------------------

    def _add_partitions(self, req: AddPartitionsToTxn, reply) -> None:
        if not req.transactional_id:
            reply(INVALID_REQUEST)
            return
        epoch = self.epoch_of(req.transactional_id)
        if epoch is None:
            reply(NOT_COORDINATOR)
            return
        meta = self.txns.get(req.transactional_id)
        if meta is None or meta.pid != req.pid:
            reply(INVALID_PRODUCER_ID_MAPPING)
        elif meta.producer_epoch != req.producer_epoch:
            reply(self.fenced)
        elif meta.pending is not None or meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            reply(CONCURRENT_TRANSACTIONS)
        elif meta.state == ONGOING and set(req.pidxs) <= set(meta.pidxs):
            reply(None)
        else:
            transit = meta.prepare_add_partitions(req.pidxs, self.broker.engine.now)
            self._append(meta, epoch, transit, reply)

    # -- a partition leader's checks (KIP-890) -------------------------------------------

    def _from_leader(self, req: AddPartitionsToTxnBatch, reply) -> None:
        """AddPartitionsToTxn v4+ from a leader: verify each transaction's partitions, or
        add them for a transaction.version 2 producer; reply once all are answered."""
        results: dict = {}
        waiting = [len(req.transactions)]

        def answered(txn, errors: dict) -> None:
            results[txn.transactional_id] = errors
            waiting[0] -= 1
            if waiting[0] == 0:
                reply(results)
        for txn in req.transactions:
            if txn.verify_only:
                answered(txn, self._verify(txn))
            else:
                self._add_partitions(txn, lambda error, t=txn: answered(
                    t, dict.fromkeys(t.pidxs, error)))

    def _verify(self, req: AddPartitionsToTxn) -> dict:
        """handleVerifyPartitionsInTransaction: pidx -> None for a partition of the
        producer's transaction at its current epoch, else the error."""
        error = None
        meta = self.txns.get(req.transactional_id)
        if not req.transactional_id:
            error = INVALID_REQUEST
        elif self.epoch_of(req.transactional_id) is None:
            error = NOT_COORDINATOR
        elif meta is None or meta.pid != req.pid:
            error = INVALID_PRODUCER_ID_MAPPING
        elif meta.producer_epoch != req.producer_epoch:
            error = PRODUCER_FENCED
        elif meta.state in (PREPARE_COMMIT, PREPARE_ABORT):
            error = CONCURRENT_TRANSACTIONS
        if error is not None:
            return dict.fromkeys(req.pidxs, error)
        return {pidx: None if pidx in meta.pidxs else self.not_in_txn for pidx in req.pidxs}

    def _offsets_partition(self, req: AddOffsetsToTxn) -> AddPartitionsToTxn:
        """handleAddOffsetsToTxnRequest: the group's offsets partition joins the transaction."""
        return AddPartitionsToTxn(req.transactional_id, req.pid, req.producer_epoch,
                                  (self.topology.coordinator_pidx(req.group),))

    # -- EndTxn and the coordinator's own aborts -----------------------------------------

    def _end_txn_response(self, txn_id: str, error) -> EndTxnResponse:
        """EndTxnResponse; with transaction.version 2 it carries the bumped epoch."""
        meta = self.txns.get(txn_id)
        if not self.tv2 or error is not None or meta is None:
            return EndTxnResponse(error)
        return EndTxnResponse(None, meta.pid, meta.producer_epoch)

    def _end_txn_request(self, req: EndTxn, reply) -> None:
        if not req.transactional_id:
            reply(INVALID_REQUEST)
        elif self.epoch_of(req.transactional_id) is None:
            reply(NOT_COORDINATOR)
        else:
            self._end_txn(req.transactional_id, req.pid, req.producer_epoch, req.committed,
                          True, "client", reply)

    def _end_txn(self, txn_id: str, pid: int, producer_epoch: int, commit: bool,
                 from_client: bool, reason: str, reply) -> None:
        """endTransaction: decide, write the decision, answer, then write the markers."""
        meta = self.txns.get(txn_id)
        if meta is None or meta.pid != pid:
            reply(INVALID_PRODUCER_ID_MAPPING)
            return
        retry = from_client and self.tv2 and producer_epoch + 1 == meta.producer_epoch \
            and meta.last_producer_epoch == producer_epoch and meta.state != ONGOING
        valid_epoch = retry or (not from_client or producer_epoch == meta.producer_epoch) \
            and producer_epoch >= meta.producer_epoch
        if not valid_epoch:
            reply(self.fenced)
        elif meta.pending is not None and meta.pending != PREPARE_EPOCH_FENCE:
            reply(CONCURRENT_TRANSACTIONS)
        elif meta.state == ONGOING or (self.tv2 and not commit and not retry
                                       and meta.state in (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT)):
            self._prepare_decision(meta, producer_epoch, commit, reason, reply)
        else:
            reply(_decided_answer(meta.state, commit))

    def _prepare_decision(self, meta: TxnMetadata, producer_epoch: int, commit: bool,
                          reason: str, reply) -> None:
        state = PREPARE_COMMIT if commit else PREPARE_ABORT
        fence = not commit and meta.pending == PREPARE_EPOCH_FENCE
        if fence:
            meta.apply_fence(producer_epoch)
        epoch = self.epoch_of(meta.transactional_id)
        transit = meta.prepare_abort_or_commit(state, self.broker.engine.now,
                                               bump=self.tv2 and not fence)
        self._append(meta, epoch, transit,
                     lambda error: self._decision_written(meta.transactional_id, epoch, transit,
                                                          fence, error, reply),
                     reason=reason)

    def _decision_written(self, txn_id: str, epoch: int, transit, fence: bool, error,
                          reply) -> None:
        """sendTxnMarkersCallback: answer the client, then send the markers."""
        meta = self._meta(txn_id, epoch)
        if error is not None:
            if fence and meta is not None:
                meta.failed_fence = True
            reply(error)
        elif meta is None:
            reply(NOT_COORDINATOR)
        elif meta.pid != transit.pid:
            reply(INVALID_PRODUCER_ID_MAPPING)
        elif meta.producer_epoch != transit.producer_epoch:
            reply(self.fenced)
        elif meta.pending is not None:
            reply(CONCURRENT_TRANSACTIONS)
        elif meta.state != transit.state:
            reply(INVALID_TXN_STATE)
        else:
            complete = meta.prepare_complete(self.broker.engine.now)
            reply(None)
            self.channel.add(epoch, DECISIONS[transit.state], meta, complete)

    def _abort_timed_out(self) -> None:
        """abortTimedOutTransactions: fence and abort what ran past its timeout."""
        now = self.broker.engine.now
        for meta in list(self.txns.values()):
            if meta.state == ONGOING and meta.pending is None \
                    and meta.start_us + meta.timeout_us < now:
                fence = meta.prepare_fence_epoch()
                self._end_txn(meta.transactional_id, fence.pid, fence.producer_epoch, False,
                              False, "timeout", _ignore)
        self.broker.timer(self.abort_interval_us, self._abort_timed_out)

    # -- the transaction log ---------------------------------------------------------------

    def write_completion(self, entry) -> None:
        """The markers are written: persist CompleteCommit or CompleteAbort, retrying while
        the log is unavailable (TransactionMarkerChannelManager.tryAppendToLog)."""
        self.channel.remove(entry)
        meta = entry.meta
        self._append(meta, entry.coordinator_epoch, entry.transit,
                     lambda error: self._completion_written(entry, error),
                     retry_on=COORDINATOR_NOT_AVAILABLE)

    def _completion_written(self, entry, error) -> None:
        if error == COORDINATOR_NOT_AVAILABLE:
            self.broker.timer(RETRY_BACKOFF_US, self._retry_completion, entry)

    def _retry_completion(self, entry) -> None:
        if self._meta(entry.meta.transactional_id, entry.coordinator_epoch) is entry.meta:
            self.write_completion(entry)

    def _append(self, meta: TxnMetadata, epoch: int, transit, on_done, retry_on=None,
                reason: str | None = None) -> None:
        """appendTransactionToLog: write the transition, acks=all; once replicated complete
        it and call on_done(None), else on_done(error) (the pending transition dropped
        unless the error is retry_on)."""
        txn_id = meta.transactional_id
        if self._meta(txn_id, epoch) is None:
            on_done(NOT_COORDINATOR)
            return
        pidx = self.topology.txn_pidx(txn_id)
        ref = self.ctx.group_records.add(transit)
        data = BatchData(-1, ref, 1, record_size(transit.pidxs), -1, -1, -1)
        request = ProduceRequest(-1, transit.timeout_us, ((pidx, data),))
        done = LocalReply(self.broker, pidx, lambda error: self._appended(
            txn_id, epoch, transit, error, on_done, retry_on, reason))
        self.broker.manager.produce(done, 1, request)

    def _appended(self, txn_id, epoch, transit, error, on_done, retry_on, reason) -> None:
        meta = self._meta(txn_id, epoch)
        if error is None:
            if reason is not None:
                self.broker.trace.emit(TxnDecided(
                    self.broker.engine.now, txn_id, transit.pid, transit.producer_epoch,
                    DECISIONS[transit.state], reason))
            if meta is None:
                error = NOT_COORDINATOR
            else:
                meta.complete(transit)
        else:
            error = append_error(error)
            if meta is not None and error != retry_on:
                meta.pending = None
        on_done(error)


def _valid_producer_id(meta: TxnMetadata, pid: int, epoch: int) -> bool:
    """isValidProducerId: a new id, the current producer id, or a retry of a rotation."""
    return meta.producer_epoch == NO_PRODUCER_EPOCH or pid == meta.pid \
        or (pid == meta.previous_pid and is_epoch_exhausted(epoch))


def _decided_answer(state: str, commit: bool):
    """EndTxn for a transaction that is not ongoing: a retry of the same decision succeeds
    once complete and waits while it completes; anything else is INVALID_TXN_STATE."""
    if state == (COMPLETE_COMMIT if commit else COMPLETE_ABORT):
        return None
    if state == (PREPARE_COMMIT if commit else PREPARE_ABORT):
        return CONCURRENT_TRANSACTIONS
    if state in (DEAD, PREPARE_EPOCH_FENCE):
        raise IllegalTransition(f"EndTxn found the transaction in {state}")
    return INVALID_TXN_STATE


def _ignore(_error) -> None:
    """onEndTransactionComplete: the outcome of a timeout's abort is only logged."""
