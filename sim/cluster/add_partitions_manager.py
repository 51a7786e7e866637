"""A partition leader's requests to transaction coordinators (AddPartitionsToTxnManager, KIP-890).

A leader that must check a transactional write (txn_verification.py) asks the coordinator of
the producer's transactional id, the leader of its `__transaction_state` partition in this
broker's metadata (none: COORDINATOR_NOT_AVAILABLE at once), with an AddPartitionsToTxn:
verify_only to check that the partitions are in the producer's ongoing transaction (part 1),
or, for a transaction.version 2 producer, to add them (part 2). The checks are batched per
coordinator: one request in flight to each, carrying every transaction queued for it while
the previous one was out (AddPartitionsToTxnBatch). One check per transactional id is queued
at a time: a newer one replaces it, which then gets INVALID_PRODUCER_EPOCH if the newer one
has a higher producer epoch, else NETWORK_EXCEPTION; a newer one with a lower epoch gets
INVALID_PRODUCER_EPOCH itself. A lost connection or a timeout answers every transaction of the
request NETWORK_EXCEPTION; the coordinator's PRODUCER_FENCED reaches the produce as
INVALID_PRODUCER_EPOCH, which producers expect there.

Simplified: a request goes out as soon as nothing is in flight to its coordinator (Kafka's
InterBrokerSendThread sends on its next turn).
"""

from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    COORDINATOR_NOT_AVAILABLE,
    INVALID_PRODUCER_EPOCH,
    PRODUCER_FENCED,
    AddPartitionsToTxn,
    AddPartitionsToTxnBatch,
)
from sim.cluster.rpc import NETWORK_EXCEPTION, Connections, Failure
from sim.core.units import MS

REQUEST_TIMEOUT_US = 30_000 * MS        # the broker's request.timeout.ms


class AddPartitionsToTxnManager:
    """The checks one broker has queued for, or in flight to, each transaction coordinator."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.queued: dict[int, dict[str, tuple]] = {}   # node -> txn id -> (request, callback)
        self.inflight: dict[int, None] = {}
        self.conns = Connections(broker.net, broker, broker.nodes.brokers.__getitem__)

    def reset(self) -> None:
        """The process died: nothing queued, nothing in flight."""
        self.queued, self.inflight = {}, {}

    def verify(self, request: AddPartitionsToTxn, callback) -> None:
        """Check (or add) request's partitions; callback({pidx: error}) with the failed ones."""
        node = self._coordinator(request.transactional_id)
        if node < 0:
            callback(dict.fromkeys(request.pidxs, COORDINATOR_NOT_AVAILABLE))
            return
        queue = self.queued.setdefault(node, {})
        existing = queue.get(request.transactional_id)
        if existing is not None:
            if existing[0].producer_epoch > request.producer_epoch:
                callback(dict.fromkeys(request.pidxs, INVALID_PRODUCER_EPOCH))
                return
            error = INVALID_PRODUCER_EPOCH if existing[0].producer_epoch < \
                request.producer_epoch else NETWORK_EXCEPTION
            del queue[request.transactional_id]
            existing[1](dict.fromkeys(existing[0].pidxs, error))
        queue[request.transactional_id] = (request, callback)
        self._send(node)

    def _coordinator(self, transactional_id: str) -> int:
        """The live leader of the id's `__transaction_state` partition, -1 for none."""
        pidx = self.broker.ctx.topology.txn_pidx(transactional_id)
        state = None if pidx is None else self.broker.image.partitions.get(pidx)
        if state is None or state.leader == NO_LEADER:
            return -1
        return state.leader

    def _send(self, node: int) -> None:
        """generateRequests: everything queued for node, unless a request is in flight."""
        queue = self.queued.get(node)
        if node in self.inflight or not queue:
            return
        del self.queued[node]
        self.inflight[node] = None
        batch = AddPartitionsToTxnBatch(tuple(request for request, _ in queue.values()))
        self.conns.to(node).request(
            batch, lambda response: self._on_response(node, queue, response), REQUEST_TIMEOUT_US)

    def _on_response(self, node: int, sent: dict, response) -> None:
        """AddPartitionsToTxnHandler.onComplete: each transaction's failed partitions."""
        self.inflight.pop(node, None)
        for txn_id, (request, callback) in sent.items():
            if isinstance(response, Failure):
                callback(dict.fromkeys(request.pidxs, NETWORK_EXCEPTION))
                continue
            results = response.results.get(txn_id, {})
            callback({pidx: INVALID_PRODUCER_EPOCH if error == PRODUCER_FENCED else error
                      for pidx, error in results.items() if error is not None})
        self._send(node)
