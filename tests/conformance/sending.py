"""One producer built alone against scripted brokers (scripted.py), the way Kafka's SenderTest
and RecordAccumulatorTest drive a Sender and its RecordAccumulator through MockClient.

The workload is the producer's own: records of 110 bytes (100-byte values) arrive evenly at
`rate` from t = 0 (every 10 ms at the default 100/s) until `records` have arrived, or, with
`hand`, the records given (Kafka's appendToAccumulator): each at its time to its partition.
What became of them is read from the trace (BatchSent, BatchAcked, BatchFailed)."""

from sim.clients.accumulator import Accumulator
from sim.clients.lanes import Lanes
from sim.clients.producer import Producer
from sim.cluster.protocol import (
    InitProducerIdResponse,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
    ProduceResponse,
)
from sim.core.records import BatchAcked, BatchFailed, BatchSent
from sim.core.units import MS
from tests.conformance.scripted import ScriptedBroker
from tests.unit.hand_arrivals import HandArrivals
from tests.unit.hosts import Harness

TOPIC = "foo"
PID = 343434                      # SenderTest's producerId
RECORD = 110                      # bytes: the workload's 100-byte values, with the overhead


def produced(error: str | None = None, offset: int = 0):
    """An answer to a ProduceRequest: every partition in it gets error, or offset."""
    def answer(request):
        return ProduceResponse({p: (error, -1 if error else offset) for p, _b in request.batches})
    return answer


def by_partition(s: "Sending", answers: dict):
    """An answer to ProduceRequests: each partition (by position) gets the next of its own
    (error, offset) results."""
    left = {s.pidxs[pos]: iter(results) for pos, results in answers.items()}
    return lambda request: ProduceResponse({p: next(left[p]) for p, _b in request.batches})


def pid_answer(error: str | None = None, pid: int = PID, epoch: int = 0):
    return InitProducerIdResponse(error, pid if error is None else -1, epoch)


class Sending:
    """Producer "app" writing TOPIC (partitions spread over `brokers` scripted brokers: p on
    broker p % brokers, unless leaders says otherwise). Every broker answers metadata
    requests with that layout (as MockClient does), unless told otherwise."""

    def __init__(self, config: dict | None = None, partitions: int = 1, brokers: int = 1,
                 rate: str = "100/s", keys: int | None = None) -> None:
        producer = {"topic": TOPIC, "rate": rate, "arrivals": "even",
                    "config": dict({"linger.ms": 0}, **(config or {}))}
        if keys is not None:
            producer["keys"] = keys
        h = self.h = Harness({
            "cluster": {"brokers": brokers},
            "topics": {TOPIC: {"partitions": partitions, "replication.factor": 1}},
            "producers": {"app": producer}})
        self.brokers = [ScriptedBroker(h, b) for b in range(brokers)]
        self.pidxs = h.topology.by_topic[TOPIC]
        self.producer = h.add(Producer(h.spec.producers["app"], 0, h.client_context()))
        h.contents.producers.append(self.producer)
        self.sender = self.producer.sender
        self.now = 0

    def hand(self, records) -> None:
        """Replace the workload by records given by hand: [(t_us, partition position)], all
        known from the start (so `start` takes no `records`)."""
        p = self.producer
        p.lanes = Lanes(HandArrivals([(t, RECORD, pos) for t, pos in records]),
                        len(self.pidxs), keyed=True)
        p.acc = Accumulator(self.pidxs, p.settings.batch_size, p.settings.linger_us, p.book,
                            p.acc.rng, p.lanes)
        p.acc.on_new = p.track_expiry

    def start(self, records: int | None = None, pid: int = PID, leaders: dict | None = None,
              every_us: int = 10 * MS) -> None:
        """Boot with full metadata and producer id pid; stop the workload after `records`."""
        n = len(self.brokers)
        layout = {p: (i % n, 0) for i, p in enumerate(self.pidxs)}
        for broker in self.brokers:
            broker.standing.setdefault(MetadataRequest, MetadataResponse(layout, tuple(range(n))))
        self.producer.boot(leaders or layout, pid)
        if records is not None:
            self.h.engine.at((records - 1) * every_us + 1, self.producer.stop_generating)

    def run(self, us: int = 10 * MS) -> None:
        self.now += us
        self.h.run(self.now)

    def requests(self, broker: int = 0) -> list:
        return [r for _t, r in self.brokers[broker].got(ProduceRequest)]

    def batches(self, broker: int = 0) -> list:
        """Every BatchData the broker got, in order."""
        return [b for r in self.requests(broker) for _p, b in r.batches]

    def sent_as(self) -> list:
        """(partition position, producer epoch, base sequence) of every batch sent, in order."""
        pos = {p: i for i, p in enumerate(self.pidxs)}
        return [(pos[p], b.producer_epoch, b.base_sequence)
                for r in self.requests() for p, b in r.batches]

    def sent(self) -> list:
        return self.h.trace.rows(BatchSent)

    def acked(self) -> list:
        return self.h.trace.rows(BatchAcked)

    def failed(self) -> list:
        return self.h.trace.rows(BatchFailed)
