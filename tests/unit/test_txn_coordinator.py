"""A broker's transaction coordinator built alone (tests/unit/hosts.py): a client peer sends
FindCoordinator, InitProducerId, AddPartitionsToTxn and EndTxn, and fake partition leaders
answer WriteTxnMarkers, the way Kafka's TransactionCoordinatorTest and
TransactionMarkerChannelManagerTest drive the coordinator around mocks."""

from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    CONCURRENT_TRANSACTIONS,
    COORDINATOR_NOT_AVAILABLE,
    INVALID_PRODUCER_EPOCH,
    INVALID_PRODUCER_ID_MAPPING,
    INVALID_TRANSACTION_TIMEOUT,
    INVALID_TXN_STATE,
    NOT_COORDINATOR,
    NOT_LEADER_OR_FOLLOWER,
    PRODUCER_FENCED,
    TRANSACTION,
    FindCoordinator,
    InitProducerId,
    WriteTxnMarkersResponse,
)
from sim.cluster.txn_metadata import COMPLETE_ABORT, COMPLETE_COMMIT, ONGOING, PREPARE_COMMIT
from sim.core.units import MS, S
from tests.unit.hosts import Harness
from tests.unit.txn_peers import (
    ORDERS,
    TXN,
    TXN_PIDX,
    Client,
    coordinator,
    decided,
    markers,
    markers_ok,
    started,
)


def test_find_coordinator_names_the_leader_of_the_ids_partition():
    h, broker, _, app = started()
    found = app.send(FindCoordinator(TXN, TRANSACTION), "find")
    assert found.error is None and found.broker == 0
    other = app.send(FindCoordinator("tx-1", TRANSACTION), "other")     # not simulated
    assert other.error == COORDINATOR_NOT_AVAILABLE
    assert app.send(InitProducerId("app", "tx-1", 60_000), "init").error == NOT_COORDINATOR


def test_init_producer_id_allocates_a_producer_id_then_bumps_its_epoch():
    h, broker, _, app = started()
    first = app.init("first")
    assert first.error is None and first.producer_epoch == 0 and first.pid > 0
    second = app.init("second")
    assert (second.error, second.pid, second.producer_epoch) == (None, first.pid, 1)
    assert broker.replicas[TXN_PIDX].log.leo == 2       # each transition is a record
    # KIP-360: the producer that holds epoch 1 may bump it; one holding epoch 0 is fenced
    assert app.init("bump", pid=first.pid, epoch=1).producer_epoch == 2
    assert app.init("stale", pid=first.pid, epoch=0).error == PRODUCER_FENCED


def test_a_timeout_above_transaction_max_timeout_ms_is_refused():
    h, broker, _, app = started(timeout_ms=30_000)
    assert app.init(timeout_ms=60_000).error == INVALID_TRANSACTION_TIMEOUT
    assert broker.replicas[TXN_PIDX].log.leo == 0


def test_a_commit_writes_the_decision_then_the_markers_then_the_completion():
    h, broker, leaders, app = started()
    init = app.init()
    pid = init.pid
    assert app.add(pid, 0).results == {0: None, 1: None}
    meta = broker.txn_coordinator.txns[TXN]
    assert meta.state == ONGOING and meta.pidxs == ORDERS
    assert app.end(pid, 0).error is None
    assert decided(h) == [(pid, 0, COMMIT, "client")]
    # one WriteTxnMarkers per partition leader, at coordinator epoch 0
    assert sorted(markers(leaders)) == [(1, COMMIT, 0, 0, (0,)), (2, COMMIT, 0, 0, (1,))]
    assert meta.state == COMPLETE_COMMIT and meta.pending is None
    assert broker.replicas[TXN_PIDX].log.leo == 4       # Empty, Ongoing, Prepare, Complete
    # a retried commit succeeds; an abort of the committed transaction is refused
    assert app.end(pid, 0, tag="again").error is None
    assert app.end(pid, 0, commit=False, tag="abort").error == INVALID_TXN_STATE
    assert len(markers(leaders)) == 2


def test_requests_while_the_markers_are_written_get_concurrent_transactions():
    h, broker, leaders, app = started(answer=lambda request: None)     # markers unanswered
    pid = app.init().pid
    app.add(pid, 0)
    assert app.end(pid, 0).error is None
    assert broker.txn_coordinator.txns[TXN].state == PREPARE_COMMIT
    assert app.end(pid, 0, tag="retry").error == CONCURRENT_TRANSACTIONS
    assert app.add(pid, 0, tag="next").results == {0: CONCURRENT_TRANSACTIONS,
                                                    1: CONCURRENT_TRANSACTIONS}
    assert app.init("init2").error == CONCURRENT_TRANSACTIONS


def test_stale_producer_ids_and_epochs_are_refused_per_release():
    for version, fenced in (("4.1", PRODUCER_FENCED), ("2.6", INVALID_PRODUCER_EPOCH)):
        h, broker, _, app = started(version)
        pid = app.init().pid
        app.init("init2")                                       # epoch 1 now
        assert app.add(pid, 0).results == {0: fenced, 1: fenced}
        assert app.add(pid + 7, 1, tag="other").results == {0: INVALID_PRODUCER_ID_MAPPING,
                                                             1: INVALID_PRODUCER_ID_MAPPING}
        assert app.end(pid, 1, tag="empty").error == INVALID_TXN_STATE


def test_init_producer_id_fences_an_ongoing_transaction_and_aborts_it():
    h, broker, leaders, app = started()
    pid = app.init().pid
    app.add(pid, 0)
    assert app.init("fence").error == CONCURRENT_TRANSACTIONS
    # the abort is written at epoch 1 before the markers, which fence the old producer
    assert decided(h) == [(pid, 1, ABORT, "fenced")]
    assert sorted(markers(leaders)) == [(1, ABORT, 1, 0, (0,)), (2, ABORT, 1, 0, (1,))]
    assert broker.txn_coordinator.txns[TXN].state == COMPLETE_ABORT
    assert app.end(pid, 0, tag="old").error == PRODUCER_FENCED
    retried = app.init("retry")
    assert (retried.error, retried.pid, retried.producer_epoch) == (None, pid, 2)


def test_a_transaction_past_its_timeout_is_aborted_by_the_periodic_check():
    h, broker, leaders, app = started()
    pid = app.init(timeout_ms=1_000).pid
    app.add(pid, 0)
    h.run(9 * S)
    assert broker.txn_coordinator.txns[TXN].state == ONGOING
    h.run(10 * S + 10 * MS)       # transaction.abort.timed.out.transaction.cleanup.interval.ms
    assert decided(h) == [(pid, 1, ABORT, "timeout")]
    assert {m[1:4] for m in markers(leaders)} == {(ABORT, 1, 0)}
    assert broker.txn_coordinator.txns[TXN].state == COMPLETE_ABORT
    assert app.end(pid, 0, tag="late").error == PRODUCER_FENCED


def test_a_marker_refused_by_a_former_leader_is_sent_again_after_the_backoff():
    refused = []

    def answer(request):
        (marker,), = [request.markers]
        error = None if refused else NOT_LEADER_OR_FOLLOWER
        refused.append(error)
        return WriteTxnMarkersResponse({marker.pid: {p: error for p in marker.pidxs}})
    h, broker, (b1, _b2), app = started(answer=answer)
    pid = app.init().pid
    app.add(pid, 0, pidxs=(0,))
    app.end(pid, 0, wait_us=5 * MS)
    assert broker.txn_coordinator.txns[TXN].state == PREPARE_COMMIT
    h.run(h.engine.now + 200 * MS)
    (t1, _), (t2, _) = b1.got
    assert t2 - t1 >= 100 * MS and refused == [NOT_LEADER_OR_FOLLOWER, None]
    assert broker.txn_coordinator.txns[TXN].state == COMPLETE_COMMIT


def test_a_new_coordinator_epoch_reloads_the_log_and_resends_pendingmarkers():
    answering = []

    def answer(request):
        return markers_ok(request) if answering else None
    # at the first metadata fetch after 2 s, broker-0 leads the txn partition at epoch 1
    h, broker, leaders, app = started(answer=answer,
                                      later=[PartitionState(TXN_PIDX, 0, 1, 1, (0,))])
    pid = app.init().pid
    app.add(pid, 0)
    app.end(pid, 0)
    answering.append(True)
    h.run(4 * S)
    # the load found PrepareCommit: traced again, markers resent with coordinator epoch 1
    assert decided(h) == [(pid, 0, COMMIT, "client"), (pid, 0, COMMIT, "loaded")]
    assert sorted(m for m in markers(leaders) if m[3] == 1) == [
        (1, COMMIT, 0, 1, (0,)), (2, COMMIT, 0, 1, (1,))]
    meta = broker.txn_coordinator.txns[TXN]
    assert meta.state == COMPLETE_COMMIT and broker.txn_coordinator.epochs == {TXN_PIDX: 1}


def test_a_transition_takes_effect_only_once_replicated_and_a_timed_out_write_is_retriable():
    """With replication factor 3 and followers that never fetch, InitProducerId's record
    stays below the high watermark: the answer waits, then the write times out after the
    transaction's timeout and the client is told COORDINATOR_NOT_AVAILABLE."""
    h = Harness({"cluster": {"brokers": 3},
                 "topics": {"orders": {"partitions": 2, "replication.factor": 1,
                                       "assignment": [[1], [2]]}}}, txn_ids=(TXN,))
    broker, _ = coordinator(h)
    app = Client(h, broker)
    app.peer.send(broker, InitProducerId("app", TXN, 10_000), "init")
    h.run(9 * S)
    assert app.peer.responses == [] and broker.replicas[TXN_PIDX].log.leo == 1
    assert broker.txn_coordinator.txns[TXN].pending == "Empty"
    h.run(11 * S)
    (_t, _tag, response), = app.peer.responses
    assert response.error == COORDINATOR_NOT_AVAILABLE
    meta = broker.txn_coordinator.txns[TXN]
    assert meta.pending is None and meta.producer_epoch == -1
