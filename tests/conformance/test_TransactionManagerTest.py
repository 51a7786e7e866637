"""Kafka's TransactionManagerTest, its idempotent-producer cases (sequence numbers, unresolved
sequences, epoch bumps; KIP-360), against kafkasim's idempotent sequence bookkeeping
(sim/clients/idempotence.py) driven directly, as Kafka drives the TransactionManager, and
a producer built alone against a scripted broker (tests/conformance/sending.py) where the
sender's decision is the point; its transactional cases against a transactional producer
built alone with a scripted broker as leader and transaction coordinator
(tests/unit/txn_fakes.py). Not ported: consume-transform-produce (sendOffsetsToTransaction,
TxnOffsetCommit: KIP-447, a later part of the model), authorization errors, the
application's own API misuse (calls in the wrong state), epoch overflow to a new producer
id and sequence wrap-around."""

from collections import deque

from sim.clients.accumulator import ProducerBatch
from sim.clients.idempotence import Sequences
from sim.cluster.protocol import (
    AddPartitionsToTxn,
    AddPartitionsToTxnResponse,
    EndTxn,
    EndTxnResponse,
    FindCoordinator,
    FindCoordinatorResponse,
    InitProducerId,
    InitProducerIdResponse,
    ProduceRequest,
)
from sim.core.units import MS
from tests.conformance.scripted import Later
from tests.conformance.sending import Sending, by_partition, pid_answer, produced
from tests.unit.txn_fakes import PID, TxnProducer, added

KAFKA_CLASS = "TransactionManagerTest"

NOT_PORTED = {
    "testSequenceNumberOverflow": "not modeled: sequences wrapping past Integer.MAX_VALUE (a "
                                  "run never writes 2^31 records to one partition)",
    "testBatchFailureAfterProducerReset": "not modeled: epoch overflow (Short.MAX_VALUE) to a "
                                          "new producer id",
    "testBatchCompletedAfterProducerReset": "not modeled: epoch overflow (Short.MAX_VALUE) to a "
                                            "new producer id",
    "testDuplicateSequenceAfterProducerReset": "not modeled: DUPLICATE_SEQUENCE_NUMBER (the "
                                               "broker answers a duplicate with its first "
                                               "offset)",
    "testFailIfNotReadyForSendIdempotentProducer": "internal: maybeAddPartition, a "
                                                   "transactional call an idempotent producer "
                                                   "may make without effect",
    "testFailIfNotReadyForSendIdempotentProducerFatalError": "not modeled: the producer's "
                                                             "fatal error state",
    "testNoFailedBatchHandlingWhenTxnManagerIsInFatalError": "not modeled: the producer's "
                                                             "fatal error state",
}
NOT_PORTED_LIKE = [
    (r"(?i)offset|GroupMetadata", "not modeled: consume-transform-produce "
                                  "(sendOffsetsToTransaction, KIP-447)"),
    (r"(?i)authoriz", "not modeled: ACLs and authorization errors"),
    (r".", "not modeled: this transactional case (the application's API misuse, "
           "an internal state query, or a coordinator answer kafkasim does not give)"),
]


def batch(pos: int, count: int = 1) -> ProducerBatch:
    b = ProducerBatch(pos, pos, 0, 0)
    b.count = count
    return b


def assigned(seqs: Sequences, pos: int, n: int) -> list:
    """n one-record batches of partition pos, given their sequences in turn."""
    batches = [batch(pos) for _ in range(n)]
    for b in batches:
        seqs.assign(b)
    return batches


def test_TransactionManagerTest_testDefaultSequenceNumber():
    seqs = Sequences(1)
    assert seqs.next_sequence == [0]
    seqs.assign(batch(0, 3))
    assert seqs.next_sequence == [3]


def test_TransactionManagerTest_testProducerIdReset():
    """An epoch bump asked for one partition resets only that partition's sequences."""
    seqs = Sequences(2)
    seqs.reset(15, 5)
    seqs.assign(batch(0, 3))
    seqs.assign(batch(1, 3))
    seqs.to_bump.add(0)                             # requestEpochBumpForPartition(tp0)
    assert seqs.bump([deque(), deque()], inflight=[0, 0])
    assert seqs.next_sequence == [0, 3] and seqs.epoch == 6


def test_TransactionManagerTest_testNoProducerIdResetAfterLastInFlightBatchSucceeds():
    """Two batches time out (unresolved); the last one in flight succeeds: every sequence
    below it is known written, so the sequences resolve without an epoch bump."""
    seqs = Sequences(1)
    seqs.reset(15, 5)
    b1, b2, b3 = assigned(seqs, 0, 3)
    seqs.failed(b1, bump=False, unresolved=True)
    seqs.resolve()
    assert seqs.unresolved == {0} and seqs.epoch == 5
    seqs.failed(b2, bump=False, unresolved=True)
    seqs.resolve()
    assert seqs.unresolved == {0}
    seqs.acked(b3)
    seqs.resolve()
    assert seqs.unresolved == set() and seqs.to_bump == set()
    assert not seqs.bump([deque()], inflight=[0])
    assert (seqs.epoch, seqs.next_sequence) == (5, [3])


def test_TransactionManagerTest_testEpochBumpAfterLastInflightBatchFails():
    """The first batch times out and the last one fails too: the sequences cannot be
    resolved, so the partition's epoch is bumped and its sequences restart at 0."""
    seqs = Sequences(1)
    seqs.reset(15, 1)
    b1, b2, b3 = assigned(seqs, 0, 3)
    seqs.failed(b1, bump=False, unresolved=True)
    seqs.acked(b2)
    seqs.resolve()
    assert seqs.unresolved == {0} and seqs.epoch == 1
    seqs.failed(b3, bump=False, unresolved=True)
    seqs.resolve()
    assert seqs.bump([deque()], inflight=[0])
    assert seqs.unresolved == set() and seqs.epoch == 2 and seqs.next_sequence == [0]


def test_TransactionManagerTest_testHealthyPartitionRetriesDuringEpochBump():
    """A bump for tp0 renumbers tp0's unfinished batches under the new epoch from 0; tp1's
    batch in flight keeps its old epoch and sequence, tp1 sends nothing new until it is done,
    then starts at sequence 0 of the new epoch."""
    seqs = Sequences(2)
    seqs.reset(15, 1)
    tp0b1, tp0b2, tp0b3 = assigned(seqs, 0, 3)
    tp1b1, tp1b2 = assigned(seqs, 1, 2)
    seqs.acked(tp0b1)
    seqs.acked(tp1b1)
    seqs.to_bump.add(0)                             # UNKNOWN_PRODUCER_ID for tp0b2
    assert seqs.bump([deque([tp0b2, tp0b3]), deque([tp1b2])], inflight=[0, 1])
    assert [(b.base_sequence, b.producer_epoch) for b in (tp0b2, tp0b3)] == [(0, 2), (1, 2)]
    assert (tp1b2.base_sequence, tp1b2.producer_epoch) == (1, 1)
    assert not seqs.may_send_new(1)
    seqs.acked(tp1b2)
    assert seqs.may_send_new(1)
    tp1b3 = batch(1)
    seqs.assign(tp1b3)
    assert (tp1b3.base_sequence, tp1b3.producer_epoch) == (0, 2)
    assert seqs.next_sequence[1] == 1


def test_TransactionManagerTest_testBumpEpochAndResetSequenceNumbersAfterUnknownProducerId():
    """Five one-record batches; the first is acknowledged, the second gets
    UNKNOWN_PRODUCER_ID: the producer bumps the epoch and resends the second to the fifth
    as sequences 0 to 3 of the new epoch."""
    s = Sending({"batch.size": 171, "max.in.flight.requests.per.connection": 1})
    s.brokers[0].prepare(ProduceRequest, Later(45 * MS, produced(offset=500)),
                         produced("UNKNOWN_PRODUCER_ID"))
    s.brokers[0].always(ProduceRequest, produced())
    s.start(records=5)
    s.run(500 * MS)
    sent = [(b.first_seq, b.producer_epoch, b.base_sequence) for b in s.batches()]
    assert sent == [(0, 0, 0), (1, 0, 1), (1, 1, 0), (2, 1, 1), (3, 1, 2), (4, 1, 3)]
    assert s.failed() == [] and len(s.acked()) == 5


def test_TransactionManagerTest_testBumpEpochAfterTimeoutWithoutPendingInflightRequests():
    """Nothing unresolved: no bump. The only batch in flight times out after an acknowledged
    one: nothing can resolve it, so the epoch is bumped."""
    seqs = Sequences(1)
    seqs.reset(15, 5)
    seqs.resolve()
    assert not seqs.bump([deque()], inflight=[0]) and seqs.epoch == 5
    (b1,) = assigned(seqs, 0, 1)
    seqs.acked(b1)
    (b2,) = assigned(seqs, 0, 1)
    assert seqs.next_sequence == [2]
    seqs.failed(b2, bump=False, unresolved=True)
    assert seqs.unresolved == {0}
    seqs.resolve()
    assert seqs.unresolved == set()
    assert seqs.bump([deque()], inflight=[0]) and seqs.epoch == 6


def test_TransactionManagerTest_testFailedInflightBatchAfterEpochBump():
    """Producer 13131 at epoch 1; foo-0 sends three batches, foo-1 two, each first one is
    acknowledged. foo-0's second gets UNKNOWN_PRODUCER_ID: the epoch goes to 2 and foo-0's
    unfinished batches become sequences 0 and 1 of epoch 2. foo-1's second keeps epoch 1
    and sequence 1: after NOT_LEADER_OR_FOLLOWER it is retried under epoch 1, and a new
    foo-1 batch is not drained until it is acknowledged; that one then goes as sequence 0 of
    epoch 2. (Kafka's transactionV2Enabled parameter concerns transactions only.)"""
    s = Sending({"batch.size": 171, "retry.backoff.ms": 50, "retry.backoff.max.ms": 50},
                partitions=2)
    s.hand([(0, 0), (0, 0), (0, 0), (0, 1), (0, 1), (20 * MS, 1)])
    s.brokers[0].prepare(InitProducerId, pid_answer(pid=13131, epoch=1))
    s.brokers[0].always(ProduceRequest, by_partition(s, {
        0: [(None, 500), ("UNKNOWN_PRODUCER_ID", -1), ("UNKNOWN_PRODUCER_ID", -1), (None, 501),
            (None, 502)],
        1: [(None, 500), ("NOT_LEADER_OR_FOLLOWER", -1), (None, 501), (None, 502)]}))
    s.start(pid=-1)
    s.sender.restart()
    s.run(30 * MS)
    acc, sequences = s.producer.acc, s.sender.sequences
    assert sequences.epoch == 2
    assert [(b.producer_epoch, b.base_sequence) for b in acc.ready[0]] == [(2, 0), (2, 1)]
    # foo-1: its second batch waits to retry under epoch 1, the new one (no sequence) behind it
    assert [(b.producer_epoch, b.base_sequence) for b in acc.ready[1]] == [(1, 1), (-1, -1)]
    s.run(200 * MS)
    assert [b[1:] for b in s.sent_as() if b[0] == 0] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]
    assert [b[1:] for b in s.sent_as() if b[0] == 1] == [(1, 0), (1, 1), (1, 1), (2, 0)]
    tp1b2_acked = next(a.t_us for a in s.acked() if (a.partition, a.first_seq) == (1, 1))
    t_tp1b3 = max(t for t, r in s.brokers[0].got(ProduceRequest)
                  for p, b in r.batches if p == s.pidxs[1])
    assert t_tp1b3 > tp1b2_acked
    assert s.failed() == [] and len(s.acked()) == 6
    assert sequences.next_sequence == [2, 1] and sequences.acked_end == [2, 1]


# -- transactional cases ----------------------------------------------------------------------


def txn_run(t: TxnProducer, stop_us: int = 100 * MS, until_us: int = 1000 * MS) -> TxnProducer:
    t.start(stop_after_us=stop_us)
    t.run(until_us)
    return t


def results(t: TxnProducer) -> list:
    """The result of each ended transaction, in order."""
    seen: dict = {}
    for r in t.ended():
        seen[r.t_us] = r.result
    return list(seen.values())


def test_TransactionManagerTest_testBasicTransaction():
    t = txn_run(TxnProducer(records=10))
    kinds = [type(r).__name__ for _t, r in t.broker.peer.got
             if not type(r).__name__.startswith("Metadata")]
    assert kinds[:2] == ["FindCoordinator", "InitProducerId"]
    assert kinds[2] == "AddPartitionsToTxn" and kinds[-1] == "EndTxn"
    assert results(t) == ["COMMIT"]
    assert t.got(FindCoordinator)[0].key_type == 1          # TRANSACTION


def test_TransactionManagerTest_testEndTxnNotSentIfIncompleteBatches():
    t = TxnProducer(records=10)
    t.broker.prepare(ProduceRequest, *[Later(300 * MS, produced())] * 10)
    txn_run(t)
    last_answer = max(at for at, _r in t.broker.got(ProduceRequest)) + 300 * MS
    end_at = t.broker.got(EndTxn)[0][0]
    assert end_at > last_answer - 300 * MS       # EndTxn only after the produce responses
    assert end_at >= t.broker.got(ProduceRequest)[0][0] + 300 * MS


def test_TransactionManagerTest_testAddPartitionToTransactionOverridesRetryBackoffForConcurrentTransactions():  # noqa: E501
    t = TxnProducer(records=10)
    t.broker.prepare(AddPartitionsToTxn, lambda r: AddPartitionsToTxnResponse(
        {p: "CONCURRENT_TRANSACTIONS" for p in r.pidxs}), added)
    txn_run(t)
    adds = [at for at, _r in t.broker.got(AddPartitionsToTxn)]
    assert adds[1] - adds[0] == 22 * MS         # 20 ms backoff, not retry.backoff.ms 100
    assert results(t) == ["COMMIT"]


def test_TransactionManagerTest_testLookupCoordinatorOnNotCoordinatorError():
    t = TxnProducer(records=10)
    t.broker.prepare(EndTxn, EndTxnResponse("NOT_COORDINATOR"))
    txn_run(t)
    assert len(t.got(FindCoordinator)) == 2 and len(t.got(EndTxn)) == 2
    assert results(t) == ["COMMIT"]


def test_TransactionManagerTest_testCoordinatorNotAvailable():
    t = TxnProducer(records=10)
    t.broker.prepare(FindCoordinator, FindCoordinatorResponse("COORDINATOR_NOT_AVAILABLE", -1))
    txn_run(t)
    finds = [at for at, _r in t.broker.got(FindCoordinator)]
    assert len(finds) == 2 and finds[1] - finds[0] >= 100 * MS
    assert results(t) == ["COMMIT"]


def fenced_by(kind, answer) -> TxnProducer:
    t = TxnProducer(records=10)
    t.broker.prepare(kind, answer)
    return txn_run(t)


def test_TransactionManagerTest_testProducerFencedExceptionInInitProducerId():
    t = fenced_by(InitProducerId, InitProducerIdResponse("PRODUCER_FENCED", -1, -1))
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]
    assert not t.got(ProduceRequest)


def test_TransactionManagerTest_testInvalidProducerEpochConvertToProducerFencedInInitProducerId():
    t = fenced_by(InitProducerId, InitProducerIdResponse("INVALID_PRODUCER_EPOCH", -1, -1))
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]


def test_TransactionManagerTest_testProducerFencedInAddPartitionToTxn():
    t = fenced_by(AddPartitionsToTxn, lambda r: AddPartitionsToTxnResponse(
        {p: "PRODUCER_FENCED" for p in r.pidxs}))
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]
    assert not t.got(ProduceRequest)        # the partition was never added
    assert results(t) == ["FATAL"]


def test_TransactionManagerTest_testInvalidProducerEpochConvertToProducerFencedInAddPartitionToTxn():  # noqa: E501
    t = fenced_by(AddPartitionsToTxn, lambda r: AddPartitionsToTxnResponse(
        {p: "INVALID_PRODUCER_EPOCH" for p in r.pidxs}))
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]


def test_TransactionManagerTest_testInvalidProducerEpochConvertToProducerFencedInEndTxn():
    t = fenced_by(EndTxn, EndTxnResponse("INVALID_PRODUCER_EPOCH"))
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]
    assert results(t) == ["FATAL"]


def test_TransactionManagerTest_testInvalidTxnStateInAddPartitions():
    t = fenced_by(AddPartitionsToTxn, lambda r: AddPartitionsToTxnResponse(
        {p: "INVALID_TXN_STATE" for p in r.pidxs}))
    assert [f.error for f in t.fatal()] == ["INVALID_TXN_STATE"]


def test_TransactionManagerTest_testInvalidProducerEpochFromProduce():
    t = TxnProducer(records=10)         # 2.7+: InvalidProducerEpochException is abortable
    t.broker.prepare(ProduceRequest, produced("INVALID_PRODUCER_EPOCH"))
    txn_run(t)
    assert not t.fatal()
    assert results(t)[0] == "ABORT"
    assert [e.committed for e in t.got(EndTxn)][0] is False


def test_TransactionManagerTest_testDisallowCommitOnProduceFailure():
    t = TxnProducer(records=10)
    t.broker.prepare(ProduceRequest, produced("INVALID_RECORD"))
    txn_run(t)
    assert t.got(EndTxn)[0].committed is False
    assert results(t)[0] == "ABORT"


def test_TransactionManagerTest_testTransitionToAbortableErrorOnBatchExpiry():
    t = TxnProducer(records=10, config={"delivery.timeout.ms": 1000, "request.timeout.ms": 900})
    t.broker.prepare(ProduceRequest, None)          # the first request is never answered
    txn_run(t, stop_us=100 * MS, until_us=5000 * MS)
    assert results(t)[0] == "ABORT"
    assert not t.fatal()


def test_TransactionManagerTest_testBumpTransactionalEpochOnAbortableError():
    t = TxnProducer(records=10)
    t.broker.prepare(ProduceRequest, produced("INVALID_RECORD"))
    t.broker.prepare(InitProducerId, InitProducerIdResponse(None, PID, 0),
                     InitProducerIdResponse(None, PID, 1))
    txn_run(t, stop_us=300 * MS)
    bump = t.got(InitProducerId)[1]
    assert (bump.transactional_id, bump.producer_id, bump.producer_epoch) == ("app", PID, 0)
    later = [b for r in t.got(ProduceRequest)[1:] for _p, b in r.batches]
    assert later and all(b.producer_epoch == 1 and b.pid == PID for b in later[1:])
    assert results(t)[1:] == ["COMMIT", "COMMIT", "COMMIT"]


def test_TransactionManagerTest_testFlushPendingPartitionsOnCommit():
    t = TxnProducer(records=10, config={"linger.ms": 1000})
    txn_run(t)
    first_end = t.broker.got(EndTxn)[0][0]
    produce = t.broker.got(ProduceRequest)
    assert produce and all(at < first_end for at, _r in produce[:2])    # flushed, not lingered
    assert results(t) == ["COMMIT"]
