"""One consumer group member built alone against a scripted broker (scripted.py), the way
Kafka's AbstractCoordinatorTest and ConsumerCoordinatorTest drive a coordinator through
MockClient. The broker knows itself as every group's coordinator."""

from sim.clients.consumer import Consumer
from sim.cluster.protocol import (
    FindCoordinator,
    FindCoordinatorResponse,
    Heartbeat,
    HeartbeatResponse,
    JoinGroup,
    JoinGroupResponse,
    SyncGroup,
    SyncGroupResponse,
)
from sim.core.units import MS
from tests.conformance.scripted import ScriptedBroker
from tests.unit.hosts import Harness

GROUP = "dummy-group"
TOPIC = "foo"


def joined(generation: int, member_id: str = "memberId", leader: str = "leaderId",
           error: str | None = None, protocol: str = "range", members: tuple = ()):
    return JoinGroupResponse(error, generation, protocol, leader, member_id, members)


def synced(*partitions: int, error: str | None = None):
    return SyncGroupResponse(error, tuple((TOPIC, p) for p in partitions))


class Member:
    """Member 0 of GROUP (subscribed to TOPIC, 2 partitions) with the given consumer config."""

    def __init__(self, config: dict | None = None, partitions: int = 2) -> None:
        base = {"heartbeat.interval.ms": 3000, "session.timeout.ms": 10000,
                "retry.backoff.ms": 100, "enable.auto.commit": False}
        h = self.h = Harness({
            "cluster": {"brokers": 1, "config": {"offsets.topic.replication.factor": 1}},
            "topics": {TOPIC: {"partitions": partitions, "replication.factor": 1}},
            "consumers": {GROUP: {"topic": TOPIC, "members": 1,
                                  "config": dict(base, **(config or {}))}}})
        self.broker = ScriptedBroker(h)
        self.broker.always(FindCoordinator, FindCoordinatorResponse(None, 0))
        self.broker.always(Heartbeat, HeartbeatResponse(None))
        self.consumer = h.add(Consumer(h.spec.consumers[GROUP], 0, h.client_context()))
        self.m = self.consumer.membership
        self.now = 0

    def start(self) -> None:
        pidxs = self.h.topology.by_topic[TOPIC]
        self.consumer.boot({p: (0, 0) for p in pidxs})

    def run(self, us: int = 10 * MS) -> None:
        """Run the engine us further."""
        self.now += us
        self.h.run(self.now)

    def join(self, generation: int = 1, member_id: str = "memberId", *partitions: int) -> None:
        """Start and complete a first join as a follower, assigned the given partitions."""
        self.broker.prepare(JoinGroup, joined(generation, member_id))
        self.broker.prepare(SyncGroup, synced(*partitions))
        self.start()
        self.run()
        assert self.m.generation == generation and self.m.member_id == member_id

    def requests(self, kind) -> list:
        return [r for _t, r in self.broker.got(kind)]
