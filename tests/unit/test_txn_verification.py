"""KIP-890's transaction verification at a partition leader built alone (tests/unit/hosts.py),
the way Kafka's ReplicaManagerTest.testTransactionVerification* and
AddPartitionsToTxnManagerTest drive it: broker-0 leads orders-0 and orders-1; broker-1, a fake,
coordinates the transactional ids and answers the leader's AddPartitionsToTxn checks."""

from sim.cluster.broker import Broker
from sim.cluster.log import Batch
from sim.cluster.producer_state import OUT_OF_ORDER_SEQUENCE_NUMBER, ProducerStates
from sim.cluster.protocol import (
    ABORT,
    CONCURRENT_TRANSACTIONS,
    INVALID_PRODUCER_EPOCH,
    INVALID_TXN_STATE,
    NOT_ENOUGH_REPLICAS,
    PRODUCER_FENCED,
    TRANSACTION_ABORTABLE,
    AddPartitionsToTxnBatch,
    AddPartitionsToTxnBatchResponse,
    BatchData,
    ProduceRequest,
    TxnMarker,
    WriteTxnMarkers,
)
from sim.core.units import MS, S
from tests.unit.hosts import Harness

IDS = ("app", "tx-b", "tx-d")       # their __transaction_state partitions sit on broker-1
PIDS = {"app": 4000, "tx-b": 4001, "tx-d": 4002}
PID = PIDS["app"]


def alone(version="3.6", answer=None, delay_us=5 * MS):
    """broker-0 leading orders-0 and -1; broker-1 a coordinator answering each transaction of
    an AddPartitionsToTxnBatch with answer(txn) ({pidx: error}; all verified by default)."""
    h = Harness({"cluster": {"brokers": 2, "version": version, "config": {
        "transaction.state.log.replication.factor": 1, "transaction.state.log.min.isr": 1}},
        "topics": {"orders": {"partitions": 2, "replication.factor": 1,
                              "assignment": [[0], [0]]}}}, txn_ids=IDS)
    assert all(h.topology.partitions[h.topology.txn_pidx(i)].replicas == (1,) for i in IDS)
    answer = answer or (lambda txn: dict.fromkeys(txn.pidxs))

    def coordinate(request):
        if isinstance(request, AddPartitionsToTxnBatch):
            return AddPartitionsToTxnBatchResponse(
                {txn.transactional_id: answer(txn) for txn in request.transactions})
        return None
    broker = Broker(0, h.broker_context(), h.disk())
    coordinator = h.peer("broker-1", coordinate, delay_us)
    h.nodes.brokers.extend([h.add(broker), coordinator])
    h.nodes.controller = h.peer("controller")
    broker.boot(h.image(), broker_epoch=1)
    return h, broker, coordinator


def produce(txn_id="app", pidx=0, seq=0, epoch=0, tv=0):
    data = BatchData(producer=0, first_seq=seq, count=10, size=1000, pid=PIDS[txn_id],
                     producer_epoch=epoch, base_sequence=seq, transactional=True)
    return ProduceRequest(-1, 30 * S, ((pidx, data),), txn_id, tv)


def checks(coordinator):
    return [txn for batch in coordinator.requests(AddPartitionsToTxnBatch)
            for txn in batch.transactions]


def answers(peer):
    return [r.results for _t, _tag, r in peer.responses]


def test_a_first_transactional_write_waits_for_the_coordinator_then_is_appended():
    h, broker, coordinator = alone()
    app = h.peer("app-host")
    h.engine.at(1 * MS, app.send, broker, produce())
    h.run(4 * MS)
    assert broker.replicas[0].log.leo == 0                   # parked until verified
    [check] = checks(coordinator)
    assert (check.transactional_id, check.pid, check.producer_epoch, check.pidxs,
            check.verify_only) == ("app", 4000, 0, (0,), True)
    h.run(20 * MS)
    assert answers(app) == [{0: (None, 0)}]
    assert broker.replicas[0].producers.has_ongoing(4000)
    h.engine.at(h.engine.now, app.send, broker, produce(seq=10))
    h.run(40 * MS)
    assert len(checks(coordinator)) == 1                     # ongoing here: no second check
    assert answers(app)[1] == {0: (None, 10)}


def test_a_partition_not_in_the_transaction_is_refused_with_the_coordinators_error():
    h, broker, coordinator = alone(answer=lambda txn: dict.fromkeys(txn.pidxs, INVALID_TXN_STATE))
    app = h.peer("app-host")
    h.engine.at(1 * MS, app.send, broker, produce())
    h.run(20 * MS)
    assert answers(app) == [{0: (INVALID_TXN_STATE, -1)}]
    assert broker.replicas[0].log.leo == 0


def test_a_fenced_producer_gets_invalid_producer_epoch_and_retriable_errors_not_enough_replicas():
    errors = iter((PRODUCER_FENCED, CONCURRENT_TRANSACTIONS, TRANSACTION_ABORTABLE))
    h, broker, coordinator = alone(
        version="3.9", answer=lambda txn: dict.fromkeys(txn.pidxs, next(errors)))
    app = h.peer("app-host")
    for i in range(3):
        h.engine.at((1 + 20 * i) * MS, app.send, broker, produce())
    h.run(80 * MS)
    assert [r[0][0] for r in answers(app)] == [INVALID_PRODUCER_EPOCH, NOT_ENOUGH_REPLICAS,
                                               TRANSACTION_ABORTABLE]
    assert broker.replicas[0].log.leo == 0


def test_a_marker_between_the_check_and_its_answer_clears_the_guard_and_the_write_is_refused():
    h, broker, coordinator = alone()
    app, channel = h.peer("app-host"), h.peer("coordinator-channel")
    marker = TxnMarker(PIDS["app"], 0, ABORT, 0, (0,))
    h.engine.at(1 * MS, app.send, broker, produce())
    h.engine.at(2 * MS, channel.send, broker, WriteTxnMarkers((marker,)))
    h.run(20 * MS)
    assert answers(app) == [{0: (INVALID_TXN_STATE, -1)}]
    assert [b.control for b in broker.replicas[0].log.batches] == [ABORT]
    assert not broker.replicas[0].producers.has_ongoing(PIDS["app"])


def test_checks_queued_while_one_is_in_flight_go_to_the_coordinator_in_one_request():
    h, broker, coordinator = alone()
    hosts = {i: h.peer(f"{i}-host") for i in IDS}
    for at, txn_id in enumerate(IDS):
        h.engine.at((1 + at) * MS, hosts[txn_id].send, broker, produce(txn_id))
    h.run(30 * MS)
    sent = coordinator.requests(AddPartitionsToTxnBatch)
    assert [[t.transactional_id for t in r.transactions] for r in sent] == \
        [["app"], ["tx-b", "tx-d"]]
    assert [answers(hosts[i]) for i in IDS] == [[{0: (None, 0)}], [{0: (None, 10)}],
                                               [{0: (None, 20)}]]


def test_a_newer_check_of_the_same_id_replaces_the_queued_one():
    h, broker, coordinator = alone()
    first, retry, newer = h.peer("first"), h.peer("retry"), h.peer("newer")
    h.engine.at(1 * MS, first.send, broker, produce("tx-b"))                # in flight
    h.engine.at(2 * MS, retry.send, broker, produce("app", pidx=0))         # queued
    h.engine.at(3 * MS, newer.send, broker, produce("app", pidx=1, epoch=1))  # replaces it
    h.run(30 * MS)
    assert answers(retry) == [{0: (INVALID_PRODUCER_EPOCH, -1)}]     # fenced by the newer
    assert answers(newer) == [{1: (None, 0)}]


def test_a_retried_check_of_the_same_epoch_answers_the_queued_one_retriably():
    h, broker, coordinator = alone()
    first, one, two = h.peer("first"), h.peer("one"), h.peer("two")
    h.engine.at(1 * MS, first.send, broker, produce("tx-b"))
    h.engine.at(2 * MS, one.send, broker, produce("app", pidx=0))
    h.engine.at(3 * MS, two.send, broker, produce("app", pidx=1))
    h.run(30 * MS)
    assert answers(one) == [{0: (NOT_ENOUGH_REPLICAS, -1)}]     # NETWORK_EXCEPTION, retriable
    assert answers(two) == [{1: (None, 0)}]


def test_before_3_6_and_with_verification_off_nothing_is_checked():
    for version, config in (("3.5", {}), ("3.6", {"transaction.partition.verification.enable":
                                                  False})):
        h = Harness({"cluster": {"brokers": 2, "version": version, "config": config},
                     "topics": {"orders": {"partitions": 2, "replication.factor": 1,
                                           "assignment": [[0], [0]]}}}, txn_ids=IDS)
        broker = Broker(0, h.broker_context(), h.disk())
        coordinator = h.peer("broker-1")
        h.nodes.brokers.extend([h.add(broker), coordinator])
        h.nodes.controller = h.peer("controller")
        broker.boot(h.image(), broker_epoch=1)
        app = h.peer("app-host")
        h.engine.at(1 * MS, app.send, broker, produce())
        h.run(20 * MS)
        assert checks(coordinator) == [] and answers(app) == [{0: (None, 0)}]


def test_a_transaction_version_2_write_asks_the_coordinator_to_add_the_partition():
    h, broker, coordinator = alone(version="4.0")
    app = h.peer("app-host")
    h.engine.at(1 * MS, app.send, broker, produce(tv=2))
    h.run(20 * MS)
    [check] = checks(coordinator)
    assert not check.verify_only
    assert answers(app) == [{0: (None, 0)}]


def test_a_sequence_above_the_lowest_one_verifying_is_out_of_order_until_it_is_appended():
    """VerificationStateEntry's lowest sequence (testTransactionVerificationBlocksOutOfOrder-
    Sequence): a later batch verified first cannot land before the earlier one."""
    states = ProducerStates()
    guard = states.start_verification(PID, 0, 0)
    assert states.start_verification(PID, 10, 0) is guard
    assert states.check(PID, 0, 10, 19, True, True)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert states.check(PID, 0, 0, 9, True, True) == (None, -1)
    states.record(Batch(0, 10, 0, 0, 0, PID, 0, 0, 1000, 0, True))
    assert not states.verifying and states.check(PID, 0, 10, 19, True, True) == (None, -1)
    newer = states.start_verification(PID + 1, 30, 0)
    newer.update(0, 1)                                    # a new epoch starts again at 0
    assert (newer.lowest, newer.epoch) == (0, 1)
