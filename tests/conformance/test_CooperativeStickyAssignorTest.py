"""Kafka's CooperativeStickyAssignorTest (its own cases; the shared ones are in
test_AbstractStickyAssignorTest.py) against kafkasim's cooperative-sticky assignor
(sim/clients/assignors.py, a pure function from the members' subscriptions and the partition
counts to the assignment the leader sends).

Kafka's subscriptions carry the generation in the assignor's user data or, from
ConsumerProtocolSubscription v2, in a field of its own; kafkasim's carry it decoded, so the case
on old subscription versions is ported with what they decode to. Not ported: the decoding itself
(serialization) and rack-aware placement (no client.rack here).
"""

from sim.clients.assignors import assign
from tests.conformance.assignors import GENERATION, expect, is_fully_balanced, member, settle

KAFKA_CLASS = "CooperativeStickyAssignorTest"

NOT_PORTED = {
    "testMemberDataWithInconsistentData": "internal: which of user data and subscription "
                                          "field owned partitions and generation are decoded "
                                          "from (serialization)",
    "testUniformSubscriptionTransferOwnershipListIsRight":
        "not modeled: client.rack and rack-aware assignment (KIP-881)",
}
NOT_PORTED_LIKE = [
    ("^test(EncodeAnd)?DecodeGeneration$|^testMemberData",
     "internal: encoding and decoding the generation in the assignor's user data "
     "(serialization)"),
]


def checked(members, partitions):
    """The assignment, after verifyValidityAndBalance settles it (follow-up rebalances)."""
    assignment = assign("cooperative-sticky", members, partitions)
    assert is_fully_balanced(settle("cooperative-sticky", members, partitions, assignment))
    return assignment


def claimed_twice(count: int):
    """topic-0 is claimed by consumer1 and consumer2 in one generation: it counts as owned, so
    nobody gets it until both have revoked it."""
    return checked([member("consumer1", ["topic"], "topic-0 topic-1", GENERATION),
                    member("consumer2", ["topic"], "topic-0 topic-2", GENERATION),
                    member("consumer3", ["topic"], "", GENERATION)], {"topic": count})


def test_CooperativeStickyAssignorTest_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer():  # noqa: E501
    assert claimed_twice(3) == expect(consumer1="topic-1", consumer2="topic-2", consumer3="")


def test_CooperativeStickyAssignorTest_testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer():  # noqa: E501
    assert claimed_twice(4) == expect(consumer1="topic-1 topic-3", consumer2="topic-2",
                                      consumer3="")


def test_CooperativeStickyAssignorTest_testAssignorWithOldVersionSubscriptions():
    # v1 subscriptions carry the owned partitions in a field, the generation in the user data
    assignment = checked([member("consumer1", ["topic1"], "topic1-0", GENERATION),
                          member("consumer2", ["topic1"], "topic1-1", GENERATION),
                          member("consumer3", ["topic1"], "", GENERATION)], {"topic1": 3})
    assert assignment == expect(consumer1="topic1-0", consumer2="topic1-1", consumer3="topic1-2")
