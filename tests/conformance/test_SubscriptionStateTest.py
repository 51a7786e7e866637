"""Kafka's SubscriptionStateTest against kafkasim's consumer fetcher (sim/clients/fetcher.py: the
assigned partitions, their positions, the fetches and offset resets), with the consumer built
alone (tests/unit/hosts.py) and a fake leader answering its fetches and ListOffsets.

A partition is fetchable when it is assigned and has a position: the consumer then fetches it
from that position. Kafka's `seek` is setting the position (kafkasim's consumer positions come
from committed offsets or the reset policy; there is no seek API). Not ported: manual assignment,
pattern subscriptions, pause/resume, the KIP-848 consumer's callbacks, position validation after
an unclean election (a named simplification), lag metrics and API checks. The preferred read
replica (KIP-392) is the fetcher's `preferred` lease, read by `_read_replica` (selectReadReplica)
on a clock that only moves forward, so the leases below are shifted to later times.
"""

from dataclasses import replace

from sim.clients.consumer import Consumer
from sim.cluster.protocol import (
    EARLIEST,
    OFFSET_OUT_OF_RANGE,
    FetchData,
    FetchRequest,
    FetchResponse,
    ListOffsets,
    ListOffsetsResponse,
)
from sim.core.units import MS
from tests.unit.hosts import Harness

KAFKA_CLASS = "SubscriptionStateTest"

NOT_PORTED = {
    "testGroupSubscribe": "not modeled: the leader's metadata for topics only other members "
                          "subscribe to (the leader reads partition counts from the topology)",
    "verifyAssignmentId": "internal: a counter of assignment changes",
    "partitionPause": "not modeled: pause()/resume() of single partitions (a long-running "
                      "member stops fetching altogether while its job runs)",
    "testMarkingPartitionPending": "not modeled: ConsumerRebalanceListener callbacks; a "
                                   "revoked partition is dropped at once",
    "nullPositionLagOnNoPosition": "internal: lag metrics",
    "testPositionOrNull": "internal: an accessor's null for an unassigned partition",
    "testTryUpdatingHighWatermark": "internal: the end offset kept for lag metrics",
    "testTryUpdatingLogStartOffset": "internal: the log start offset kept for lead metrics",
    "testTryUpdatingLastStableOffset": "not modeled: transactions (the last stable offset)",
}
NOT_PORTED_LIKE = [
    ("^cant(Subscribe|ChangePosition)|^invalidPositionUpdate$",
     "internal: an IllegalStateException for a misuse of the API"),
    ("[Pp]attern|^unsubscription$", "not modeled: pattern subscriptions"),
    ("^unsubscribeUser|^partitionAssignmentChangeOnTopicSubscription$|^cantAssign",
     "not modeled: assign()/unsubscribe() and subscription changes; a member subscribes to "
     "its group's topics for life"),
    ("^testAssignedPartitionsAwaitingCallback",
     "not modeled: the KIP-848 consumer (partitions awaiting the reconciliation callback); "
     "groups use the classic protocol"),
    ("[Vv]alidat|^testTruncationDetection",
     "simplification: consumers do not validate their position after an unclean election "
     "(OffsetsForLeaderEpoch, KIP-320; docs/model.md)"),
]

TP0, TP1 = 0, 1     # topic-0 and topic-1, by partition index


class Alone:
    """One consumer of a group on topic (two partitions), its leader a fake broker that answers
    fetches and ListOffsets with what the test sets."""

    def __init__(self) -> None:
        self.h = Harness({
            "cluster": {"brokers": 1, "config": {"offsets.topic.replication.factor": 1}},
            "topics": {"topic": {"partitions": 2, "replication.factor": 1}},
            "producers": {"app": {"topic": "topic", "rate": "10/s"}},
            "consumers": {"group": {"topic": "topic", "members": 1,
                                    "config": {"auto.offset.reset": "earliest"}}}})
        self.fetched: dict = {}         # pidx -> FetchData
        self.listed: dict = {}          # pidx -> (error, offset); offset 0 by default
        self.leader = self.h.peer("broker-0", self._answer)
        self.h.nodes.brokers.append(self.leader)
        consumer = Consumer(self.h.spec.consumers["group"], 0, self.h.client_context())
        self.fetcher = self.h.add(consumer).fetcher
        self.fetcher.leaders = {TP0: (0, 0), TP1: (0, 0)}

    def _answer(self, request):
        if isinstance(request, FetchRequest):
            return FetchResponse({p: self.fetched[p] for p in request.partitions
                                  if p in self.fetched})
        if isinstance(request, ListOffsets):
            return ListOffsetsResponse({p: self.listed.get(p, (None, 0))
                                        for p in request.partitions})
        return None

    def fetches(self) -> list[dict]:
        """What each fetch sent so far asked for: partition -> fetch offset."""
        self.fetcher.send_fetches()
        self.h.run(self.h.engine.now + 10 * MS)
        return [{p: part.fetch_offset for p, part in r.partitions.items()}
                for r in self.leader.requests(FetchRequest)]


def out_of_range() -> FetchData:
    return FetchData(OFFSET_OUT_OF_RANGE, -1, -1, (), None, -1)


def test_SubscriptionStateTest_partitionAssignment():
    c = Alone()
    c.fetcher.assign([TP0])
    assert c.fetcher.assigned == (TP0,)
    assert not c.fetcher.positions_ready()
    assert c.fetches() == []                    # no position: not fetchable
    c.fetcher.positions[TP0] = 1                # seek(tp0, 1)
    assert c.fetcher.positions_ready()
    assert c.fetches() == [{TP0: 1}]
    c.fetcher.assign([])
    assert c.fetcher.assigned == () and c.fetcher.positions == {}
    assert c.fetches() == [{TP0: 1}]            # no further fetch: nothing is fetchable


def test_SubscriptionStateTest_topicSubscription():
    c = Alone()
    c.fetcher.assign([TP0])
    c.fetcher.positions[TP0] = 1
    c.fetcher.assign([TP1])                     # the next rebalance moves the member to tp1
    assert c.fetcher.assigned == (TP1,)
    assert c.fetcher.positions == {}            # tp1 has no position yet: not fetchable
    assert c.fetches() == []


def test_SubscriptionStateTest_partitionReset():
    # an out-of-range fetch requests a reset: no position, not fetchable, until the reset
    # policy's offset is known (ListOffsets); then the partition is fetched from there
    c = Alone()
    c.fetcher.assign([TP0])
    c.fetcher.positions[TP0] = 5
    c.fetched[TP0] = out_of_range()
    c.fetcher.send_fetches()
    c.h.run(3 * MS + MS // 2)       # the fetch answered at 2 ms; the ListOffsets reaches the
    #                                 leader at 3 ms and its answer the consumer at 4
    assert TP0 not in c.fetcher.positions
    assert [r.partitions for r in c.leader.requests(ListOffsets)] == [{TP0: EARLIEST}]
    c.fetched.clear()
    c.h.run(5 * MS)
    assert c.fetcher.positions == {TP0: 0}
    assert c.fetches() == [{TP0: 5}, {TP0: 0}]


def test_SubscriptionStateTest_testRequestOffsetResetIfPartitionAssigned():
    # an out-of-range answer for a partition no longer assigned requests no reset for it
    c = Alone()
    c.fetcher.assign([TP0, TP1])
    c.fetcher.positions.update({TP0: 5, TP1: 7})
    c.fetcher.send_fetches()
    c.fetcher.assign([TP0])                     # tp1 is revoked while the fetch is out
    c.fetched.update({TP0: out_of_range(), TP1: out_of_range()})
    c.h.run(10 * MS)
    assert [r.partitions for r in c.leader.requests(ListOffsets)] == [{TP0: EARLIEST}]


def test_SubscriptionStateTest_testPreferredReadReplicaLease():
    c = Alone()
    f = c.fetcher
    f.assign([TP0])
    f.s = replace(f.s, metadata_max_age_us=10 * MS)     # the lease: metadata.max.age.ms

    def replica_at(t_ms: int) -> int:
        c.h.run(t_ms * MS)
        return f._read_replica(TP0, 0)              # 0: the leader, no preferred replica

    assert replica_at(0) == 0                       # default state
    f._prefer(TP0, 42)                              # set with a lease to 10 ms
    assert (replica_at(9), replica_at(10), replica_at(11)) == (42, 42, 0)
    f._prefer(TP0, 42)
    f.preferred.pop(TP0)                            # unset
    assert (replica_at(12), replica_at(25)) == (0, 0)
    f._prefer(TP0, 43)                              # a new one, leased to 35 ms
    assert (replica_at(26), replica_at(35), replica_at(36)) == (43, 43, 0)
    f._prefer(TP0, 43)                              # leased to 46 ms
    c.h.run(40 * MS)
    f._prefer(TP0, 44)                              # another without clearing: to 50 ms
    assert (replica_at(50), replica_at(51)) == (44, 0)


def test_SubscriptionStateTest_testTryUpdatingPreferredReadReplica():
    c = Alone()
    f = c.fetcher
    f.assign([TP0])
    f.positions[TP0] = 0
    named = FetchData(None, 0, 0, (), None, 0, 10)
    f._fetched(0, FetchResponse({TP0: named, TP1: named}))     # tp1 is not assigned
    assert f._read_replica(TP0, 0) == 10
    assert TP1 not in f.preferred and f._read_replica(TP1, 0) == 0
