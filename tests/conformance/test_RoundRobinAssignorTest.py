"""Kafka's RoundRobinAssignorTest against kafkasim's roundrobin assignor (sim/clients/assignors.py,
a pure function from the members' subscriptions and the partition counts to the assignment).

Every case is ported.
"""

from sim.clients.assignors import assign
from tests.conformance.assignors import by_instance, expect, member, tps

KAFKA_CLASS = "RoundRobinAssignorTest"

NOT_PORTED = {}

BOTH = ["topic1", "topic2"]


def round_robin(*members, **partitions):
    return assign("roundrobin", list(members), partitions)


def test_RoundRobinAssignorTest_testOneConsumerNoTopic():
    assert round_robin(member("consumer", [])) == {"consumer": ()}


def test_RoundRobinAssignorTest_testOneConsumerNonexistentTopic():
    assert round_robin(member("consumer", ["topic"])) == {"consumer": ()}


def test_RoundRobinAssignorTest_testOneConsumerOneTopic():
    assert round_robin(member("consumer", ["topic"]), topic=3) == expect(
        consumer="topic-0 topic-1 topic-2")


def test_RoundRobinAssignorTest_testOnlyAssignsPartitionsFromSubscribedTopics():
    assert round_robin(member("consumer", ["topic"]), topic=3, other=3) == expect(
        consumer="topic-0 topic-1 topic-2")


def test_RoundRobinAssignorTest_testOneConsumerMultipleTopics():
    assert round_robin(member("consumer", BOTH), topic1=1, topic2=2) == expect(
        consumer="topic1-0 topic2-0 topic2-1")


def test_RoundRobinAssignorTest_testTwoConsumersOneTopicOnePartition():
    assert round_robin(member("consumer1", ["topic"]), member("consumer2", ["topic"]),
                       topic=1) == expect(consumer1="topic-0", consumer2="")


def test_RoundRobinAssignorTest_testTwoConsumersOneTopicTwoPartitions():
    assert round_robin(member("consumer1", ["topic"]), member("consumer2", ["topic"]),
                       topic=2) == expect(consumer1="topic-0", consumer2="topic-1")


def test_RoundRobinAssignorTest_testMultipleConsumersMixedTopics():
    assignment = round_robin(member("consumer1", ["topic1"]), member("consumer2", BOTH),
                             member("consumer3", ["topic1"]), topic1=3, topic2=2)
    assert assignment == expect(consumer1="topic1-0", consumer2="topic1-1 topic2-0 topic2-1",
                                consumer3="topic1-2")


def test_RoundRobinAssignorTest_testTwoDynamicConsumersTwoTopicsSixPartitions():
    assignment = round_robin(member("consumer1", BOTH), member("consumer2", BOTH),
                             topic1=3, topic2=3)
    assert assignment == expect(consumer1="topic1-0 topic1-2 topic2-1",
                                consumer2="topic1-1 topic2-0 topic2-2")


def test_RoundRobinAssignorTest_testTwoStaticConsumersTwoTopicsSixPartitions():
    # consumer-a sorts first by member id, but static members sort by group.instance.id
    assignment = round_robin(member("consumer-b", BOTH, instance_id="instance1"),
                             member("consumer-a", BOTH, instance_id="instance2"),
                             topic1=3, topic2=3)
    assert assignment == {"consumer-b": tps("topic1-0 topic1-2 topic2-1"),
                          "consumer-a": tps("topic1-1 topic2-0 topic2-2")}


def test_RoundRobinAssignorTest_testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions():
    # a static member sorts ahead of a dynamic one whatever their member ids
    assignment = round_robin(member("consumer-b", BOTH, instance_id="instance1"),
                             member("consumer-a", BOTH), topic1=3, topic2=3)
    assert assignment == {"consumer-b": tps("topic1-0 topic1-2 topic2-1"),
                          "consumer-a": tps("topic1-1 topic2-0 topic2-2")}


def static_members() -> list:
    return [member(f"consumer{i}", BOTH, instance_id=f"instance{i}") for i in (1, 2, 3)]


def test_RoundRobinAssignorTest_testStaticMemberRoundRobinAssignmentPersistent():
    static = static_members()
    first = round_robin(*static, member("consumer4", BOTH), topic1=3, topic2=3)
    assert first == expect(consumer1="topic1-0 topic2-1", consumer2="topic1-1 topic2-2",
                           consumer3="topic1-2", consumer4="topic2-0")
    # the dynamic member is replaced by another; the static ones keep their partitions
    second = round_robin(*static, member("consumer5", BOTH), topic1=3, topic2=3)
    assert second == expect(consumer1="topic1-0 topic2-1", consumer2="topic1-1 topic2-2",
                            consumer3="topic1-2", consumer5="topic2-0")


def test_RoundRobinAssignorTest_testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges():  # noqa: E501
    static = static_members()
    first = by_instance(static, round_robin(*static, topic1=5, topic2=5))
    assert first == {"instance1": tps("topic1-0 topic1-3 topic2-1 topic2-4"),
                     "instance2": tps("topic1-1 topic1-4 topic2-2"),
                     "instance3": tps("topic1-2 topic2-0 topic2-3")}
    # consumer3 comes back as consumer4, consumer2 as consumer5
    renamed = [static[0], member("consumer5", BOTH, instance_id="instance2"),
               member("consumer4", BOTH, instance_id="instance3")]
    assert by_instance(renamed, round_robin(*renamed, topic1=5, topic2=5)) == first
