"""KIP-890 at a transaction coordinator built alone (tests/unit/txn_peers.py), as Kafka's
TransactionCoordinatorTest drives handleVerifyPartitionsInTransaction and the
transaction.version 2 EndTxn: a partition leader's checks (verify_only) and implicit adds, and
the producer epoch bumped by every EndTxn on 4.0."""

from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    CONCURRENT_TRANSACTIONS,
    INVALID_PRODUCER_ID_MAPPING,
    INVALID_TXN_STATE,
    PRODUCER_FENCED,
    TRANSACTION_ABORTABLE,
    AddPartitionsToTxn,
    AddPartitionsToTxnBatch,
)
from sim.cluster.txn_metadata import COMPLETE_ABORT, COMPLETE_COMMIT, ONGOING
from sim.core.units import MS
from tests.unit.txn_peers import TXN, decided, markers, started


def check(app, pid, epoch, pidxs=(0,), verify_only=True, tag="check"):
    batch = AddPartitionsToTxnBatch((AddPartitionsToTxn(TXN, pid, epoch, pidxs, verify_only),))
    return app.send(batch, tag).results[TXN]


def test_verify_only_answers_per_partition_and_adds_nothing():
    for version, not_in in (("3.6", INVALID_TXN_STATE), ("3.9", TRANSACTION_ABORTABLE)):
        h, broker, _, app = started(version)
        pid = app.init().pid
        app.add(pid, 0, pidxs=(0,))
        leo = broker.replicas[2].log.leo
        assert check(app, pid, 0, pidxs=(0, 1)) == {0: None, 1: not_in}
        assert broker.txn_coordinator.txns[TXN].pidxs == (0,)
        assert broker.replicas[2].log.leo == leo            # nothing written
        assert check(app, pid, 1, tag="stale") == {0: PRODUCER_FENCED}
        assert check(app, pid + 1, 0, tag="other") == {0: INVALID_PRODUCER_ID_MAPPING}


def test_verify_only_during_the_markers_is_concurrent_transactions():
    h, broker, _, app = started("3.6", answer=lambda request: None)      # markers never answered
    pid = app.init().pid
    app.add(pid, 0)
    app.end(pid, 0)
    assert check(app, pid, 0) == {0: CONCURRENT_TRANSACTIONS}


def test_transaction_version_2_end_txn_bumps_the_epoch_and_the_markers_carry_it():
    h, broker, leaders, app = started("4.0")
    pid = app.init().pid
    assert check(app, pid, 0, pidxs=(0, 1), verify_only=False) == {0: None, 1: None}
    meta = broker.txn_coordinator.txns[TXN]
    assert (meta.state, meta.pidxs) == (ONGOING, (0, 1))
    ended = app.end(pid, 0, wait_us=50 * MS)
    assert (ended.error, ended.pid, ended.producer_epoch) == (None, pid, 1)
    assert (meta.state, meta.producer_epoch, meta.last_producer_epoch) == (COMPLETE_COMMIT, 1, 0)
    assert {(r, e) for _b, r, e, _c, _p in markers(leaders)} == {(COMMIT, 1)}
    assert decided(h) == [(pid, 1, COMMIT, "client")]
    retry = app.end(pid, 0, tag="retry")                    # the answer was lost: a retry
    assert (retry.error, retry.producer_epoch) == (None, 1)
    assert app.end(pid, 0, commit=False, tag="wrong").error == INVALID_TXN_STATE
    assert check(app, pid, 0, tag="late", verify_only=False) == {0: PRODUCER_FENCED}


def test_transaction_version_2_abort_with_no_partition_added_still_bumps_the_epoch():
    h, broker, leaders, app = started("4.0")
    pid = app.init().pid
    ended = app.end(pid, 0, commit=False, wait_us=50 * MS)
    assert (ended.error, ended.producer_epoch) == (None, 1)
    assert broker.txn_coordinator.txns[TXN].state == COMPLETE_ABORT
    assert markers(leaders) == []
    assert decided(h) == [(pid, 1, ABORT, "client")]


def test_before_4_0_end_txn_keeps_the_epoch():
    h, broker, leaders, app = started("3.9")
    pid = app.init().pid
    app.add(pid, 0)
    ended = app.end(pid, 0, wait_us=50 * MS)
    assert (ended.error, ended.pid, ended.producer_epoch) == (None, -1, -1)
    assert {e for _b, _r, e, _c, _p in markers(leaders)} == {0}
