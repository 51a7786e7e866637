"""Offsets in a transaction (KIP-98, KIP-447) on a broker built alone (tests/unit/ctp_peers.py):
AddOffsetsToTxn at the transaction coordinator, TxnOffsetCommit at the group coordinator,
the markers completing the pending offsets on `__consumer_offsets`, their reload by a new
coordinator and OffsetFetch's require_stable, after Kafka's GroupCoordinatorTest
(testBasicFetchTxnOffsets, testFetchTxnOffsetsWithAbort, testFetchPendingTxnOffsetsWithCommit,
testTxnCommitOffsetWithFencedInstanceId, testTxnCommitOffsetWithInvalidMemberId,
testTxnCommitOffsetWithIllegalGeneration), GroupMetadataManagerTest
(testLoadTransactionalOffsetsWithoutGroup, testDoNotLoadAbortedTransactionalOffsetCommits,
testGroupLoadWithConsumerAndTransactionalOffsetCommitsConsumerWins) and
TransactionCoordinatorTest's AddPartitions cases, which AddOffsetsToTxn shares."""

from sim.cluster.broker import Broker
from sim.cluster.group_log import CommitRecord, RecordStore
from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    CONCURRENT_TRANSACTIONS,
    FENCED_INSTANCE_ID,
    ILLEGAL_GENERATION,
    INVALID_PRODUCER_EPOCH,
    INVALID_PRODUCER_ID_MAPPING,
    NOT_COORDINATOR,
    PRODUCER_FENCED,
    UNKNOWN_MEMBER_ID,
    UNSTABLE_OFFSET_COMMIT,
    AddOffsetsToTxn,
    BrokerHeartbeat,
    BrokerHeartbeatResponse,
    MetadataFetch,
    MetadataRecords,
)
from sim.cluster.topology import OFFSETS_TOPIC
from sim.core.records import MarkerAppended, OffsetsCommitted
from sim.core.units import MS, S
from tests.unit.ctp_peers import GROUP, OTHER, CtpClient, Member, ctp, harness, offsets_pidx
from tests.unit.txn_peers import ORDERS, TXN, markers, markers_ok


def committed(h):
    return [(r.group, r.member, r.partition, r.offset) for r in h.trace.rows(OffsetsCommitted)]


def test_add_offsets_adds_the_groups_offsets_partition_so_endtxn_writes_a_marker_there():
    h, broker, leaders, app, _member = ctp()
    pid = app.init().pid
    assert app.add(pid, 0).results == {0: None, 1: None}
    assert app.add_offsets(pid, 0).error is None
    meta = broker.txn_coordinator.txns[TXN]
    assert meta.pidxs == tuple(sorted(ORDERS + (offsets_pidx(h),)))
    assert app.add_offsets(pid, 0, tag="again").error is None        # already in: no write
    assert app.end(pid, 0).error is None
    # the orders partitions' markers go to their fake leaders, the offsets partition's to
    # broker-0 itself, which appends it as a control batch there
    assert sorted(markers(leaders)) == [(1, COMMIT, 0, 0, (0,)), (2, COMMIT, 0, 0, (1,))]
    (appended,) = h.trace.rows(MarkerAppended)
    assert (appended.topic, appended.pid, appended.result) == (OFFSETS_TOPIC, pid, COMMIT)


def test_add_offsets_is_validated_as_add_partitions():
    h, broker, _leaders, app, _member = ctp(answer=lambda request: None)   # markers unanswered
    pid = app.init().pid
    assert app.add_offsets(pid + 7, 0, tag="pid").error == INVALID_PRODUCER_ID_MAPPING
    assert app.add_offsets(pid, 1, tag="epoch").error == PRODUCER_FENCED
    assert app.send(AddOffsetsToTxn("tx-1", pid, 0, GROUP), "other").error == NOT_COORDINATOR
    app.add(pid, 0)
    assert app.end(pid, 0).error is None                             # PrepareCommit, stuck
    assert app.add_offsets(pid, 0, tag="late").error == CONCURRENT_TRANSACTIONS
    h2, _b, _l, app2, _m = ctp("2.6")
    pid2 = app2.init().pid
    assert app2.add_offsets(pid2, 3).error == INVALID_PRODUCER_EPOCH     # before KIP-588


def test_committed_transaction_makes_its_offsets_the_groups_after_the_marker():
    h, broker, _leaders, app, member = ctp()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    assert app.commit_offsets(pid, 0, [(0, 42), (1, 7)]).error is None
    # written: a transactional batch of the producer id on the offsets partition
    log = broker.replicas[offsets_pidx(h)].log
    (batch,) = log.batches
    assert (batch.pid, batch.producer_epoch, batch.transactional, batch.base_sequence) == \
        (pid, 0, True, -1)
    assert member.fetch((0, 1)).error == UNSTABLE_OFFSET_COMMIT       # KIP-447
    assert member.fetch((0, 1), require_stable=False, tag="plain").offsets == {0: -1, 1: -1}
    assert committed(h) == []
    assert app.end(pid, 0).error is None
    h.run(h.engine.now + 10 * MS)
    assert member.fetch((0, 1), tag="after").offsets == {0: 42, 1: 7}
    assert committed(h) == [(GROUP, TXN, 0, 42), (GROUP, TXN, 1, 7)]


def test_aborted_transaction_drops_its_offsets():
    h, broker, _leaders, app, member = ctp()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    app.commit_offsets(pid, 0, [(0, 42)])
    assert app.end(pid, 0, commit=False).error is None
    h.run(h.engine.now + 10 * MS)
    fetched = member.fetch((0,), tag="after")
    assert (fetched.error, fetched.offsets) == (None, {0: -1})
    assert committed(h) == [] and not broker.coordinator.groups[GROUP].pending_txn


def test_other_partitions_stay_stable_and_releases_before_kip_447_ignore_require_stable():
    h, _broker, _leaders, app, member = ctp()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    app.commit_offsets(pid, 0, [(0, 42)])
    assert member.fetch((1,)).offsets == {1: -1}
    h, _broker, _leaders, app, member = ctp("2.4")
    pid = app.init().pid
    app.add_offsets(pid, 0)
    app.commit_offsets(pid, 0, [(0, 42)])
    fetched = member.fetch((0,))
    assert (fetched.error, fetched.offsets) == (None, {0: -1})


def test_kip_447_fences_a_commit_with_stale_group_metadata():
    h, _broker, _leaders, app, member = ctp()
    member_id, generation = member.join()
    pid = app.init().pid
    app.add_offsets(pid, 0)

    def commit(tag, **metadata):
        return app.commit_offsets(pid, 0, [(0, 5)], tag=tag, **metadata).error
    assert commit("no-metadata") is None            # the pre-KIP-447 API sends none
    assert commit("old", generation=generation - 1, member_id=member_id) == ILLEGAL_GENERATION
    assert commit("gone", generation=generation, member_id="zombie") == UNKNOWN_MEMBER_ID
    assert commit("ok", generation=generation, member_id=member_id) is None
    # the member's client name is who committed, once the marker is in
    app.end(pid, 0)
    h.run(h.engine.now + 10 * MS)
    assert committed(h) == [(GROUP, "billing-0", 0, 5)]


def test_kip_447_fences_a_replaced_static_member():
    h, _broker, _leaders, app, member = ctp()
    member_id, generation = member.join(instance="i-1")
    pid = app.init().pid
    app.add_offsets(pid, 0)
    assert app.commit_offsets(pid, 0, [(0, 5)], generation=generation, member_id="old-id",
                              instance="i-1", tag="fenced").error == FENCED_INSTANCE_ID
    assert app.commit_offsets(pid, 0, [(0, 5)], generation=generation, member_id=member_id,
                              instance="i-9", tag="unknown").error == UNKNOWN_MEMBER_ID
    assert app.commit_offsets(pid, 0, [(0, 5)], generation=generation, member_id=member_id,
                              instance="i-1", tag="ok").error is None


def test_before_2_5_the_group_metadata_is_not_checked():
    h, _broker, _leaders, app, member = ctp("2.4")
    _member_id, generation = member.join()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    assert app.commit_offsets(pid, 0, [(0, 5)], generation=generation + 3,
                              member_id="zombie").error is None


def test_a_group_coordinated_elsewhere_is_not_coordinator():
    h, _broker, _leaders, app, _member = ctp()
    pid = app.init().pid
    assert app.commit_offsets(pid, 0, [(0, 5)], group=OTHER).error == NOT_COORDINATOR


def test_a_fenced_producers_offset_commit_is_refused_by_the_log():
    """A new InitProducerId aborts the open transaction with a bumped epoch, whose ABORT
    marker on the offsets partition drops the pending offsets; the zombie's next
    TxnOffsetCommit fails the epoch check of the partition's producer state."""
    h, broker, _leaders, app, member = ctp()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    app.commit_offsets(pid, 0, [(0, 42)])
    assert app.init("init2").error == CONCURRENT_TRANSACTIONS      # fencing abort under way
    h.run(h.engine.now + 200 * MS)
    group = broker.coordinator.groups[GROUP]
    assert not group.pending_txn
    assert app.commit_offsets(pid, 0, [(0, 43)], tag="zombie").error == INVALID_PRODUCER_EPOCH
    assert not group.pending_txn and member.fetch((0,)).offsets == {0: -1}


def test_an_ordinary_commit_written_later_wins_over_the_transactions():
    """completePendingTxnOffsetCommit: only over an older commit record."""
    h, _broker, _leaders, app, member = ctp()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    app.commit_offsets(pid, 0, [(0, 42), (1, 9)])
    assert member.commit([(0, 7)]).error is None       # the group is empty: generation -1
    app.end(pid, 0)
    h.run(h.engine.now + 10 * MS)
    assert member.fetch((0, 1)).offsets == {0: 7, 1: 9}


def test_a_new_coordinator_keeps_unmarked_offsets_pending_then_applies_the_marker():
    h, broker, _leaders, app, member = ctp()
    pid = app.init().pid
    app.add_offsets(pid, 0)
    app.commit_offsets(pid, 0, [(0, 42)])
    pidx = offsets_pidx(h)
    broker.coordinator.unload(pidx)             # a failover: the partition is loaded afresh
    broker.coordinator.load(pidx)
    assert member.fetch((0,)).error == UNSTABLE_OFFSET_COMMIT
    app.end(pid, 0)
    h.run(h.engine.now + 10 * MS)
    assert member.fetch((0,), tag="after").offsets == {0: 42}
    broker.coordinator.unload(pidx)             # and again, now with the marker in the log
    broker.coordinator.load(pidx)
    assert member.fetch((0,), tag="reloaded").offsets == {0: 42}


def _txn(offset, pid, record):
    return Batch(offset, 1, 0, -1, record, pid, 0, -1, 100, 0, True)


def _plain(offset, record):
    return Batch(offset, 1, 0, -1, record, -1, -1, -1, 100, 0)


def _marker(offset, pid, result):
    return Batch(offset, 1, 0, -1, -1, pid, 0, -1, CONTROL_BATCH_SIZE, 0, False, result)


def test_replay_completes_committed_drops_aborted_and_keeps_open_transactions_pending():
    store = RecordStore()
    a, b, c, d = (store.add(CommitRecord(GROUP, offsets)) for offsets in
                  (((0, 10),), ((1, 20),), ((2, 30),), ((0, 5),)))
    log = [_txn(0, 1, a), _txn(1, 2, b), _txn(2, 3, c), _plain(3, d), _marker(4, 1, COMMIT),
           _marker(5, 2, ABORT)]
    group = store.replay(log, 0)[GROUP]
    # producer 1's offset 10 was written before the ordinary commit of 5: the commit wins
    assert group.committed == {0: 5}
    assert group.pending_txn == {3: {2: [30, 2, ""]}}
    assert group.has_pending_offset_commits(2) and not group.has_pending_offset_commits(1)


def test_a_failover_between_the_offset_commit_and_the_marker_keeps_the_offsets_pending():
    """The offsets partition (replicas broker-0 and broker-1, both real) moves to broker-1
    after the TxnOffsetCommit: broker-1 loads the commit as pending from its replica, and
    the coordinator's marker, sent to the new leader, completes it there."""
    h = harness(offsets_rf=2)
    ctx = h.broker_context()                    # one record store for the run
    brokers = [Broker(b, ctx, h.disk()) for b in (0, 1)]
    orders = h.peer("broker-2", markers_ok)
    h.nodes.brokers.extend([*(h.add(b) for b in brokers), orders])
    pidx = offsets_pidx(h)
    moved = (PartitionState(pidx, 1, 1, 1, (1,), replicas=(0, 1)),)
    told: set = set()

    def control(request):
        if isinstance(request, BrokerHeartbeat):
            return BrokerHeartbeatResponse(None, fenced=False, caught_up=True)
        if isinstance(request, MetadataFetch) and h.engine.now >= 2 * S \
                and request.broker not in told:
            told.add(request.broker)
            return MetadataRecords(request.offset, None, moved)
        return None
    h.nodes.controller = h.peer("controller", control)
    for b in brokers:
        b.boot(h.image(), broker_epoch=b.id + 1)
    app, member = CtpClient(h, brokers[0]), Member(h, brokers[1])
    pid = app.init().pid
    app.add_offsets(pid, 0)
    assert app.commit_offsets(pid, 0, [(0, 42)]).error is None       # on both replicas
    h.run(3 * S)
    assert brokers[1].replicas[pidx].is_leader and GROUP not in brokers[0].coordinator.groups
    assert member.fetch((0,)).error == UNSTABLE_OFFSET_COMMIT
    assert app.end(pid, 0).error is None
    h.run(h.engine.now + 50 * MS)
    assert member.fetch((0,), tag="after").offsets == {0: 42}
    assert committed(h) == [(GROUP, TXN, 0, 42)]
