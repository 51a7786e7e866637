"""The transaction coordinator's marker channel: WriteTxnMarkers to the partitions' leaders.

Once a transaction's PrepareCommit or PrepareAbort is in the transaction log, its coordinator
writes a COMMIT or ABORT marker to every partition of the transaction
(TransactionMarkerChannelManager): the partitions are grouped by their current leader in
the broker's metadata image and each leader gets one WriteTxnMarkers request, on the
channel's own connections. The answers are handled as TransactionMarkerRequestCompletionHandler
does: a written partition is done; a retriable error (the leader moved, not enough replicas,
a timeout) sends that partition again to its leader looked up afresh; INVALID_PRODUCER_EPOCH or
TRANSACTION_COORDINATOR_FENCED mean a newer producer or coordinator took over, and the
transaction's markers are dropped; a disconnect or a request timeout sends the whole request
again. A partition without a known leader waits and is looked up again. When every partition
has its marker the coordinator writes CompleteCommit or CompleteAbort.

A pending transaction belongs to the coordinator epoch (the txn partition's leader epoch)
that decided it: answers that come back after that coordinator lost the partition are
ignored, as the completion handler's coordinator-epoch check does.

Simplified: a resend waits `retry.backoff.ms` (100 ms) rather than the next turn of Kafka's
send thread; markers of different transactions to the same broker are not coalesced into one
request.
"""

from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    INVALID_PRODUCER_EPOCH,
    NOT_ENOUGH_REPLICAS,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    NOT_LEADER_OR_FOLLOWER,
    REQUEST_TIMED_OUT,
    TRANSACTION_COORDINATOR_FENCED,
    TxnMarker,
    WriteTxnMarkers,
)
from sim.cluster.rpc import Connections, Failure
from sim.core.units import MS

MARKER_REQUEST_TIMEOUT_US = 30_000 * MS     # the broker's request.timeout.ms
RETRY_BACKOFF_US = 100 * MS                 # the inter-broker client's retry.backoff.ms
RETRIABLE = frozenset(("UNKNOWN_TOPIC_OR_PARTITION", NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS,
                       NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT,
                       "KAFKA_STORAGE_ERROR"))
FENCED = frozenset((INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED))
REMOVED = frozenset(("UNSUPPORTED_FOR_MESSAGE_FORMAT", "UNSUPPORTED_VERSION"))


class PendingComplete:
    """PendingCompleteTxn: a decided transaction whose markers are being written."""

    __slots__ = ("meta", "coordinator_epoch", "transit", "result", "remaining", "cancelled")

    def __init__(self, meta, coordinator_epoch: int, transit, result: str) -> None:
        self.meta, self.coordinator_epoch, self.transit = meta, coordinator_epoch, transit
        self.result = result
        self.remaining = set(meta.pidxs)
        self.cancelled = False


class TxnMarkerChannel:
    """The markers one broker's transaction coordinator has to write."""

    def __init__(self, coordinator) -> None:
        self.coordinator = coordinator
        self.broker = coordinator.broker
        self.pending: dict[str, PendingComplete] = {}
        self.conns = Connections(self.broker.net, self.broker,
                                 self.broker.nodes.brokers.__getitem__)

    def add(self, coordinator_epoch: int, result: str, meta, transit) -> None:
        """addTxnMarkersToSend: write `result` to every partition of the transaction; then
        the coordinator completes `transit`."""
        entry = PendingComplete(meta, coordinator_epoch, transit, result)
        self.pending[meta.transactional_id] = entry
        if entry.remaining:
            self._send(entry, sorted(entry.remaining))
        else:       # no partition (transaction.version 2's empty abort): complete next turn
            self.broker.timer(0, self._complete_if_current, entry)

    def _complete_if_current(self, entry: PendingComplete) -> None:
        if self._current(entry):
            self.coordinator.write_completion(entry)

    def remove_for_partition(self, txn_pidx: int) -> None:
        """removeMarkersForTxnTopicPartition: the coordinator lost a txn partition."""
        pidx_of = self.coordinator.topology.txn_pidx
        for txn_id in [t for t in self.pending if pidx_of(t) == txn_pidx]:
            self.pending.pop(txn_id).cancelled = True

    def remove(self, entry: PendingComplete) -> None:
        """removeMarkersForTxn."""
        entry.cancelled = True
        if self.pending.get(entry.meta.transactional_id) is entry:
            del self.pending[entry.meta.transactional_id]

    def _send(self, entry: PendingComplete, pidxs) -> None:
        """addTxnMarkersToBrokerQueue: one request per current leader; the partitions
        without one are looked up again after the backoff."""
        by_leader: dict[int, list[int]] = {}
        unknown = []
        partitions = self.broker.image.partitions
        for pidx in pidxs:
            state = partitions.get(pidx)
            if state is None or state.leader == NO_LEADER:
                unknown.append(pidx)
            else:
                by_leader.setdefault(state.leader, []).append(pidx)
        for leader in sorted(by_leader):
            marker = TxnMarker(entry.meta.pid, entry.transit.producer_epoch, entry.result,
                               entry.coordinator_epoch, tuple(by_leader[leader]))
            self.conns.to(leader).request(
                WriteTxnMarkers((marker,)),
                lambda response, m=marker: self._on_response(entry, m, response),
                MARKER_REQUEST_TIMEOUT_US)
        if unknown:
            self._retry(entry, unknown)

    def _retry(self, entry: PendingComplete, pidxs) -> None:
        self.broker.timer(RETRY_BACKOFF_US, self._resend, entry, tuple(pidxs))

    def _resend(self, entry: PendingComplete, pidxs) -> None:
        if self._current(entry):
            self._send(entry, pidxs)

    def _current(self, entry: PendingComplete) -> bool:
        """Is the entry still this coordinator's, at the epoch that decided it?"""
        if entry.cancelled:
            return False
        if self.coordinator.epoch_of(entry.meta.transactional_id) != entry.coordinator_epoch:
            self.remove(entry)
            return False
        return True

    def _on_response(self, entry: PendingComplete, marker: TxnMarker, response) -> None:
        if not self._current(entry):
            return
        if isinstance(response, Failure):
            self._retry(entry, marker.pidxs)
            return
        retry = []
        for pidx, error in sorted(response.results[marker.pid].items()):
            if error is None or error in REMOVED:
                entry.remaining.discard(pidx)
            elif error in RETRIABLE:
                retry.append(pidx)
            elif error in FENCED:
                self.remove(entry)
                return
            else:
                raise RuntimeError(f"unexpected {error} writing a transaction marker for "
                                   f"{entry.meta.transactional_id}")
        if retry:
            self._retry(entry, retry)
        elif not entry.remaining:
            self.coordinator.write_completion(entry)
