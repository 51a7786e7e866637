"""A reassignment's steps on hosts built alone (tests/unit/hosts.py): the controller starting
and completing it, a new replica following the leader from its log start, the leader taking
it into the ISR, and a removed replica stopping and deleting its log (KIP-455)."""

from sim.cluster.broker import Broker
from sim.cluster.controller import Controller
from sim.cluster.log import Batch
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import (
    NOT_LEADER_OR_FOLLOWER,
    AlterPartition,
    BatchData,
    FetchPartition,
    FetchRequest,
    ProduceRequest,
)
from sim.cluster.replication_quota import follower_quota
from sim.core.records import ReassignmentChanged, ReplicaDeleted
from sim.core.units import MS, S
from tests.unit.hosts import Harness
from tests.unit.test_hosts_alone import _controller_peer

TOPIC = {"orders": {"partitions": 1, "replication.factor": 3, "assignment": [[0, 1, 2]],
                    "config": {"min.insync.replicas": 2}}}
MOVE = [{"at": "5s", "reassign": {"topic": "orders", "assignment": [[3, 1, 2]]}}]
BATCH = BatchData(producer=0, first_seq=0, count=10, size=1000, pid=-1, producer_epoch=-1,
                  base_sequence=-1)
STARTED = PartitionState(0, 0, 0, 1, (0, 1, 2), replicas=(3, 1, 2, 0), adding=(3,),
                         removing=(0,))


def _harness(**topic_config):
    topics = {"orders": dict(TOPIC["orders"], config={"min.insync.replicas": 2, **topic_config})}
    return Harness({"cluster": {"brokers": 4}, "topics": topics, "timeline": MOVE})


def test_the_controller_completes_a_reassignment_when_the_leader_brings_the_new_replica_in():
    h = _harness()
    peers = [h.peer(f"broker-{b}") for b in range(4)]
    h.nodes.brokers.extend(peers)
    controller = h.nodes.controller = h.add(Controller(h.controller_context()))
    controller.boot()
    assert controller.reassign(0, (3, 1, 2))
    assert not controller.reassign(0, (3, 1, 2, 0))              # its replicas already
    assert controller.image.partitions[0] == STARTED
    request = AlterPartition(0, 0, 0, 0, 1, (0, 1, 2, 3))       # broker-0 at epoch 0 leads
    h.engine.at(1 * MS, peers[0].send, controller, request)
    h.run(10 * MS)
    (_t, _tag, response), = peers[0].responses
    assert response.error is None
    done = controller.image.partitions[0]
    assert (done.replicas, done.isr, done.leader, done.leader_epoch) == ((3, 1, 2), (1, 2, 3),
                                                                        3, 1)
    steps = [(r.phase, r.replicas) for r in h.trace.rows(ReassignmentChanged)]
    assert steps == [("started", (3, 1, 2, 0)), ("completed", (3, 1, 2))]


def test_an_isr_naming_a_broker_outside_the_replicas_is_refused_until_it_is_added():
    h = _harness()
    peers = [h.peer(f"broker-{b}") for b in range(4)]
    h.nodes.brokers.extend(peers)
    controller = h.nodes.controller = h.add(Controller(h.controller_context()))
    controller.boot()
    h.engine.at(1 * MS, peers[0].send, controller, AlterPartition(0, 0, 0, 0, 0, (0, 1, 2, 3)))
    h.run(10 * MS)
    (_t, _tag, response), = peers[0].responses
    assert response.error == "INVALID_REQUEST"


def test_a_new_replica_follows_the_leader_from_its_log_start():
    h = _harness()
    broker = Broker(3, h.broker_context(), h.disk())
    leader = h.peer("broker-0")
    h.nodes.brokers.extend([leader, h.peer("broker-1"), h.peer("broker-2"), h.add(broker)])
    h.nodes.controller = _controller_peer(h, records=[STARTED])
    broker.boot(h.image(), broker_epoch=4)
    assert not broker.replicas[0].hosted
    h.run(4 * MS)
    assert not leader.requests(FetchRequest)                    # not a replica yet
    h.run(20 * MS)
    (fetch, *_rest) = leader.requests(FetchRequest)
    assert fetch.replica == 3 and fetch.partitions[0].fetch_offset == 0
    assert broker.replicas[0].hosted and broker.replicas[0].leader == 0


def test_the_leader_takes_the_new_replica_into_the_isr_once_it_has_caught_up():
    h = _harness()
    broker = Broker(0, h.broker_context(), h.disk())
    newcomer = h.peer("broker-3")
    h.nodes.brokers.extend([h.add(broker), h.peer("broker-1"), h.peer("broker-2"), newcomer])
    h.nodes.controller = _controller_peer(h, records=[STARTED])
    broker.boot(h.image(), broker_epoch=1)
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(1, 30 * S, ((0, BATCH),)))
    h.run(10 * MS)
    assert 3 in broker.replicas[0].followers
    for t, offset in ((10, 0), (15, 10)):
        request = FetchRequest(replica=3, broker_epoch=4,
                               partitions={0: FetchPartition(offset, 0 if offset else -1, 0)},
                               max_wait_us=500 * MS, max_bytes=1 << 20)
        h.engine.at(t * MS, newcomer.send, broker, request)
    h.run(30 * MS)
    alters = h.nodes.controller.requests(AlterPartition)
    assert [a.isr for a in alters] == [(0, 1, 2, 3)]


def test_a_removed_replica_stops_and_deletes_its_log():
    h = _harness()
    broker = Broker(0, h.broker_context(), h.disk())
    h.nodes.brokers.extend([h.add(broker), *(h.peer(f"broker-{b}") for b in (1, 2, 3))])
    moved = PartitionState(0, 3, 1, 2, (1, 2, 3), replicas=(3, 1, 2))
    h.nodes.controller = _controller_peer(h, records=[moved])
    broker.boot(h.image(), broker_epoch=1)
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(1, 30 * S, ((0, BATCH),)))
    h.engine.at(10 * MS, app.send, broker, ProduceRequest(1, 30 * S, ((0, BATCH),)))
    h.run(20 * MS)
    (deleted,) = h.trace.rows(ReplicaDeleted)
    assert (deleted.broker, deleted.partition, deleted.leo) == (0, 0, 10)
    replica = broker.replicas[0]
    assert not replica.hosted and replica.log.leo == 0 and not replica.is_leader
    assert [r.results[0][0] for _t, _tag, r in app.responses] == [None, NOT_LEADER_OR_FOLLOWER]


def test_a_new_replica_named_on_the_follower_throttled_list_is_throttled():
    h = Harness({"cluster": {"brokers": 4,
                             "config": {"follower.replication.throttled.rate": 1 << 20}},
                 "topics": {"orders": dict(TOPIC["orders"], config={
                     "follower.replication.throttled.replicas": "0:3"})},
                 "timeline": MOVE})
    broker = Broker(3, h.broker_context(), h.disk())
    assert follower_quota(broker).partitions == frozenset({0})


def test_a_broker_that_learns_of_its_removal_from_a_snapshot_deletes_its_log():
    """A broker down while a reassignment removed it deletes the stray log when its next
    process installs the metadata."""
    h = _harness()
    broker = Broker(0, h.broker_context(), h.disk())
    h.nodes.brokers.extend([h.add(broker), *(h.peer(f"broker-{b}") for b in (1, 2, 3))])
    h.nodes.controller = _controller_peer(h)
    image = h.image()
    image.apply(PartitionState(0, 3, 1, 2, (1, 2, 3), replicas=(3, 1, 2)))
    broker.replicas[0].log.append(Batch(0, 10, 0, 0, 0, -1, -1, -1, 1000, 0))
    broker.boot(image, broker_epoch=1)
    (deleted,) = h.trace.rows(ReplicaDeleted)
    assert (deleted.broker, deleted.leo) == (0, 10)
    assert not broker.replicas[0].hosted and broker.replicas[0].log.leo == 0
    assert broker.fetchers == {}
