"""The producer's Sender: requests, responses, retries, metadata and idempotence.

See producer.py for the rules it follows. Error handling (Kafka's
Sender.completeBatch): retriable errors are retried while attempts remain
and the delivery timeout has not passed; NOT_LEADER_OR_FOLLOWER,
disconnects and timeouts also refresh the metadata. The requests a request
timeout cancels report REQUEST_TIMED_OUT from 3.5 and NETWORK_EXCEPTION
before (`producer.request.timeout.error`). A request whose connection was
never set up (KIP-601, rpc.py) was never sent: its batches wait again with no
attempt counted and no error. Metadata goes to the next broker in turn whose
connection is not stuck setting up (rpc.next_node). Sequence errors follow
TransactionManager.canRetry and handleFailedBatch of the client's release
(the protocol switch `idempotent.producer.epoch.bump`):
- from 2.5 (`kip-360`, KAFKA-8805) every OUT_OF_ORDER_SEQUENCE_NUMBER is
  retried; when the batch right after the acknowledged ones gets it, the
  broker lost acknowledged data, and when the batch right after the expired
  ones of an unresolved partition gets it, the expired ones were never
  written: either way the partition's epoch is bumped, so the batch and
  those behind it are resent under the new epoch from sequence 0 and succeed;
- before 2.5 (`fatal`) it is retried only for a batch of the current
  producer id that is not the next one of a resolved partition; otherwise
  the batch fails, and if it was of the current producer id the producer id
  is reset (resetProducerId): the sender waits for a new one from
  InitProducerId and every partition starts again at sequence 0; batches
  still holding a sequence of the old producer id fail at their next
  sequence error. UNKNOWN_PRODUCER_ID (a broker with no state for the
  producer id, before 2.5) is handled the same way, and where the 2.5 client
  bumps the epoch (an unresolved partition drained with a gap, a batch that
  failed for good) the older one resets the producer id too.
A batch that already holds a sequence (a retry) is sent only when no batch of
its partition with a lower sequence is in flight, so retries go one request at a
time in sequence order (RecordAccumulator.shouldStopDrainBatchesForPartition).
Sizes: a request takes batches while their bytes stay within `max.request.size`,
the first always (RecordAccumulator.drainBatchesForOneNode; the next request to
that broker starts at the partition where it stopped). A batch of several
records refused with MESSAGE_TOO_LARGE is split into batches of `batch.size`
and queued again untried, no retry counted, with its creation time and, with
idempotence, its sequences shared out in order (Sender.completeBatch,
RecordAccumulator.splitAndReenqueue, ProducerBatch.split); a batch of one
record fails with it. A `batch.size` above the topic's `max.message.bytes`
splits into batches just as large, so they are refused and split again until
`delivery.timeout.ms`, as in Kafka.
Simplified: before 2.5 a batch that failed for good made Kafka renumber the
later batches of its partition (adjustSequencesDueToFailedBatch), not reset
the producer id; the UNKNOWN_PRODUCER_ID case where retention removed the
producer's state (reset the partition's sequences and retry) does not arise,
since retention here never removes producer state.
A transactional producer (transactions.py) sends a partition's batches only once the
partition joined the transaction, marks them transactional, takes its producer id and epoch
from the transaction coordinator, and reports each batch that fails to its
TransactionManager; it never bumps an epoch on its own.
"""

from sim.clients.idempotence import Sequences
from sim.cluster.log import BATCH_HEADER
from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    MESSAGE_TOO_LARGE,
    BatchData,
    InitProducerId,
    MetadataRequest,
    ProduceRequest,
    ProduceResponse,
)
from sim.cluster.rpc import TIMED_OUT, UNSENT, Connection, Connections, Failure, next_node
from sim.core.records import BatchAcked, BatchFailed, BatchSent, ProduceRejected
from sim.core.units import MS

RETRIABLE = {"NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
             "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION", "UNKNOWN_LEADER_EPOCH",
             "FENCED_LEADER_EPOCH", "OUT_OF_ORDER_SEQUENCE_NUMBER", "UNKNOWN_PRODUCER_ID"}
SEQUENCE_ERRORS = ("OUT_OF_ORDER_SEQUENCE_NUMBER", "UNKNOWN_PRODUCER_ID")
REFRESH = {"NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION",
           "UNKNOWN_LEADER_EPOCH", "FENCED_LEADER_EPOCH"}


class Sender:
    """Sends one producer's batches and settles their fates."""

    def __init__(self, producer) -> None:
        self.p = producer
        self.s = producer.settings
        self.n = len(producer.pidxs)
        self.leaders = [(NO_LEADER, -1)] * self.n
        self.live_brokers: list[int] = []
        self.conns = Connections(producer.net, producer, producer.nodes.brokers.__getitem__,
                                 self.s.setup_timeouts_us, self._made)
        self.inflight_requests: dict[int, int] = {}
        self.inflight_batches = [0] * self.n
        self.on_wire: list[list] = [[] for _ in range(self.n)]   # idempotent batches out
        self.pid = -1
        self.sequences = Sequences(self.n)
        self.txn = None                   # the TransactionManager of a transactional producer
        self.held_back = False            # a ready batch waits for in-flight room
        self.metadata_inflight = False
        self.metadata_cursor = 0
        self.metadata_after = 0
        mif = self.s.max_in_flight
        self.retry_until = 0               # no batch backs off beyond this time
        self.batch_limit = mif if self.s.idempotence else (1 if mif == 1 else 1 << 30)
        self.throttled: dict[int, int] = {}     # broker -> until when a quota throttles it
        self.request_fits = self._request_fits()
        self.drain_from: dict[int, int] = {}     # per broker: where a capped drain resumes

    # -- lifecycle ---------------------------------------------------------------------

    def boot(self, leaders: dict, pid: int) -> None:
        for pos, pidx in enumerate(self.p.pidxs):
            self.leaders[pos] = leaders.get(pidx, (NO_LEADER, -1))    # absent: not created
        self.live_brokers = self.p.nodes.broker_ids()
        self.pid = pid if self.s.idempotence else -1
        self.sequences.reset(self.pid, 0)

    def abandon(self) -> None:
        self.conns.clear()
        self.inflight_requests = {}
        self.inflight_batches = [0] * self.n
        self.on_wire = [[] for _ in range(self.n)]
        self.metadata_inflight = False

    def restart(self) -> None:
        self.refresh_metadata()
        if self.txn is not None:
            self.txn.start()
        elif self.s.idempotence:
            self._new_producer_id()

    def new_session(self, pid: int, epoch: int) -> None:
        """A producer id and epoch from the transaction coordinator (-1: none yet)."""
        self.pid = pid
        self.sequences.reset(pid, epoch)

    def _new_producer_id(self) -> None:
        """Forget the producer id and every sequence; ask a broker for a new id."""
        self.pid = -1
        self.sequences.reset(-1, 0)
        self._request_any(InitProducerId(self.p.name), self._on_pid)

    def _on_pid(self, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            self.p.timer(self.s.retry_backoff_us, self._request_any, InitProducerId(self.p.name),
                         self._on_pid)
            return
        self.pid = response.pid
        self.sequences.reset(response.pid, response.producer_epoch)
        self.p.run()

    def idle(self) -> bool:
        return not self.p.acc.has_batches() and not any(self.inflight_batches)

    def complete(self) -> bool:
        """No batch incomplete (RecordAccumulator.hasIncomplete): EndTxn may go."""
        return self.idle()

    def abort_incomplete(self, error: str) -> None:
        """Sender.maybeAbortBatches after a fatal error (abortIncompleteBatches): every batch
        not yet done fails, those in flight too (their responses no longer count)."""
        self.drop_undrained(error, sequenced=True)
        for wire in self.on_wire:
            for batch in list(wire):
                if not batch.done:
                    self.fail(batch, error)

    def drop_undrained(self, error: str, sequenced: bool = False) -> None:
        """RecordAccumulator.abortUndrainedBatches: fail every batch not yet sent (without a
        sequence); batches holding one are still retried to completion."""
        acc = self.p.acc
        for pos in acc.positions():
            open_ = acc.open[pos]
            for batch in [*acc.ready[pos], *([open_] if open_ is not None else [])]:
                if batch.base_sequence < 0 or sequenced:
                    self.fail(batch, error)

    def available(self) -> list[int]:
        return [pos for pos, (leader, _) in enumerate(self.leaders) if leader != NO_LEADER]

    # -- sending -------------------------------------------------------------------------

    def send_ready(self, now: int) -> None:
        acc, sequences = self.p.acc, self.sequences
        if self.s.idempotence:
            if self.pid < 0:
                return
            if sequences.unresolved:
                sequences.resolve()
            if sequences.to_bump and not self.s.kip_360:
                self._new_producer_id()
                return
            if sequences.to_bump:
                sequences.bump(acc.ready, self.inflight_batches)
        by_leader: dict[int, list[int]] = {}
        peek, leaders = acc.peek, self.leaders
        for pos in acc.positions():
            batch = peek(pos, now)
            if batch is not None and batch.retry_at <= now:
                leader = leaders[pos][0]
                if leader == NO_LEADER:
                    self.refresh_metadata()
                elif leader in by_leader:
                    by_leader[leader].append(pos)
                else:
                    by_leader[leader] = [pos]
        for leader in sorted(by_leader):
            self._send_to(leader, by_leader[leader], now)
        self.held_back = any(peek(pos, now) is not None
                             for positions in by_leader.values() for pos in positions)

    def _may_send(self, pos: int, now: int) -> bool:
        batch = self.p.acc.peek(pos, now)
        if batch is None or batch.retry_at > now:
            return False
        if self.s.acks == 0:
            return True
        if self.txn is not None and not self.txn.may_send(pos):
            return False
        if self.s.idempotence and (pos in self.sequences.to_bump or (
                batch.base_sequence < 0 and not self.sequences.may_send_new(pos))
                or (batch.base_sequence >= 0 and self._behind_in_flight(batch))):
            return False
        return self.inflight_batches[pos] < self.batch_limit

    def _behind_in_flight(self, batch) -> bool:
        """RecordAccumulator.shouldStopDrainBatchesForPartition: a batch that already has a
        sequence (a retry) goes only as the partition's first sequence in flight, so retries
        go one request at a time, in sequence order."""
        return any(b.base_sequence < batch.base_sequence and b.producer_id == batch.producer_id
                   and b.producer_epoch == batch.producer_epoch
                   for b in self.on_wire[batch.pos])

    def _send_to(self, leader: int, positions: list[int], now: int) -> None:
        if self.throttled and self.throttled.get(leader, 0) > now:
            return                  # KIP-219: nothing to a broker until its throttle passed
        conn = self.conns.to(leader)
        if not conn.ready():
            self.refresh_metadata()
            return
        drain, may_send = self.p.acc.drain, self._may_send
        capped = len(positions) > self.request_fits
        while conn.writable() if self.s.acks == 0 else \
                self.inflight_requests.get(leader, 0) < self.s.max_in_flight:
            if capped:
                batches = self._drain_capped(leader, positions, now)
            else:
                batches = [drain(pos, now) for pos in positions if may_send(pos, now)]
            if not batches:
                return
            self._send_request(leader, batches, now)

    def _request_fits(self) -> int:
        """How many batches surely fit in one request: none is larger than batch.size or
        than the largest record the producer accepts in a batch of its own."""
        p, limit = self.p, self.s.max_request_size
        largest = p.largest_record + BATCH_HEADER
        return limit // max(self.s.batch_size, min(largest, limit), 1)

    def _drain_capped(self, leader: int, positions: list[int], now: int) -> list:
        """RecordAccumulator.drainBatchesForOneNode: take one batch per partition while the
        request stays within max.request.size (the first batch always goes); stop at the
        first that does not fit, and start there next time."""
        acc, may_send, limit = self.p.acc, self._may_send, self.s.max_request_size
        start = self.drain_from.get(leader, 0)
        order = [pos for pos in positions if pos >= start] + \
            [pos for pos in positions if pos < start]
        batches, size = [], 0
        for pos in order:
            if not may_send(pos, now):
                continue
            batch_size = acc.peek(pos, now).size
            if batches and size + batch_size > limit:
                self.drain_from[leader] = pos
                break
            size += batch_size
            batches.append(acc.drain(pos, now))
        return batches

    def _send_request(self, leader: int, batches, now: int) -> None:
        conn, s, p = self.conns.to(leader), self.s, self.p
        items = []
        emit, name, topic, index = p.trace.emit, p.name, p.topic, p.index
        transactional = self.txn is not None
        for batch in batches:
            if s.idempotence and batch.base_sequence < 0:
                self.sequences.assign(batch)
            batch.attempts += 1
            batch.inflight = True
            emit(BatchSent(now, name, topic, batch.pos, batch.first_seq, batch.count, leader,
                           batch.attempts))
            items.append((batch.pidx, BatchData(index, batch.first_seq, batch.count, batch.size,
                                                batch.producer_id, batch.producer_epoch,
                                                batch.base_sequence, transactional)))
        request = ProduceRequest(s.acks, s.request_timeout_us, tuple(items), s.transactional_id,
                                 s.transaction_version if transactional else 0)
        for batch in batches:
            self.inflight_batches[batch.pos] += 1
            if s.idempotence:
                self.on_wire[batch.pos].append(batch)
        if self.s.acks == 0:
            conn.write(request, sum(b.size for b in batches),
                       lambda failure: self._on_written(batches, failure), s.request_timeout_us)
            return
        self.inflight_requests[leader] = self.inflight_requests.get(leader, 0) + 1
        conn.request(request, lambda resp: self._on_response(leader, batches, resp),
                     self.s.request_timeout_us)

    def _made(self, conn: Connection) -> None:
        conn.on_reset = self.refresh_metadata
        conn.on_writable = self.p.run

    # -- responses -----------------------------------------------------------------------

    def _on_response(self, leader: int, batches, response) -> None:
        """Settle a request's batches; wake the producer only if that can change what it does."""
        self.inflight_requests[leader] -= 1
        if response is UNSENT:
            self._put_back(batches)
            return
        settled = self._settle(batches, response)
        throttled = response.__class__ is ProduceResponse and response.throttle_time_ms > 0
        if throttled:
            self.throttled[leader] = self.p.engine.now + response.throttle_time_ms * MS
        pending = self.sequences.to_bump or self.sequences.unresolved or self.txn is not None
        if not settled or self.held_back or pending or self.p.closing or throttled:
            self.p.run()

    def _on_written(self, batches, failure: Failure | None) -> None:
        """An acks=0 request is complete once written (Sender: the response to a request that
        expects none); a write stuck on a full buffer can fail with its connection instead."""
        if failure is UNSENT:
            self._put_back(batches)
        elif not self._settle(batches, failure):
            self.p.run()

    def _settle(self, batches, response) -> bool:
        """Ack, retry or fail each batch by response (a ProduceResponse, a Failure, or None
        for a written acks=0 request); True when none was rejected."""
        now = self.p.engine.now
        settled = True
        for batch in batches:
            self._landed(batch)
            if batch.done:
                continue
            if response is None:
                error, offset = None, -1
            elif isinstance(response, Failure):
                error, offset = self._failure_error(response), -1
            else:
                error, offset = response.results[batch.pidx]
            if error is None:
                self._ack(batch, offset)
            else:
                settled = False
                self._retry_or_fail(batch, error, now)
        return settled

    def _landed(self, batch) -> None:
        """The batch's request is over (answered, failed or never sent)."""
        self.inflight_batches[batch.pos] -= 1
        batch.inflight = False
        if self.s.idempotence:
            wire = self.on_wire[batch.pos]
            del wire[next(i for i, b in enumerate(wire) if b is batch)]

    def _put_back(self, batches) -> None:
        """The connection never came up: Kafka drains batches only to a ready node, so these
        were never sent; they wait again, with no attempt counted and no error."""
        for batch in batches:
            self._landed(batch)
            if not batch.done:
                batch.attempts -= 1
                self._reenqueue(batch)
        self.p.run()

    def _failure_error(self, failure: Failure) -> str:
        """The error a request that got no response reports (Sender.handleProduceResponse).

        Requests cancelled by a request timeout report REQUEST_TIMED_OUT from 3.5
        (`response.wasTimedOut()`, KAFKA-14317), NETWORK_EXCEPTION like any
        disconnect before (cluster.protocol producer.request.timeout.error).
        """
        return self.s.timeout_error if failure is TIMED_OUT else failure.error

    def _ack(self, batch, offset: int) -> None:
        batch.done = True
        self.p.acc.release(batch)
        self.sequences.acked(batch)
        p = self.p
        p.trace.emit(BatchAcked(p.engine.now, p.name, p.topic, batch.pos, batch.first_seq,
                                batch.count, offset))

    def _retry_or_fail(self, batch, error: str, now: int) -> None:
        p = self.p
        p.trace.emit(ProduceRejected(now, p.name, p.topic, batch.pos, batch.first_seq,
                                     batch.count, error))
        if error in REFRESH:
            self.refresh_metadata()
        if error == MESSAGE_TOO_LARGE and batch.count > 1:
            self._split(batch, now)
            return
        if error in SEQUENCE_ERRORS and self._sequence_error_fails(batch, error):
            return
        expired = now >= batch.created_us + self.s.delivery_timeout_us
        if error not in RETRIABLE or batch.attempts > self.s.retries or expired:
            self.fail(batch, error, bump=batch.attempts <= self.s.retries)
            return
        shift = min(batch.attempts - 1, 30)
        backoff = min(self.s.retry_backoff_us << shift, self.s.retry_backoff_max_us)
        batch.retry_at = now + int(backoff * p.rng.uniform(0.8, 1.2))
        self.retry_until = max(self.retry_until, batch.retry_at)
        self._reenqueue(batch)

    def _sequence_error_fails(self, batch, error: str) -> bool:
        """TransactionManager.canRetry / handleFailedBatch for the idempotent producer: fail
        the batch (True) or let it be retried, asking for an epoch bump where one is due."""
        sequences = self.sequences
        gap = sequences.gap_before(batch) and batch.pos not in sequences.unresolved
        if self.txn is not None:        # canRetry: only a batch after one still unresolved
            if gap or not sequences.current(batch):
                self.fail(batch, error)
                return True
            return False
        if self.s.kip_360:
            if gap or sequences.after_unresolved(batch):
                sequences.to_bump.add(batch.pos)
            return False
        if error == "OUT_OF_ORDER_SEQUENCE_NUMBER" and sequences.current(batch) and \
                batch.pos not in sequences.unresolved and not gap:
            return False
        current = sequences.current(batch)
        self.fail(batch, error)
        if current:
            self._new_producer_id()
        return True

    def _split(self, big, now: int) -> None:
        """Sender.completeBatch on MESSAGE_TOO_LARGE: split the batch and queue the parts
        (RecordAccumulator.splitAndReenqueue), in sequence order with idempotence, else at
        the front of the partition's queue in record order."""
        big.done = True
        p = self.p
        parts = p.acc.split(big, p.record_sizes(big.pos, big.first_seq, big.count), now)
        p.acc.release(big)      # the parts do not take from the pool (ProducerBatch.split)
        if self.s.idempotence and big.base_sequence >= 0:
            self.sequences.split(big, parts)
            for part in parts:
                self._reenqueue(part)
            return
        for index, part in enumerate(parts):
            p.acc.put_back(part, index)

    def _reenqueue(self, batch) -> None:
        """Put a batch back for retry (RecordAccumulator.reenqueue).

        Without idempotence it goes to the front of its partition's queue, so
        batches failed together are retried in reverse order (Kafka's addFirst);
        with idempotence it is inserted in sequence order.
        """
        queue = self.p.acc.ready[batch.pos]
        i = 0
        if self.s.idempotence:
            while i < len(queue) and 0 <= queue[i].base_sequence < batch.base_sequence:
                i += 1
        self.p.acc.put_back(batch, i)

    def fail(self, batch, error: str, bump: bool = False, unresolved: bool = False) -> None:
        """Report a batch as failed to the application (Sender.failBatch).

        With idempotence a sequenced batch that fails bumps its partition's
        epoch, or leaves it unresolved until its other batches finish (see
        idempotence.py).
        """
        batch.done = True
        self.p.acc.discard(batch)
        self.p.acc.release(batch)
        txn = self.txn
        if self.s.idempotence:
            local = txn is None         # a transactional producer bumps through its coordinator
            self.sequences.failed(batch, bump=bump and local, unresolved=unresolved and local)
        p = self.p
        p.trace.emit(BatchFailed(p.engine.now, p.name, p.topic, batch.pos, batch.first_seq,
                                 batch.count, error))
        if txn is not None:
            txn.batch_failed(error, batch.base_sequence >= 0)

    def next_retry_us(self, now: int) -> int:
        """The earliest backoff that ends after now (blocked batches wait for responses)."""
        due = 1 << 62
        if self.throttled:
            due = min((t for t in self.throttled.values() if t > now), default=due)
        if now >= self.retry_until:
            return due
        for pos in self.p.acc.positions():
            batch = self.p.acc.peek(pos, now)
            if batch is not None and now < batch.retry_at < due:
                due = batch.retry_at
        return due

    # -- metadata ------------------------------------------------------------------------

    def refresh_metadata(self) -> None:
        """Ask a broker for metadata, at most once per retry.backoff.ms."""
        if self.metadata_inflight or not self.live_brokers:
            return
        now = self.p.engine.now
        if now < self.metadata_after:
            self.metadata_inflight = True
            self.p.timer(self.metadata_after - now, self._refresh_later)
            return
        self.metadata_inflight = True
        self.metadata_after = now + self.s.retry_backoff_us
        self._request_any(MetadataRequest((self.p.topic,)), self._on_metadata)

    def _refresh_later(self) -> None:
        self.metadata_inflight = False
        self.refresh_metadata()

    def request_to(self, broker: int, request, on_done) -> None:
        """A request to one broker (the transaction coordinator)."""
        self.conns.to(broker).request(request, on_done, self.s.request_timeout_us)

    def request_any(self, request, on_done) -> None:
        """A request any broker can answer (FindCoordinator)."""
        self._request_any(request, on_done)

    def _request_any(self, request, on_done) -> None:
        brokers = self.live_brokers or self.p.nodes.broker_ids()
        broker, self.metadata_cursor = next_node(brokers, self.conns, self.metadata_cursor)
        self.conns.to(broker).request(request, on_done, self.s.request_timeout_us)

    def _on_metadata(self, response) -> None:
        self.metadata_inflight = False
        if isinstance(response, Failure):
            self.refresh_metadata()
            return
        created = self.p.created
        for pos, pidx in enumerate(self.p.pidxs):
            if pidx not in response.partitions:     # a partition not created yet
                continue
            created = max(created, pos + 1)
            leader, epoch = response.partitions[pidx]
            if epoch >= self.leaders[pos][1]:
                self.leaders[pos] = (leader, epoch)
        if created > self.p.created:
            self.p.partitions_grew(created)
        if response.brokers:
            self.live_brokers = list(response.brokers)
        self.p.run()
