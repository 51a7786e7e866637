"""A broker, its replica manager and group coordinator, the controller and a producer's
sender, each built alone from a narrow context and driven by requests (tests/unit/hosts.py),
the way Kafka's ReplicaManagerTest, QuorumControllerTest, SenderTest and
GroupCoordinatorTest drive one component around mocks."""

from sim.clients.producer import Producer
from sim.cluster.broker import Broker
from sim.cluster.controller import Controller
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import (
    MEMBER_ID_REQUIRED,
    NOT_ENOUGH_REPLICAS,
    NOT_LEADER_OR_FOLLOWER,
    REBALANCE_IN_PROGRESS,
    AlterPartition,
    BatchData,
    BrokerHeartbeat,
    BrokerHeartbeatResponse,
    FetchPartition,
    FetchRequest,
    FindCoordinator,
    Heartbeat,
    JoinGroup,
    MetadataFetch,
    MetadataRecords,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
    ProduceResponse,
    SyncGroup,
)
from sim.core.units import MS, S
from tests.unit.hosts import Harness

TOPIC = {"orders": {"partitions": 1, "replication.factor": 3,
                    "config": {"min.insync.replicas": 2}}}
BATCH = BatchData(producer=0, first_seq=0, count=10, size=1000, pid=-1, producer_epoch=-1,
                  base_sequence=-1)


def _controller_peer(h, records=()):
    """A controller that keeps every broker unfenced and answers the first metadata fetch
    with `records` 5 ms later (later fetches wait)."""
    unsent = [tuple(records)] if records else []

    def answer(request):
        if isinstance(request, BrokerHeartbeat):
            return BrokerHeartbeatResponse(None, fenced=False, caught_up=True)
        if isinstance(request, MetadataFetch) and unsent:
            return MetadataRecords(request.offset, None, unsent.pop())
        return None
    return h.peer("controller", answer, delay_us=5 * MS)


def _leader_alone(h, isr=None, records=()):
    """broker-0 leading orders-0 with broker-1 and broker-2 as fake followers."""
    broker = Broker(0, h.broker_context(), h.disk())
    followers = [h.peer(f"broker-{b}") for b in (1, 2)]
    h.nodes.brokers.extend([h.add(broker), *followers])
    h.nodes.controller = _controller_peer(h, records)
    broker.boot(h.image(isr), broker_epoch=1)
    return broker, followers


def _fetch(follower, broker, offset, epoch=0, leader_epoch=0):
    request = FetchRequest(replica=int(follower.name[-1]), broker_epoch=int(follower.name[-1]) + 1,
                           partitions={0: FetchPartition(offset, epoch if offset else -1,
                                                         leader_epoch)},
                           max_wait_us=500 * MS, max_bytes=1 << 20)
    follower.send(broker, request, tag=offset)


def test_an_acks_all_write_is_answered_once_every_isr_member_has_fetched_past_it():
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC})
    broker, (f1, f2) = _leader_alone(h)
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, BATCH),)))
    h.engine.at(5 * MS, _fetch, f1, broker, 0)
    h.engine.at(10 * MS, _fetch, f1, broker, 10)      # the leader learns f1's LEO is 10
    h.run(20 * MS)
    assert app.responses == []                        # the HW waits for f2
    (_t, _tag, data), = [r for r in f1.responses if r[1] == 0]
    assert data.partitions[0].batches and data.partitions[0].hw == 0
    h.engine.at(20 * MS, _fetch, f2, broker, 0)
    h.engine.at(25 * MS, _fetch, f2, broker, 10)
    h.run(40 * MS)
    (t, _tag, response), = app.responses
    assert isinstance(response, ProduceResponse) and response.results[0] == (None, 0)
    assert t == 27 * MS                               # f2's fetch arrives at 26 ms, 1 ms back
    assert broker.replicas[0].log.hw == 10


def test_acks_all_below_min_isr_is_refused_without_an_append():
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC})
    broker, _ = _leader_alone(h, isr={0: (0,)})        # the ISR has shrunk to the leader
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(-1, 30 * S, ((0, BATCH),)))
    h.run(10 * MS)
    (_t, _tag, response), = app.responses
    assert response.results[0][0] == NOT_ENOUGH_REPLICAS
    assert broker.replicas[0].log.leo == 0


def test_a_follower_past_the_end_of_its_last_epoch_is_told_where_the_logs_diverge():
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC})
    # the controller makes broker-0 leader again at epoch 1 (its answer arrives at 6 ms)
    broker, (f1, _f2) = _leader_alone(h, isr={0: (0,)},
                                      records=[PartitionState(0, 0, 1, 1, (0,))])
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(1, 30 * S, ((0, BATCH),)))
    h.engine.at(10 * MS, app.send, broker,
                ProduceRequest(1, 30 * S, ((0, BATCH._replace(first_seq=10)),)))
    # f1 claims offsets up to 15 all written in epoch 0, which ended at offset 10
    h.engine.at(20 * MS, _fetch, f1, broker, 15, 0, 1)
    h.run(30 * MS)
    assert [r.results[0] for _t, _tag, r in app.responses] == [(None, 0), (None, 10)]
    (_t, _tag, response), = f1.responses
    data = response.partitions[0]
    assert data.error is None and data.diverging == (0, 10) and not data.batches


def test_a_follower_that_stops_fetching_leaves_the_isr_after_replica_lag_time_max_ms():
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC})
    broker, (f1, _f2) = _leader_alone(h)
    for t in range(1, 60):
        h.engine.at(t * S, _fetch, f1, broker, 0)     # f1 keeps up, f2 is silent
    h.run(60 * S)
    alters = [(t, r) for t, r in h.nodes.controller.got if isinstance(r, AlterPartition)]
    (t, first), *_ = alters
    assert first.isr == (0, 1) and first.broker == 0
    # checked every replica.lag.time.max.ms / 2 = 15 s; f2 is out once 30 s have passed
    # since it was last caught up (the leadership began at 0): the check at 45 s, + 1 ms
    assert t == 45 * S + 1 * MS


def test_the_controller_fences_a_broker_whose_heartbeats_stop_and_moves_its_leadership():
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC})
    peers = [h.peer(f"broker-{b}") for b in range(3)]
    h.nodes.brokers.extend(peers)
    controller = h.nodes.controller = h.add(Controller(h.controller_context()))
    controller.boot()
    for b in (1, 2):                                  # broker-0 never heartbeats
        for t in range(0, 20_000, 2000):
            h.engine.at(t * MS + b, peers[b].send, controller,
                        BrokerHeartbeat(b, b, controller.image.offset, False), t)
    for t in (8 * S, 10 * S):
        h.engine.at(t, peers[1].send, controller, MetadataFetch(1, -1), t)
    h.run(20 * S)
    snapshots = {tag: r.snapshot for _t, tag, r in peers[1].responses
                 if tag in (8 * S, 10 * S)}
    before, after = snapshots[8 * S].partitions[0], snapshots[10 * S].partitions[0]
    assert (before.leader, before.leader_epoch) == (0, 0)
    # broker.session.timeout.ms = 9 s after its last heartbeat (at boot, t = 0)
    assert (after.leader, after.leader_epoch) == (1, 1) and 0 not in after.isr
    assert snapshots[10 * S].brokers[0].fenced


def test_the_sender_retries_a_refused_batch_on_the_new_leader_after_a_metadata_refresh():
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC,
                 "producers": {"app": {"topic": "orders", "rate": "100/s",
                                       "config": {"acks": "all", "enable.idempotence": False}}}})

    def leader_moved(request):
        if isinstance(request, ProduceRequest):
            return ProduceResponse({p: (NOT_LEADER_OR_FOLLOWER, -1) for p, _b in request.batches})
        if isinstance(request, MetadataRequest):
            return MetadataResponse({0: (1, 1)}, (0, 1, 2))
        return None

    def accepts(request):
        if isinstance(request, ProduceRequest):
            return ProduceResponse({p: (None, 0) for p, _b in request.batches})
        return leader_moved(request)

    brokers = [h.peer("broker-0", leader_moved), h.peer("broker-1", accepts),
               h.peer("broker-2", leader_moved)]
    h.nodes.brokers.extend(brokers)
    producer = h.add(Producer(h.spec.producers["app"], 0, h.client_context()))
    h.contents.producers.append(producer)
    producer.boot({0: (0, 0)}, pid=-1)
    h.run(200 * MS)
    (t_refused, refused), *_ = [(t, r) for t, r in brokers[0].got
                                if isinstance(r, ProduceRequest)]
    (t_retried, retried), *_ = [(t, r) for t, r in brokers[1].got
                                if isinstance(r, ProduceRequest)]
    assert refused.acks == -1
    assert retried.batches[0][1][:3] == refused.batches[0][1][:3]     # the same records
    asked = [t for b in brokers for t, r in b.got if isinstance(r, MetadataRequest)]
    assert asked and t_refused < min(asked) < t_retried    # the refusal made it refresh first
    assert t_retried - t_refused >= 100 * MS                # after retry.backoff.ms


def test_the_group_coordinator_rebalances_when_a_second_member_joins():
    h = Harness({"cluster": {"brokers": 1, "config": {"offsets.topic.replication.factor": 1}},
                 "topics": {"orders": {"partitions": 2, "replication.factor": 1}},
                 "producers": {"app": {"topic": "orders", "rate": "10/s"}},
                 "consumers": {"billing": {"topic": "orders", "members": 2}}})
    broker = Broker(0, h.broker_context(), h.disk())
    h.nodes.brokers.append(h.add(broker))
    h.nodes.controller = _controller_peer(h)
    broker.boot(h.image(), broker_epoch=1)
    m1, m2 = h.peer("billing-0"), h.peer("billing-1")

    def join(member, member_id="", tag="join"):
        member.send(broker, JoinGroup("billing", member_id, None, member.name, 45 * S, 300 * S,
                                      ("range",), ("orders",), ()), tag)

    def join_new(member):
        """KIP-394: the first JoinGroup is answered MEMBER_ID_REQUIRED with the member's id;
        the member joins again with it."""
        join(member, tag="first")
        h.run(h.engine.now + 10 * MS)
        (_t, _tag, required), = [r for r in member.responses if r[1] == "first"]
        assert required.error == MEMBER_ID_REQUIRED
        join(member, required.member_id)

    h.engine.at(1 * MS, m1.send, broker, FindCoordinator("billing"), "find")
    h.engine.at(1 * MS, join_new, m1)
    h.run(10 * S)
    (_t, _tag, found), = [r for r in m1.responses if r[1] == "find"]
    assert found.error is None and found.broker == 0
    # the first generation forms group.initial.rebalance.delay.ms (3 s) after the member
    # joined with its id (at 11 ms)
    (t, _tag, first), = [r for r in m1.responses if r[1] == "join"]
    member_id = first.member_id
    assert first.error is None and first.generation == 1 and first.leader == member_id
    assert 3 * S + 10 * MS < t < 3 * S + 20 * MS
    m1.send(broker, SyncGroup("billing", 1, member_id,
                              {member_id: (("orders", 0), ("orders", 1))}), "sync")
    h.run(21 * S)
    (_t, _tag, synced), = [r for r in m1.responses if r[1] == "sync"]
    assert synced.error is None and synced.assignment == (("orders", 0), ("orders", 1))
    join_new(m2)
    h.run(22 * S)
    m1.send(broker, Heartbeat("billing", 1, member_id), "beat")
    h.run(23 * S)
    (_t, _tag, beat), = [r for r in m1.responses if r[1] == "beat"]
    assert beat.error == REBALANCE_IN_PROGRESS


def test_a_write_arriving_as_a_deferred_append_comes_due_is_appended_after_it():
    """Appends to a log keep the order their requests arrived in (Kafka mutes a connection
    while its request is handled, and a log appends under its lock): a batch whose append
    waits for a busy disk is not overtaken by the producer's next batch arriving at the
    instant the disk frees."""
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC})
    broker, _ = _leader_alone(h)
    disk = broker.storage.disk
    app = h.peer("app")
    first = BATCH._replace(pid=7, producer_epoch=0, base_sequence=0)
    second = first._replace(first_seq=10, base_sequence=10)
    half = MS // 2
    # the first arrives at 2 ms behind a write that keeps the disk busy until 2.5 ms minus
    # its own write, so its append is due at 2.5 ms, when the second arrives
    h.engine.at(1 * MS + 1, setattr, disk, "busy_until", 2 * MS + half - disk.write_us)
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(1, 30 * S, ((0, first),)))
    h.engine.at(1 * MS + half, app.send, broker, ProduceRequest(1, 30 * S, ((0, second),)))
    h.run(10 * MS)
    assert [r.results[0] for _t, _tag, r in app.responses] == [(None, 0), (None, 10)]
    assert broker.replicas[0].log.leo == 20
