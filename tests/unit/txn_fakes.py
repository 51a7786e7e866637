"""A transactional producer built alone against one scripted broker that is also its
transaction coordinator (tests/conformance/scripted.py), as Kafka's TransactionManagerTest
drives a Sender and a TransactionManager through MockClient."""

from sim.clients.producer import Producer
from sim.cluster.protocol import (
    AddPartitionsToTxn,
    AddPartitionsToTxnResponse,
    EndTxn,
    EndTxnResponse,
    FindCoordinator,
    FindCoordinatorResponse,
    InitProducerId,
    InitProducerIdResponse,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
)
from sim.core.records import BatchAcked, ProducerFatal, TxnEnded
from tests.conformance.scripted import ScriptedBroker
from tests.conformance.sending import TOPIC, produced
from tests.unit.hosts import Harness

PID = 1000


def added(request):
    """Every partition of an AddPartitionsToTxn is added."""
    return AddPartitionsToTxnResponse({pidx: None for pidx in request.pidxs})


def sends_only_to_added(got) -> list:
    """Check that every ProduceRequest of the requests `got` ((t, request), ...) goes only to
    partitions added to the transaction open then (isSendToPartitionAllowed); return them."""
    added_so_far: set = set()
    produces = []
    for _at, request in got:
        if isinstance(request, EndTxn):
            added_so_far = set()
        elif isinstance(request, AddPartitionsToTxn):
            added_so_far |= set(request.pidxs)
        elif isinstance(request, ProduceRequest):
            assert {p for p, _b in request.batches} <= added_so_far
            produces.append(request)
    return produces


class TxnProducer:
    """Producer "app" writing TOPIC in transactions of `records` records (100/s, evenly,
    keyed so records spread over the partitions), against broker 0 as leader of every
    partition and as transaction coordinator. Every request kind has a standing happy
    answer; `broker.prepare` queues others first."""

    def __init__(self, records: int = 10, abort: float = 0.0, partitions: int = 2,
                 config: dict | None = None, rate: str = "100/s",
                 version: str | None = None) -> None:
        cluster = {"brokers": 1, "config": {"transaction.state.log.replication.factor": 1}}
        if version is not None:
            cluster["version"] = version
        h = self.h = Harness({
            "cluster": cluster,
            "topics": {TOPIC: {"partitions": partitions, "replication.factor": 1}},
            "producers": {"app": {"topic": TOPIC, "rate": rate, "keys": 8,
                                  "transactional": {"records": records, "abort": abort},
                                  "config": dict({"linger.ms": 0}, **(config or {}))}}})
        self.broker = ScriptedBroker(h, 0)
        self.pidxs = h.topology.by_topic[TOPIC]
        self.producer = h.add(Producer(h.spec.producers["app"], 0, h.client_context()))
        h.contents.producers.append(self.producer)
        layout = {p: (0, 0) for p in self.pidxs}
        b = self.broker
        b.always(MetadataRequest, MetadataResponse(layout, (0,)))
        b.always(FindCoordinator, FindCoordinatorResponse(None, 0))
        b.always(InitProducerId, InitProducerIdResponse(None, PID, 0))
        b.always(AddPartitionsToTxn, added)
        b.always(EndTxn, EndTxnResponse(None))
        b.always(ProduceRequest, produced())
        self.layout = layout
        self.now = 0

    def start(self, stop_after_us: int | None = None) -> None:
        self.producer.boot(self.layout, -1)
        if stop_after_us is not None:
            self.h.engine.at(stop_after_us, self.producer.stop_generating)

    def run(self, until_us: int) -> None:
        self.h.run(until_us)

    def got(self, kind) -> list:
        return [r for _t, r in self.broker.got(kind)]

    def ended(self) -> list:
        return self.h.trace.rows(TxnEnded)

    def acked(self) -> list:
        return self.h.trace.rows(BatchAcked)

    def fatal(self) -> list:
        return self.h.trace.rows(ProducerFatal)
