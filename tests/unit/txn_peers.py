"""A transaction coordinator built alone (tests/unit/hosts.py) for the unit and conformance
tests: broker-0 coordinates `TXN` (its `__transaction_state` partition has replication factor
1 and sits on broker-0); broker-1 and broker-2 are fake leaders of orders-0 and orders-1
answering WriteTxnMarkers; a `Client` peer sends the producer's requests."""

from sim.cluster.broker import Broker
from sim.cluster.protocol import (
    AddPartitionsToTxn,
    BrokerHeartbeat,
    BrokerHeartbeatResponse,
    EndTxn,
    InitProducerId,
    MetadataFetch,
    MetadataRecords,
    WriteTxnMarkers,
    WriteTxnMarkersResponse,
)
from sim.core.records import TxnDecided
from sim.core.units import MS, S
from tests.unit.hosts import Harness

TXN = "tx-2"        # __transaction_state partition 21: broker-0 with replication factor 1
ORDERS, TXN_PIDX = (0, 1), 2


def harness(version: str = "3.9", timeout_ms: int | None = None, txn_ids=(TXN,)) -> Harness:
    """A cluster of `version`: 3.9 by default, the last release of transaction.version 0
    (4.0's transaction.version 2 bumps the epoch at every EndTxn)."""
    config = {"transaction.state.log.replication.factor": 1,
              "transaction.state.log.min.isr": 1}
    if timeout_ms is not None:
        config["transaction.max.timeout.ms"] = timeout_ms
    return Harness({"cluster": {"brokers": 3, "version": version, "config": config},
                    "topics": {"orders": {"partitions": 2, "replication.factor": 1,
                                       "assignment": [[1], [2]]}}},
                   txn_ids=txn_ids)


def markers_ok(request):
    if isinstance(request, WriteTxnMarkers):
        return WriteTxnMarkersResponse({m.pid: {p: None for p in m.pidxs}
                                        for m in request.markers})
    return None


def coordinator(h, answer=markers_ok, later=()):
    """broker-0 coordinating TXN; broker-1 and broker-2 fake leaders of orders-0 and -1
    answering markers with answer(request); the controller sends `later` records with the
    first metadata fetch at or after 2 s."""
    broker = Broker(0, h.broker_context(), h.disk())
    leaders = [h.peer(f"broker-{b}", answer) for b in (1, 2)]
    h.nodes.brokers.extend([h.add(broker), *leaders])
    unsent = [tuple(later)] if later else []

    def control(request):
        if isinstance(request, BrokerHeartbeat):
            return BrokerHeartbeatResponse(None, fenced=False, caught_up=True)
        if isinstance(request, MetadataFetch) and unsent and h.engine.now >= 2 * S:
            return MetadataRecords(request.offset, None, unsent.pop())
        return None
    h.nodes.controller = h.peer("controller", control)
    broker.boot(h.image(), broker_epoch=1)
    return broker, leaders


def started(version: str = "3.9", answer=markers_ok, later=(), **options):
    """A cluster of `version` (harness's options), broker-0 coordinating TXN with its fake
    leaders (coordinator's answer and later), and the application's client:
    (h, broker, leaders, app)."""
    h = harness(version, **options)
    broker, leaders = coordinator(h, answer, later)
    return h, broker, leaders, Client(h, broker)


class Client:
    """A transactional producer's requests, each answered into `answers[tag]`."""

    def __init__(self, h, broker, name: str = "app") -> None:
        self.h, self.broker, self.peer = h, broker, h.peer(name)

    def send(self, request, tag, wait_us: int = 10 * MS):
        self.peer.send(self.broker, request, tag)
        self.h.run(self.h.engine.now + wait_us)
        return [r for _t, t, r in self.peer.responses if t == tag][-1]

    def init(self, tag="init", timeout_ms=60_000, pid=-1, epoch=-1):
        return self.send(InitProducerId("app", TXN, timeout_ms, pid, epoch), tag)

    def add(self, pid, epoch, pidxs=ORDERS, tag="add"):
        return self.send(AddPartitionsToTxn(TXN, pid, epoch, pidxs), tag)

    def end(self, pid, epoch, commit=True, tag="end", wait_us=10 * MS):
        return self.send(EndTxn(TXN, pid, epoch, commit), tag, wait_us)


def decided(h):
    return [(d.pid, d.producer_epoch, d.result, d.reason) for d in h.trace.rows(TxnDecided)]


def markers(leaders):
    return [(int(p.name[-1]), m.result, m.producer_epoch, m.coordinator_epoch, m.pidxs)
            for p in leaders for r in p.requests(WriteTxnMarkers) for m in r.markers]
