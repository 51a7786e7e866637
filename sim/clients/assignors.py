"""Kafka's classic-protocol partition assignors as pure functions, ported from the Java consumer.

The port follows kafka-clients 3.8 (through KAFKA-14639, KAFKA-15170 and KAFKA-16277).

The group leader runs the assignor the coordinator picked over every member's JoinGroup
subscription and sends the result in SyncGroup. range and roundrobin order members by
group.instance.id when set, then by member id (AbstractPartitionAssignor.MemberInfo), so static
members keep their partitions across a rolling bounce. sticky and cooperative-sticky share
AbstractStickyAssignor: conflicting ownership claims are resolved first (the higher generation
wins, an equal one voids the claim), then the constrained algorithm runs when every member
subscribes to the same topics and the general one otherwise. cooperative-sticky then withholds
each partition that would move from one member to another: its owner revokes it and rejoins, and
the follow-up rebalance hands it over (KIP-429).

Left out: rack-aware placement (KIP-881; members have no client.rack here). Added: the general
sticky path never hands a partition back to an earlier owner no longer subscribed to its topic,
which Kafka could do. Where Kafka iterates a HashMap, whose order follows Java string hashes, this
module visits members in member-id order and takes the smallest partition of a set: results equal
Kafka's wherever that order does not matter, and are deterministic everywhere. One such order
decides which members keep maxQuota owned partitions in the constrained path; there the members
are visited in Kafka's own HashMap order (_hash_map_order).
"""

from dataclasses import dataclass
from itertools import combinations

TopicPartition = tuple[str, int]

PROTOCOLS: dict[str, str] = {"range": "eager", "roundrobin": "eager", "sticky": "eager",
                             "cooperative-sticky": "cooperative"}


@dataclass(frozen=True)
class Subscription:
    """One member's JoinGroup metadata as the leader reads it."""

    member_id: str
    instance_id: str | None
    topics: tuple[str, ...]
    owned: tuple[TopicPartition, ...]
    generation: int


def assign(strategy: str, members: list[Subscription],
           partitions: dict[str, int]) -> dict[str, tuple[TopicPartition, ...]]:
    """The assignment the leader sends in SyncGroup: every member id with its sorted partitions."""
    if strategy not in PROTOCOLS:
        raise ValueError(f"unknown assignor {strategy!r}; expected one of {sorted(PROTOCOLS)}")
    if not members:
        return {}
    ordered = sorted(members, key=lambda m: m.member_id)
    counts = {t: n for t, n in sorted(partitions.items())
              if n > 0 and any(t in m.topics for m in members)}
    result = _ASSIGNORS[strategy](ordered, counts)
    return {m.member_id: tuple(sorted(result[m.member_id])) for m in ordered}


def _member_order(member: Subscription) -> tuple:
    """MemberInfo.compareTo: static members by instance id, ahead of dynamic ones by member id."""
    if member.instance_id is not None:
        return (0, member.instance_id, member.member_id)
    return (1, member.member_id)


def _range(members: list[Subscription], counts: dict[str, int]) -> dict[str, list]:
    """RangeAssignor: per topic, consecutive partitions; the first P mod C members get one more."""
    result = {m.member_id: [] for m in members}
    for topic, count in counts.items():
        consumers = sorted((m for m in members if topic in m.topics), key=_member_order)
        share, extra = divmod(count, len(consumers))
        start = 0
        for i, member in enumerate(consumers):
            end = start + share + (i < extra)
            result[member.member_id] += [(topic, p) for p in range(start, end)]
            start = end
    return result


def _roundrobin(members: list[Subscription], counts: dict[str, int]) -> dict[str, list]:
    """RoundRobinAssignor: deal all partitions over the ordered members, skipping unsubscribed."""
    result = {m.member_id: [] for m in members}
    ring, i = sorted(members, key=_member_order), 0
    for topic, count in counts.items():
        for p in range(count):
            while topic not in ring[i % len(ring)].topics:
                i += 1
            result[ring[i % len(ring)].member_id].append((topic, p))
            i += 1
    return result


def _cooperative_sticky(members: list[Subscription], counts: dict[str, int]) -> dict[str, list]:
    """CooperativeStickyAssignor.assign: withhold partitions their owner must revoke first."""
    assignment, transferring = _sticky_assignment(members, counts)
    if transferring is None:
        transferring = _transferring(members, assignment)
    for tp, member_id in transferring.items():
        assignment[member_id].remove(tp)
    return assignment


def _sticky_assignment(members, counts) -> tuple[dict[str, list], dict | None]:
    """AbstractStickyAssignor.assignPartitions, plus what changes owner if the path knows it."""
    owned, doubly_claimed = _resolve_claims(members, counts)
    if len({frozenset(m.topics) for m in members}) == 1:
        return _Constrained(owned, doubly_claimed, counts).build()
    return _General(members, owned, counts).build(), None


def _resolve_claims(members, counts) -> tuple[dict[str, list], set[TopicPartition]]:
    """Each member's valid owned partitions and the ones voided by an equal-generation conflict.

    AbstractStickyAssignor.allSubscriptionsEqual (KAFKA-14639): a claim from a higher generation
    takes the partition, a lower one is ignored, an equal one voids both claims.
    """
    claimant: dict[TopicPartition, Subscription] = {}
    holder: dict[TopicPartition, str] = {}
    doubly_claimed: set[TopicPartition] = set()
    for member in members:
        for tp in member.owned:
            other = claimant.get(tp)  # Kafka checks only the topic, not the partition number
            if not 0 <= tp[1] < counts.get(tp[0], 0) or (
                    other is not None and member.generation < other.generation):
                continue
            claimant[tp] = member
            if other is not None and member.generation == other.generation:
                doubly_claimed.add(tp)
                holder.pop(tp, None)
            else:
                holder[tp] = member.member_id
    owned = {m.member_id: [tp for tp in m.owned if holder.get(tp) == m.member_id] for m in members}
    return owned, doubly_claimed


def _transferring(members, assignment) -> dict[TopicPartition, str]:
    """computePartitionsTransferringOwnership: partitions newly assigned that another owned."""
    added = {tp: m.member_id for m in members for tp in assignment[m.member_id]
             if tp not in m.owned}
    revoked = {tp for m in members for tp in m.owned if tp not in assignment[m.member_id]}
    return {tp: member_id for tp, member_id in added.items() if tp in revoked}


class _Constrained:
    """AbstractStickyAssignor.ConstrainedAssignmentBuilder without racks: equal subscriptions."""

    def __init__(self, owned: dict[str, list], doubly_claimed: set, counts: dict[str, int]):
        self.owned, self.doubly_claimed, self.counts = owned, doubly_claimed, counts
        self.min_quota, self.expected_over = divmod(sum(counts.values()), len(owned))
        self.max_quota = self.min_quota + (self.expected_over > 0)
        self.assignment: dict[str, list[TopicPartition]] = {m: [] for m in owned}
        self.revoked_by: dict[TopicPartition, str] = {}
        self.transferring: dict[TopicPartition, str] = {}
        self.under_min: list[str] = []
        self.at_min: list[str] = []  # members that may still take one partition above min_quota

    def build(self) -> tuple[dict[str, list], dict[TopicPartition, str]]:
        self._keep_owned()
        held = {tp for tps in self.assignment.values() for tp in tps}
        self._fill([(t, p) for t, n in self.counts.items() for p in range(n) if (t, p) not in held])
        return self.assignment, self.transferring

    def _keep_owned(self) -> None:
        """assignOwnedPartitions: keep owned partitions up to the quota the member can get.

        Members are visited in Kafka's order, that of a HashMap keyed by member id: when more
        members own maxQuota partitions than may keep that many, the first ones visited do.
        """
        over = 0
        for member in _hash_map_order(list(self.owned)):
            owned = self.owned[member]
            # by partition, then topic, so a member keeps a spread of topics (KAFKA-16277)
            owned = sorted((tp for tp in owned if tp not in self.doubly_claimed),
                           key=lambda tp: (tp[1], tp[0]))
            if len(owned) < self.min_quota:
                keep = len(owned)
                self.under_min.append(member)
            elif len(owned) >= self.max_quota and over < self.expected_over:
                keep, over = self.max_quota, over + 1
                if over == self.expected_over:
                    self.at_min.clear()
            else:
                keep = self.min_quota
                if over < self.expected_over:
                    self.at_min.append(member)
            self.assignment[member] = owned[:keep]
            self.revoked_by.update((tp, member) for tp in owned[keep:])

    def _fill(self, unassigned: list[TopicPartition]) -> None:
        """assignRoundRobin: raise members to min_quota in turn, then at-min ones to max_quota."""
        self.under_min.sort()
        self.at_min.sort()
        i = 0  # Kafka's iterator over under_min, which drops members as they reach min_quota
        for tp in unassigned:
            if i == len(self.under_min):
                i = 0
            if self.under_min:
                member, i = self.under_min[i], i + 1
            else:
                member = self.at_min.pop(0)
            self.assignment[member].append(tp)
            revoker = self.revoked_by.get(tp)
            if (revoker is not None and revoker != member) or tp in self.doubly_claimed:
                self.transferring[tp] = member  # a member may take back its own (KAFKA-15170)
            if len(self.assignment[member]) == self.min_quota:
                i -= 1
                self.at_min.append(self.under_min.pop(i))


class _General:
    """AbstractStickyAssignor.GeneralAssignmentBuilder without racks: differing subscriptions."""

    def __init__(self, members: list[Subscription], owned: dict[str, list], counts: dict[str, int]):
        self.counts = counts
        self.topics = {m.member_id: [t for t in counts if t in m.topics] for m in members}
        self.potential = {t: [m.member_id for m in members if t in m.topics] for t in counts}
        self.current = {m: list(tps) for m, tps in owned.items()}
        self.owner = {tp: m for m, tps in owned.items() for tp in tps}  # currentPartitionConsumer
        self.prev = _previous_owners(members, self.topics)
        self.origin: dict[TopicPartition, str] = {}  # moved partition -> owner before the move
        ranked = sorted(counts, key=lambda t: (len(self.potential[t]), t))
        self.sorted_all = [(t, p) for t in ranked for p in range(counts[t])]

    def build(self) -> dict[str, list]:
        revocation_required = self._drop_unsubscribed()
        held = {tp for tps in self.current.values() for tp in tps}
        self._balance([tp for tp in self.sorted_all if tp not in held], revocation_required)
        return self.current

    def _drop_unsubscribed(self) -> bool:
        """Drop owned partitions of topics a member no longer subscribes to; True if any."""
        dropped = False
        for member, tps in self.current.items():
            kept = [tp for tp in tps if tp[0] in self.topics[member]]
            dropped |= len(kept) < len(tps)
            self.current[member] = kept
        return dropped

    def _balance(self, unassigned: list[TopicPartition], revocation_required: bool) -> None:
        """balance: place the unassigned, then move partitions while that improves balance."""
        initializing = not any(self.current.values())
        for tp in unassigned:
            self._give(tp, self._least_loaded(tp[0]))
        movable = [tp for tp in self.sorted_all if len(self.potential[tp[0]]) >= 2]
        fixed = {m: self.current.pop(m) for m in list(self.current) if not self._can_move(m)}
        before = {m: list(tps) for m, tps in self.current.items()}
        owner_before = dict(self.owner)
        if not revocation_required:
            self._reassign([tp for tp in unassigned if len(self.potential[tp[0]]) >= 2])
        moved = self._reassign(movable)
        if not initializing and moved and _score(self.current) >= _score(before):
            self.current, self.owner = before, owner_before
        self.current.update(fixed)

    def _reassign(self, partitions: list[TopicPartition]) -> bool:
        """performReassignments: move partitions until balanced or stuck; True if any moved."""
        moved = False
        while True:
            modified = False
            for tp in partitions:
                if self._is_balanced():
                    break
                size, prev = len(self.current[self.owner[tp]]), self.prev.get(tp)
                if prev is not None and size > len(self.current[prev]) + 1:
                    self._move(tp, prev)
                elif any(size > len(self.current[m]) + 1 for m in self.potential[tp[0]]):
                    self._move(tp, self._least_loaded(tp[0]))
                else:
                    continue
                modified = True
            if not modified:
                return moved
            moved = True

    def _is_balanced(self) -> bool:
        """isBalanced: counts within one, or no member could take a partition from a fuller one."""
        sizes = [len(tps) for tps in self.current.values()]
        if min(sizes) >= max(sizes) - 1:
            return True
        for member, tps in self.current.items():
            if len(tps) == sum(self.counts[t] for t in self.topics[member]):
                continue
            for tp in ((t, p) for t in self.topics[member] for p in range(self.counts[t])):
                if tp not in tps and len(tps) + 1 < len(self.current[self.owner[tp]]):
                    return False
        return True

    def _can_move(self, member: str) -> bool:
        """canConsumerParticipateInReassignment: it lacks some of its topics, or shares one."""
        tps = self.current[member]
        return (len(tps) < sum(self.counts[t] for t in self.topics[member])
                or any(len(self.potential[t]) >= 2 for t, _ in tps))

    def _least_loaded(self, topic: str) -> str:
        """The first of sortedCurrentSubscriptions (fewest partitions, then id) taking topic."""
        subscribed = (m for m in self.current if topic in self.topics[m])
        return min(subscribed, key=lambda m: (len(self.current[m]), m))

    def _move(self, tp: TopicPartition, target: str) -> None:
        """reassignPartition: move tp to target, or undo an earlier move (PartitionMovements).

        If a partition of tp's topic already moved from target to tp's first owner, that one moves
        back instead; Kafka takes the first of a HashSet of them, this the smallest.
        """
        first = self.origin.get(tp, self.owner[tp])
        tp = min((q for q, o in self.origin.items()
                  if q[0] == tp[0] and o == target and self.owner[q] == first), default=tp)
        source = self.owner[tp]
        origin = self.origin.pop(tp, source)
        if origin != target:
            self.origin[tp] = origin
        self.current[source].remove(tp)
        self._give(tp, target)

    def _give(self, tp: TopicPartition, member: str) -> None:
        self.current[member].append(tp)
        self.owner[tp] = member


def _hash_map_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap into which these String keys were put in
    this order: by bucket, the spread Java hash masked to the table size, which starts at 16
    and doubles whenever the map would pass three quarters full."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        data = key.encode("utf-16-be")
        h = 0
        for i in range(0, len(data), 2):  # String.hashCode over UTF-16 code units
            h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)
    return sorted(keys, key=bucket)


def _previous_owners(members, topics) -> dict[TopicPartition, str]:
    """prevAssignment: per partition, its claimant of the newest generation below the newest.

    Unlike Kafka, only claims on topics the member still subscribes to count, so the balancing
    never hands a partition back to a member that has unsubscribed from its topic.
    """
    newest = max(m.generation for m in members)
    claims: dict[TopicPartition, tuple[int, str]] = {}
    for member in members:
        for tp in member.owned:
            if (member.generation < newest and tp[0] in topics[member.member_id]
                    and (tp not in claims or member.generation > claims[tp][0])):
                claims[tp] = (member.generation, member.member_id)
    return {tp: member_id for tp, (_, member_id) in claims.items()}


def _score(assignment: dict[str, list]) -> int:
    """getBalanceScore: summed count difference over all member pairs (0 is perfectly balanced)."""
    return sum(abs(len(a) - len(b)) for a, b in combinations(assignment.values(), 2))


_ASSIGNORS = {"range": _range, "roundrobin": _roundrobin,
              "sticky": lambda members, counts: _sticky_assignment(members, counts)[0],
              "cooperative-sticky": _cooperative_sticky}
