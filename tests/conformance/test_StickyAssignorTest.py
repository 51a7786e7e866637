"""Kafka's StickyAssignorTest (its own cases; the shared ones are in
test_AbstractStickyAssignorTest.py) against kafkasim's sticky assignor (sim/clients/assignors.py,
a pure function from the members' subscriptions and the partition counts to the assignment).

Kafka's subscriptions carry owned partitions and generation in the assignor's user data or, from
ConsumerProtocolSubscription v1 and v2, in fields of their own; kafkasim's carry them decoded, so
the cases on old subscription versions are ported with what those versions decode to, and the
case on honouring the user data with what an eager consumer's JoinGroup claims (the consumer
built alone, tests/unit/hosts.py). Not ported: which encoding wins when they disagree.
"""

import pytest

from sim.clients.assignors import assign
from sim.clients.consumer import Consumer
from sim.cluster.protocol import (
    REBALANCE_IN_PROGRESS,
    FindCoordinator,
    FindCoordinatorResponse,
    Heartbeat,
    HeartbeatResponse,
    JoinGroup,
    JoinGroupResponse,
    OffsetFetch,
    OffsetFetchResponse,
    SyncGroup,
    SyncGroupResponse,
)
from sim.core.units import S
from tests.conformance.assignors import (
    GENERATION,
    NO_GENERATION,
    claim,
    expect,
    is_fully_balanced,
    member,
    rejoin,
    settle,
    tps,
)
from tests.unit.hosts import Harness

KAFKA_CLASS = "StickyAssignorTest"

NOT_PORTED = {
    "testMemberDataWithInconsistentData": "internal: which of user data and subscription field "
                                          "the owned partitions are decoded from "
                                          "(serialization)",
}

ALL = ["topic", "topic2", "topic3"]
subscriptions_equal = pytest.mark.parametrize("all_equal", [True, False])


def sticky(members, partitions):
    return assign("sticky", members, partitions)


def checked(members, partitions, assignment):
    """verifyValidityAndBalance and isFullyBalanced."""
    settle("sticky", members, partitions, assignment)
    assert is_fully_balanced(assignment)
    return assignment


def claimed_twice(count: int):
    """topic-0 is claimed by consumer1 and consumer2 in one generation: neither keeps it."""
    members = [member("consumer1", ["topic"], "topic-0 topic-1", GENERATION),
               member("consumer2", ["topic"], "topic-0 topic-2", GENERATION),
               member("consumer3", ["topic"], "", GENERATION)]
    return checked(members, {"topic": count}, sticky(members, {"topic": count}))


def test_StickyAssignorTest_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer():  # noqa: E501
    assert claimed_twice(3) == expect(consumer1="topic-1", consumer2="topic-2",
                                      consumer3="topic-0")


def test_StickyAssignorTest_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer():  # noqa: E501
    assert claimed_twice(4) == expect(consumer1="topic-1 topic-3", consumer2="topic-2",
                                      consumer3="topic-0")


@subscriptions_equal
def test_StickyAssignorTest_testAssignmentWithMultipleGenerations1(all_equal):
    both = ["topic", "topic2"]
    c2_topics = both if all_equal else ["topic"]
    partitions = {"topic": 6, "topic2": 6}
    members = [member("consumer1", both), member("consumer2", c2_topics),
               member("consumer3", both)]
    r1 = checked(members, partitions, sticky(members, partitions))
    assert [len(p) for p in r1.values()] == [4, 4, 4]

    members = rejoin(members, r1, leave={"consumer3"})
    r2 = checked(members, partitions, sticky(members, partitions))
    assert [len(p) for p in r2.values()] == [6, 6]
    if all_equal:
        assert set(r1["consumer1"]) <= set(r2["consumer1"])
    assert set(r1["consumer2"]) <= set(r2["consumer2"])
    assert set(r2["consumer2"]) & set(r1["consumer3"])

    # consumer1 leaves; consumer3 comes back with what it owned a generation earlier
    members = [claim(member("consumer2", c2_topics), r2["consumer2"], 2),
               claim(member("consumer3", both), r1["consumer3"], 1)]
    r3 = checked(members, partitions, sticky(members, partitions))
    assert [len(p) for p in r3.values()] == [6, 6]
    assert not set(r3["consumer2"]) & set(r3["consumer3"])


@subscriptions_equal
def test_StickyAssignorTest_testAssignmentWithMultipleGenerations2(all_equal):
    c1_topics = ALL if all_equal else ["topic"]
    c3_topics = ALL if all_equal else ["topic", "topic2"]
    partitions = {"topic": 4, "topic2": 4, "topic3": 4}
    members = [member("consumer1", c1_topics), member("consumer2", ALL),
               member("consumer3", c3_topics)]
    r1 = checked(members, partitions, sticky(members, partitions))
    assert [len(p) for p in r1.values()] == [4, 4, 4]

    alone = rejoin(members, r1, generation=1, leave={"consumer1", "consumer3"})
    r2 = checked(alone, partitions, sticky(alone, partitions))
    assert len(r2["consumer2"]) == 12
    assert set(r1["consumer2"]) <= set(r2["consumer2"])

    # consumer1 and consumer3 come back claiming their partitions of generation 1
    back = [claim(members[0], r1["consumer1"], 1), claim(members[1], r2["consumer2"], 2),
            claim(members[2], r1["consumer3"], 1)]
    r3 = checked(back, partitions, sticky(back, partitions))
    assert [len(p) for p in r3.values()] == [4, 4, 4]


@subscriptions_equal
def test_StickyAssignorTest_testAssignmentWithConflictingPreviousGenerations(all_equal):
    c1_owned = ("topic-0 topic-1 topic-2 topic2-2 topic2-3 topic3-0" if all_equal
                else "topic-0 topic-1 topic-2 topic-3")
    c2_owned = "topic-0 topic-1 topic2-0 topic2-1 topic2-2 topic2-3"
    c3_owned = "topic-2 topic-3 topic3-0 topic3-1 topic3-2 topic3-3"
    members = [member("consumer1", ALL if all_equal else ["topic"], c1_owned, 1),
               member("consumer2", ALL if all_equal else ["topic", "topic2"], c2_owned, 2),
               member("consumer3", ALL, c3_owned, 2)]
    partitions = {"topic": 4, "topic2": 4, "topic3": 4}
    assignment = checked(members, partitions, sticky(members, partitions))
    assert [len(p) for p in assignment.values()] == [4, 4, 4]
    assert set(assignment["consumer2"]) <= set(tps(c2_owned))
    assert set(assignment["consumer3"]) <= set(tps(c3_owned))


def test_StickyAssignorTest_testSchemaBackwardCompatibility():
    # consumer2's user data has the first schema: its owned partitions, no generation
    members = [member("consumer1", ["topic"], "topic-0 topic-2", 1),
               member("consumer2", ["topic"], "topic-1", NO_GENERATION),
               member("consumer3", ["topic"])]
    assignment = checked(members, {"topic": 3}, sticky(members, {"topic": 3}))
    assert [len(p) for p in assignment.values()] == [1, 1, 1]
    assert set(assignment["consumer1"]) <= set(tps("topic-0 topic-2"))
    assert assignment["consumer2"] == tps("topic-1")


def test_StickyAssignorTest_testAssignorWithOldVersionSubscriptions():
    # v0 and v1 subscriptions carry the owned partitions and generation in the user data
    members = [member("consumer1", ["topic1"], "topic1-0", GENERATION),
               member("consumer2", ["topic1"], "topic1-1", GENERATION),
               member("consumer3", ["topic1"], "", GENERATION)]
    assignment = checked(members, {"topic1": 3}, sticky(members, {"topic1": 3}))
    assert assignment == expect(consumer1="topic1-0", consumer2="topic1-1", consumer3="topic1-2")


def test_StickyAssignorTest_testMemberDataWillHonorUserData():
    # An eager member owns nothing when it joins (it revoked everything first), but
    # StickyAssignor's user data still carries its last assignment, and the leader's assignor
    # takes the owned partitions from there. Driven here through one consumer built alone,
    # whose coordinator (a fake broker) asks it to rejoin after its first generation.
    h = Harness({"cluster": {"brokers": 1, "config": {"offsets.topic.replication.factor": 1}},
                 "topics": {"topic": {"partitions": 2, "replication.factor": 1}},
                 "producers": {"app": {"topic": "topic", "rate": "10/s"}},
                 "consumers": {"group": {"topic": "topic", "members": 1, "config": {
                     "partition.assignment.strategy": ["sticky"],
                     "enable.auto.commit": False}}}})
    answers = {
        FindCoordinator: [FindCoordinatorResponse(None, 0)],
        JoinGroup: [JoinGroupResponse(None, 1, "sticky", "the-leader", "consumer1", ())],
        SyncGroup: [SyncGroupResponse(None, (("topic", 1),))],
        OffsetFetch: [OffsetFetchResponse(None, {0: 0, 1: 0})],
        Heartbeat: [HeartbeatResponse(REBALANCE_IN_PROGRESS)],
    }   # each answered once: the second JoinGroup waits

    def answer(request):
        left = answers.get(type(request))
        return left.pop() if left else None
    broker = h.peer("broker-0", answer)
    h.nodes.brokers.append(broker)
    consumer = h.add(Consumer(h.spec.consumers["group"], 0, h.client_context()))
    consumer.boot({0: (0, 0), 1: (0, 0)})
    h.run(4 * S)                        # joined, synced; the heartbeat at 3 s asks to rejoin
    first, second = broker.requests(JoinGroup)
    assert first.owned == ()
    assert consumer.fetcher.assigned == ()      # revoked before joining again
    assert second.owned == (("topic", 1),)
