"""A broker's handling of WriteTxnMarkers (KafkaApis.handleWriteTxnMarkersRequest, KIP-98).

The transaction coordinator sends the outcome of each transaction to the leaders of its
partitions. For every marker and partition the broker appends a one-record control batch
(COMMIT or ABORT) with the marker's producer id and epoch and the coordinator's epoch,
through the leader's append path with acks=all (ReplicaManager.appendRecords, origin
COORDINATOR, timeout the broker's `request.timeout.ms`): a partition this broker does not
host gets UNKNOWN_TOPIC_OR_PARTITION; one it does not lead NOT_LEADER_OR_FOLLOWER; an ISR
below min ISR NOT_ENOUGH_REPLICAS; a marker from a producer epoch older than the
partition's producer state INVALID_PRODUCER_EPOCH, from an older coordinator epoch
TRANSACTION_COORDINATOR_FENCED (ProducerAppendInfo.appendEndTxnMarker). An appended
marker is answered once the HW passes it, or with the acks=all errors of a produce
(NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT). The
response (pid -> {partition: error}) goes out when every marker is answered. Markers are
written to disk like produced batches, and are exempt from client quotas.
Followers replicate control batches like any batch. Once a marker is answered, the group
coordinator completes the producer id's pending transactional offsets on each
`__consumer_offsets` partition where it was written without error (txn_offsets.py;
KafkaApis' maybeSendResponseCallback calling GroupCoordinator.onTransactionCompleted).
"""

from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.protocol import (
    NOT_ENOUGH_REPLICAS,
    NOT_LEADER_OR_FOLLOWER,
    WriteTxnMarkersResponse,
)
from sim.cluster.replica_manager import DelayedProduce
from sim.cluster.topology import OFFSETS_TOPIC
from sim.core.records import MarkerAppended
from sim.core.units import MS

UNKNOWN_TOPIC_OR_PARTITION = "UNKNOWN_TOPIC_OR_PARTITION"
MARKER_TIMEOUT_US = 30_000 * MS         # the broker's request.timeout.ms (KafkaConfig default)


class MarkerWrite:
    """One WriteTxnMarkers in progress: the markers still to be answered and the errors."""

    __slots__ = ("conn", "rid", "pending", "results")

    def __init__(self, conn, rid, pending: int) -> None:
        self.conn, self.rid, self.pending = conn, rid, pending
        self.results: dict[int, dict] = {}

    def done(self, pid: int, errors: dict) -> None:
        self.results.setdefault(pid, {}).update(errors)
        self.pending -= 1
        if self.pending == 0:
            self.conn.respond(self.rid, WriteTxnMarkersResponse(self.results))


class TxnMarkerWriter:
    """Appends the transaction markers the coordinator sends to this broker's leaders."""

    def __init__(self, broker) -> None:
        self.broker = broker

    def write(self, conn, rid, request) -> None:
        """Charge the markers' bytes to the disk, then append them."""
        broker = self.broker
        if not request.markers:
            conn.respond(rid, WriteTxnMarkersResponse({}))
            return
        now = broker.engine.now
        storage = broker.storage
        led = [broker.replicas[p] for m in request.markers for p in m.pidxs
               if p in broker.replicas and broker.replicas[p].is_leader]
        fsync = any(storage.needs_fsync(replica, 1) for replica in led)
        size = CONTROL_BATCH_SIZE * len(led) if storage.disk.throughput else 0
        delay = storage.disk.write(now, fsync, size)
        if delay > storage.disk.write_us:
            broker.timer(delay, self._write_now, conn, rid, request, fsync)
        else:
            self._write_now(conn, rid, request, fsync)

    def _write_now(self, conn, rid, request, fsync: bool) -> None:
        write = MarkerWrite(conn, rid, len(request.markers))
        for marker in request.markers:
            self._append_marker(write, marker, fsync)

    def _append_marker(self, write: MarkerWrite, marker, fsync: bool) -> None:
        """Append one marker to each of its partitions; answer when all are replicated."""
        broker = self.broker
        manager = broker.manager
        results, waiting = {}, []
        for pidx in marker.pidxs:
            error, replica = self._append(pidx, marker)
            results[pidx] = (error, -1)
            if error is None:
                waiting.append((replica, replica.log.leo))
                if fsync:
                    broker.storage.mark_flushed(replica, broker.engine.now)
        if not waiting:
            write.done(marker.pid, {p: e for p, (e, _) in results.items()})
            return
        delayed = DelayedProduce(None, None, results, len(waiting),
                                 on_done=lambda r: self._written(write, marker, r))
        for replica, required in waiting:
            replica.waiting.append((required, delayed))
        manager.purgatory.add(MARKER_TIMEOUT_US, delayed)
        for replica, _ in waiting:
            manager.try_complete(replica)

    def _written(self, write: MarkerWrite, marker, results: dict) -> None:
        """The marker is answered: complete its offsets, then report it."""
        offsets = [p for p, (error, _) in results.items()
                   if error is None and self.broker.replicas[p].info.topic == OFFSETS_TOPIC]
        if offsets:
            self.broker.coordinator.txn_offsets.complete(marker.pid, marker.result, offsets)
        write.done(marker.pid, {p: e for p, (e, _) in results.items()})

    def _append(self, pidx: int, marker):
        """(error or None, the replica) of appending marker's control batch to pidx."""
        broker = self.broker
        replica = broker.replicas.get(pidx)
        if replica is None or not replica.hosted:
            return UNKNOWN_TOPIC_OR_PARTITION, replica
        if not replica.is_leader:
            return NOT_LEADER_OR_FOLLOWER, replica
        if len(replica.isr) < replica.info.min_isr:
            return NOT_ENOUGH_REPLICAS, replica
        error = replica.producers.check_marker(marker.pid, marker.producer_epoch,
                                               marker.coordinator_epoch)
        if error is not None:
            return error, replica
        now = broker.engine.now
        batch = Batch(replica.log.leo, 1, replica.leader_epoch, -1, -1, marker.pid,
                      marker.producer_epoch, -1, CONTROL_BATCH_SIZE, now, False, marker.result,
                      marker.coordinator_epoch)
        info = replica.info
        broker.trace.emit(MarkerAppended(now, broker.id, info.topic, info.partition,
                                         batch.base_offset, batch.leader_epoch, marker.pid,
                                         marker.producer_epoch, marker.result))
        broker.manager.append_to_leader(replica, batch)
        return None, replica
