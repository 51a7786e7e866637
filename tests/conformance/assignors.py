"""Shared by the assignor ports (test_*AssignorTest.py): Kafka's test subscriptions and the
checks of AbstractStickyAssignorTest, written against sim/clients/assignors.assign.

Partitions are written "topic-partition" ("topic1-2"). A member's assignment is compared as a
set: Kafka's tests sometimes compare lists, but the order within one member's assignment has no
effect on what the member consumes.
"""

from dataclasses import replace
from itertools import combinations

from sim.clients.assignors import Subscription, TopicPartition, assign

STICKY = ("sticky", "cooperative-sticky")
GENERATION = 1          # AbstractStickyAssignorTest.generationId
NO_GENERATION = -1      # AbstractStickyAssignor.DEFAULT_GENERATION


def tps(spec: str) -> tuple[TopicPartition, ...]:
    """'t0-0 t1-2' -> (('t0', 0), ('t1', 2)), sorted."""
    return tuple(sorted((t, int(p)) for t, p in (tp.rsplit("-", 1) for tp in spec.split())))


def member(member_id: str, topics, owned: str = "", generation: int = NO_GENERATION,
           instance_id: str | None = None) -> Subscription:
    """A JoinGroup subscription; with no owned partitions and no generation, Kafka's
    `subscription(topics, index)`, else its `buildSubscriptionV2Above`."""
    return Subscription(member_id, instance_id, tuple(topics), tps(owned), generation)


def expect(**spec: str) -> dict[str, tuple[TopicPartition, ...]]:
    return {member_id: tps(partitions) for member_id, partitions in spec.items()}


def claim(m: Subscription, owned, generation: int) -> Subscription:
    """m's next JoinGroup, claiming owned as its partitions of that generation."""
    return replace(m, owned=tuple(owned), generation=generation)


def rejoin(members, assignment, generation: int = GENERATION, leave=()) -> list[Subscription]:
    """The next JoinGroup of the members not in leave: each owns what it was just assigned."""
    return [claim(m, assignment[m.member_id], generation) for m in members
            if m.member_id not in leave]


def by_instance(members, assignment) -> dict:
    """checkStaticAssignment: the assignment keyed by group.instance.id."""
    return {m.instance_id: assignment[m.member_id] for m in members if m.instance_id}


def topic_counts(assignment, topic: str) -> list[int]:
    return [sum(t == topic for t, _ in partitions) for partitions in assignment.values()]


# AbstractStickyAssignorTest


def transferring(members, partitions) -> dict[TopicPartition, str]:
    """partitionsTransferringOwnership: the partitions the sticky algorithm moves to a member
    while another still owns them, which cooperative-sticky withholds for now."""
    full = assign("sticky", members, partitions)
    withheld = assign("cooperative-sticky", members, partitions)
    return {tp: m for m, assigned in full.items() for tp in assigned if tp not in withheld[m]}


def is_fully_balanced(assignment) -> bool:
    sizes = [len(partitions) for partitions in assignment.values()]
    return max(sizes) - min(sizes) <= 1


def settle(strategy: str, members, partitions, assignment) -> dict:
    """verifyValidityAndBalance, returning the assignment it checked.

    cooperative-sticky (CooperativeStickyAssignorTest's override): no partition is revoked
    from one member and given to another in the same rebalance; while any member gives up a
    partition, the members rejoin owning their assignment (generation 1) and the group is
    assigned again, at most four times; the settled assignment is then checked.
    """
    if strategy == "cooperative-sticky":
        for rebalances in range(5):
            added = {tp for m in members for tp in assignment[m.member_id] if tp not in m.owned}
            revoked = {tp for m in members for tp in m.owned if tp not in assignment[m.member_id]}
            assert not added & revoked, f"handed over while revoked: {sorted(added & revoked)}"
            if not revoked:
                break
            assert rebalances < 4
            members = rejoin(members, assignment)
            assignment = assign(strategy, members, partitions)
    check_validity_and_balance(members, assignment)
    return assignment


def check_validity_and_balance(members, assignment) -> None:
    """Each partition goes to one subscriber of its topic; of two members whose counts differ
    by two or more, none holds a partition of a topic the other holds."""
    topics = {m.member_id: m.topics for m in members}
    assert sorted(assignment) == sorted(topics)
    for member_id, partitions in assignment.items():
        assert all(t in topics[member_id] for t, _ in partitions), (member_id, partitions)
    for a, b in combinations(sorted(assignment), 2):
        assert not set(assignment[a]) & set(assignment[b]), (a, b)
        if abs(len(assignment[a]) - len(assignment[b])) > 1:
            assert not {t for t, _ in assignment[a]} & {t for t, _ in assignment[b]}, (a, b)


def is_sticky(members, assignment) -> bool:
    """isSticky, as seen from outside: no partitions of one topic move around a cycle of
    members (one of a's to b and one of b's back to a, or longer)."""
    moves: dict[str, dict[str, set[str]]] = {}
    for m in members:
        for tp in m.owned:
            for other, partitions in assignment.items():
                if other != m.member_id and tp in partitions:
                    moves.setdefault(tp[0], {}).setdefault(m.member_id, set()).add(other)
    return not any(_has_cycle(edges) for edges in moves.values())


def _has_cycle(edges: dict[str, set[str]]) -> bool:
    done: set[str] = set()

    def visit(node: str, path: set[str]) -> bool:
        if node in path:
            return True
        if node in done:
            return False
        found = any(visit(n, path | {node}) for n in sorted(edges.get(node, ())))
        done.add(node)
        return found
    return any(visit(node, set()) for node in sorted(edges))
