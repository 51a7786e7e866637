"""Kafka's RangeAssignorTest against kafkasim's range assignor (sim/clients/assignors.py, a pure
function from the members' subscriptions and the partition counts to the assignment).

Kafka runs most cases once per rack configuration; with every partition replicated on every
rack, rack-aware placement changes nothing, so the rack-less run is the one ported. Not ported:
the cases about rack-aware placement itself (KIP-881), since members have no client.rack here.
"""

import pytest

from sim.clients.assignors import assign
from tests.conformance.assignors import by_instance, expect, member, tps

KAFKA_CLASS = "RangeAssignorTest"

NOT_PORTED_LIKE = [
    ("^testRackAware", "not modeled: client.rack and rack-aware assignment (KIP-881)"),
]
NOT_PORTED = {
    "testCoPartitionedAssignmentWithSameSubscription":
        "not modeled: rack-aware assignment keeping co-partitioned topics together (KIP-881)",
}

BOTH = ["topic1", "topic2"]


def range_(*members, **partitions):
    return assign("range", list(members), partitions)


def test_RangeAssignorTest_testOneConsumerNoTopic():
    assert range_(member("consumer1", [])) == {"consumer1": ()}


def test_RangeAssignorTest_testOneConsumerNonexistentTopic():
    assert range_(member("consumer1", ["topic1"])) == {"consumer1": ()}


def test_RangeAssignorTest_testOneConsumerOneTopic():
    assert range_(member("consumer1", ["topic1"]), topic1=3) == expect(
        consumer1="topic1-0 topic1-1 topic1-2")


def test_RangeAssignorTest_testOnlyAssignsPartitionsFromSubscribedTopics():
    assert range_(member("consumer1", ["topic1"]), topic1=3, other=3) == expect(
        consumer1="topic1-0 topic1-1 topic1-2")


def test_RangeAssignorTest_testOneConsumerMultipleTopics():
    assert range_(member("consumer1", BOTH), topic1=1, topic2=2) == expect(
        consumer1="topic1-0 topic2-0 topic2-1")


def test_RangeAssignorTest_testTwoConsumersOneTopicOnePartition():
    assert range_(member("consumer1", ["topic1"]), member("consumer2", ["topic1"]),
                  topic1=1) == expect(consumer1="topic1-0", consumer2="")


def test_RangeAssignorTest_testTwoConsumersOneTopicTwoPartitions():
    assert range_(member("consumer1", ["topic1"]), member("consumer2", ["topic1"]),
                  topic1=2) == expect(consumer1="topic1-0", consumer2="topic1-1")


def test_RangeAssignorTest_testMultipleConsumersMixedTopics():
    assignment = range_(member("consumer1", ["topic1"]), member("consumer2", BOTH),
                        member("consumer3", ["topic1"]), topic1=3, topic2=2)
    assert assignment == expect(consumer1="topic1-0", consumer2="topic1-1 topic2-0 topic2-1",
                                consumer3="topic1-2")


def test_RangeAssignorTest_testTwoConsumersTwoTopicsSixPartitions():
    assignment = range_(member("consumer1", BOTH), member("consumer2", BOTH), topic1=3, topic2=3)
    assert assignment == expect(consumer1="topic1-0 topic1-1 topic2-0 topic2-1",
                                consumer2="topic1-2 topic2-2")


def test_RangeAssignorTest_testTwoStaticConsumersTwoTopicsSixPartitions():
    # consumer-a sorts first by member id, but static members sort by group.instance.id
    assignment = range_(member("consumer-b", BOTH, instance_id="instance1"),
                        member("consumer-a", BOTH, instance_id="instance2"), topic1=3, topic2=3)
    assert assignment == {"consumer-b": tps("topic1-0 topic1-1 topic2-0 topic2-1"),
                          "consumer-a": tps("topic1-2 topic2-2")}


def test_RangeAssignorTest_testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions():
    # a static member sorts ahead of a dynamic one whatever their member ids
    assignment = range_(member("consumer-b", BOTH, instance_id="instance1"),
                        member("consumer-a", BOTH), topic1=3, topic2=3)
    assert assignment == {"consumer-b": tps("topic1-0 topic1-1 topic2-0 topic2-1"),
                          "consumer-a": tps("topic1-2 topic2-2")}


def static_members(count: int = 3) -> list:
    return [member(f"consumer{i}", BOTH, instance_id=f"instance{i}") for i in range(1, count + 1)]


def test_RangeAssignorTest_testStaticMemberRangeAssignmentPersistent():
    static = static_members()
    first = range_(*static, member("consumer4", BOTH), topic1=5, topic2=4)
    assert first == expect(consumer1="topic1-0 topic1-1 topic2-0", consumer2="topic1-2 topic2-1",
                           consumer3="topic1-3 topic2-2", consumer4="topic1-4 topic2-3")
    # the dynamic member is replaced by another; the static ones keep their partitions
    second = range_(*static, member("consumer5", BOTH), topic1=5, topic2=4)
    assert second == expect(consumer1="topic1-0 topic1-1 topic2-0", consumer2="topic1-2 topic2-1",
                            consumer3="topic1-3 topic2-2", consumer5="topic1-4 topic2-3")


def test_RangeAssignorTest_testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges():
    static = static_members()
    first = by_instance(static, range_(*static, topic1=5, topic2=5))
    assert first == {"instance1": tps("topic1-0 topic1-1 topic2-0 topic2-1"),
                     "instance2": tps("topic1-2 topic1-3 topic2-2 topic2-3"),
                     "instance3": tps("topic1-4 topic2-4")}
    # consumer3 comes back as consumer4, consumer2 as consumer5
    renamed = [static[0], member("consumer5", BOTH, instance_id="instance2"),
               member("consumer4", BOTH, instance_id="instance3")]
    assert by_instance(renamed, range_(*renamed, topic1=5, topic2=5)) == first


# Not a port (the cases need racks): the rack-less runs of testRackAwareAssignmentWith*
# (verifyNonRackAwareAssignment with no broker racks).
ALL = ["t1", "t2", "t3"]
RACKLESS = {
    "uniform": ({"t1": 6, "t2": 7, "t3": 2}, [ALL, ALL, ALL],
                ["t1-0 t1-1 t2-0 t2-1 t2-2 t3-0", "t1-2 t1-3 t2-3 t2-4 t3-1",
                 "t1-4 t1-5 t2-5 t2-6"]),
    "non-equal": ({"t1": 6, "t2": 7, "t3": 2}, [ALL, ALL, ["t1", "t3"]],
                  ["t1-0 t1-1 t2-0 t2-1 t2-2 t2-3 t3-0", "t1-2 t1-3 t2-4 t2-5 t2-6 t3-1",
                   "t1-4 t1-5"]),
    "uniform-partitions": ({"t1": 5, "t2": 5, "t3": 5}, [ALL, ALL, ALL],
                           ["t1-0 t1-1 t2-0 t2-1 t3-0 t3-1", "t1-2 t1-3 t2-2 t2-3 t3-2 t3-3",
                            "t1-4 t2-4 t3-4"]),
    "uniform-partitions-non-equal": ({"t1": 5, "t2": 5, "t3": 5}, [ALL, ALL, ["t1", "t3"]],
                                     ["t1-0 t1-1 t2-0 t2-1 t2-2 t3-0 t3-1",
                                      "t1-2 t1-3 t2-3 t2-4 t3-2 t3-3", "t1-4 t3-4"]),
}


@pytest.mark.parametrize("case", sorted(RACKLESS))
def test_rack_aware_cases_without_racks(case):
    partitions, topics, expected = RACKLESS[case]
    members = [member(f"consumer{i}", topics[i]) for i in range(3)]
    assert range_(*members, **partitions) == expect(
        **{f"consumer{i}": expected[i] for i in range(3)})
