"""The follower side of replication: one fetcher per (follower broker, leader broker).

The fetcher sends one Fetch for all the partitions it follows on that leader,
each at the follower's LEO with the epoch of its latest batch, and sends the
next as soon as the answer is written to disk. The partitions one metadata
update gives it join together, before it fetches (ReplicaFetcherManager.
addFetcherForPartitions hands the thread all of them at once). The answer
carries only the partitions that changed in the fetcher's session (KIP-227,
fetch_session.py).
Older releases (`cluster.protocol replica.truncation`): with `kip-101` the epoch
goes out only on the first fetch after a leader change and the follower
truncates once to the leader's pre-KIP-279 answer; with `high-watermark` it
never goes out, and the broker truncated the log to its own high watermark when
it became a follower. It appends what comes back (no sequence checks; producer
state remembered), sets its HW to min(leader HW, own LEO) (waking the consumer fetches
parked on it, KIP-392), and truncates when
the leader reports a diverging epoch
(AbstractFetcherThread.getOffsetTruncationState): to the smaller of the two end
offsets of that epoch when it knows the epoch, else to the end of its own
largest earlier epoch, and asks again (the KIP-279 loop). An offset out of range
truncates to the leader's LEO, or, below the leader's log start, starts the log
afresh there. The follower raises its log start to the leader's
(maybeIncrementLogStartOffset); its retention check then deletes the segments
below it. A compacted log may skip offsets between batches. Errors and lost
requests back off for `replica.fetch.backoff.ms`. While the broker's follower replication
quota is exceeded, a throttled partition that is not in sync stays out of the fetch; a
fetcher with nothing left to ask waits `replica.fetch.backoff.ms` (KIP-73,
replication_quota.py).
"""

from sim.cluster.fetch_session import NO_SESSION
from sim.cluster.log import UNDEFINED
from sim.cluster.protocol import OFFSET_OUT_OF_RANGE, FetchPartition, FetchRequest
from sim.cluster.replication import out_of_range_truncation, truncation_offset
from sim.cluster.rpc import Failure
from sim.cluster.settings import REQUEST_TIMEOUT_US


class ReplicaFetcher:
    """Fetches the partitions a broker follows from one leader."""

    def __init__(self, broker, leader: int) -> None:
        self.broker = broker
        self.leader = leader
        self.partitions: dict[int, int] = {}       # pidx -> not before (backoff), us
        self.asking: dict[int, FetchPartition] = {}   # pidx -> its fetch state, until it changes
        self.inflight = False
        self.wake_at = -1
        self.conn = broker.connection_to(leader)
        self.session = NO_SESSION               # start() opens one
        self.added = False
        self.lag: dict[int, int] = {}           # pidx -> its lag behind the leader's HW (none
                                                # until its first fetch): with a follower quota

    def add(self, pidx: int) -> None:
        """Follow pidx here, from `start` on."""
        self.partitions[pidx] = 0
        self.asking.pop(pidx, None)
        self.lag.pop(pidx, None)
        self.added = True

    def start(self) -> None:
        """Fetch the partitions added since the last start, with the others; a new fetch
        session, so its first response is whole."""
        if self.added:
            self.added = False
            self.session = self.broker.ctx.ids.new_fetch_session()
            self.maybe_fetch()

    def remove(self, pidx: int) -> None:
        self.partitions.pop(pidx, None)
        self.asking.pop(pidx, None)
        self.lag.pop(pidx, None)

    def maybe_fetch(self, extra_us: int = 0) -> None:
        """Send the next fetch unless one is in flight or every partition is backing off.

        A partition's fetch state changes only when this fetcher handles an answer for
        it or it joins again (a new leader or epoch), so it is built only then.
        """
        if self.inflight or not self.partitions:
            return
        broker = self.broker
        now, asking = broker.engine.now, self.asking
        asked = {}
        for pidx, not_before in self.partitions.items():
            if not_before <= now:
                fp = asking.get(pidx)
                if fp is None:
                    fp = asking[pidx] = self._fetch_state(broker.replicas[pidx])
                asked[pidx] = fp
        quota = broker.follower_quota
        if quota is not None and asked:
            self._leave_throttled(asked, quota, now)
            if not asked:
                self._wake(min([t for t in self.partitions.values() if t > now]
                               + [now + broker.settings.replica_fetch_backoff_us]))
                return
        if not asked:
            self._wake(min(self.partitions.values()))
            return
        s = broker.settings
        request = FetchRequest(broker.id, broker.broker_epoch, asked,
                               s.replica_fetch_wait_max_us, s.replica_fetch_max_bytes, self.session)
        self.inflight = True
        self.conn.request(request, self._on_response, REQUEST_TIMEOUT_US, extra_us=extra_us)

    def _leave_throttled(self, asked: dict, quota, now: int) -> None:
        """RemoteLeaderEndPoint.shouldFollowerThrottle: while the follower quota is exceeded,
        leave out the throttled partitions that are not in sync (PartitionFetchState.
        isReplicaInSync: their last fetch with records reached the leader's HW)."""
        throttled = [pidx for pidx in asked if pidx in quota.partitions and self.lag.get(pidx, 1)]
        if throttled and quota.exceeded(now):
            for pidx in throttled:
                del asked[pidx]

    def _fetch_state(self, replica) -> FetchPartition:
        """The follower's LEO, the epoch the leader should check: always (KIP-279), once after
        a leader change (KIP-101's OffsetsForLeaderEpoch), or never (truncation to the high
        watermark), and the leader epoch it knows."""
        mode = self.broker.settings.truncation
        log = replica.log
        if mode == "kip-279" or (mode == "kip-101" and replica.epoch_check):
            return FetchPartition(log.leo, log.latest_epoch, replica.leader_epoch)
        return FetchPartition(log.leo, UNDEFINED, replica.leader_epoch)

    def _wake(self, at: int) -> None:
        if self.wake_at >= 0 and self.wake_at <= at:
            return
        self.wake_at = at
        self.broker.timer(at - self.broker.engine.now, self._woken, at)

    def _woken(self, at: int) -> None:
        if at == self.wake_at:
            self.wake_at = -1
            self.maybe_fetch()

    def _on_response(self, response) -> None:
        self.inflight = False
        if self.broker.fetchers.get(self.leader) is not self:
            return
        now = self.broker.engine.now
        backoff = now + self.broker.settings.replica_fetch_backoff_us
        if isinstance(response, Failure):
            for pidx in self.partitions:
                self.partitions[pidx] = backoff
            self.maybe_fetch()
            return
        delay, asking = 0, self.asking
        for pidx, data in response.partitions.items():
            if pidx not in self.partitions:
                continue
            asking.pop(pidx, None)
            delay = max(delay, self._handle(pidx, data, backoff))
        self.maybe_fetch(extra_us=delay)

    def _handle(self, pidx, data, backoff) -> int:
        replica = self.broker.replicas[pidx]
        if replica.is_leader or replica.leader != self.leader:
            return 0
        if data.diverging is not None:
            if self.broker.settings.truncation == "kip-101":
                self._truncate_kip101(replica, data.diverging[1])
            else:
                self._truncate_diverging(replica, data.diverging)
            return 0
        if data.error is None:
            replica.epoch_check = False
        if data.error == OFFSET_OUT_OF_RANGE:
            self._out_of_range(replica, data)
            return 0
        if data.error is not None:
            self.partitions[pidx] = backoff
            return 0
        if self.broker.follower_quota is None:
            return self._append(replica, data)
        leo = replica.log.leo
        delay = self._append(replica, data)
        self._throttle_books(pidx, replica.log.leo, leo, data)
        return delay

    def _throttle_books(self, pidx: int, leo: int, leo_before: int, data) -> None:
        """With a follower quota: record the bytes of a throttled partition's records
        (ReplicaFetcherThread.processPartitionData), and the partition's lag behind the
        leader's HW after a fetch that appended records, or its first
        (AbstractFetcherThread.processFetchRequest)."""
        quota = self.broker.follower_quota
        if pidx in quota.partitions and data.batches:
            quota.record(sum(batch.size for batch in data.batches), self.broker.engine.now)
        if leo != leo_before or pidx not in self.lag:
            self.lag[pidx] = max(0, data.hw - leo)

    def _append(self, replica, data) -> int:
        log = replica.log
        appended, size = False, 0
        for batch in data.batches:
            if batch.base_offset < log.leo:
                if batch.end_offset > log.leo:
                    break                   # straddles our end: not the same history
                continue
            log.append(batch)
            replica.producers.record(batch)
            appended = True
            size += batch.size
        hw = log.hw
        log.update_hw(data.hw)
        if log.hw != hw and self.broker.reads.parked:
            self.broker.reads.hw_advanced(replica.info.pidx)    # consumers reading here (KIP-392)
        log.advance_start(data.log_start)
        if not appended:
            return 0
        return self.broker.storage.write(replica, self.broker.engine.now, size)

    def _truncate_diverging(self, replica, diverging) -> None:
        target = truncation_offset(replica.log, diverging)
        self.broker.storage.truncate(replica, target, "diverging_epoch")

    def _truncate_kip101(self, replica, end: int) -> None:
        """KIP-101 before KIP-279: truncate once to the leader's answer (to the high
        watermark when it has none), whether or not the logs agree below it."""
        replica.epoch_check = False
        log = replica.log
        target = log.hw if end == UNDEFINED else min(end, log.leo)
        self.broker.storage.truncate(replica, max(target, log.log_start), "diverging_epoch")

    def _out_of_range(self, replica, data) -> None:
        target = out_of_range_truncation(replica.log, data.leader_leo, data.log_start)
        if target is not None:
            self.broker.storage.truncate(replica, target, "out_of_range")
        if target == 0:
            replica.log.start_at(data.log_start)
