"""WriteTxnMarkers and read_committed reads on a broker built alone (tests/unit/hosts.py), the
way Kafka's KafkaApisTest.testWriteTxnMarkers* and ReplicaManagerTest drive it: a
transactional producer's batches, then the coordinator's marker, appended as a control batch
with acks=all semantics and checked against the partition's producer state; consumer fetches
at both isolation levels."""

from sim.cluster.broker import Broker
from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    INVALID_PRODUCER_EPOCH,
    INVALID_TXN_STATE,
    LATEST,
    NOT_ENOUGH_REPLICAS,
    NOT_LEADER_OR_FOLLOWER,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    TRANSACTION_COORDINATOR_FENCED,
    BatchData,
    FetchData,
    FetchPartition,
    FetchRequest,
    FetchResponse,
    ListOffsets,
    ProduceRequest,
    TxnMarker,
    WriteTxnMarkers,
    WriteTxnMarkersResponse,
)
from sim.cluster.txn_markers import UNKNOWN_TOPIC_OR_PARTITION
from sim.core.records import MarkerAppended, TxnBatchAppended
from sim.core.units import MS, S
from tests.unit.hosts import Harness
from tests.unit.test_hosts_alone import _controller_peer

TOPICS = {"orders": {"partitions": 2, "replication.factor": 1}}
PID = 4000


def txn_batch(seq=0, count=10, epoch=0, transactional=True):
    return BatchData(producer=0, first_seq=seq, count=count, size=1000, pid=PID,
                     producer_epoch=epoch, base_sequence=seq, transactional=transactional)


def alone(topics=TOPICS, brokers=1, isr=None):
    h = Harness({"cluster": {"brokers": brokers}, "topics": topics})
    broker = Broker(0, h.broker_context(), h.disk())
    followers = [h.peer(f"broker-{b}") for b in range(1, brokers)]
    h.nodes.brokers.extend([h.add(broker), *followers])
    h.nodes.controller = h.peer("controller")
    broker.boot(h.image(isr), broker_epoch=1)
    return h, broker, followers


def markers(*markers_):
    return WriteTxnMarkers(tuple(markers_))


def marker(result=COMMIT, epoch=0, coordinator_epoch=0, pidxs=(0,)):
    return TxnMarker(PID, epoch, result, coordinator_epoch, pidxs)


def answers(peer):
    return [r for _t, _tag, r in peer.responses]


def test_a_commit_marker_is_appended_as_a_one_record_control_batch_and_ends_the_transaction():
    h, broker, _ = alone()
    app, coordinator = h.peer("app"), h.peer("coordinator")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, txn_batch()),), "t"))
    h.engine.at(5 * MS, coordinator.send, broker, markers(marker()))
    h.run(10 * MS)
    assert answers(app)[0].results[0] == (None, 0)
    assert answers(coordinator) == [WriteTxnMarkersResponse({PID: {0: None}})]
    replica = broker.replicas[0]
    data, control = replica.log.batches
    assert data.transactional and data.control is None
    assert (control.base_offset, control.count, control.control, control.pid,
            control.producer, control.size) == (10, 1, COMMIT, PID, -1, CONTROL_BATCH_SIZE)
    assert replica.producers.ongoing == {}
    assert replica.producers.last_stable_offset(replica.log) == replica.log.hw == 11
    (m,) = h.trace.rows(MarkerAppended)
    assert (m.offset, m.pid, m.result) == (10, PID, COMMIT)
    (t,) = h.trace.rows(TxnBatchAppended)
    assert (t.base_offset, t.pid, t.count) == (0, PID, 10)


def test_the_lso_stays_at_an_open_transactions_first_offset_until_its_marker():
    h, broker, _ = alone()
    app, coordinator = h.peer("app"), h.peer("coordinator")
    plain = BatchData(producer=0, first_seq=0, count=5, size=500, pid=-1, producer_epoch=-1,
                      base_sequence=-1)
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, plain),)))
    h.engine.at(2 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, txn_batch()),), "t"))
    h.engine.at(3 * MS, app.send, broker,
                ProduceRequest(-1, 30 * S, ((0, plain._replace(first_seq=5)),)))
    h.run(5 * MS)
    replica = broker.replicas[0]
    assert replica.log.hw == 20
    assert replica.producers.last_stable_offset(replica.log) == 5
    h.engine.at(6 * MS, coordinator.send, broker, markers(marker(ABORT)))
    h.run(10 * MS)
    assert replica.producers.last_stable_offset(replica.log) == 21
    assert replica.producers.aborted.collect(0, 21) == ((PID, 5),)


def test_a_marker_waits_for_the_isr_like_an_acks_all_produce():
    topics = {"orders": {"partitions": 1, "replication.factor": 2}}
    h, broker, (f1,) = alone(topics, brokers=2)
    coordinator = h.peer("coordinator")
    h.engine.at(1 * MS, coordinator.send, broker, markers(marker()))
    h.run(10 * MS)
    assert answers(coordinator) == [] and broker.replicas[0].log.leo == 1
    fetch = FetchRequest(replica=1, broker_epoch=2, partitions={0: FetchPartition(1, 0, 0)},
                         max_wait_us=500 * MS, max_bytes=1 << 20)
    h.engine.at(10 * MS, f1.send, broker, fetch)
    h.run(20 * MS)
    assert answers(coordinator) == [WriteTxnMarkersResponse({PID: {0: None}})]


def test_markers_are_refused_where_the_broker_cannot_append_them():
    topics = {"orders": {"partitions": 1, "replication.factor": 2,
                         "config": {"min.insync.replicas": 2}}}
    h, broker, _ = alone(topics, brokers=2, isr={0: (0,)})
    coordinator = h.peer("coordinator")
    broker.replicas[0].is_leader = False
    h.engine.at(1 * MS, coordinator.send, broker, markers(marker(pidxs=(0, 7))))
    h.run(5 * MS)
    broker.replicas[0].is_leader = True
    h.engine.at(6 * MS, coordinator.send, broker, markers(marker()))
    h.run(10 * MS)
    assert answers(coordinator) == [
        WriteTxnMarkersResponse({PID: {0: NOT_LEADER_OR_FOLLOWER, 7: UNKNOWN_TOPIC_OR_PARTITION}}),
        WriteTxnMarkersResponse({PID: {0: NOT_ENOUGH_REPLICAS}})]
    assert broker.replicas[0].log.leo == 0


def test_a_marker_from_an_older_producer_or_coordinator_epoch_is_fenced():
    h, broker, _ = alone()
    app, coordinator = h.peer("app"), h.peer("coordinator")
    h.engine.at(1 * MS, app.send, broker,
                ProduceRequest(-1, 30 * S, ((0, txn_batch(epoch=3)),), "t"))
    h.engine.at(2 * MS, coordinator.send, broker, markers(marker(epoch=2)))
    h.engine.at(3 * MS, coordinator.send, broker, markers(marker(epoch=3, coordinator_epoch=5)))
    h.engine.at(4 * MS, coordinator.send, broker, markers(marker(epoch=3, coordinator_epoch=4)))
    h.run(10 * MS)
    assert [r.results[PID][0] for r in answers(coordinator)] == [
        INVALID_PRODUCER_EPOCH, None, TRANSACTION_COORDINATOR_FENCED]
    assert [b.control for b in broker.replicas[0].log.batches] == [None, COMMIT]


def test_one_request_answers_every_marker_and_partition():
    h, broker, _ = alone()
    coordinator = h.peer("coordinator")
    other = TxnMarker(PID + 1, 0, ABORT, 0, (0, 1))
    h.engine.at(1 * MS, coordinator.send, broker, markers(marker(pidxs=(1,)), other))
    h.run(5 * MS)
    assert answers(coordinator) == [
        WriteTxnMarkersResponse({PID: {1: None}, PID + 1: {0: None, 1: None}})]
    assert [len(broker.replicas[p].log.batches) for p in (0, 1)] == [1, 2]


def test_a_plain_batch_inside_an_open_transaction_is_an_invalid_txn_state():
    h, broker, _ = alone()
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, txn_batch()),), "t"))
    h.engine.at(2 * MS, app.send, broker,
                ProduceRequest(-1, 30 * S, ((0, txn_batch(10, transactional=False)),)))
    h.run(5 * MS)
    assert [r.results[0][0] for r in answers(app)] == [None, INVALID_TXN_STATE]


# -- reads ---------------------------------------------------------------------------------

def _consumer_fetch(isolation, offset=0):
    return FetchRequest(replica=-1, broker_epoch=-1, partitions={0: FetchPartition(offset, -1, 0)},
                        max_wait_us=0, max_bytes=1 << 20, isolation_level=isolation)


def test_a_read_committed_fetch_stops_at_the_lso_and_lists_the_aborted_transactions():
    h, broker, _ = alone()
    app, coordinator, reader = h.peer("app"), h.peer("coordinator"), h.peer("reader")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, txn_batch()),), "t"))
    h.engine.at(3 * MS, reader.send, broker, _consumer_fetch(READ_COMMITTED), "open")
    h.engine.at(3 * MS, reader.send, broker, _consumer_fetch(READ_UNCOMMITTED), "dirty")
    h.engine.at(5 * MS, coordinator.send, broker, markers(marker(ABORT)))
    h.engine.at(8 * MS, reader.send, broker, _consumer_fetch(READ_COMMITTED), "decided")
    h.engine.at(8 * MS, reader.send, broker, ListOffsets({0: LATEST}, READ_COMMITTED), "list")
    h.run(12 * MS)
    got = {tag: r for _t, tag, r in reader.responses}
    opened = got["open"].partitions[0]
    assert (opened.batches, opened.hw, opened.last_stable_offset) == ((), 10, 0)
    assert [b.base_offset for b in got["dirty"].partitions[0].batches] == [0]
    assert got["dirty"].partitions[0].last_stable_offset == -1
    decided = got["decided"].partitions[0]
    assert [b.base_offset for b in decided.batches] == [0, 10]
    assert decided.last_stable_offset == 11 and decided.aborted == ((PID, 0),)
    assert got["list"].partitions[0] == (None, 11)


def test_a_parked_read_committed_fetch_waits_for_the_lso_not_the_hw():
    h, broker, _ = alone()
    app, coordinator, reader = h.peer("app"), h.peer("coordinator"), h.peer("reader")
    parked = _consumer_fetch(READ_COMMITTED)._replace(max_wait_us=500 * MS)
    h.engine.at(1 * MS, reader.send, broker, parked, "parked")
    h.engine.at(3 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, txn_batch()),), "t"))
    h.run(20 * MS)
    assert broker.replicas[0].log.hw == 10 and reader.responses == []   # the HW moved alone
    h.engine.at(20 * MS, coordinator.send, broker, markers(marker(COMMIT)))
    h.run(30 * MS)
    (t, _tag, response), = reader.responses
    assert t == 22 * MS and [b.base_offset for b in response.partitions[0].batches] == [0, 10]


# -- followers -----------------------------------------------------------------------------

def test_a_follower_replicates_markers_and_serves_read_committed_below_its_own_lso():
    """broker-1 follows a fake leader with an aborted transaction [0, 3), its marker at 3 and
    an open one from 4; it keeps the same producer state and serves a consumer with a rack
    (KIP-392) from its own LSO, then forgets what a truncation removes."""
    topics = {"orders": {"partitions": 1, "replication.factor": 3, "assignment": [[0, 1, 2]]}}
    h = Harness({"cluster": {"brokers": 3}, "topics": topics})
    log = (Batch(0, 3, 0, 0, 0, PID, 0, 0, 300, 0, True),
           Batch(3, 1, 0, -1, -1, PID, 0, -1, CONTROL_BATCH_SIZE, 0, False, ABORT, 0),
           Batch(4, 2, 0, 0, 3, PID + 1, 0, 0, 200, 0, True))

    def leader(request):
        if not isinstance(request, FetchRequest):
            return None
        offset = request.partitions[0].fetch_offset
        return FetchResponse({0: FetchData(None, 6, 0, tuple(b for b in log
                                                             if b.base_offset >= offset),
                                           None, 6)})
    fake = h.peer("broker-0", leader)
    broker = Broker(1, h.broker_context(), h.disk())
    h.nodes.brokers.extend([fake, h.add(broker), h.peer("broker-2")])
    h.nodes.controller = _controller_peer(h)
    broker.boot(h.image(), broker_epoch=2)
    h.run(50 * MS)
    replica = broker.replicas[0]
    assert (replica.log.leo, replica.log.hw) == (6, 6)
    assert replica.producers.aborted.entries == [(PID, 0, 3)]
    assert replica.producers.last_stable_offset(replica.log) == 4
    reader = h.peer("reader")
    read = _consumer_fetch(READ_COMMITTED)._replace(rack_id="r")
    h.engine.at(50 * MS, reader.send, broker, read)
    h.run(60 * MS)
    (_t, _tag, response), = reader.responses
    data = response.partitions[0]
    assert [b.base_offset for b in data.batches] == [0, 3]
    assert (data.last_stable_offset, data.aborted) == (4, ((PID, 0),))
    broker.storage.truncate(replica, 3, "diverging_epoch")
    assert replica.producers.aborted.entries == [] and list(replica.producers.ongoing) == [0]
