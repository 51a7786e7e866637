"""Kafka's SenderTest (the producer's Sender: produce requests, responses, retries, expiry,
idempotent sequences) against kafkasim's producer (sim/clients/producer.py, sender.py,
idempotence.py) built alone against scripted brokers (tests/conformance/sending.py).
Kafka's cases append records by hand; here the producer's own workload hands them over
(evenly, from t = 0). Delivery timeouts below request timeouts are refused by kafkasim's
config checks, as by KafkaProducer's, so the expiry cases let a first attempt fail and
time the retry's answer past the delivery timeout. Not ported: transactions, metrics,
message formats and versions, quotas, batch splitting and per-record errors (not modeled),
the Java API's threads and futures (internal), and the cases left pending."""

from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    InitProducerId,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
    ProduceResponse,
)
from sim.core.units import MS, S
from tests.conformance.scripted import Later
from tests.conformance.sending import PID, Sending, pid_answer, produced

KAFKA_CLASS = "SenderTest"

PLAIN = {"enable.idempotence": False, "acks": "all"}
EXPIRY = {"delivery.timeout.ms": 1500, "request.timeout.ms": 1500, "retry.backoff.ms": 100,
          "retry.backoff.max.ms": 100}

NOT_PORTED = {
    "testQuotaMetrics": "not modeled: quotas",
    "testAppendInExpiryCallback": "internal: appending from inside a completion callback",
    "testMetadataTopicExpiry": "not modeled: metadata.max.idle.ms (a producer writes one "
                               "topic)",
    "testCorrectHandlingOfDuplicateSequenceError": "not modeled: DUPLICATE_SEQUENCE_NUMBER (the "
                                                   "broker answers a duplicate with its first "
                                                   "offset)",
    "testNoDoubleDeallocation": "internal: the buffer pool",
    "testDoNotPollWhenNoRequestSent": "internal: the network client's poll loop",
    "testRecordErrorPropagatedToApplication": "not modeled: per-record errors (INVALID_RECORD)",
    "testWhenProduceResponseReturnsWithALeaderShipChangeErrorAndNewLeaderInformation":
        "not modeled: KIP-951 leader hints in produce responses",
    "testProducerBatchRetriesWhenPartitionLeaderChanges": "not modeled: KIP-951 leader hints "
                                                          "in produce responses",
    "testInitProducerIdWithMaxInFlightOne": "not modeled: transactions (a transactional "
                                            "producer's coordinator lookup)",
    "testNodeNotReady": "not modeled: transactions (a transactional producer's coordinator "
                        "lookup)",
    "testUnresolvedSequencesAreNotFatal": "not modeled: transactions (the abortable error of a "
                                          "transactional producer)",
}
NOT_PORTED_LIKE = [
    (r"Metric|LatencyStats", "internal: metrics"),
    (r"Transaction|Txn", "not modeled: transactions (issue 19)"),
    (r"MessageFormat|MagicValues|UnsupportedVersion", "not modeled: message formats and API "
                                                      "versions"),
    (r"Authorization", "not modeled: authorization"),
    (r"Split|TooLarge", "not modeled: MESSAGE_TOO_LARGE and batch splitting"),
    (r"RetentionLimitReached|UnknownProducerError|LogWasNotTruncated",
     "not modeled: producer state removed by retention, so UNKNOWN_PRODUCER_ID with a log "
     "start offset past the producer's writes never arises"),
    (r"ErrorMessage$", "internal: exception messages"),
    (r"ProducerIdReset|ResetOfProducerState|RetryWhenProducerIdChanges",
     "not modeled: epoch overflow (Short.MAX_VALUE) to a new producer id"),
    (r"CancelInFlightRequestAfterFatalError", "not modeled: authorization (the fatal error of "
                                              "the case)"),
    (r".", "pending: not ported this time"),
]


def disconnect(s: Sending):
    """An answer that drops the producer's connection with the request in flight."""
    return lambda _request: s.sender.conns[0].reset()


def test_SenderTest_testSimple():
    s = Sending(PLAIN)
    s.brokers[0].always(ProduceRequest, produced(offset=0))
    s.start(records=1)
    s.run(50 * MS)
    (batch,) = s.batches()
    assert batch.count == 1
    (acked,) = s.acked()
    assert acked.base_offset == 0 and s.failed() == []


def test_SenderTest_testRetries():
    """retries=1: a batch whose first request is cut off by a disconnect is retried and
    acknowledged; one cut off twice fails with the network error."""
    s = Sending(dict(PLAIN, retries=1), rate="1/s")
    s.brokers[0].prepare(ProduceRequest, disconnect(s), produced(offset=0),
                         disconnect(s), disconnect(s))
    s.start(records=2, every_us=1 * S)
    s.run(2 * S)
    assert [b.first_seq for b in s.batches()] == [0, 0, 1, 1]
    (acked,) = s.acked()
    (failed,) = s.failed()
    assert (acked.first_seq, acked.base_offset) == (0, 0)
    assert (failed.first_seq, failed.error) == (1, "NETWORK_EXCEPTION")


def test_SenderTest_testCanRetryWithoutIdempotence():
    """Without idempotence the batch carries no producer id; a non-retriable error fails it
    at once."""
    s = Sending(PLAIN)
    s.brokers[0].always(ProduceRequest, produced("TOPIC_AUTHORIZATION_FAILED"))
    s.start(records=1, pid=-1)
    s.run(500 * MS)
    (batch,) = s.batches()
    assert (batch.pid, batch.producer_epoch, batch.base_sequence) == (-1, -1, -1)
    (failed,) = s.failed()
    assert failed.error == "TOPIC_AUTHORIZATION_FAILED"


def test_SenderTest_testSequenceNumberIncrement():
    s = Sending()
    s.brokers[0].always(ProduceRequest, produced())
    s.start(records=2)
    s.run(50 * MS)
    first, second = s.batches()
    assert (first.pid, first.producer_epoch, first.base_sequence) == (PID, 0, 0)
    assert second.base_sequence == first.count == 1
    assert s.sender.sequences.next_sequence == [2]


def test_SenderTest_testIdempotenceWithMultipleInflights():
    """Two requests in flight at once, sequences 0 and 1; each is acknowledged in turn."""
    s = Sending()
    s.brokers[0].prepare(ProduceRequest, Later(50 * MS, produced(offset=0)),
                         Later(50 * MS, produced(offset=1)))
    s.start(records=2)
    s.run(30 * MS)
    assert [b.base_sequence for b in s.batches()] == [0, 1]
    assert s.sender.inflight_requests[0] == 2 and s.acked() == []
    s.run(100 * MS)
    assert [(a.first_seq, a.base_offset) for a in s.acked()] == [(0, 0), (1, 1)]
    assert s.sender.sequences.acked_end == [2]


def test_SenderTest_testIdempotenceWithMultipleInflightsRetriedInOrder():
    """Three batches in flight; the first is refused (NOT_LEADER_OR_FOLLOWER, where Kafka's
    case has the older LEADER_NOT_AVAILABLE), the next two then get
    OUT_OF_ORDER_SEQUENCE_NUMBER. They are resent one request at a time in sequence order
    (RecordAccumulator.shouldStopDrainBatchesForPartition: a retried batch goes only when it
    is the first sequence in flight), and the fourth, queued behind them, after."""
    s = Sending({"retry.backoff.ms": 100})
    s.brokers[0].prepare(ProduceRequest, Later(25 * MS, produced("NOT_LEADER_OR_FOLLOWER")),
                         Later(30 * MS, produced("OUT_OF_ORDER_SEQUENCE_NUMBER")),
                         Later(30 * MS, produced("OUT_OF_ORDER_SEQUENCE_NUMBER")))
    s.brokers[0].always(ProduceRequest, Later(20 * MS, lambda r: ProduceResponse(
        {p: (None, b.base_sequence) for p, b in r.batches})))
    s.start(records=4)
    s.run(1 * S)
    got = s.brokers[0].got(ProduceRequest)
    assert [b.base_sequence for _t, r in got for _p, b in r.batches] == [0, 1, 2, 0, 1, 2, 3]
    assert [len(r.batches) for _t, r in got] == [1] * 7
    acks = [a.t_us for a in s.acked()]
    assert [a.first_seq for a in s.acked()] == [0, 1, 2, 3]
    resent = [t for t, _r in got[3:]]
    assert resent[1] > acks[0] and resent[2] > acks[1] and resent[3] >= resent[2]
    assert s.failed() == [] and s.sender.sequences.epoch == 0


def expiring(config: dict, partitions: int = 1) -> Sending:
    """delivery.timeout.ms 1500: every batch's first attempt is refused (retriable), its retry
    100 ms later is answered only after 1450 ms, past the delivery timeout."""
    s = Sending(dict(EXPIRY, **config), partitions=partitions)
    s.brokers[0].prepare(ProduceRequest, produced("NOT_ENOUGH_REPLICAS"),
                         Later(1450 * MS, produced(offset=0)))
    return s


def test_SenderTest_testInflightBatchesExpireOnDeliveryTimeout():
    """A batch still in flight when its delivery timeout passes fails with a timeout; the
    success that comes after does not count."""
    s = expiring({})
    s.start(records=1)
    s.run(1400 * MS)
    assert s.failed() == [] and len(s.requests()) == 2
    s.run(300 * MS)
    (failed,) = s.failed()
    assert failed.error == "DELIVERY_TIMEOUT" and failed.t_us == 1500 * MS
    assert s.acked() == []


def test_SenderTest_testExpiredBatchDoesNotRetry():
    """A retriable error answering a batch that has expired meanwhile is not retried."""
    s = Sending(EXPIRY)
    s.brokers[0].prepare(ProduceRequest, produced("NOT_ENOUGH_REPLICAS"),
                         Later(1450 * MS, produced("NOT_ENOUGH_REPLICAS")))
    s.start(records=1)
    s.run(3 * S)
    assert len(s.requests()) == 2
    (failed,) = s.failed()
    assert failed.error == "DELIVERY_TIMEOUT"


def test_SenderTest_testWhenFirstBatchExpireNoSendSecondBatchIfGuaranteeOrder():
    """max.in.flight.requests.per.connection=1: a second batch waits while the first is in
    flight, even once the first expired, and goes out when the first's answer comes."""
    s = Sending(dict(PLAIN, **EXPIRY, **{"max.in.flight.requests.per.connection": 1}),
                rate="1.3333333333/s")                       # records at 0 and 750 ms
    s.brokers[0].prepare(ProduceRequest, produced("NOT_ENOUGH_REPLICAS"),
                         Later(1450 * MS, produced(offset=0)))
    s.brokers[0].always(ProduceRequest, produced(offset=1))
    s.start(records=2, every_us=750 * MS)
    s.run(1540 * MS)
    assert [b.first_seq for b in s.batches()] == [0, 0]
    (failed,) = s.failed()
    assert (failed.first_seq, failed.error) == (0, "DELIVERY_TIMEOUT")
    s.run(100 * MS)
    assert [b.first_seq for b in s.batches()] == [0, 0, 1]
    (t_retry, _), (t_second, _) = s.brokers[0].got(ProduceRequest)[1:]
    assert t_second == t_retry + 1450 * MS + 2 * MS       # the answer's arrival, + 2 ms
    assert [a.first_seq for a in s.acked()] == [1]


def test_SenderTest_testExpiredBatchesInMultiplePartitions():
    """Batches of two partitions in one request, answered past their delivery timeout: both
    expire. (Here the leaders are learnt at 200 ms, so both batches wait for one request.)"""
    s = Sending(dict(EXPIRY, **{"request.timeout.ms": 1400}), partitions=2, keys=2,
                rate="1000/s")
    s.brokers[0].always(MetadataRequest,
                        Later(200 * MS, MetadataResponse({p: (0, 0) for p in s.pidxs}, (0,))))
    s.brokers[0].always(ProduceRequest, Later(1350 * MS, produced(offset=0)))
    s.start(records=4, every_us=1 * MS, leaders={p: (NO_LEADER, -1) for p in s.pidxs})
    s.run(3 * S)
    (request,) = s.requests()
    assert sorted(p for p, _b in request.batches) == sorted(s.pidxs)
    assert [e.error for e in s.failed()] == ["DELIVERY_TIMEOUT"] * 2
    assert {e.partition for e in s.failed()} == {0, 1} and s.acked() == []


def test_SenderTest_testSenderShouldRetryWithBackoffOnRetriableError():
    """InitProducerId failing with a retriable error is sent again retry.backoff.ms (50) after
    each answer (here 2 ms after the request: the round trip)."""
    s = Sending({"retry.backoff.ms": 50})
    s.brokers[0].prepare(InitProducerId, pid_answer("COORDINATOR_LOAD_IN_PROGRESS"),
                         pid_answer("COORDINATOR_LOAD_IN_PROGRESS"), pid_answer())
    s.brokers[0].always(ProduceRequest, produced())
    s.start(records=1, pid=-1)
    s.sender.restart()
    s.run(200 * MS)
    t1, t2, t3 = [t for t, _r in s.brokers[0].got(InitProducerId)]
    assert (t2 - t1, t3 - t2) == (52 * MS, 52 * MS)
    assert s.sender.pid == PID and [b.pid for b in s.batches()] == [PID]


def test_SenderTest_testInitProducerIdRequest():
    s = Sending()
    s.brokers[0].prepare(InitProducerId, pid_answer())
    s.start(pid=-1)
    s.sender.restart()
    s.run()
    assert (s.sender.pid, s.sender.sequences.epoch) == (PID, 0)


def test_SenderTest_testBumpEpochWhenOutOfOrderSequenceReceived():
    """OUT_OF_ORDER_SEQUENCE_NUMBER for the first batch of a partition (nothing acknowledged
    before it) bumps the epoch; the batch is not failed but resent under epoch 1."""
    s = Sending({"retries": 10})
    s.brokers[0].prepare(ProduceRequest, produced("OUT_OF_ORDER_SEQUENCE_NUMBER"))
    s.brokers[0].always(ProduceRequest, produced(offset=0))
    s.start(records=1)
    s.run(500 * MS)
    first, again = s.batches()
    assert (first.producer_epoch, first.base_sequence) == (0, 0)
    assert (again.producer_epoch, again.base_sequence) == (1, 0)
    assert s.sender.sequences.epoch == 1 and s.failed() == [] and len(s.acked()) == 1


def test_SenderTest_testExpiryOfAllSentBatchesShouldCauseUnresolvedSequences():
    """A sent batch that expires after a retriable error leaves its partition's sequence
    unresolved; with nothing acknowledged the producer bumps the epoch (once the partition
    has nothing in flight), and the next batch starts at sequence 0 of epoch 1."""
    s = Sending(EXPIRY, rate="0.5/s")                       # records at 0 and 2 s
    s.brokers[0].prepare(ProduceRequest, produced("NOT_ENOUGH_REPLICAS"), lambda _r: None)
    s.brokers[0].always(ProduceRequest, produced(offset=0))
    s.start(records=2, every_us=2 * S)
    s.run(1510 * MS)
    (failed,) = s.failed()
    assert failed.error == "DELIVERY_TIMEOUT"
    sequences = s.sender.sequences               # unresolved, found to need a bump at once
    assert sequences.unresolved | sequences.to_bump == {0} and sequences.epoch == 0
    s.run(1 * S)
    assert s.sender.sequences.unresolved == set() and s.sender.sequences.epoch == 1
    *_, last = s.batches()
    assert (last.first_seq, last.producer_epoch, last.base_sequence) == (1, 1, 0)
    assert s.sender.pid == PID


def test_SenderTest_testExpiryOfUnsentBatchesShouldNotCauseUnresolvedSequences():
    """A batch that expires without ever being sent (no leader known) leaves no unresolved
    sequence and no epoch bump."""
    s = Sending(EXPIRY)
    leaderless = {p: (NO_LEADER, -1) for p in s.pidxs}
    s.brokers[0].always(MetadataRequest, MetadataResponse(leaderless, (0,)))
    s.start(records=1, leaders=leaderless)
    s.run(2 * S)
    (failed,) = s.failed()
    assert failed.error == "DELIVERY_TIMEOUT" and s.batches() == []
    assert s.sender.sequences.unresolved == set() and s.sender.sequences.to_bump == set()
    assert s.sender.sequences.epoch == 0 and s.sender.sequences.next_sequence == [0]


def test_SenderTest_testEpochBumpOnOutOfOrderSequenceForNextBatch():
    """A batch of two records is acknowledged; the next batch gets OUT_OF_ORDER_SEQUENCE_NUMBER
    right after it: the epoch is bumped and the batch resent as sequence 0 of epoch 1."""
    s = Sending({"linger.ms": 15})                 # records at 0 and 10 ms share a batch
    s.brokers[0].prepare(ProduceRequest, produced(offset=0),
                         produced("OUT_OF_ORDER_SEQUENCE_NUMBER"))
    s.brokers[0].always(ProduceRequest, produced(offset=2))
    s.start(records=3)
    s.run(300 * MS)
    sent = [(b.count, b.producer_epoch, b.base_sequence) for b in s.batches()]
    assert sent == [(2, 0, 0), (1, 0, 2), (1, 1, 0)]
    assert s.sender.sequences.epoch == 1 and s.sender.sequences.next_sequence == [1]
    assert s.failed() == []


def test_SenderTest_testExpiryOfFirstBatchShouldNotCauseUnresolvedSequencesIfFutureBatchesSucceed():  # noqa: E501
    """The first batch expires while its retry is out (its sequence unresolved); a third batch
    waits; the second batch, sent after the first, succeeds, which resolves the sequence
    without a bump, and the third goes out as sequence 2 of the same epoch."""
    s = Sending(EXPIRY, rate="1/s")                                 # records at 0, 1 and 2 s
    s.brokers[0].prepare(ProduceRequest, produced("REQUEST_TIMED_OUT"),
                         Later(1450 * MS, produced(offset=0)),
                         Later(1100 * MS, produced(offset=1)))
    s.brokers[0].always(ProduceRequest, produced(offset=2))
    s.start(records=3, every_us=1000 * MS)
    s.run(3 * 1000 * MS)
    (failed,) = s.failed()
    assert (failed.first_seq, failed.error) == (0, "DELIVERY_TIMEOUT")
    assert [(a.first_seq, a.base_offset) for a in s.acked()] == [(1, 1), (2, 2)]
    *_, (t_second, second), (t_third, third) = s.brokers[0].got(ProduceRequest)
    (_, b3), = third.batches
    assert (b3.producer_epoch, b3.base_sequence) == (0, 2)
    assert t_third >= t_second + 1100 * MS               # held back until the second's answer
    assert s.sender.sequences.epoch == 0


def test_SenderTest_testWhenProduceResponseReturnsWithALeaderShipChangeErrorButNoNewLeaderInformation():  # noqa: E501
    """One request for three partitions: two answered NOT_LEADER_OR_FOLLOWER, one accepted.
    The accepted batch is done; the two others are retried after the backoff (not at once),
    and a metadata refresh is asked for."""
    s = Sending({"retry.backoff.ms": 10, "retry.backoff.max.ms": 100}, partitions=3, keys=6,
                rate="1000/s")
    p0, p1, p2 = s.pidxs

    def first(request):
        return ProduceResponse({p: (None, 100) if p == p2 else ("NOT_LEADER_OR_FOLLOWER", -1)
                                for p, _b in request.batches})
    s.brokers[0].always(MetadataRequest,
                        Later(20 * MS, MetadataResponse({p: (0, 0) for p in s.pidxs}, (0,))))
    s.brokers[0].prepare(ProduceRequest, first)
    s.brokers[0].always(ProduceRequest, produced(offset=0))
    s.start(records=12, every_us=1 * MS, leaders={p: (NO_LEADER, -1) for p in s.pidxs})
    s.run(100 * MS)
    (t_first, request), *retries = s.brokers[0].got(ProduceRequest)
    assert sorted(p for p, _b in request.batches) == [p0, p1, p2]
    assert sorted(p for _t, r in retries for p, _b in r.batches) == [p0, p1]
    assert [a.partition for a in s.acked()][0] == 2
    refreshes = [t for t, _r in s.brokers[0].got(MetadataRequest) if t > t_first]
    t_retry = min(t for t, _r in retries)
    assert refreshes and refreshes[0] < t_retry
    assert t_retry - t_first - 2 * MS >= 8 * MS                  # 10 ms, less 20 % jitter


def test_SenderTest_testEpochBumpOnOutOfOrderSequenceForNextBatchWhenThereIsNoBatchInFlight():  # noqa: E501
    """foo-0's second batch gets OUT_OF_ORDER_SEQUENCE_NUMBER right after its acknowledged
    first: the epoch is bumped and foo-0 resent from sequence 0 of epoch 1. foo-1, with
    nothing in flight then, starts its next batch at sequence 0 of epoch 1 too."""
    s = Sending({"batch.size": 171}, partitions=2, keys=2)        # one record per batch
    sent: dict = {}

    def answer(request):
        results = {}
        for p, _b in request.batches:
            sent[p] = sent.get(p, 0) + 1
            refused = (p, sent[p]) == (s.pidxs[0], 2)
            results[p] = ("OUT_OF_ORDER_SEQUENCE_NUMBER", -1) if refused else (None, 0)
        return ProduceResponse(results)
    s.brokers[0].always(ProduceRequest, answer)
    s.start(records=10)
    s.run(300 * MS)
    batches = [(p, b.first_seq, b.producer_epoch, b.base_sequence)
               for _t, r in s.brokers[0].got(ProduceRequest) for p, b in r.batches]
    p0, p1 = s.pidxs
    refused = batches.index((p0, 1, 0, 1))
    assert (p0, 1, 1, 0) in batches[refused + 1:]                  # resent under epoch 1
    later_p1 = [b for b in batches[refused + 1:] if b[0] == p1]
    assert later_p1 and later_p1[0][2:] == (1, 0)
    assert all(b[2] == 0 for b in batches[:refused + 1])
    assert s.failed() == [] and sum(a.count for a in s.acked()) == 10
