"""A broker built alone (tests/unit/hosts.py) hosting one partition (or a few), with fake
followers that fetch and a fake controller that holds each AlterPartition until the case answers
it (Kafka's MockAlterPartitionManager), sends metadata records when the case says, registers a
restarted broker and holds its controlled shutdown until the case lets it end: the harness of
the PartitionTest and ReplicaManagerTest ports."""

from sim.cluster.broker import Broker
from sim.cluster.log import UNDEFINED, Batch, ReplicaLog
from sim.cluster.metadata import BrokerState, Image, PartitionState
from sim.cluster.protocol import (
    AlterPartition,
    AlterPartitionResponse,
    BatchData,
    BrokerHeartbeat,
    BrokerHeartbeatResponse,
    BrokerRegistration,
    ControlledShutdown,
    FetchPartition,
    FetchRequest,
    MetadataFetch,
    MetadataRecords,
    ProduceRequest,
    RegistrationResponse,
)
from sim.core.units import MS, S
from tests.unit.hosts import Harness, Peer


def batch(base, count, epoch):
    return Batch(base, count, epoch, 0, base, -1, -1, -1, 61 + 10 * count, 0)


def seeded(*runs):
    """A log of batches (count, epoch) from offset 0 (Kafka's seedLogData and appendAsLeader)."""
    log = ReplicaLog()
    for count, epoch in runs:
        log.append(batch(log.leo, count, epoch))
    return log


class Controller(Peer):
    """A fake controller: keeps brokers unfenced, registers a new process at once (broker epoch
    200), holds metadata fetches until `push` or `install`, holds AlterPartitions until
    `complete` or `fail` answers the latest (the broker resends one whose request timed out),
    and holds a controlled shutdown until `release_shutdown`."""

    def __init__(self, runtime) -> None:
        super().__init__("controller", runtime)
        self.fetches: list = []
        self.alters: list = []
        self.shutdowns: list = []

    def handle(self, conn, rid, payload) -> None:
        self.got.append((self.engine.now, payload))
        if isinstance(payload, BrokerHeartbeat):
            conn.respond(rid, BrokerHeartbeatResponse(None, fenced=False, caught_up=True))
        elif isinstance(payload, MetadataFetch):
            self.fetches.append((conn, rid, payload))
        elif isinstance(payload, AlterPartition):
            self.alters.append((conn, rid, payload))
        elif isinstance(payload, BrokerRegistration):
            conn.respond(rid, RegistrationResponse(None, 200))
        elif isinstance(payload, ControlledShutdown):
            self.shutdowns.append((conn, rid))

    def push(self, *records) -> None:
        conn, rid, fetch = self.fetches[-1]         # the broker's latest, the others timed out
        self.fetches.clear()
        conn.respond(rid, MetadataRecords(fetch.offset, None, records))

    def install(self, image) -> None:
        """Answer the broker's first metadata fetch with a snapshot of `image`."""
        conn, rid, _fetch = self.fetches[-1]
        self.fetches.clear()
        conn.respond(rid, MetadataRecords(image.offset, image.copy(), ()))

    def release_shutdown(self) -> None:
        """The controlled shutdown may end (the broker leads nothing any more)."""
        conn, rid = self.shutdowns.pop()
        conn.respond(rid, BrokerHeartbeatResponse(None, fenced=True))

    def _latest_alter(self):
        latest = self.alters[-1]
        self.alters.clear()
        return latest

    def complete(self) -> AlterPartition:
        conn, rid, request = self._latest_alter()
        state = PartitionState(request.pidx, request.broker, request.leader_epoch,
                               request.partition_epoch + 1, tuple(request.isr))
        conn.respond(rid, AlterPartitionResponse(None, state))
        return request

    def fail(self, error) -> None:
        conn, rid, _request = self._latest_alter()
        conn.respond(rid, AlterPartitionResponse(error, None))

    def altered(self) -> list:
        return [r for _t, r in self.got if isinstance(r, AlterPartition)]


class LeaderAlone:
    """broker-0 hosting partition 0 of `replicas` (ids from 0), led by `leader` (broker-0 by
    default) at `leader_epoch` with `isr`, its log holding `log`; the other replicas are fake
    brokers, answering with `answer(request)` (by default never: their fetches wait). With
    `states` (PartitionStates of partitions 0, 1, ...), it hosts one partition per state, each
    of `replicas`, and starts from those states instead. `config`: the cluster's broker
    config; `topic_config`: the topic's, besides its min ISR; `racks`: `cluster.racks`."""

    def __init__(self, replicas=(0, 1), isr=None, leader_epoch=5, log=None, min_isr=1,
                 partition_epoch=1, leader=0, states=(), answer=None, config=None,
                 topic_config=None, racks=None):
        count = max(len(states), 1)
        cluster = {"brokers": len(replicas), "config": config or {}}
        if racks:
            cluster["racks"] = racks
        self.h = Harness({"cluster": cluster,
                          "topics": {"t": {"partitions": count,
                                           "replication.factor": len(replicas),
                                           "assignment": [list(replicas)] * count,
                                           "config": {"min.insync.replicas": min_isr,
                                                      **(topic_config or {})}}}})
        self.broker = Broker(0, self.h.broker_context(), self.h.disk())
        self.followers = {b: self.h.peer(f"broker-{b}", answer) for b in replicas if b}
        self.h.nodes.brokers.extend([self.broker, *self.followers.values()])
        self.h.add(self.broker)
        self.controller = self.h.nodes.controller = self.h.add(Controller(self.h.runtime))
        self.app = self.h.peer("app")
        self.replica = self.broker.replicas[0]
        for b in (log.batches if log else ()):
            self.replica.log.append(b)
        self.brokers = {b: BrokerState(b, 100 + b, fenced=False) for b in replicas}
        image = Image()
        for state in self.brokers.values():
            image.apply(state)
        for state in states or (PartitionState(0, leader, leader_epoch, partition_epoch,
                                                tuple(replicas if isr is None else isr)),):
            image.apply(state)
        self.broker.boot(image, broker_epoch=100)
        self.step(2)

    @property
    def log(self):
        return self.replica.log

    def step(self, ms=3):
        """Let ms pass (a request and its answer take 2 ms)."""
        self.h.run(self.h.engine.now + int(ms * MS))

    def at(self, ms):
        self.h.run(int(ms * MS))

    def fetch(self, b, offset, last_epoch=UNDEFINED, leader_epoch=None, broker_epoch=None,
              max_wait_ms=0):
        """Follower b fetches from offset (Kafka's fetchFollower: no last fetched epoch unless
        given); its answer for the partition, or None while the fetch waits at the leader."""
        request = FetchRequest(b, self.brokers[b].broker_epoch if broker_epoch is None
                               else broker_epoch,
                               {0: FetchPartition(offset, last_epoch, self.replica.leader_epoch
                                                  if leader_epoch is None else leader_epoch)},
                               max_wait_us=max_wait_ms * MS, max_bytes=1 << 20)
        peer = self.followers[b]
        tag = ("fetch", self.h.engine.now)
        peer.send(self.broker, request, tag)
        self.step()
        return self.answer(b, tag)

    def answer(self, b, tag):
        answers = [r.partitions[0] for _t, t, r in self.followers[b].responses if t == tag]
        return answers[0] if answers else None

    def produce(self, count, acks=1):
        """Append count records; the partition's (error, offset) if answered within 3 ms."""
        data = BatchData(producer=0, first_seq=0, count=count, size=61 + 10 * count, pid=-1,
                         producer_epoch=-1, base_sequence=-1)
        tag = ("produce", self.h.engine.now)
        self.app.send(self.broker, ProduceRequest(acks, 30 * S, ((0, data),)), tag)
        self.step()
        answers = [r.results[0] for _t, t, r in self.app.responses if t == tag]
        return answers[0] if answers else None

    def metadata(self, *records):
        """The controller's next records reach the broker."""
        for r in records:
            if isinstance(r, BrokerState):
                self.brokers[r.broker] = r
        self.controller.push(*records)
        self.step()

    def restart(self, *states):
        """A new process of broker-0 on the same disk: it registers, then gets a snapshot of
        the brokers and `states`."""
        self.broker.restart()
        self.step(5)                                 # registered; its first metadata fetch
        image = Image()
        for record in (*self.brokers.values(), *states):
            image.apply(record)
        self.controller.install(image)
        self.step()

    def follower(self, b):
        f = self.replica.followers[b]
        return f.leo, f.last_caught_up_us

    def isr(self):
        return set(self.replica.isr)

    def maximal_isr(self):
        return set(self.replica.maximal_isr)
