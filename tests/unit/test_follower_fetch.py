"""Fetch from followers (KIP-392), rule by rule: the leader's preferred read replica
(ReplicaManager.findPreferredReadReplica, RackAwareReplicaSelector), a follower serving a
consumer below its own high watermark, and the consumer's read replica with its lease and
fallbacks (AbstractFetch.selectReadReplica, FetchCollector, SubscriptionState), each built
alone (tests/unit/hosts.py), as Kafka's ReplicaManagerTest and FetcherTest do."""

from sim.clients.fetcher import Fetcher
from sim.clients.settings import ConsumerSettings
from sim.cluster.broker import Broker
from sim.cluster.log import Batch
from sim.cluster.metadata import BrokerState
from sim.cluster.protocol import (
    NOT_LEADER_OR_FOLLOWER,
    OFFSET_OUT_OF_RANGE,
    UNKNOWN_LEADER_EPOCH,
    FetchData,
    FetchPartition,
    FetchRequest,
    FetchResponse,
    ListOffsets,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
)
from sim.cluster.rpc import DISCONNECTED
from sim.core.units import MS, S
from tests.unit.hosts import Harness
from tests.unit.test_hosts_alone import BATCH, _controller_peer, _fetch

SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
RACKS = {"a": [0], "b": [1, 2]}
TOPIC = {"orders": {"partitions": 1, "replication.factor": 3, "assignment": [[0, 1, 2]]}}


def _cluster(selector=SELECTOR, racks=None):
    config = {} if selector is None else {"replica.selector.class": selector}
    return {"brokers": 3, "racks": racks or RACKS, "config": config}


def _consumer_fetch(app, broker, offset, rack, epoch=0, tag=None):
    request = FetchRequest(-1, -1, {0: FetchPartition(offset, -1, epoch)}, 500 * MS, 1 << 20,
                           rack_id=rack)
    app.send(broker, request, tag=tag if tag is not None else offset)


def _data(peer, tag):
    (_t, _tag, response), = [r for r in peer.responses if r[1] == tag]
    return response.partitions[0]


# -- the leader: which replica it names -------------------------------------------------------

def _leader_with_followers(h, isr=None):
    """broker-0 (rack a) leads orders-0 with 10 records; the fake followers broker-1 and
    broker-2 (rack b) have fetched up to LEOs 10 and 5 by 20 ms."""
    broker = Broker(0, h.broker_context(), h.disk())
    f1, f2 = h.peer("broker-1"), h.peer("broker-2")
    h.nodes.brokers.extend([h.add(broker), f1, f2])
    h.nodes.controller = _controller_peer(h)
    broker.boot(h.image(isr), broker_epoch=1)
    app = h.peer("app")
    h.engine.at(1 * MS, app.send, broker, ProduceRequest(1, 30 * S, ((0, BATCH),)))
    h.engine.at(10 * MS, _fetch, f1, broker, 10)
    h.engine.at(10 * MS, _fetch, f2, broker, 5)
    h.run(20 * MS)
    return broker, app


def test_the_leader_names_the_most_caught_up_in_sync_replica_of_the_clients_rack():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _leader_with_followers(h)
    _consumer_fetch(app, broker, 0, "b")
    h.run(30 * MS)
    data = _data(app, 0)
    # broker-1's LEO (10) beats broker-2's (5); no records, the leader's offsets
    assert data.preferred_read_replica == 1 and data.batches == () and data.error is None
    assert data.hw == broker.replicas[0].log.hw


def test_a_preferred_read_replica_is_answered_at_once_even_when_the_fetch_would_wait():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _leader_with_followers(h)
    _consumer_fetch(app, broker, 10, "b")       # at the log end: nothing to read
    sent = h.engine.now
    h.run(400 * MS)
    (t, _tag, response), = [r for r in app.responses if r[1] == 10]
    assert response.partitions[0].preferred_read_replica == 1
    assert t - sent == 2 * MS                   # one round trip, not fetch.max.wait.ms


def test_the_leader_reads_itself_when_no_in_sync_replica_of_the_rack_holds_the_offset():
    # a fetch at 10 that only broker-1 holds; broker-1 is out of the ISR
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _leader_with_followers(h, isr={0: (0, 2)})
    _consumer_fetch(app, broker, 10, "b", tag="past broker-2")
    _consumer_fetch(app, broker, 0, "b", tag="held by broker-2")
    h.run(600 * MS)                             # the read at the log end waits its 500 ms
    assert _data(app, "past broker-2").preferred_read_replica == -1
    assert _data(app, "held by broker-2").preferred_read_replica == 2


def test_the_leader_reads_itself_for_its_own_rack_an_unknown_rack_and_no_rack():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _leader_with_followers(h)
    for rack in ("a", "z", None):
        _consumer_fetch(app, broker, 0, rack, tag=str(rack))
    h.run(30 * MS)
    for rack in ("a", "z", None):
        data = _data(app, str(rack))
        assert data.preferred_read_replica == -1 and data.batches


def test_a_fenced_broker_has_no_endpoint_so_the_leader_never_names_it():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _leader_with_followers(h)
    broker.image.apply(BrokerState(1, 2, fenced=True))
    _consumer_fetch(app, broker, 0, "b")
    h.run(30 * MS)
    assert _data(app, 0).preferred_read_replica == 2


def test_without_replica_selector_class_the_leader_always_reads_itself():
    h = Harness({"cluster": _cluster(selector=None), "topics": TOPIC})
    broker, app = _leader_with_followers(h)
    _consumer_fetch(app, broker, 0, "b")
    h.run(30 * MS)
    data = _data(app, 0)
    assert data.preferred_read_replica == -1 and data.batches


# -- a follower serving a consumer -----------------------------------------------------------

def _batch(base: int, count: int = 5) -> Batch:
    return Batch(base, count, 0, 0, base, -1, -1, -1, 500, 0)


def _follower(h):
    """broker-1 follows a fake leader broker-0 that has [0, 10) with HW 5, then HW 10 from the
    follower's fetch at 200 ms on."""
    def leader(request):
        if not isinstance(request, FetchRequest):
            return None
        offset = request.partitions[0].fetch_offset
        hw = 5 if h.engine.now < 200 * MS else 10
        batches = tuple(b for b in (_batch(0), _batch(5)) if b.base_offset >= offset)
        return FetchResponse({0: FetchData(None, hw, 0, batches, None, 10)})
    fake_leader = h.peer("broker-0", leader)
    broker = Broker(1, h.broker_context(), h.disk())
    h.nodes.brokers.extend([fake_leader, h.add(broker), h.peer("broker-2")])
    h.nodes.controller = _controller_peer(h)
    broker.boot(h.image(), broker_epoch=2)
    h.run(50 * MS)
    assert (broker.replicas[0].log.leo, broker.replicas[0].log.hw) == (10, 5)
    return broker, h.peer("app")


def test_a_follower_serves_a_consumer_with_a_rack_only_below_its_own_high_watermark():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _follower(h)
    _consumer_fetch(app, broker, 0, "b", tag="rack")
    _consumer_fetch(app, broker, 0, None, tag="no rack")
    h.run(60 * MS)
    assert [b.base_offset for b in _data(app, "rack").batches] == [0]
    assert _data(app, "rack").hw == 5
    assert _data(app, "no rack").error == NOT_LEADER_OR_FOLLOWER


def test_a_read_parked_on_a_follower_is_answered_when_the_followers_hw_moves():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _follower(h)
    _consumer_fetch(app, broker, 5, "b")        # between the follower's HW and its LEO
    h.run(180 * MS)
    assert app.responses == []                   # waits, as for fetch.min.bytes
    h.run(300 * MS)
    (t, _tag, response), = app.responses
    assert [b.base_offset for b in response.partitions[0].batches] == [5]
    assert t < 50 * MS + 500 * MS                # the HW advance woke it, not fetch.max.wait.ms


def test_a_follower_answers_out_of_range_past_its_own_leo_and_checks_the_epoch():
    h = Harness({"cluster": _cluster(), "topics": TOPIC})
    broker, app = _follower(h)
    _consumer_fetch(app, broker, 12, "b", tag="past leo")
    _consumer_fetch(app, broker, 0, "b", epoch=1, tag="newer epoch")
    h.run(60 * MS)
    assert _data(app, "past leo").error == OFFSET_OUT_OF_RANGE
    assert _data(app, "newer epoch").error == UNKNOWN_LEADER_EPOCH


# -- the consumer's read replica ----------------------------------------------------------------

class Member:
    """The consumer around a Fetcher: records its requests, answers nothing by itself."""

    def __init__(self, h) -> None:
        self.settings = h.consumer_settings
        self.engine, self.trace, self.topology = h.engine, h.trace, h.topology
        self.group, self.name, self.topics = "readers", "readers-0", ("orders",)
        self.sent: list = []                    # (node, request, on_done)
        self.asked_metadata = 0

    def request_to(self, node, request, on_done, timeout_us) -> None:
        self.sent.append((node, request, on_done))

    def request_any(self, request, on_done) -> None:
        self.asked_metadata += 1
        self.sent.append((None, request, on_done))

    def timer(self, delay_us, fn, *args) -> None:
        self.engine.later(delay_us, fn, *args)

    def wake_poll(self) -> None:
        pass

    def metadata_updated(self) -> None:
        pass


def _fetcher(max_age_ms=300_000):
    h = Harness({"cluster": _cluster(), "topics": TOPIC,
                 "consumers": {"readers": {"topic": "orders", "config": {
                     "client.rack": "b", "metadata.max.age.ms": max_age_ms}}}})
    h.consumer_settings = ConsumerSettings.from_config(h.spec.consumers["readers"].config)
    member = Member(h)
    fetcher = Fetcher(member)
    fetcher.leaders = {0: (0, 0)}
    fetcher.assign([0])
    fetcher.positions = {0: 3}
    return h, member, fetcher


def _answer(member, fetcher, data):
    """Send the fetches and answer the last one with data for partition 0."""
    fetcher.send_fetches()
    node, request, on_done = member.sent[-1]
    on_done(data if not isinstance(data, FetchData) else FetchResponse({0: data}))
    return node, request


def _next_node(member, fetcher):
    fetcher.send_fetches()
    node, request, _on_done = member.sent[-1]
    assert isinstance(request, FetchRequest)
    return node


NAMED_1 = FetchData(None, 10, 0, (), None, 10, 1)


def test_the_consumer_sends_its_rack_and_reads_from_the_named_replica():
    _h, member, fetcher = _fetcher()
    node, request = _answer(member, fetcher, NAMED_1)
    assert node == 0 and request.rack_id == "b"
    assert _next_node(member, fetcher) == 1 and fetcher.positions == {0: 3}


def test_the_read_replica_lease_is_metadata_max_age_ms_from_when_it_was_first_named():
    h, member, fetcher = _fetcher(max_age_ms=1_000)
    _answer(member, fetcher, NAMED_1)
    h.run(600 * MS)
    fetcher.inflight.clear()
    _answer(member, fetcher, NAMED_1)           # named again: the lease is not renewed
    h.run(1_000 * MS)
    fetcher.inflight.clear()
    assert _next_node(member, fetcher) == 1     # at its end: still the replica
    h.run(1_001 * MS)
    fetcher.inflight.clear()
    assert _next_node(member, fetcher) == 0     # past it: the leader again


def test_out_of_range_from_the_read_replica_goes_back_to_the_leader_without_a_reset():
    _h, member, fetcher = _fetcher()
    _answer(member, fetcher, NAMED_1)
    _answer(member, fetcher, FetchData(OFFSET_OUT_OF_RANGE, 2, 0, (), None, 2))
    assert fetcher.positions == {0: 3} and not fetcher.preferred
    assert _next_node(member, fetcher) == 0
    assert not any(isinstance(r, ListOffsets) for _n, r, _d in member.sent)


def test_out_of_range_from_the_leader_resets_the_position():
    _h, member, fetcher = _fetcher()
    _answer(member, fetcher, FetchData(OFFSET_OUT_OF_RANGE, 2, 0, (), None, 2))
    assert 0 not in fetcher.positions
    assert isinstance(member.sent[-1][1], ListOffsets)


def test_a_failed_fetch_to_the_read_replica_goes_back_to_the_leader():
    _h, member, fetcher = _fetcher()
    _answer(member, fetcher, NAMED_1)
    fetcher.send_fetches()
    node, _request, on_done = [s for s in member.sent if isinstance(s[1], FetchRequest)][-1]
    assert node == 1
    on_done(DISCONNECTED)                        # refused, reset or timed out
    assert _next_node(member, fetcher) == 0


def test_partition_errors_clear_the_read_replica_except_unknown_leader_epoch():
    _h, member, fetcher = _fetcher()
    _answer(member, fetcher, NAMED_1)
    _answer(member, fetcher, FetchData(UNKNOWN_LEADER_EPOCH, -1, 0, (), None, -1))
    assert _next_node(member, fetcher) == 1     # kept: the replica is behind on metadata
    fetcher.inflight.clear()
    _answer(member, fetcher, FetchData(NOT_LEADER_OR_FOLLOWER, -1, 0, (), None, -1))
    assert member.asked_metadata and _next_node(member, fetcher) == 0


def test_a_read_replica_missing_from_the_metadata_is_dropped_for_the_leader():
    _h, member, fetcher = _fetcher()
    _answer(member, fetcher, NAMED_1)
    fetcher.refresh_metadata()
    _node, request, on_done = member.sent[-1]
    assert isinstance(request, MetadataRequest)
    on_done(MetadataResponse({0: (0, 0)}, (0, 2)))       # broker-1 is fenced
    assert _next_node(member, fetcher) == 0
    assert not fetcher.preferred and fetcher.metadata_inflight      # and asks for metadata
