"""The leader side of a broker's data plane: produce, follower fetch, purgatory, ISR.

Produce follows Partition.appendRecordsToLeader (docs/model.md#produce-path): not the
leader -> NOT_LEADER_OR_FOLLOWER; acks=all with the committed ISR below min
ISR -> NOT_ENOUGH_REPLICAS, nothing appended; a batch larger than the topic's
`max.message.bytes` (inheriting `message.max.bytes`) -> MESSAGE_TOO_LARGE
(UnifiedLog.analyzeAndValidateRecords: RecordTooLargeException; followers do not
check it, appendAsFollower); idempotence checks; a transactional write
checked with the transaction coordinator first (KIP-890, txn_verification.py); append
stamped with the leader epoch; HW advance. acks=0 gets no response, but an
error on any of its partitions makes the broker close the connection once
every partition is handled, the others appended (KafkaApis.handleProduceRequest:
"close socket server so that the producer client will know that some error
has happened and will refresh its metadata"); acks=1 gets a response once the
write is done, acks=all a DelayedProduce that completes
when the HW passes the request's last offset (NONE, or
NOT_ENOUGH_REPLICAS_AFTER_APPEND when the maximal ISR is below min ISR), when
leadership is lost (NOT_LEADER_OR_FOLLOWER) or at the request timeout
(REQUEST_TIMED_OUT). A follower fetch is validated by epoch, checked for
divergence (the KIP-279 diverging epoch), refused if it comes from an older registration
of the follower than its last fetch or from a broker that is not one of its replicas
(UNKNOWN_LEADER_EPOCH, Partition.followerReplicaOrThrow), recorded as the follower's LEO, and
answered with records, or parked up to `replica.fetch.wait.max.ms` when there
is nothing new; the response carries only what changed in the follower's
fetch session (fetch_session.py). A follower fetch reads at most
`replica.fetch.max.bytes` per partition and `replica.fetch.response.max.bytes`
in all, except that the first batch of the first partition with data is
returned whatever its size (KIP-74, ReplicaManager.readFromLog's
minOneMessage); it is parked until `replica.fetch.min.bytes` are there
(DelayedFetch.tryComplete), unless a partition has an error or a divergence.
The leader applies its own `replica.fetch.response.max.bytes` and
`replica.fetch.min.bytes`, which a follower's fetch carries in Kafka: every
broker has the cluster's config. While the leader's replication quota is exceeded, a
follower outside the ISR reads no records of a throttled partition, and the bytes of
throttled partitions in every response are recorded (KIP-73, replication_quota.py).
Simplified: the partitions are read in the order the follower lists them (Kafka's
fetcher moves a partition it got data for to the end of its list).
"""

from sim.cluster.deadlines import Deadlines
from sim.cluster.fetch_session import FetchSessions
from sim.cluster.log import Batch
from sim.cluster.producer_state import DUPLICATE, INVALID_TXN_STATE
from sim.cluster.protocol import (
    MESSAGE_TOO_LARGE,
    NOT_ENOUGH_REPLICAS,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    NOT_LEADER_OR_FOLLOWER,
    OFFSET_OUT_OF_RANGE,
    REQUEST_TIMED_OUT,
    UNKNOWN_LEADER_EPOCH,
    FetchData,
    FetchResponse,
    ProduceResponse,
)
from sim.cluster.replication import fetch_decision
from sim.cluster.replication_quota import leader_quota
from sim.cluster.txn_verification import verification_for
from sim.core.records import (
    BatchAppended,
    HighWatermark,
    HwAdvanced,
    OutOfSyncFetch,
    RecordsCommitted,
    StableOffset,
    TxnBatchAppended,
)


class DelayedProduce:
    """An acks=all append waiting for the HW; answered as a produce response, or through
    on_done(results) (the transaction markers of a WriteTxnMarkers, txn_markers.py)."""
    __slots__ = ("conn", "rid", "results", "pending", "done", "size", "on_done")

    def __init__(self, conn, rid, results, pending, size: int = 0, on_done=None) -> None:
        self.conn, self.rid, self.results, self.pending = conn, rid, results, pending
        self.done = False
        self.size = size
        self.on_done = on_done


class ParkedFetch:
    __slots__ = ("conn", "rid", "request", "done")

    def __init__(self, conn, rid, request) -> None:
        self.conn, self.rid, self.request = conn, rid, request
        self.done = False


class ReplicaManager:
    """Serves produce and fetch requests for the partitions a broker leads."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.settings = broker.settings
        self.purgatory = Deadlines(broker, self._expire_produce)
        self.parked: list[ParkedFetch] = []
        self.fetch_deadlines = Deadlines(broker, self._expire_fetch)
        self.sessions = FetchSessions()
        self.quota = leader_quota(broker)           # KIP-73; None when nothing is throttled
        self.verification = verification_for(broker)    # KIP-890; None when not in force
        self.deferred_due = -1          # when the last append deferred behind the disk is due

    def reset(self) -> None:
        """Drop volatile state (the process died)."""
        self.deferred_due = -1
        self.purgatory.clear()
        self.fetch_deadlines.clear()
        self.parked = []
        self.sessions.clear()
        if self.verification is not None:
            self.verification.reset()

    # -- produce -------------------------------------------------------------

    def produce(self, conn, rid, request) -> None:
        """Write the request's batches to disk, then append them (Log.append under the handler).

        A page-cache write that does not queue is applied at once and only delays
        the response; an fsync, a busy or a slow disk delays the append itself,
        so followers cannot fetch the data before it is written. Appends keep the order
        their requests arrived in (a connection is muted while its request is handled, a
        log appends under its lock): a write arriving as a deferred append comes due
        goes after it.
        """
        broker = self.broker
        now = broker.engine.now
        if broker.quotas is not None and broker.quotas.held(conn, now, self.produce, rid, request):
            return
        if self.verification is not None and self.verification.start(
                request, lambda errors, guards: self._write(conn, rid, request, errors, guards)):
            return
        self._write(conn, rid, request, None, None)

    def _write(self, conn, rid, request, errors, guards) -> None:
        """The disk write and append of what verification (if any) let through: errors
        answers pidx -> error at once, guards holds the verification guards (KIP-890)."""
        broker = self.broker
        now = broker.engine.now
        mine = [(broker.replicas[p], d) for p, d in request.batches
                if p in broker.replicas and broker.replicas[p].is_leader
                and not (errors and p in errors)]
        if not mine:
            self._produce_now(conn, rid, request, 0, False, errors, guards)
            return
        storage = broker.storage
        fsync = any(storage.needs_fsync(replica, data.count) for replica, data in mine)
        size = sum(data.size for _replica, data in mine) if storage.disk.throughput else 0
        delay = storage.disk.write(now, fsync, size)
        if delay > storage.disk.write_us:
            self.deferred_due = now + delay
            broker.timer(delay, self._produce_now, conn, rid, request, 0, fsync, errors, guards)
        elif self.deferred_due == now:
            broker.timer(0, self._produce_now, conn, rid, request, delay, fsync, errors, guards)
        else:
            self._produce_now(conn, rid, request, delay, fsync, errors, guards)

    def _produce_now(self, conn, rid, request, delay: int, fsync: bool, errors=None,
                     guards=None) -> None:
        now = self.broker.engine.now
        results, waiting = {}, []
        for pidx, data in request.batches:
            if errors and pidx in errors:
                results[pidx] = (errors[pidx], -1)
                continue
            guard = guards.get(pidx) if guards else None
            error, offset, replica, appended = self._append(pidx, data, request.acks, now, guard)
            results[pidx] = (error, offset)
            if appended and fsync:
                self.broker.storage.mark_flushed(replica, now)
            if error is None and request.acks == -1:
                waiting.append((replica, offset + data.count))
        quotas = self.broker.quotas
        size = 0 if quotas is None else _size(request)     # what the client's quota records
        if request.acks == 0:
            if quotas is not None:
                quotas.produce_throttle(conn, size, now)
            if any(error is not None for error, _offset in results.values()):
                conn.close_by_server()
            return
        if request.acks == 1 or not waiting:
            self._respond(conn, rid, results, size, delay)
            return
        delayed = DelayedProduce(conn, rid, results, len(waiting), size)
        for replica, required in waiting:
            replica.waiting.append((required, delayed))
        self.purgatory.add(request.timeout_us, delayed)
        for replica, _ in waiting:
            self.try_complete(replica)

    def _append(self, pidx, data, acks, now, guard=None):
        replica = self.broker.replicas.get(pidx)
        if replica is None or not replica.is_leader:
            return NOT_LEADER_OR_FOLLOWER, -1, replica, False
        if acks == -1 and len(replica.isr) < replica.info.min_isr:
            return NOT_ENOUGH_REPLICAS, -1, replica, False
        if data.size > replica.info.max_message_bytes:
            return MESSAGE_TOO_LARGE, -1, replica, False
        if data.pid >= 0:
            verdict, offset = replica.producers.check(
                data.pid, data.producer_epoch, data.base_sequence,
                data.base_sequence + data.count - 1, self.settings.kip_360, data.transactional)
            if verdict == DUPLICATE:
                return None, offset, replica, False
            if verdict is not None:
                return verdict, -1, replica, False
            if self.verification is not None and \
                    not self.verification.verified(replica, data, guard):
                return INVALID_TXN_STATE, -1, replica, False
        batch = Batch(replica.log.leo, data.count, replica.leader_epoch, data.producer,
                      data.first_seq, data.pid, data.producer_epoch, data.base_sequence,
                      data.size, now, data.transactional)
        info, trace = replica.info, self.broker.trace
        name = self.broker.producer_name(data.producer)
        trace.emit(BatchAppended(now, self.broker.id, info.topic, info.partition,
                                 batch.base_offset, batch.leader_epoch, name,
                                 data.first_seq, data.count))
        if data.transactional:
            trace.emit(TxnBatchAppended(now, self.broker.id, info.topic, info.partition,
                                        batch.base_offset, name, data.first_seq, data.count,
                                        data.pid))
        self.append_to_leader(replica, batch)
        return None, batch.base_offset, replica, True

    def append_to_leader(self, replica, batch) -> None:
        """Append a batch to the leader's log and its producer state; wake the fetches
        waiting for it; advance the HW if the ISR allows."""
        replica.wake_idle()
        replica.log.append(batch)
        replica.producers.record(batch)
        self._wake_parked(replica.info.pidx)
        self.maybe_increment_hw(replica)

    def try_complete(self, replica) -> None:
        """Re-check the DelayedProduces waiting here (checkEnoughReplicasReachOffset)."""
        if not replica.waiting:
            return
        still = []
        for required, delayed in replica.waiting:
            if delayed.done:
                continue
            error = self._produce_status(replica, required)
            if error is False:
                still.append((required, delayed))
            else:
                self._complete_partition(delayed, replica.info.pidx, error)
        replica.waiting = still

    def _produce_status(self, replica, required):
        if not replica.is_leader:
            return NOT_LEADER_OR_FOLLOWER
        if replica.log.hw >= required:
            ok = len(replica.maximal_isr) >= replica.info.min_isr
            return None if ok else NOT_ENOUGH_REPLICAS_AFTER_APPEND
        return False

    def fail_waiting(self, replica, error: str) -> None:
        for _required, delayed in replica.waiting:
            if not delayed.done:
                self._complete_partition(delayed, replica.info.pidx, error)
        replica.waiting = []

    def _complete_partition(self, delayed, pidx, error) -> None:
        if error is not None:
            delayed.results[pidx] = (error, delayed.results[pidx][1])
        delayed.pending -= 1
        if delayed.pending == 0:
            delayed.done = True
            self._finish(delayed)

    def _expire_produce(self, delayed) -> None:
        for pidx, (error, offset) in list(delayed.results.items()):
            replica = self.broker.replicas.get(pidx)
            if error is None and replica is not None and any(
                    d is delayed for _, d in replica.waiting):
                delayed.results[pidx] = (REQUEST_TIMED_OUT, offset)
        delayed.done = True
        self._finish(delayed)

    def _finish(self, delayed) -> None:
        if delayed.on_done is not None:
            delayed.on_done(delayed.results)
        else:
            self._respond(delayed.conn, delayed.rid, delayed.results, delayed.size)

    def _respond(self, conn, rid, results, size: int, delay: int = 0) -> None:
        """Answer a produce request, after recording it against the client's quota
        (KafkaApis.handleProduceRequest's sendResponseCallback)."""
        throttle_ms, extra_us = 0, delay
        if self.broker.quotas is not None:
            throttle_ms, extra_us = self.broker.quotas.produce_throttle(
                conn, size, self.broker.engine.now, delay)
        conn.respond(rid, ProduceResponse(results, throttle_ms), extra_us=extra_us)

    # -- high watermark ------------------------------------------------------

    def maybe_increment_hw(self, replica) -> None:
        """Advance the leader's HW if it may move, and complete what that unblocks."""
        s = self.settings
        now = self.broker.engine.now
        old_hw = replica.log.hw
        if replica.maybe_increment_hw(now, s.replica_lag_time_max_us, self.broker.image.eligible,
                                      s.strict_min_isr):
            info, log = replica.info, replica.log
            self.broker.trace.emit(HighWatermark(now, self.broker.id, info.topic, info.partition,
                                                 replica.leader_epoch, log.hw, log.leo))
            trace = self.broker.trace
            if replica.producers.transactional:
                trace.emit(StableOffset(now, self.broker.id, info.topic, info.partition,
                                        replica.producers.last_stable_offset(log)))
            trace.emit(HwAdvanced(now, self.broker.id, info.pidx,
                                  replica.leader_epoch, old_hw, log.hw, log.leo))
            if trace.observed(RecordsCommitted):
                trace.emit(RecordsCommitted(now, info.topic, info.partition,
                                            log.read_range(old_hw, log.hw)))
            self.try_complete(replica)
            self.broker.reads.hw_advanced(info.pidx)

    # -- follower fetch ------------------------------------------------------

    def fetch(self, conn, rid, request) -> None:
        """A follower fetch: answered now, or parked until there is something new or
        `replica.fetch.wait.max.ms` passes (DelayedFetch)."""
        parked = ParkedFetch(conn, rid, request)
        if not self._serve(parked, may_park=True):
            self.parked.append(parked)
            self.fetch_deadlines.add(request.max_wait_us, parked)

    def _serve(self, parked, may_park: bool) -> bool:
        """Read every partition of a follower fetch (ReplicaManager.fetchMessages, readFromLog)
        and answer it, unless may_park and nothing is new: no records, errors or divergence.

        A partition idle in the follower's fetch session (the same fetch state as when
        it was last read, and nothing changed on the leader since) costs nothing: its
        read would only record the follower as caught up now, which the session's read
        time says for all of them (fetch_session.py). The others are read one by one.
        The response carries only what changed in the session.
        """
        request = parked.request
        session = self.sessions.get(request)
        now = self.broker.engine.now
        if session is None:
            known, idle, previous_us = None, {}, now
        else:
            known, idle, previous_us = session.last_sent, session.idle, session.read_us
            session.read_us = now
        out, quiet, urgent, skipped = {}, [], False, 0
        left, fetched = self.settings.replica_fetch_response_max_bytes, 0
        for pidx, fp in request.partitions.items():
            entry = idle.get(pidx)
            if entry is not None:
                if entry[0] == fp:
                    skipped += 1
                    continue
                session.evict(pidx, previous_us)
            data, news = self._read(pidx, fp, request, known, quiet, left, fetched == 0)
            if data is not None:
                out[pidx] = data
                if data.batches:
                    size = sum(batch.size for batch in data.batches)
                    fetched += size
                    left = left - size if left > size else 0
                elif news:
                    urgent = True
        if skipped < len(idle):
            session.evict_absent(request.partitions, previous_us)
        ready = not may_park or urgent or fetched >= self.settings.replica_fetch_min_bytes
        if ready:
            if self.quota is not None:
                self._record_throttled(out, now)
            parked.done = True
            self.sessions.sent(request, out)
            parked.conn.respond(parked.rid, FetchResponse(out))
        if quiet and session is not None:
            session.rest(quiet)
        return ready

    def _read(self, pidx, fp, request, known, quiet, left: int, first: bool
              ) -> tuple[FetchData | None, bool]:
        """One partition of a follower fetch: (what the response carries or None, is it news),
        reading at most `left` bytes of the response (at least one batch if `first`).

        On a read: the follower's fetch state (Partition.updateFollowerFetchState), an
        ISR expansion, a HW advance if its LEO moved. A follower in the ISR at the
        leader's LEO is `quiet`: unless its HW or log start was not sent yet, it goes idle.
        """
        replica = self.broker.replicas.get(pidx)
        if replica is None or not replica.is_leader:
            return FetchData(NOT_LEADER_OR_FOLLOWER, -1, 0, (), None, -1), True
        log = replica.log
        error, diverging = fetch_decision(log, replica.leader_epoch, fp, self.settings.truncation)
        if diverging is not None or error == OFFSET_OUT_OF_RANGE:
            return FetchData(error, log.hw, log.log_start, (), diverging, log.leo), True
        if error is not None:
            return FetchData(error, -1, 0, (), None, -1), True
        follower, fetch_offset, leo = request.replica, fp.fetch_offset, log.leo
        if replica.stale_fetch(follower, request.broker_epoch):
            return FetchData(NOT_LEADER_OR_FOLLOWER, -1, 0, (), None, -1), True
        if not replica.is_follower(follower):
            # Partition.followerReplicaOrThrow: not an assigned replica in this leader's view
            # (a reassignment's new replica that learned of it first): the follower retries
            return FetchData(UNKNOWN_LEADER_EPOCH, -1, 0, (), None, -1), True
        hw = log.hw                     # read before the follower's state moves it (one round late)
        moved = replica.update_follower(follower, fetch_offset, self.broker.engine.now,
                                        request.broker_epoch)
        if follower not in replica.isr:
            self._note_out_of_sync(replica, follower)
            if self._current_epoch(request) and \
                    replica.should_expand(follower, self.broker.image.eligible):
                self.broker.alter_isr(replica, tuple(sorted(replica.isr + (follower,))))
        elif fetch_offset == leo:
            quiet.append((pidx, fp, replica))
        if moved:
            self.maybe_increment_hw(replica)
        if fetch_offset < leo and (self.quota is None
                                   or not self._throttled(pidx, replica, follower)):
            limit = request.max_bytes if request.max_bytes < left else left
            batches = log.read(fetch_offset, limit, first)
            return FetchData(None, hw, log.log_start, batches, None, leo), True
        if known is None or known.get(pidx) != (hw, log.log_start):
            return FetchData(None, hw, log.log_start, (), None, leo), False
        return None, False

    def _note_out_of_sync(self, replica, follower: int) -> None:
        """The probe of the summary's catch-up time (max_catch_up_s), when observed."""
        trace = self.broker.trace
        if trace.observed(OutOfSyncFetch):
            info = replica.info
            trace.emit(OutOfSyncFetch(self.broker.engine.now, self.broker.id, follower,
                                      info.topic, info.partition))

    def _throttled(self, pidx: int, replica, follower: int) -> bool:
        """ReplicaManager.shouldLeaderThrottle: a throttled partition, a follower outside its
        ISR, and the leader's quota exceeded: the fetch reads none of its records."""
        quota = self.quota
        return pidx in quota.partitions and follower not in replica.isr and \
            quota.exceeded(self.broker.engine.now)

    def _record_throttled(self, out: dict, now: int) -> None:
        """Record the bytes a follower fetch response carries for throttled partitions, in-sync
        followers' too (KafkaApis.sizeOfThrottledPartitions)."""
        quota = self.quota
        size = sum(batch.size for pidx, data in out.items() if pidx in quota.partitions
                   for batch in data.batches)
        if size:
            quota.record(size, now)

    def _current_epoch(self, request) -> bool:
        """Does the fetch come from the follower's current registration (KRaft ISR eligibility)?"""
        state = self.broker.image.brokers.get(request.replica)
        return state is not None and state.broker_epoch == request.broker_epoch

    def _wake_parked(self, pidx) -> None:
        if not self.parked:
            return
        # a fetch woken by new data still waits for `replica.fetch.min.bytes` when more than
        # one byte is needed or the data may be throttled (DelayedFetch counts no bytes of it)
        quota = self.quota
        keep, may_park = [], self.settings.replica_fetch_min_bytes > 1 or (
            quota is not None and pidx in quota.partitions)
        for parked in self.parked:
            if parked.done:
                continue
            if pidx not in parked.request.partitions or not self._serve(
                    parked, may_park=may_park):
                keep.append(parked)
        self.parked = keep

    def wake_all_parked(self) -> None:
        parked, self.parked = self.parked, []
        for p in parked:
            if not p.done:
                self._serve(p, may_park=False)

    def _expire_fetch(self, parked) -> None:
        self._serve(parked, may_park=False)


def _size(request) -> int:
    """A produce request's bytes: its batches' sizes."""
    return sum(data.size for _pidx, data in request.batches)
