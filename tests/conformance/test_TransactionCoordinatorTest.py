"""Kafka's TransactionCoordinatorTest against kafkasim's transaction coordinator: a broker
built alone (tests/unit/txn_peers.py) coordinating one transactional id, a client peer
sending InitProducerId, AddPartitionsToTxn and EndTxn, fake partition leaders answering
WriteTxnMarkers. Kafka mocks the state manager into each state; the ports drive the
coordinator into it with requests (markers left unanswered keep a decided transaction in its
Prepare state). Not ported: loading in progress (loading is instantaneous here), KIP-890's
verification and transaction version 2 (not modeled), DescribeTransactions (not modeled)."""

from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import (
    CONCURRENT_TRANSACTIONS,
    INVALID_PRODUCER_ID_MAPPING,
    INVALID_REQUEST,
    INVALID_TXN_STATE,
    NOT_COORDINATOR,
    PRODUCER_FENCED,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
)
from sim.cluster.txn_metadata import (
    COMPLETE_ABORT,
    COMPLETE_COMMIT,
    EMPTY,
    MAX_EPOCH,
    ONGOING,
    PREPARE_ABORT,
    PREPARE_COMMIT,
)
from sim.core.units import S
from tests.unit.txn_peers import ORDERS, TXN, Client, coordinator, harness

KAFKA_CLASS = "TransactionCoordinatorTest"

OTHER = "tx-1"          # its partition (20) is led by broker-2: broker-0 is not its coordinator

NOT_PORTED = {
    "testVerifyPartitionHandling": "not modeled: KIP-890's partition verification",
    "shouldRespondWithInvalidRequestAddPartitionsToTransactionWhenTransactionalIdIsNull":
        "internal: a null transactional id, which kafkasim's AddPartitionsToTxn cannot carry",
    "shouldRespondWithInvalidRequestOnEndTxnWhenTransactionalIdIsNull":
        "internal: a null transactional id, which kafkasim's EndTxn cannot carry",
    "shouldFailToAbortTransactionOnHandleInitPidWhenProducerEpochIsSmaller":
        "pending: needs the abort's epoch check against a state manager mocked mid-append",
    "shouldNotRepeatedlyBumpEpochDueToInitPidDuringOngoingTxnIfAppendToLogFails":
        "pending: needs a failing transaction-log append",
    "shouldNotBumpEpochWhenAbortingExpiredTransactionIfAppendToLogFails":
        "pending: needs a failing transaction-log append",
    "testRetryInitProducerIdAfterProducerIdRotation": "pending: port after the unit ports",
    "testInitProducerIdWithInvalidEpochAfterProducerIdRotation":
        "pending: port after the unit ports",
    "shouldNotAcceptSmallerEpochDuringTransactionExpiration":
        "pending: needs the expiration to race a producer's bump",
}
NOT_PORTED_LIKE = [
    (r"CoordinatorLoadInProgress|WhileCoordinatorLoading|CoordinatorIsLoading",
     "simplification: loading a txn partition is instantaneous (no "
     "COORDINATOR_LOAD_IN_PROGRESS)"),
    (r"VerifyOnly|TransactionVersion|EndTxnV2",
     "not modeled: KIP-890 (verification, transaction version 2)"),
    (r"^testDescribeTransactions", "not modeled: the DescribeTransactions admin request"),
]


def _setup(answer=None):
    h = harness(txn_ids=(TXN, OTHER))
    broker, _ = coordinator(h) if answer is None else coordinator(h, answer)
    return h, broker, Client(h, broker)


def _unanswered(_request):
    return None


def _log_end(broker) -> int:
    """The end offset of TXN's __transaction_state partition: one record per transition."""
    return broker.replicas[broker.topology.txn_pidx(TXN)].log.leo


def _state(broker):
    return broker.txn_coordinator.txns[TXN].state


def _ongoing(answer=None):
    """A producer at epoch 0 with an ongoing transaction on orders-0 and orders-1."""
    h, broker, app = _setup(answer)
    pid = app.init().pid
    assert app.add(pid, 0).results == {0: None, 1: None}
    return h, broker, app, pid


def _decided(commit: bool, answered: bool):
    h, broker, app, pid = _ongoing(None if answered else _unanswered)
    assert app.end(pid, 0, commit=commit, tag="decide").error is None
    return h, broker, app, pid


# -- InitProducerId ----------------------------------------------------------------------

def test_TransactionCoordinatorTest_shouldReturnInvalidRequestWhenTransactionalIdIsEmpty():
    _h, _broker, app = _setup()
    assert app.send(InitProducerId("app", "", 60_000), "init").error == INVALID_REQUEST


def test_TransactionCoordinatorTest_shouldAcceptInitPidAndReturnNextPidWhenTransactionalIdIsNull():
    _h, _broker, app = _setup()
    first = app.send(InitProducerId("app"), "first")
    second = app.send(InitProducerId("app"), "second")
    assert (first.error, first.producer_epoch) == (None, 0)
    assert second.pid == first.pid + 1


def test_TransactionCoordinatorTest_shouldInitPidWithEpochZeroForNewTransactionalId():
    _h, broker, app = _setup()
    init = app.init()
    assert (init.error, init.producer_epoch) == (None, 0)
    assert _log_end(broker) == 1


def test_TransactionCoordinatorTest_shouldGenerateNewProducerIdIfNoStateAndProducerIdAndEpochProvided(  # noqa: E501
):
    _h, _broker, app = _setup()
    init = app.init(pid=99, epoch=0)
    assert (init.error, init.producer_epoch) == (None, 0) and init.pid != 99


def test_TransactionCoordinatorTest_shouldGenerateNewProducerIdIfEpochsExhausted():
    _h, broker, app = _setup()
    pid = app.init().pid
    broker.txn_coordinator.txns[TXN].producer_epoch = MAX_EPOCH - 1
    init = app.init("again")
    assert init.error is None and init.pid != pid and init.producer_epoch == 0


def test_TransactionCoordinatorTest_shouldRespondWithNotCoordinatorOnInitPidWhenNotCoordinator():
    _h, _broker, app = _setup()
    assert app.send(InitProducerId("app", OTHER, 60_000), "init").error == NOT_COORDINATOR


def test_TransactionCoordinatorTest_shouldIncrementEpochAndUpdateMetadataOnHandleInitPidWhenExistingEmptyTransaction(  # noqa: E501
):
    _h, broker, app = _setup()
    pid = app.init().pid
    init = app.init("again")
    assert (init.pid, init.producer_epoch, _state(broker)) == (pid, 1, EMPTY)


def test_TransactionCoordinatorTest_shouldIncrementEpochAndUpdateMetadataOnHandleInitPidWhenExistingCompleteTransaction(  # noqa: E501
):
    _h, broker, app, pid = _decided(commit=False, answered=True)
    assert _state(broker) == COMPLETE_ABORT
    init = app.init("again")
    assert (init.pid, init.producer_epoch, _state(broker)) == (pid, 1, EMPTY)


def test_TransactionCoordinatorTest_shouldIncrementEpochAndUpdateMetadataOnHandleInitPidWhenExistingCompleteCommitTransaction(  # noqa: E501
):
    _h, broker, app, pid = _decided(commit=True, answered=True)
    assert _state(broker) == COMPLETE_COMMIT
    init = app.init("again")
    assert (init.pid, init.producer_epoch, _state(broker)) == (pid, 1, EMPTY)


def test_TransactionCoordinatorTest_shouldWaitForCommitToCompleteOnHandleInitPidAndExistingTransactionInPrepareCommitState(  # noqa: E501
):
    _h, broker, app, _pid = _decided(commit=True, answered=False)
    assert _state(broker) == PREPARE_COMMIT
    assert app.init("again").error == CONCURRENT_TRANSACTIONS


def test_TransactionCoordinatorTest_shouldWaitForCommitToCompleteOnHandleInitPidAndExistingTransactionInPrepareAbortState(  # noqa: E501
):
    _h, broker, app, _pid = _decided(commit=False, answered=False)
    assert _state(broker) == PREPARE_ABORT
    assert app.init("again").error == CONCURRENT_TRANSACTIONS


def test_TransactionCoordinatorTest_shouldAbortTransactionOnHandleInitPidWhenExistingTransactionInOngoingState(  # noqa: E501
):
    _h, broker, app, pid = _ongoing(_unanswered)
    assert app.init("again").error == CONCURRENT_TRANSACTIONS
    meta = broker.txn_coordinator.txns[TXN]
    assert (meta.state, meta.producer_epoch) == (PREPARE_ABORT, 1)


def test_TransactionCoordinatorTest_testFenceProducerWhenMappingExistsWithDifferentProducerId():
    _h, _broker, app = _setup()
    pid = app.init().pid
    assert app.init("other", pid=pid + 1, epoch=0).error == PRODUCER_FENCED


def test_TransactionCoordinatorTest_testInitProducerIdWithCurrentEpochProvided():
    _h, broker, app = _setup()
    pid = app.init().pid
    init = app.init("bump", pid=pid, epoch=0)
    assert (init.pid, init.producer_epoch) == (pid, 1)
    assert broker.txn_coordinator.txns[TXN].last_producer_epoch == 0


def test_TransactionCoordinatorTest_testInitProducerIdStaleCurrentEpochProvided():
    _h, _broker, app = _setup()
    pid = app.init().pid
    app.init("bump", pid=pid, epoch=0)
    app.init("bump2", pid=pid, epoch=1)                # epoch 2, last epoch 1
    assert app.init("stale", pid=pid, epoch=0).error == PRODUCER_FENCED


# -- AddPartitionsToTxn ------------------------------------------------------------------

def test_TransactionCoordinatorTest_shouldRespondWithInvalidPidMappingOnAddPartitionsToTransactionWhenTransactionalIdNotPresent(  # noqa: E501
):
    _h, _broker, app = _setup()
    assert app.add(1000, 0).results == {0: INVALID_PRODUCER_ID_MAPPING,
                                        1: INVALID_PRODUCER_ID_MAPPING}


def test_TransactionCoordinatorTest_shouldRespondWithInvalidRequestAddPartitionsToTransactionWhenTransactionalIdIsEmpty(  # noqa: E501
):
    _h, _broker, app = _setup()
    response = app.send(AddPartitionsToTxn("", 1000, 0, ORDERS), "add")
    assert response.results == {0: INVALID_REQUEST, 1: INVALID_REQUEST}


def test_TransactionCoordinatorTest_shouldRespondWithNotCoordinatorOnAddPartitionsWhenNotCoordinator(  # noqa: E501
):
    _h, _broker, app = _setup()
    response = app.send(AddPartitionsToTxn(OTHER, 1000, 0, ORDERS), "add")
    assert response.results == {0: NOT_COORDINATOR, 1: NOT_COORDINATOR}


def test_TransactionCoordinatorTest_shouldRespondWithConcurrentTransactionsOnAddPartitionsWhenStateIsPrepareCommit(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=True, answered=False)
    assert app.add(pid, 0, tag="next").results == {0: CONCURRENT_TRANSACTIONS,
                                                   1: CONCURRENT_TRANSACTIONS}


def test_TransactionCoordinatorTest_shouldRespondWithConcurrentTransactionOnAddPartitionsWhenStateIsPrepareAbort(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=False, answered=False)
    assert app.add(pid, 0, tag="next").results == {0: CONCURRENT_TRANSACTIONS,
                                                   1: CONCURRENT_TRANSACTIONS}


def test_TransactionCoordinatorTest_shouldRespondWithProducerFencedOnAddPartitionsWhenEpochsAreDifferent(  # noqa: E501
):
    _h, _broker, app = _setup()
    pid = app.init().pid
    assert app.add(pid, 10).results == {0: PRODUCER_FENCED, 1: PRODUCER_FENCED}


def test_TransactionCoordinatorTest_shouldAppendNewMetadataToLogOnAddPartitionsWhenPartitionsAdded(  # noqa: E501
):
    _h, broker, app = _setup()
    pid = app.init().pid
    assert app.add(pid, 0, pidxs=(0,)).results == {0: None}
    assert app.add(pid, 0, pidxs=(1,), tag="more").results == {1: None}
    meta = broker.txn_coordinator.txns[TXN]
    assert (meta.state, meta.pidxs) == (ONGOING, ORDERS)
    assert _log_end(broker) == 3


def test_TransactionCoordinatorTest_shouldRespondWithSuccessOnAddPartitionsWhenStateIsOngoing():
    _h, broker, app, pid = _ongoing()
    assert app.add(pid, 0, pidxs=(0,), tag="again").results == {0: None}
    assert _state(broker) == ONGOING


def test_TransactionCoordinatorTest_shouldRespondWithSuccessOnAddPartitionsWhenStateIsCompleteCommit(  # noqa: E501
):
    _h, broker, app, pid = _decided(commit=True, answered=True)
    assert app.add(pid, 0, tag="next").results == {0: None, 1: None}
    assert _state(broker) == ONGOING


def test_TransactionCoordinatorTest_shouldRespondWithSuccessOnAddPartitionsWhenStateIsCompleteAbort(  # noqa: E501
):
    _h, broker, app, pid = _decided(commit=False, answered=True)
    assert app.add(pid, 0, tag="next").results == {0: None, 1: None}
    assert _state(broker) == ONGOING


def test_TransactionCoordinatorTest_shouldRespondWithErrorsNoneOnAddPartitionWhenNoErrorsAndPartitionsTheSame(  # noqa: E501
):
    _h, broker, app, pid = _ongoing()
    leo = _log_end(broker)
    assert app.add(pid, 0, tag="same").results == {0: None, 1: None}
    assert _log_end(broker) == leo            # nothing appended


# -- EndTxn ------------------------------------------------------------------------------

def test_TransactionCoordinatorTest_shouldReplyWithInvalidPidMappingOnEndTxnWhenTxnIdDoesntExist():
    _h, _broker, app = _setup()
    assert app.end(1000, 0).error == INVALID_PRODUCER_ID_MAPPING


def test_TransactionCoordinatorTest_shouldReplyWithInvalidPidMappingOnEndTxnWhenPidDosentMatchMapped(  # noqa: E501
):
    _h, _broker, app, pid = _ongoing()
    assert app.end(pid + 10, 0).error == INVALID_PRODUCER_ID_MAPPING


def test_TransactionCoordinatorTest_shouldReplyWithProducerFencedOnEndTxnWhenEpochIsNotSameAsTransaction(  # noqa: E501
):
    _h, _broker, app, pid = _ongoing()
    assert app.end(pid, 1).error == PRODUCER_FENCED


def test_TransactionCoordinatorTest_shouldReturnOkOnEndTxnWhenStatusIsCompleteCommitAndResultIsCommit(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=True, answered=True)
    assert app.end(pid, 0, commit=True, tag="retry").error is None


def test_TransactionCoordinatorTest_shouldReturnOkOnEndTxnWhenStatusIsCompleteAbortAndResultIsAbort(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=False, answered=True)
    assert app.end(pid, 0, commit=False, tag="retry").error is None


def test_TransactionCoordinatorTest_shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsCompleteAbortAndResultIsNotAbort(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=False, answered=True)
    assert app.end(pid, 0, commit=True, tag="retry").error == INVALID_TXN_STATE


def test_TransactionCoordinatorTest_shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsCompleteCommitAndResultIsNotCommit(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=True, answered=True)
    assert app.end(pid, 0, commit=False, tag="retry").error == INVALID_TXN_STATE


def test_TransactionCoordinatorTest_shouldReturnConcurrentTransactionsOnEndTxnRequestWhenStatusIsPrepareCommit(  # noqa: E501
):
    _h, _broker, app, pid = _decided(commit=True, answered=False)
    assert app.end(pid, 0, commit=True, tag="retry").error == CONCURRENT_TRANSACTIONS


def test_TransactionCoordinatorTest_shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsPrepareAbort(  # noqa: E501
):
    h, broker, app, pid = _decided(commit=False, answered=False)
    meta = broker.txn_coordinator.txns[TXN]
    meta.pending = None             # Kafka's mock: PrepareAbort with nothing pending
    assert app.end(pid, 0, commit=True, tag="retry").error == INVALID_TXN_STATE


def test_TransactionCoordinatorTest_shouldAppendPrepareCommitToLogOnEndTxnWhenStatusIsOngoingAndResultIsCommit(  # noqa: E501
):
    _h, broker, app, pid = _ongoing(_unanswered)
    leo = _log_end(broker)
    assert app.end(pid, 0, commit=True).error is None
    assert (_state(broker), _log_end(broker)) == (PREPARE_COMMIT, leo + 1)


def test_TransactionCoordinatorTest_shouldAppendPrepareAbortToLogOnEndTxnWhenStatusIsOngoingAndResultIsAbort(  # noqa: E501
):
    _h, broker, app, pid = _ongoing(_unanswered)
    leo = _log_end(broker)
    assert app.end(pid, 0, commit=False).error is None
    assert (_state(broker), _log_end(broker)) == (PREPARE_ABORT, leo + 1)


def test_TransactionCoordinatorTest_shouldRespondWithInvalidRequestOnEndTxnWhenTransactionalIdIsEmpty(  # noqa: E501
):
    _h, _broker, app = _setup()
    assert app.send(EndTxn("", 1000, 0, True), "end").error == INVALID_REQUEST


def test_TransactionCoordinatorTest_shouldRespondWithNotCoordinatorOnEndTxnWhenIsNotCoordinatorForId(  # noqa: E501
):
    _h, _broker, app = _setup()
    assert app.send(EndTxn(OTHER, 1000, 0, True), "end").error == NOT_COORDINATOR


def test_TransactionCoordinatorTest_shouldReturnInvalidEpochOnEndTxnWhenEpochIsLarger():
    _h, _broker, app, pid = _ongoing()
    assert app.end(pid, 1).error == PRODUCER_FENCED


def test_TransactionCoordinatorTest_shouldReturnInvalidEpochOnEndTxnWhenEpochIsSmaller():
    _h, _broker, app = _setup()
    pid = app.init().pid
    app.init("again")
    app.add(pid, 1)
    assert app.end(pid, 0).error == PRODUCER_FENCED


# -- emigration and expiry ---------------------------------------------------------------

def test_TransactionCoordinatorTest_shouldRemoveTransactionsForPartitionOnEmigration():
    h = harness(txn_ids=(TXN, OTHER))
    # at the first metadata fetch after 2 s, broker-1 leads the txn partition
    pidx = h.topology.txn_pidx(TXN)
    broker, _ = coordinator(h, later=[PartitionState(pidx, 1, 1, 1, (1,))])
    app = Client(h, broker)
    app.init()
    assert TXN in broker.txn_coordinator.txns
    h.run(4 * S)
    assert broker.txn_coordinator.txns == {} and broker.txn_coordinator.epochs == {}
    assert app.init("moved").error == NOT_COORDINATOR


def test_TransactionCoordinatorTest_shouldAbortExpiredTransactionsInOngoingStateAndBumpEpoch():
    h, broker, app = _setup()
    pid = app.init(timeout_ms=1_000).pid
    app.add(pid, 0)
    h.run(10 * S + 10 * S // 100)
    meta = broker.txn_coordinator.txns[TXN]
    assert (meta.state, meta.producer_epoch) == (COMPLETE_ABORT, 1)


def test_TransactionCoordinatorTest_shouldNotAbortExpiredTransactionsThatHaveAPendingStateTransition():  # noqa: E501
    h, broker, app = _setup()
    pid = app.init(timeout_ms=1_000).pid
    app.add(pid, 0)
    meta = broker.txn_coordinator.txns[TXN]
    meta.pending = PREPARE_COMMIT           # Kafka's mock: a transition under way
    h.run(10 * S + 10 * S // 100)
    assert (meta.state, meta.producer_epoch, meta.pending) == (ONGOING, 0, PREPARE_COMMIT)


def test_TransactionCoordinatorTest_shouldNotBumpEpochWithPendingTransaction():
    _h, broker, app, pid = _ongoing()
    meta = broker.txn_coordinator.txns[TXN]
    meta.pending = PREPARE_COMMIT
    assert app.init("again", pid=pid, epoch=10).error == CONCURRENT_TRANSACTIONS
    assert meta.producer_epoch == 0


def test_TransactionCoordinatorTest_shouldUseLastEpochToFenceWhenEpochsAreExhausted():
    _h, broker, app, _pid = _ongoing(_unanswered)
    meta = broker.txn_coordinator.txns[TXN]
    meta.producer_epoch = MAX_EPOCH - 1
    assert app.init("again").error == CONCURRENT_TRANSACTIONS
    assert (meta.producer_epoch, meta.state) == (MAX_EPOCH, PREPARE_ABORT)


def test_TransactionCoordinatorTest_testInitProducerIdWithNoLastProducerData():
    _h, broker, app = _setup()
    pid = app.init().pid
    app.init("again")                       # epoch 1; no expected epoch: no last epoch kept
    assert broker.txn_coordinator.txns[TXN].last_producer_epoch == -1
    assert app.init("retry", pid=pid, epoch=0).error == PRODUCER_FENCED
