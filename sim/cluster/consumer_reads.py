"""The leader side of consumer reads: Fetch from a consumer and ListOffsets.

A consumer fetch (replica id -1) is checked against the leader epoch the
consumer believes in (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH, KIP-320)
and the log's range (OFFSET_OUT_OF_RANGE below the log start or past the
log end), and answered with whole batches below the high watermark
(read_uncommitted), up to `max.partition.fetch.bytes` per partition and
`fetch.max.bytes` in all, in the request's partition order; the first batch of
the first partition with data goes even when larger than both (KIP-74,
ReplicaManager.readFromLog: minOneMessage), a later partition whose next batch
does not fit in what is left gets nothing. With fewer than `fetch.min.bytes`
to return (and no error) it waits in purgatory (DelayedFetch) until that many
bytes are there, each high-watermark advance of one of its partitions
checking again, or `fetch.max.wait.ms` ends, when it answers what there is.
ListOffsets answers the log start (earliest), the high watermark (latest)
or the first offset appended at or after a time.

Fetch from followers (KIP-392): a fetch that carries the consumer's `client.rack` (Fetch
v11's client metadata) may be served by any replica (FetchParams.fetchOnlyLeader is false):
a follower checks the epoch, then answers from its own log below its own high watermark,
OFFSET_OUT_OF_RANGE past its own LEO, and wakes the reads parked on it when its high
watermark moves (ReplicaFetcherThread.completeDelayedFetchRequests). A leader with
`replica.selector.class` asks the selector (replica_selector.py) first: a preferred read
replica is answered at once, with the leader's offsets and no records
(ReplicaManager.readFromLog skips the read; fetchMessages responds immediately). A fetch
without a rack is served by the leader only, as before.

Isolation (KIP-98): a READ_COMMITTED fetch reads only below the last stable offset
(UnifiedLog's FetchIsolation.TXN_COMMITTED; producer_state.py) instead of the high
watermark, and its answer carries the LSO and the aborted transactions overlapping the range
it returns (UnifiedLog.collectAbortedTransactions, txn_index.py), which the consumer drops;
a READ_COMMITTED ListOffsets for the latest offset answers the LSO. A read parked on a
partition is woken when its high watermark moves, which is also when its LSO moves.

Left out: consumer-side divergence checks after unclean elections
(OffsetsForLeaderEpoch validation).
"""

from sim.cluster.deadlines import Deadlines
from sim.cluster.protocol import (
    EARLIEST,
    FENCED_LEADER_EPOCH,
    LATEST,
    NOT_LEADER_OR_FOLLOWER,
    OFFSET_OUT_OF_RANGE,
    READ_COMMITTED,
    UNKNOWN_LEADER_EPOCH,
    FetchData,
    FetchResponse,
    ListOffsetsResponse,
)
from sim.cluster.replica_manager import ParkedFetch
from sim.cluster.replica_selector import NONE, preferred_read_replica


class ConsumerReads:
    """Serves consumers from the partitions a broker leads."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.parked: dict[int, list[ParkedFetch]] = {}     # pidx -> reads waiting on it
        self.deadlines = Deadlines(broker, self._expire)

    def reset(self) -> None:
        self.parked = {}
        self.deadlines.clear()

    def fetch(self, conn, rid, request) -> None:
        quotas = self.broker.quotas
        if quotas is not None and quotas.held(conn, self.broker.engine.now, self.fetch, rid,
                                              request):
            return
        read = ParkedFetch(conn, rid, request)
        if self._serve(read, may_park=True):
            return
        for pidx in request.partitions:
            self.parked.setdefault(pidx, []).append(read)
        self.deadlines.add(request.max_wait_us, read)

    def hw_advanced(self, pidx: int) -> None:
        """Wake the reads waiting on a partition whose high watermark moved; one that asks
        for more than a byte answers only once fetch.min.bytes are there
        (DelayedFetch.tryComplete), a READ_COMMITTED one only once there is data below the
        LSO (which a hanging transaction holds back), else it waits on that partition again."""
        waiting = self.parked.pop(pidx, None)
        if waiting:
            for read in waiting:
                if not read.done:
                    may_park = read.request.min_bytes > 1 or \
                        read.request.isolation_level == READ_COMMITTED
                    if not self._serve(read, may_park) and may_park:
                        self.parked.setdefault(pidx, []).append(read)

    def leadership_lost(self, pidx: int) -> None:
        self.hw_advanced(pidx)

    def _expire(self, read) -> None:
        self._serve(read, may_park=False)

    def _serve(self, read, may_park: bool) -> bool:
        request = read.request
        if request.min_bytes > 1 or \
                len(request.partitions) * request.max_bytes > request.response_max_bytes:
            return self._serve_sized(read, may_park)
        out, ready = {}, not may_park
        max_bytes = request.max_bytes
        rack = request.rack_id
        for pidx, fp in request.partitions.items():
            data = self._read(pidx, fp, max_bytes, True, rack, request.isolation_level)
            out[pidx] = data
            if data.error is not None or data.batches or data.preferred_read_replica != NONE:
                ready = True
        if ready:
            self._answer(read, out)
        return ready

    def _serve_sized(self, read, may_park: bool) -> bool:
        """_serve with fetch.max.bytes across partitions and fetch.min.bytes (KIP-74)."""
        request = read.request
        out, ready, left, total = {}, not may_park, request.response_max_bytes, 0
        for pidx, fp in request.partitions.items():
            data = self._read(pidx, fp, min(request.max_bytes, left), total == 0,
                              request.rack_id, request.isolation_level)
            out[pidx] = data
            size = sum(b.size for b in data.batches)
            total += size
            left = max(left - size, 0)
            ready = ready or data.error is not None or data.preferred_read_replica != NONE
        if ready or total >= request.min_bytes:
            self._answer(read, out)
            return True
        return False

    def _answer(self, read, out: dict) -> None:
        read.done = True
        if self.broker.quotas is None:
            read.conn.respond(read.rid, FetchResponse(out))
        else:
            self._respond_throttled(read, out)

    def _respond_throttled(self, read, out: dict) -> None:
        """Answer a fetch recorded against the client's quota (quotas.py): from 2.0 a
        throttled answer carries no records."""
        size = sum(b.size for data in out.values() for b in data.batches)
        throttle_ms, hold = self.broker.quotas.fetch_throttle(read.conn, size,
                                                              self.broker.engine.now)
        if throttle_ms:
            out = {pidx: data._replace(batches=()) for pidx, data in out.items()}
        read.conn.respond(read.rid, FetchResponse(out, throttle_ms), extra_us=hold)

    def _read(self, pidx: int, fp, max_bytes: int, min_one: bool = True,
              rack: str | None = None, isolation: int = 0) -> FetchData:
        """One partition of a consumer fetch; `rack` is the consumer's client.rack (KIP-392),
        with which a follower serves it too and a leader may name a preferred read replica;
        `isolation` its isolation level."""
        replica = self.broker.replicas.get(pidx)
        if replica is None or not (replica.is_leader or rack is not None):
            return FetchData(NOT_LEADER_OR_FOLLOWER, -1, 0, (), None, -1)
        if fp.current_leader_epoch >= 0 and fp.current_leader_epoch != replica.leader_epoch:
            error = (FENCED_LEADER_EPOCH if fp.current_leader_epoch < replica.leader_epoch
                     else UNKNOWN_LEADER_EPOCH)
            return FetchData(error, -1, 0, (), None, -1)
        log = replica.log
        if rack is not None and replica.is_leader and self.broker.settings.rack_aware_selector:
            broker = self.broker
            preferred = preferred_read_replica(replica, fp.fetch_offset, rack,
                                               broker.settings.racks, broker.image,
                                               broker.engine.now)
            if preferred != NONE:
                return FetchData(None, log.hw, log.log_start, (), None, log.leo, preferred)
        if fp.fetch_offset > log.leo or fp.fetch_offset < log.log_start:
            return FetchData(OFFSET_OUT_OF_RANGE, log.hw, log.log_start, (), None, log.leo)
        committed = isolation == READ_COMMITTED
        upper = replica.producers.last_stable_offset(log) if committed else log.hw
        batches = ()
        if fp.fetch_offset < upper:
            batches = tuple(b for b in log.read(fp.fetch_offset, max_bytes)
                            if b.base_offset < upper)
            if not min_one and batches and batches[0].size > max_bytes:
                batches = ()
        if not committed:
            return FetchData(None, log.hw, log.log_start, batches, None, log.leo)
        end = batches[-1].end_offset if batches else fp.fetch_offset
        return FetchData(None, log.hw, log.log_start, batches, None, log.leo,
                         last_stable_offset=upper,
                         aborted=replica.producers.aborted.collect(fp.fetch_offset, end))

    def list_offsets(self, request) -> ListOffsetsResponse:
        out = {}
        for pidx, timestamp in request.partitions.items():
            replica = self.broker.replicas.get(pidx)
            if replica is None or not replica.is_leader:
                out[pidx] = (NOT_LEADER_OR_FOLLOWER, -1)
                continue
            log = replica.log
            if timestamp == EARLIEST:
                out[pidx] = (None, log.log_start)
            elif timestamp == LATEST:
                out[pidx] = (None, replica.producers.last_stable_offset(log)
                             if request.isolation_level == READ_COMMITTED else log.hw)
            else:
                out[pidx] = (None, next((b.base_offset for b in log.batches
                                         if b.append_us >= timestamp and b.base_offset < log.hw),
                                        log.hw))
        return ListOffsetsResponse(out)
