"""One consumer group's state at its coordinator (the classic protocol's GroupMetadata).

States: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, back to
PreparingRebalance on any membership change. A rebalance waits for every
known member to send JoinGroup, at most the largest rebalance timeout
(`max.poll.interval.ms`); an empty group's first rebalance waits
`group.initial.rebalance.delay.ms`, extended while new members keep coming
(InitialDelayedJoin). Completing the join drops the dynamic members that did
not rejoin (static ones stay until their session expires), bumps the
generation, picks the assignor by the members' votes (each for its first choice
among those every member supports) and answers every joined member; the leader
(kept if it rejoined, else the first member that did) gets the subscriptions. The leader's SyncGroup
carries the assignment, which is written to `__consumer_offsets` before any
member gets its share.

Membership is kept alive by heartbeats within `session.timeout.ms`; members
waiting for a JoinGroup or SyncGroup answer do not expire. A pending member (KIP-394:
told its id, not yet joined with it) holds a rebalance back until it joins, leaves or
its session timeout passes. A static member
(`group.instance.id`) that rejoins replaces its old member id, which is
fenced, and keeps its assignment without a rebalance when the group is
stable.

Offsets (GroupMetadata): `committed` holds each partition's committed offset and
`committed_at` the log offset of the record it came from; a commit takes effect only over
one written earlier in the log (CommitRecordMetadataAndOffset.olderThan). A transactional
offset commit (KIP-98) is pending per producer id until that producer's COMMIT marker moves
it into `committed` (or its ABORT drops it): prepareTxnOffsetCommit,
onTxnOffsetCommitAppend, failPendingTxnOffsetCommit, completePendingTxnOffsetCommit.

This module is the state machine only: the coordinator (coordinator.py)
validates requests, schedules timers and writes the log.
"""

from dataclasses import dataclass, field

EMPTY, PREPARING, COMPLETING, STABLE = "Empty", "PreparingRebalance", "CompletingRebalance", \
    "Stable"


@dataclass(slots=True)
class Member:
    member_id: str
    instance_id: str | None
    client: str
    session_us: int
    rebalance_us: int
    protocols: tuple
    topics: tuple
    owned: tuple = ()
    assignment: tuple = ()
    expires_at: int = 0
    join_reply: object = None       # callable(JoinGroupResponse) while awaiting the join
    sync_reply: object = None       # callable(SyncGroupResponse) while awaiting the sync


@dataclass
class Group:
    name: str
    state: str = EMPTY
    generation: int = 0
    protocol: str = ""
    leader: str = ""
    members: dict = field(default_factory=dict)      # member id -> Member, in join order
    static: dict = field(default_factory=dict)       # instance id -> member id
    pending: set = field(default_factory=set)        # ids given out by MEMBER_ID_REQUIRED
    committed: dict = field(default_factory=dict)    # pidx -> offset
    committed_at: dict = field(default_factory=dict)  # pidx -> log offset of its record
    pending_txn: dict = field(default_factory=dict)  # pid -> {pidx: [offset, log offset,
                                                     #                client]}
    rebalance_round: int = 0                         # invalidates stale rebalance timers
    new_members: bool = False                        # joined during the initial delay
    delaying: bool = False                           # in the initial delay: no early join

    # -- offsets (GroupMetadata) -----------------------------------------------------------

    def commit_offset(self, pidx: int, offset: int, at: int) -> bool:
        """A commit record at log offset `at` is in place, unless the committed offset came
        from a later record (onOffsetCommitAppend); did the committed offset move?"""
        if self.committed_at.get(pidx, -1) >= at:
            return False
        self.committed[pidx], self.committed_at[pidx] = offset, at
        return True

    def prepare_txn_offset_commit(self, pid: int, offsets, client: str = "") -> None:
        """prepareTxnOffsetCommit: the producer's offsets are pending, not yet written
        (log offset -1); `client` names who committed them, for the trace."""
        pending = self.pending_txn.setdefault(pid, {})
        for pidx, offset in offsets:
            pending[pidx] = [offset, -1, client]

    def on_txn_offset_commit_append(self, pid: int, offsets, at: int) -> None:
        """onTxnOffsetCommitAppend: the pending offsets' record is at log offset `at`
        (unless a later TxnOffsetCommit of the producer replaced them meanwhile)."""
        pending = self.pending_txn.get(pid, {})
        for pidx, offset in offsets:
            entry = pending.get(pidx)
            if entry is not None and entry[0] == offset:
                entry[1] = at

    def fail_pending_txn_offset_commit(self, pid: int, offsets) -> None:
        """failPendingTxnOffsetCommit: the record was not written; the client retries."""
        pending = self.pending_txn.get(pid)
        if pending is None:
            return
        for pidx, _offset in offsets:
            pending.pop(pidx, None)
        if not pending:
            del self.pending_txn[pid]

    def complete_pending_txn_offset_commit(self, pid: int, commit: bool) -> list:
        """completePendingTxnOffsetCommit: the producer's marker is written; on COMMIT its
        written offsets become committed (over older records only). [(pidx, offset,
        client)] of those that moved.
        Kafka throws IllegalStateException for a pending offset whose record is not written
        yet; such an offset is dropped here."""
        pending = self.pending_txn.pop(pid, {})
        if not commit:
            return []
        return [(pidx, offset, client) for pidx, (offset, at, client) in pending.items()
                if at >= 0 and self.commit_offset(pidx, offset, at)]

    def has_pending_offset_commits(self, pidx: int) -> bool:
        """hasPendingOffsetCommitsForTopicPartition, for transactional offsets."""
        return any(pidx in pending for pending in self.pending_txn.values())

    # -- membership ----------------------------------------------------------------------

    def add(self, member: Member) -> None:
        self.pending.discard(member.member_id)
        self.members[member.member_id] = member
        if member.instance_id is not None:
            self.static[member.instance_id] = member.member_id
        self.new_members = True

    def add_pending(self, member_id: str) -> None:
        """KIP-394: a new dynamic member was told its id and is expected to join with it."""
        self.pending.add(member_id)

    def remove(self, member_id: str) -> Member | None:
        self.pending.discard(member_id)
        member = self.members.pop(member_id, None)
        if member is not None and member.instance_id is not None \
                and self.static.get(member.instance_id) == member_id:
            del self.static[member.instance_id]
        if member_id == self.leader:
            self.leader = next(iter(self.members), "")
        return member

    def replace_static(self, old_id: str, new_id: str) -> Member:
        """A static member came back under a new member id; the old one is fenced."""
        member = self.members.pop(old_id)
        member.member_id = new_id
        self.members[new_id] = member
        self.static[member.instance_id] = new_id
        if self.leader == old_id:
            self.leader = new_id
        return member

    def all_joined(self) -> bool:
        """Every member awaits its join answer and no pending member is still to come."""
        return not self.pending and all(m.join_reply is not None for m in self.members.values())

    def rebalance_timeout(self) -> int:
        return max((m.rebalance_us for m in self.members.values()), default=0)

    def select_protocol(self) -> str:
        """ClassicGroup.selectProtocol: among the assignors every member supports, each member
        votes for the first of its own list, and the most votes win. A tie goes to the first
        of the tied in a Java HashMap's iteration order (`_java_map_order`), as in Kafka."""
        members = list(self.members.values())
        candidates = [p for p in members[0].protocols if all(p in m.protocols for m in members)]
        votes: dict[str, int] = {}
        for m in members:
            vote = next(p for p in m.protocols if p in candidates)
            votes[vote] = votes.get(vote, 0) + 1
        most = max(votes.values())
        return next(p for p in _java_map_order(votes) if votes[p] == most)

    def supports(self, protocols: tuple) -> bool:
        """Can a member with these assignors join (INCONSISTENT_GROUP_PROTOCOL otherwise)?"""
        if not self.members:
            return True
        return any(all(p in m.protocols for m in self.members.values()) for p in protocols)


def _java_map_order(keys) -> list[str]:
    """The iteration order of a java.util.HashMap of a few String keys (at most 12, so its
    16 buckets are never resized): by bucket of the spread String.hashCode, then insertion."""
    def bucket(key: str) -> int:
        h = 0
        for ch in key:
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & 15
    return sorted(keys, key=bucket)
