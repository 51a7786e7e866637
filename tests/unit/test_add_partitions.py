"""CreatePartitions on hosts built alone (tests/unit/hosts.py): the new partitions' slots in
the topology, the controller registering them (ReplicationControlManager.createPartitions),
a broker hosting its new replica once the metadata names it, and a group's leader rejoining
when its metadata shows the new count (ConsumerCoordinator.rejoinNeededOrPending)."""

from sim.clients.consumer import Consumer
from sim.cluster.broker import Broker
from sim.cluster.controller import Controller
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import (
    ELECTION_NOT_NEEDED,
    INVALID_REPLICATION_FACTOR,
    PREFERRED,
    UNKNOWN_TOPIC_OR_PARTITION,
    ControlledShutdown,
    ElectLeaders,
    MetadataRequest,
    MetadataResponse,
)
from sim.cluster.topology import OFFSETS_TOPIC, group_partition
from sim.core.records import LeaderChanged
from sim.core.units import MS
from tests.unit.hosts import Harness
from tests.unit.test_hosts_alone import _controller_peer

TOPIC = {"orders": {"partitions": 2, "replication.factor": 2}}
GROW = [{"at": "5s", "add_partitions": {"topic": "orders", "count": 3}}]


def _harness(timeline=GROW, **raw):
    return Harness({"cluster": {"brokers": 3}, "topics": TOPIC, "timeline": timeline, **raw})


def _controller(h):
    peers = [h.peer(f"broker-{b}") for b in range(3)]
    h.nodes.brokers.extend(peers)
    controller = h.nodes.controller = h.add(Controller(h.controller_context()))
    controller.boot()
    return controller, peers


def test_the_new_partitions_get_slots_after_every_other_partition():
    h = _harness(consumers={"billing": {"topic": "orders"}})
    slots = [(i.topic, i.partition, i.added_by) for i in h.topology.partitions]
    offsets = group_partition("billing", 50)
    assert slots == [("orders", 0, -1), ("orders", 1, -1), (OFFSETS_TOPIC, offsets, -1),
                     ("orders", 2, 0)]
    assert h.topology.by_topic["orders"] == [0, 1, 3]
    assert h.topology.partitions[3].replicas == (2, 0)     # replica j on broker (p + j) % 3


def test_an_explicit_assignment_places_the_new_partitions():
    h = _harness([{"at": "5s", "add_partitions": {"topic": "orders", "count": 4,
                                                  "assignment": [[1, 2], [2, 1]]}}])
    assert [i.replicas for i in h.topology.partitions[2:]] == [(1, 2), (2, 1)]


def test_the_controller_registers_the_new_partitions_only_when_asked():
    h = _harness()
    controller, _peers = _controller(h)
    assert sorted(controller.image.partitions) == [0, 1]
    assert controller.create_partitions([2]) is None
    assert controller.image.partitions[2] == PartitionState(2, 2, 0, 0, (0, 2))
    last = h.trace.rows(LeaderChanged)[-1]
    assert (last.partition, last.leader, last.election) == (2, 2, "created")


def test_a_new_partition_leaves_its_inactive_replicas_out_of_the_isr():
    h = _harness()
    controller, peers = _controller(h)
    epoch = controller.image.brokers[2].broker_epoch
    h.engine.at(1 * MS, peers[2].send, controller, ControlledShutdown(2, epoch))
    h.run(5 * MS)
    assert controller.create_partitions([2]) is None
    assert controller.image.partitions[2] == PartitionState(2, 0, 0, 0, (0,))


def test_the_request_fails_whole_when_a_new_partition_has_no_active_replica():
    h = _harness([{"at": "5s", "add_partitions": {"topic": "orders", "count": 4,
                                                  "assignment": [[1, 0], [2, 0]]}}])
    controller, peers = _controller(h)
    for b in (0, 2):
        epoch = controller.image.brokers[b].broker_epoch
        h.engine.at(1 * MS, peers[b].send, controller, ControlledShutdown(b, epoch))
    h.run(5 * MS)
    assert controller.create_partitions([2, 3]) == INVALID_REPLICATION_FACTOR
    assert sorted(controller.image.partitions) == [0, 1]


def test_a_broker_hosts_its_new_replica_once_the_metadata_names_it():
    h = _harness()
    broker = Broker(2, h.broker_context(), h.disk())
    h.nodes.brokers.extend([h.peer("broker-0"), h.peer("broker-1"), h.add(broker)])
    h.nodes.controller = _controller_peer(h, records=[PartitionState(2, 2, 0, 0, (0, 2))])
    broker.boot(h.image(), broker_epoch=3)
    replica = broker.replicas[2]
    assert not replica.hosted and not replica.is_leader
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, MetadataRequest(("orders",)))
    h.engine.at(20 * MS, app.send, broker, MetadataRequest(("orders",)))
    h.run(30 * MS)
    before, after = (r.partitions for _t, _tag, r in app.responses)
    assert sorted(before) == [0, 1]                      # not created yet: not named at all
    assert after[2] == (2, 0)
    assert replica.hosted and replica.is_leader


def _member(h):
    consumer = Consumer(h.spec.consumers["billing"], 0, h.client_context())
    consumer.fetcher.leaders = {0: (0, 0), 1: (1, 0)}
    return consumer


def _grown(h):
    """A metadata answer naming the new partition (after the offsets partition's slot)."""
    new = h.topology.by_topic["orders"][2]
    return MetadataResponse({0: (0, 0), 1: (1, 0), new: (2, 0)}, (0, 1, 2))


def test_the_group_leader_assigns_what_its_metadata_knows_and_rejoins_when_it_grows():
    h = _harness(consumers={"billing": {"topic": "orders"}})
    consumer = _member(h)
    assignment = consumer.membership._assign("range", [("m", None, ["orders"], [], -1)])
    assert assignment == {"m": (("orders", 0), ("orders", 1))}
    consumer.membership.rejoin_needed = False
    consumer.fetcher._on_metadata(MetadataResponse({0: (0, 0), 1: (1, 0)}, (0, 1, 2)))
    assert not consumer.membership.rejoin_needed         # the same count
    consumer.fetcher._on_metadata(_grown(h))
    assert consumer.membership.rejoin_needed
    assert consumer.partition_counts() == {"orders": 3}


def test_a_member_that_did_not_assign_does_not_rejoin_on_the_new_count():
    h = _harness(consumers={"billing": {"topic": "orders"}})
    consumer = _member(h)
    consumer.membership.rejoin_needed = False
    consumer.fetcher._on_metadata(_grown(h))
    assert not consumer.membership.rejoin_needed


def test_an_election_for_a_partition_not_created_yet_is_unknown():
    h = _harness()
    controller, peers = _controller(h)
    h.engine.at(1 * MS, peers[0].send, controller, ElectLeaders(PREFERRED, (0, 2)))
    h.run(5 * MS)
    (_t, _tag, response), = peers[0].responses
    assert response.results == ((0, ELECTION_NOT_NEEDED), (2, UNKNOWN_TOPIC_OR_PARTITION))
