"""A Kafka producer: the application's records, the accumulator and the sender.

The sender drains ready batches to the leaders in the producer's metadata,
one request per broker holding at most one batch per partition, within
`max.in.flight.requests.per.connection`. It retries retriable errors with
exponential backoff (KIP-580) until `retries` or `delivery.timeout.ms` runs
out, refreshing metadata from a reachable broker on errors, on disconnects
and every `metadata.max.age.ms`. With idempotence each batch carries the
producer id, epoch and sequence; after a batch's fate becomes unknown or an
OUT_OF_ORDER_SEQUENCE_NUMBER shows the broker lost acknowledged data, the
producer bumps the epoch of that partition and resends what is left there
renumbered (KIP-360, from 2.5, idempotence.py); an older client fails the
batch and resets its producer id (sender.py). Partitions an `add_partitions` entry creates
are unknown until a metadata answer names them; from then the keyed partitioner hashes over
the new count (records handed after that instant move: lanes.py) and the sticky partitioner
may pick them (BuiltInPartitioner reads the cluster's partition count per record). acks=0
batches count as acknowledged when written to the connection. Every record's fate is recorded
per batch: acked, failed, or neither by the end (indeterminate).

Lifecycle: a crash drops every batch without a callback; a clean stop
flushes and waits for every send to complete; a pause freezes the
application (no records) and the sender; a restart gets a new producer id
and does not resend. A transactional producer (`transactional:`) sends its
records in transactions (transactions.py): its producer id comes from the
transaction coordinator, a clean stop aborts the open transaction, a restart
initializes transactions again (fencing its previous incarnation), and a fatal
error (fenced) closes it.
"""

import heapq

import numpy as np

from sim.clients.accumulator import INF, Accumulator
from sim.clients.arrivals import RECORD_OVERHEAD, Arrivals
from sim.clients.book import RecordBook
from sim.clients.buffer_pool import BufferPool
from sim.clients.compression import Compression
from sim.clients.lanes import Lanes
from sim.clients.partitioner import key_names, key_table
from sim.clients.sender import Sender
from sim.clients.settings import ProducerSettings
from sim.clients.steps import StepArrivals
from sim.clients.transactions import TransactionManager
from sim.cluster.context import ClientContext
from sim.cluster.host import PAUSED, STOPPED, Host
from sim.cluster.log import BATCH_HEADER
from sim.core.records import RecordsHanded, SendFailed

RECORD_TOO_LARGE = "RECORD_TOO_LARGE"


class Producer(Host):
    """One producer application with its KafkaProducer."""

    def __init__(self, spec, index: int, ctx: ClientContext, step=None, source=None) -> None:
        """A producer client; with `step` (events, Step, delay) one step of a steps workload;
        with `source` one whose records come from that source, partitioned as it says
        (a consumer member's output, output.py)."""
        name = spec.name if step is None else f"{spec.name}.{step[1].event}"
        runtime = ctx.runtime
        super().__init__(name, runtime.engine, runtime.trace)
        self.index = index
        self.ctx = ctx
        self.net = runtime.net
        self.nodes = runtime.nodes
        self.settings = ProducerSettings.from_config(spec.config, ctx.protocol, ctx.features)
        self.topic = spec.topic if step is None else step[1].topic
        self.pidxs = ctx.topology.by_topic[self.topic]
        self.rng = runtime.streams.get(f"producer.{spec.name}")
        names = self.key_names = key_names(spec.keys)
        self.created = sum(ctx.topology.partitions[p].added_by < 0 for p in self.pidxs)
        key_parts, key_sizes = key_table(names, self.created)
        if source is not None:
            self.arrivals = source
        elif step is None:
            self.arrivals = Arrivals(spec.rate, spec.arrivals == "even", key_parts, key_sizes,
                                     spec.value_size, self.rng, tombstones=spec.tombstones)
        else:
            self.arrivals = StepArrivals(step[0], step[2], key_parts, key_sizes,
                                         spec.value_size)
        self.book = RecordBook(len(self.pidxs), tombstones=spec.tombstones > 0)
        self.lanes = Lanes(self.arrivals, len(self.pidxs),
                           keyed=bool(len(key_sizes)) or source is not None)
        s = self.settings
        self.acc = Accumulator(self.pidxs, s.batch_size, s.linger_us, self.book,
                               runtime.streams.get(f"partitioner.{spec.name}"), self.lanes,
                               BufferPool(s.buffer_memory, s.batch_size, s.max_block_us))
        self.acc.created = self.created
        self.acc.on_new = self.track_expiry
        self.acc.on_room = self._room
        self.key_sizes, self.value_size = key_sizes, spec.value_size
        self._limit_sizes(spec.compression)
        self.sender = Sender(self)
        self.txn = None
        if spec.transactional is not None:
            self.txn = self.sender.txn = TransactionManager(
                self, spec.transactional, runtime.streams.get(f"transactions.{spec.name}"))
        self._expiry_seq = 0
        self.rate = spec.rate
        self.generating = True
        self.closing = False
        self.wake_at = -1
        self.expiry: list = []

    # -- sizes -----------------------------------------------------------------------

    def _limit_sizes(self, ratio: float) -> None:
        """max.request.size (and buffer.memory, ensureValidRecordSize checks both) and
        compression.type, set up only where they can matter."""
        s, acc = self.settings, self.acc
        largest = self.largest_record = \
            int(self.key_sizes.max(initial=0)) + self.value_size + RECORD_OVERHEAD
        limit = min(s.max_request_size, s.buffer_memory)
        if largest + BATCH_HEADER > limit:
            acc.refuse_over = limit - BATCH_HEADER
            acc.on_refused = self._refused
        if s.compression_type != "none":
            acc.compression = Compression(ratio, acc.batch_size)
            acc.cap = acc.compression.cap()

    def _refused(self, pos: int, first_seq: int, count: int) -> None:
        """Records KafkaProducer.send refused as larger than max.request.size or buffer.memory
        (ensureValidRecordSize: RecordTooLargeException): their callbacks fail at once."""
        self.trace.emit(SendFailed(self.engine.now, self.name, self.topic, pos, first_seq,
                                   count, RECORD_TOO_LARGE))
        if self.txn is not None:
            self.txn.abortable(RECORD_TOO_LARGE)

    def record_sizes(self, pos: int, first: int, count: int) -> np.ndarray:
        """The uncompressed sizes of records [first, first + count) of a partition position
        (value + key + overhead, as arrivals.py draws them)."""
        keys = self.book.key_range(pos, first, count)
        sizes = np.full(count, self.value_size + RECORD_OVERHEAD, dtype=np.int64)
        if len(self.key_sizes):
            sizes += np.where(keys >= 0, self.key_sizes[np.maximum(keys, 0)], 0)
        return sizes - self.value_size * self.book.tombstone_range(pos, first, count)

    # -- lifecycle -------------------------------------------------------------------

    def boot(self, leaders: dict, pid: int) -> None:
        """Start of the run: full metadata and, if idempotent, a producer id."""
        self.sender.boot(leaders, pid)
        if self.txn is not None:
            self.txn.start()
        self.timer(self.settings.metadata_max_age_us, self._periodic_metadata)
        self.run()

    def _hold_workload(self, until: int) -> None:
        """The application stops handing records: take those that arrived by until, no more."""
        if self.state == "running" and self.generating and not self.closing:
            self._absorb(until)
        self.lanes.set_rate(0.0, self.engine.now)
        self.acc.repredict(self.engine.now)

    def _release_workload(self) -> None:
        """The application hands records again, at the workload's rate."""
        if self.generating and not self.closing:
            self.lanes.set_rate(self.rate, self.engine.now)
            self.acc.repredict(self.engine.now)
            if self.txn is not None:
                self.txn.rearm()

    def stop_generating(self) -> None:
        """The workload ends (the scenario's duration): records from then on are not made."""
        self._hold_workload(self.engine.now - 1)
        self.lanes.drop_after(self.engine.now - 1)
        self.acc.repredict(self.engine.now)     # no record will fill an open batch any more
        self.generating = False
        if self.txn is not None:
            self.txn.finish(self.engine.now - 1)
        self.run()

    def crash(self, state: str = "crashed") -> None:
        if self.down:
            return
        self._hold_workload(self.engine.now)
        self.lanes.drop_after(self.engine.now)
        if self.acc.send_blocked():
            self.lanes.drop_waiting()       # the calls queued behind a blocked send die too
        self.kill(state)
        self.acc.abandon()
        self.sender.abandon()
        if self.txn is not None:
            self.txn.crash()
        self.expiry = []
        self.wake_at = -1
        for conn in list(self.connections):
            conn.reset()

    def stop(self) -> None:
        """close(): flush, finish every send, then exit."""
        if self.state != "running" or self.closing:
            return
        self._hold_workload(self.engine.now)
        self.closing = True
        if self.txn is not None:
            self.txn.close(self.engine.now)
        self.acc.flush()
        self.run()

    def close_after_fatal(self) -> None:
        """A fatal transactional error: the application closes the producer (the in-flight
        requests complete, nothing more is sent)."""
        now = self.engine.now
        self._hold_workload(now)
        self.lanes.drop_after(now)
        self.lanes.drop_waiting()
        self.generating = False
        self.closing = True
        self.wake()

    def restart(self) -> None:
        if not self.down:
            return
        self.start()
        self.closing = False
        self._release_workload()
        self.sender.restart()
        self.timer(self.settings.metadata_max_age_us, self._periodic_metadata)
        self.run()

    def pause(self) -> None:
        if self.state == "running":
            self._hold_workload(self.engine.now)
        super().pause()

    def resume(self) -> None:
        if self.state != PAUSED:
            return
        self._release_workload()
        super().resume()
        self.run()

    def set_rate(self, rate: float) -> None:
        """A load change; it takes effect while the application runs."""
        self.rate = rate
        if self.state == "running":
            self._absorb(self.engine.now)
            self._release_workload()
            self.run()

    # -- the main step -----------------------------------------------------------------

    def run(self) -> None:
        """Take the records that arrived, close due batches, expire, send; sleep until due."""
        if self.state != "running":
            return
        now = self.engine.now
        if self.generating and not self.closing and self.acc.records_due(now):
            self._absorb(now, due_only=True)
        acc = self.acc
        while acc.send_blocked() and acc.pool.deadline() <= now and self.generating \
                and not self.closing:
            self._send_failed(now)
        self._expire(now)
        txn = self.txn
        if txn is not None:
            txn.poll(now)
        self.sender.send_ready(now)
        if txn is not None:
            txn.poll(now)
        if self.closing and self.sender.idle() and (txn is None or txn.idle()):
            self.kill(STOPPED)
            return
        self._sleep_until(self._next_due(now))

    def _absorb(self, now: int, due_only: bool = False) -> None:
        for pos, first, count in self.acc.absorb(now, self.sender.available, due_only):
            self._hand(now, pos, first, count)

    def _hand(self, now: int, pos: int, first: int, count: int) -> None:
        """KafkaProducer.send of records [first, first + count) of a partition position."""
        self.trace.emit(RecordsHanded(now, self.name, self.topic, pos, first, count))
        if self.txn is not None:
            self.txn.handed(pos)

    def absorb_all(self, now: int) -> None:
        """Every record that arrived by now joins its batch (up to the transaction's gate)."""
        if self.state == "running":
            self._absorb(now)

    def _send_failed(self, now: int) -> None:
        """The blocked send failed after max.block.ms (BufferPool.allocate: BufferExhausted);
        the records queued behind it go on at once."""
        pos, seq = self.acc.fail_blocked(now)
        self.trace.emit(SendFailed(now, self.name, self.topic, pos, seq, 1, "BUFFER_EXHAUSTED"))
        if self.txn is not None:
            self.txn.abortable("BUFFER_EXHAUSTED")
        self._absorb(now)

    def wake(self) -> None:
        """Something changed for the sender or the application: step soon."""
        self._sleep_until(self.engine.now)

    def _room(self) -> None:
        """A completed batch freed buffer.memory while a send was blocked: go on soon."""
        self._sleep_until(self.engine.now)

    def _next_due(self, now: int) -> int:
        due = min(self.acc.next_due_us(now), self.sender.next_retry_us(now))
        if self.txn is not None:
            due = min(due, self.txn.next_due(now))
        if self.acc.send_blocked() and self.generating and not self.closing:
            due = min(due, self.acc.pool.deadline())    # run() fails it only while generating
        while self.expiry and self.expiry[0][2].done:
            heapq.heappop(self.expiry)
        if self.expiry:
            due = min(due, self.expiry[0][0])
        return due

    def _sleep_until(self, t: int) -> None:
        now = self.engine.now
        if t >= INF:
            return
        t = max(t, now + 1)
        if self.wake_at > now and self.wake_at <= t:
            return
        self.wake_at = t
        self.timer(t - now, self._wake, t)

    def _wake(self, t: int) -> None:
        if t == self.wake_at:
            self.wake_at = -1
            self.run()

    def track_expiry(self, batch) -> None:
        self._expiry_seq += 1
        heapq.heappush(self.expiry, (batch.created_us + self.settings.delivery_timeout_us,
                                     self._expiry_seq, batch))

    def _expire(self, now: int) -> None:
        while self.expiry and (self.expiry[0][2].done or self.expiry[0][0] <= now):
            _t, _k, batch = heapq.heappop(self.expiry)
            if not batch.done:
                in_retry = batch.attempts > 1 or (batch.attempts == 1 and not batch.inflight)
                self.sender.fail(batch, "DELIVERY_TIMEOUT", unresolved=in_retry)

    def partitions_grew(self, count: int) -> None:
        """The metadata names `count` partitions of the topic, more than before: records
        handed from now on are partitioned over them."""
        now = self.engine.now
        self.created = self.acc.created = count
        if self.lanes.keyed:
            self.lanes.remap(key_table(self.key_names, count)[0], now)
        self.acc.repredict(now)

    def _periodic_metadata(self) -> None:
        self.sender.refresh_metadata()
        self.timer(self.settings.metadata_max_age_us, self._periodic_metadata)
