"""The classic assignors give Kafka's assignments (docs/model.md#consumer-groups).

Examples come from the assignors' javadoc and Kafka's *AssignorTest classes. Partitions are written
"topic-partition", e.g. "t0-2".
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.clients.assignors import PROTOCOLS, Subscription, TopicPartition, assign


def needs_followup(strategy: str, members: list[Subscription],
                   assignment: dict[str, tuple[TopicPartition, ...]]) -> bool:
    """Whether a member must revoke owned partitions and so rejoin at once (cooperative only).

    ConsumerCoordinator.onJoinComplete requests a rejoin when a cooperative member owns partitions
    missing from its new assignment; eager members revoke everything before they join.
    """
    return PROTOCOLS[strategy] == "cooperative" and any(
        set(m.owned) - set(assignment[m.member_id]) for m in members)


STICKY = ("sticky", "cooperative-sticky")


def tps(spec: str) -> tuple[tuple[str, int], ...]:
    """'t0-0 t1-2' -> (('t0', 0), ('t1', 2))."""
    return tuple(sorted((t, int(p)) for t, p in (tp.rsplit("-", 1) for tp in spec.split())))


def member(member_id, topics, owned="", generation=-1, instance_id=None) -> Subscription:
    return Subscription(member_id, instance_id, tuple(topics), tps(owned), generation)


def rejoin(members, assignment, generation):
    """The members' next JoinGroup: each owns what it was just assigned."""
    return [Subscription(m.member_id, m.instance_id, m.topics, assignment[m.member_id], generation)
            for m in members]


def expect(**spec: str) -> dict:
    return {member_id: tps(partitions) for member_id, partitions in spec.items()}


TWO_BY_THREE = {"t0": 3, "t1": 3}


# range and roundrobin


def test_range_gives_the_first_consumers_the_extra_partition_of_each_topic():
    members = [member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])]
    assert assign("range", members, TWO_BY_THREE) == expect(C0="t0-0 t0-1 t1-0 t1-1",
                                                            C1="t0-2 t1-2")


def test_range_splits_each_topic_only_among_its_own_subscribers():
    members = [member("c1", ["t1"]), member("c2", ["t1", "t2"]), member("c3", ["t1"])]
    assert assign("range", members, {"t1": 3, "t2": 2}) == expect(c1="t1-0", c2="t1-1 t2-0 t2-1",
                                                                  c3="t1-2")


def test_round_robin_deals_all_partitions_over_the_sorted_consumers():
    members = [member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])]
    assert assign("roundrobin", members, TWO_BY_THREE) == expect(C0="t0-0 t0-2 t1-1",
                                                                 C1="t0-1 t1-0 t1-2")


def test_round_robin_skips_consumers_not_subscribed_to_a_topic():
    members = [member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])]
    assert assign("roundrobin", members, {"t0": 1, "t1": 2, "t2": 3}) == expect(
        C0="t0-0", C1="t1-0", C2="t1-1 t2-0 t2-1 t2-2")


def test_a_rolling_bounce_shuffles_range_unless_members_are_static():
    # RangeAssignor javadoc: C0 and C1 come back as C3 and C2
    bounced = [member("C3", ["t0", "t1"]), member("C2", ["t0", "t1"])]
    assert assign("range", bounced, TWO_BY_THREE)["C2"] == tps("t0-0 t0-1 t1-0 t1-1")
    static = [member("C3", ["t0", "t1"], instance_id="I0"),
              member("C2", ["t0", "t1"], instance_id="I1")]
    assert assign("range", static, TWO_BY_THREE)["C3"] == tps("t0-0 t0-1 t1-0 t1-1")


def test_a_rolling_bounce_keeps_round_robin_stable_for_static_members():
    # RoundRobinAssignor javadoc: C0, C1, C2 come back as C5, C3, C4
    renamed = {"C0": "C5", "C1": "C3", "C2": "C4"}
    before = [member(old, ["t0", "t1"], instance_id=f"I{old}") for old in renamed]
    after = [member(new, ["t0", "t1"], instance_id=f"I{old}") for old, new in renamed.items()]
    first = assign("roundrobin", before, TWO_BY_THREE)
    second = assign("roundrobin", after, TWO_BY_THREE)
    assert all(first[old] == second[new] for old, new in renamed.items())
    assert first["C0"] == tps("t0-0 t1-0")


@pytest.mark.parametrize(("strategy", "first"), [("range", "t-0 t-1"), ("roundrobin", "t-0 t-2")])
def test_static_members_sort_ahead_of_dynamic_ones(strategy, first):
    members = [member("a", ["t"]), member("b", ["t"], instance_id="z")]
    assert assign(strategy, members, {"t": 3})["b"] == tps(first)


# sticky: Kafka's AbstractStickyAssignorTest and CooperativeStickyAssignorTest examples


@pytest.mark.parametrize("strategy", STICKY)
def test_sticky_with_differing_subscriptions_matches_kafkas_example(strategy):
    members = [member("consumer1", ["topic1"]), member("consumer2", ["topic1", "topic2"]),
               member("consumer3", ["topic1"])]
    assert assign(strategy, members, {"topic1": 3, "topic2": 2}) == expect(
        consumer1="topic1-0 topic1-2", consumer2="topic2-0 topic2-1", consumer3="topic1-1")


def test_sticky_with_equal_subscriptions_matches_kafkas_example():
    members = [member("consumer1", ["t1", "t2"]), member("consumer2", ["t1", "t2"])]
    assert assign("sticky", members, {"t1": 3, "t2": 3}) == expect(consumer1="t1-0 t1-2 t2-1",
                                                                   consumer2="t1-1 t2-0 t2-2")


def test_sticky_keeps_every_owned_partition_when_a_member_leaves():
    left = [member("c1", ["t"], "t-0 t-3", 4), member("c3", ["t"], "t-2 t-5", 4)]  # c2 had 1, 4
    assignment = assign("sticky", left, {"t": 6})
    assert set(assignment["c1"]) > set(tps("t-0 t-3"))
    assert set(assignment["c3"]) > set(tps("t-2 t-5"))


def test_sticky_moves_only_the_excess_to_a_joining_member():
    members = [member("consumer1", ["t"], "t-0 t-1 t-2", 1), member("consumer2", ["t"], "", 1)]
    assert assign("sticky", members, {"t": 3}) == expect(consumer1="t-0 t-1", consumer2="t-2")


def test_sticky_keeps_a_spread_of_topics_when_members_join():
    # KAFKA-16277: owned partitions are kept in partition order, not grouped by topic
    both = ["t1", "t2"]
    members = [member("c1", both, "t1-0 t1-2 t2-1 t2-3", 1),
               member("c2", both, "t1-1 t2-0 t2-2", 1),
               member("c3", both, "", 1), member("c4", both, "", 1)]
    assert assign("sticky", members, {"t1": 3, "t2": 4}) == expect(
        c1="t1-0 t2-1", c2="t1-1 t2-0", c3="t1-2 t2-3", c4="t2-2")


def test_a_claim_from_a_newer_generation_wins_over_an_older_one():
    members = [member("c1", ["t"], "t-0 t-1", 5), member("c2", ["t"], "t-1 t-2 t-3", 4)]
    assert assign("sticky", members, {"t": 4}) == expect(c1="t-0 t-1", c2="t-2 t-3")


@pytest.mark.parametrize(("count", "consumer1"), [(3, "t-1"), (4, "t-1 t-3")])
def test_a_partition_claimed_twice_in_one_generation_is_withheld_from_everyone(count, consumer1):
    members = [member("consumer1", ["t"], "t-0 t-1", 1), member("consumer2", ["t"], "t-0 t-2", 1),
               member("consumer3", ["t"], "", 1)]
    assignment = assign("cooperative-sticky", members, {"t": count})
    assert assignment == expect(consumer1=consumer1, consumer2="t-2", consumer3="")
    assert needs_followup("cooperative-sticky", members, assignment)


def test_cooperative_sticky_hands_over_a_moving_partition_only_after_its_owner_revokes_it():
    members = [member("consumer1", ["t"], "t-0 t-1 t-2", 1), member("consumer2", ["t"], "", 1)]
    first = assign("cooperative-sticky", members, {"t": 3})
    assert first == expect(consumer1="t-0 t-1", consumer2="")
    assert needs_followup("cooperative-sticky", members, first)
    members = rejoin(members, first, 2)
    second = assign("cooperative-sticky", members, {"t": 3})
    assert second == expect(consumer1="t-0 t-1", consumer2="t-2")
    assert not needs_followup("cooperative-sticky", members, second)


def test_a_member_that_loses_a_stale_claim_must_rejoin_under_cooperative():
    members = [member("c1", ["t"], "t-0 t-1", 5), member("c2", ["t"], "t-1 t-2 t-3", 4)]
    assignment = assign("cooperative-sticky", members, {"t": 4})
    assert assignment == expect(c1="t-0 t-1", c2="t-2 t-3")
    assert needs_followup("cooperative-sticky", members, assignment)


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "sticky"])
def test_eager_assignors_never_need_a_followup(strategy):
    members = [member("consumer1", ["t"], "t-0 t-1 t-2", 1), member("consumer2", ["t"], "", 1)]
    assert PROTOCOLS[strategy] == "eager"
    assert not needs_followup(strategy, members, assign(strategy, members, {"t": 3}))


@pytest.mark.parametrize("strategy", sorted(PROTOCOLS))
def test_every_member_is_listed_and_unknown_topics_are_skipped(strategy):
    members = [member("a", ["t", "missing"]), member("b", ["t"]), member("c", ["t"])]
    assignment = assign(strategy, members, {"t": 1, "unsubscribed": 4})
    assert sorted(assignment) == ["a", "b", "c"]
    assert sorted(tp for tps_ in assignment.values() for tp in tps_) == [("t", 0)]


def test_an_unknown_assignor_is_rejected():
    with pytest.raises(ValueError, match="unknown assignor"):
        assign("fair", [member("a", ["t"])], {"t": 1})


# properties

TOPICS = ("t0", "t1", "t2", "t3")


@st.composite
def groups(draw, same_topics=False, consistent=False):
    """(members, partitions): up to 6 members and 4 topics (some unknown to the metadata).

    Claims on owned partitions may overlap and come from any generation, unless consistent: then
    each partition has at most one claimant, all from the same generation.
    """
    topic_set = st.sets(st.sampled_from(TOPICS), min_size=1)
    partitions = {t: draw(st.integers(0, 6)) for t in draw(topic_set)}
    everything = [(t, p) for t, n in sorted(partitions.items()) for p in range(n)]
    ids = draw(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6, unique=True))
    instance_ids = draw(st.permutations("PQRSTUVW"))
    shared = draw(topic_set)
    claimed = draw(st.permutations(everything))[:draw(st.integers(0, len(everything)))]
    members = []
    for i, member_id in enumerate(ids):
        topics = shared if same_topics else draw(topic_set)
        owned = claimed[i::len(ids)] if consistent else [p for p in claimed if draw(st.booleans())]
        members.append(Subscription(member_id, instance_ids[i] if draw(st.booleans()) else None,
                                    tuple(sorted(topics)), tuple(sorted(owned)),
                                    1 if consistent else draw(st.integers(-1, 3))))
    return members, partitions


def subscribed(members, partitions):
    return {(t, p) for m in members for t in m.topics for p in range(partitions.get(t, 0))}


def owners(assignment):
    result = {}
    for member_id, partitions in assignment.items():
        for tp in partitions:
            result.setdefault(tp, []).append(member_id)
    return result


@settings(deadline=None)
@given(group=groups(), strategy=st.sampled_from(["range", "roundrobin", "sticky"]))
def test_eager_assignors_give_each_subscribed_partition_to_exactly_one_subscriber(group, strategy):
    members, partitions = group
    holders = owners(assign(strategy, members, partitions))
    topics = {m.member_id: m.topics for m in members}
    assert set(holders) == subscribed(members, partitions)
    assert all(len(ids) == 1 and tp[0] in topics[ids[0]] for tp, ids in holders.items())


@settings(deadline=None)
@given(group=groups())
def test_cooperative_withholds_what_another_member_claims_and_never_hands_it_over_directly(group):
    # Withheld: every partition its sticky owner never claimed but another member does, and none
    # that no other member claims (a stale or duplicate claim may withhold a few more).
    members, partitions = group
    eager = assign("sticky", members, partitions)
    cooperative = assign("cooperative-sticky", members, partitions)
    claimants = {}
    for m in members:
        for tp in m.owned:
            claimants.setdefault(tp, set()).add(m.member_id)
    eager_owner = {tp: ids[0] for tp, ids in owners(eager).items()}
    withheld = set(eager_owner) - set(owners(cooperative))
    claimed_by_other = {tp for tp, m in eager_owner.items() if claimants.get(tp, set()) - {m}}
    taken_from_other = {tp for tp in claimed_by_other if eager_owner[tp] not in claimants[tp]}
    assert all(set(cooperative[m]) <= set(eager[m]) for m in eager)
    assert all(len(ids) == 1 for ids in owners(cooperative).values())
    assert taken_from_other <= withheld <= claimed_by_other
    added = {tp for m in members for tp in cooperative[m.member_id] if tp not in m.owned}
    revoked = {tp for m in members for tp in m.owned if tp not in cooperative[m.member_id]}
    assert not added & revoked  # ConsumerCoordinator.validateCooperativeAssignment


@settings(deadline=None)
@given(group=groups(consistent=True))
def test_with_consistent_ownership_cooperative_withholds_exactly_what_moves(group):
    members, partitions = group
    eager = owners(assign("sticky", members, partitions))
    cooperative = owners(assign("cooperative-sticky", members, partitions))
    previous = {tp: m.member_id for m in members for tp in m.owned}
    assert set(eager) - set(cooperative) == {tp for tp, [m] in eager.items()
                                             if previous.get(tp, m) != m}


@settings(deadline=None)
@given(group=groups())
def test_cooperative_rebalances_settle_within_four_rounds_on_a_complete_assignment(group):
    members, partitions = group
    for generation in range(4):
        assignment = assign("cooperative-sticky", members, partitions)
        if not needs_followup("cooperative-sticky", members, assignment):
            break
        members = rejoin(members, assignment, generation + 10)
    assert not needs_followup("cooperative-sticky", members, assignment)
    assert set(owners(assignment)) == subscribed(members, partitions)


@settings(deadline=None)
@given(group=groups(same_topics=True), strategy=st.sampled_from(["roundrobin", "sticky"]))
def test_identical_subscriptions_give_counts_within_one(group, strategy):
    members, partitions = group
    sizes = [len(tps_) for tps_ in assign(strategy, members, partitions).values()]
    assert max(sizes) - min(sizes) <= 1


@settings(deadline=None)
@given(group=groups(same_topics=True))
def test_range_splits_each_topic_within_one_among_identical_subscribers(group):
    members, partitions = group
    assignment = assign("range", members, partitions)
    for topic in partitions:
        sizes = [sum(t == topic for t, _ in tps_) for tps_ in assignment.values()]
        assert max(sizes) - min(sizes) <= 1


@settings(deadline=None)
@given(group=groups())
def test_sticky_leaves_no_member_able_to_take_a_partition_from_one_two_fuller(group):
    # AbstractStickyAssignorTest.verifyValidityAndBalance
    members, partitions = group
    assignment = assign("sticky", members, partitions)
    topics = {m.member_id: m.topics for m in members}
    for low, high in ((a, b) for a in assignment for b in assignment):
        if len(assignment[high]) > len(assignment[low]) + 1:
            assert not {t for t, _ in assignment[high]} & set(topics[low])


@settings(deadline=None)
@given(group=groups(same_topics=True, consistent=True))
def test_sticky_keeps_owned_partitions_up_to_the_balanced_quota(group):
    members, partitions = group
    assignment = assign("sticky", members, partitions)
    quota = sum(partitions[t] for t in members[0].topics if t in partitions) // len(members)
    for m in members:
        valid = [tp for tp in m.owned if tp[0] in m.topics]
        assert len(set(assignment[m.member_id]) & set(valid)) >= min(len(valid), quota)


@settings(deadline=None)
@given(group=groups(), strategy=st.sampled_from(sorted(PROTOCOLS)), data=st.data())
def test_the_assignment_depends_on_the_group_not_on_member_order(group, strategy, data):
    members, partitions = group
    shuffled = data.draw(st.permutations(members))
    assert assign(strategy, members, partitions) == assign(strategy, shuffled, partitions)
    assert assign(strategy, members, partitions) == assign(strategy, members,
                                                         dict(reversed(partitions.items())))
