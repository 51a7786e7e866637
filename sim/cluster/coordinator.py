"""The group coordinator of one broker: the classic protocol's requests.

A broker coordinates the groups whose `__consumer_offsets` partition it
leads. Becoming leader loads that partition's groups from the log;
losing leadership (or dying) unloads them, so requests then get
NOT_COORDINATOR and members look the coordinator up again. Commits and
each generation's assignment are appended to the partition through the
ordinary produce path with acks=all and `offsets.commit.timeout.ms`, and
take effect only once replicated (below the high watermark): a commit the
coordinator acknowledged is durable exactly as far as that partition is.

Validation follows the classic GroupCoordinator: unknown members get
UNKNOWN_MEMBER_ID, stale generations ILLEGAL_GENERATION, requests during a
rebalance REBALANCE_IN_PROGRESS (commits are still accepted while preparing
one, not while completing it), a replaced static member FENCED_INSTANCE_ID;
a commit or a heartbeat counts as a sign of life.

A new dynamic member's first JoinGroup (2.2+, KIP-394: the protocol switch
`group.member.id.required`) is answered MEMBER_ID_REQUIRED with the id it is
to join with; the group keeps that id as a pending member until it joins
with it, leaves, or `session.timeout.ms` passes. Before 2.2 the first
JoinGroup adds the member at once.

Transactional offset commits (TxnOffsetCommit, KIP-98/KIP-447) and their completion by a
transaction's marker are txn_offsets.py's; an OffsetFetch with `require_stable` (KIP-447,
2.5+) is answered UNSTABLE_OFFSET_COMMIT while a requested partition has transactional
offsets pending.

Simplified: loading is instantaneous; the KIP-848 protocol is not modeled.

See docs/model.md#consumer-groups.
"""

from sim.cluster.group import COMPLETING, EMPTY, PREPARING, STABLE, Group, Member
from sim.cluster.group_log import CommitRecord, group_record
from sim.cluster.log import BATCH_HEADER
from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    COORDINATOR_NOT_AVAILABLE,
    FENCED_INSTANCE_ID,
    ILLEGAL_GENERATION,
    INCONSISTENT_GROUP_PROTOCOL,
    MEMBER_ID_REQUIRED,
    NOT_COORDINATOR,
    NOT_LEADER_OR_FOLLOWER,
    REBALANCE_IN_PROGRESS,
    UNKNOWN_MEMBER_ID,
    UNSTABLE_OFFSET_COMMIT,
    BatchData,
    DescribeGroup,
    DescribeGroupResponse,
    FindCoordinator,
    FindCoordinatorResponse,
    Heartbeat,
    HeartbeatResponse,
    JoinGroup,
    JoinGroupResponse,
    LeaveGroup,
    LeaveGroupResponse,
    OffsetCommit,
    OffsetCommitResponse,
    OffsetFetch,
    OffsetFetchResponse,
    ProduceRequest,
    SyncGroup,
    SyncGroupResponse,
    TxnOffsetCommit,
    TxnOffsetCommitResponse,
)
from sim.cluster.txn_offsets import TxnOffsetCommits
from sim.core.records import (
    GroupGeneration,
    GroupRebalancing,
    GroupStable,
    MemberRemoved,
    OffsetsCommitted,
)
from sim.core.units import ms

GROUP_REQUESTS = (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
                  OffsetFetch, DescribeGroup, TxnOffsetCommit)
RECORD_BYTES = 100              # an offset-commit or group record, roughly


class LocalReply:
    """Stands in for a connection when the coordinator writes through the produce path.

    The write is to one partition; on_done gets its error (None once written).
    """

    __slots__ = ("broker", "pidx", "on_done")

    def __init__(self, broker, pidx: int, on_done) -> None:
        self.broker, self.pidx, self.on_done = broker, pidx, on_done

    def respond(self, _rid, response, extra_us: int = 0) -> None:
        error = response.results[self.pidx][0]
        if extra_us:
            self.broker.timer(extra_us, self.on_done, error)
        else:
            self.on_done(error)


class LocalAppend(LocalReply):
    """A LocalReply whose on_done(error, offset) also gets the base offset of the write."""

    __slots__ = ()

    def respond(self, _rid, response, extra_us: int = 0) -> None:
        error, offset = response.results[self.pidx]
        if extra_us:
            self.broker.timer(extra_us, self.on_done, error, offset)
        else:
            self.on_done(error, offset)


def _append_error(error: str) -> str:
    """How a failed write of the offsets partition reaches the group's members."""
    return NOT_COORDINATOR if error == NOT_LEADER_OR_FOLLOWER else COORDINATOR_NOT_AVAILABLE


class GroupCoordinator:
    """The groups one broker coordinates."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.ctx = broker.ctx
        cfg = self.ctx.config
        self.initial_delay_us = ms(cfg["group.initial.rebalance.delay.ms"])
        self.commit_timeout_us = ms(cfg["offsets.commit.timeout.ms"])
        self.groups: dict[str, Group] = {}
        self.loaded: set[int] = set()
        self.txn_offsets = TxnOffsetCommits(self)

    # -- loading -------------------------------------------------------------------------

    def load(self, pidx: int) -> None:
        """This broker leads an offsets partition now: take over its groups."""
        self.unload(pidx)
        replica = self.broker.replicas[pidx]
        now = self.broker.engine.now
        self.loaded.add(pidx)
        for name, group in self.ctx.group_records.replay(replica.log.batches, now).items():
            self.groups[name] = group
            for member in group.members.values():
                self._watch_session(group, member)

    def unload(self, pidx: int) -> None:
        """Leadership of an offsets partition moved away: forget its groups."""
        if pidx not in self.loaded:
            return
        self.loaded.discard(pidx)
        topo = self.ctx.topology
        for name in [n for n in self.groups if topo.coordinator_pidx(n) == pidx]:
            group = self.groups.pop(name)
            for member in group.members.values():
                self._fail_pending(member, NOT_COORDINATOR)

    def unload_all(self) -> None:
        self.groups, self.loaded = {}, set()

    # -- requests ------------------------------------------------------------------------

    def handle(self, conn, rid, request) -> None:
        def reply(response):
            conn.respond(rid, response)
        kind = type(request)
        if kind is FindCoordinator:
            reply(self._find(request.group))
            return
        group = self._group(request.group, create=kind in (JoinGroup, OffsetCommit,
                                                           TxnOffsetCommit))
        if group is None:
            reply(_not_coordinator(kind))
        elif kind is JoinGroup:
            self._join(group, request, reply)
        elif kind is SyncGroup:
            self._sync(group, request, reply)
        elif kind is Heartbeat:
            reply(HeartbeatResponse(self._heartbeat(group, request)))
        elif kind is LeaveGroup:
            reply(LeaveGroupResponse(self._leave(group, request)))
        elif kind is OffsetCommit:
            self._commit(group, request, reply)
        elif kind is DescribeGroup:
            reply(DescribeGroupResponse(None, group.state, len(group.members)))
        elif kind is TxnOffsetCommit:
            self.txn_offsets.commit(group, request, reply)
        else:
            reply(self._fetch_offsets(group, request))

    def _fetch_offsets(self, group: Group, req: OffsetFetch) -> OffsetFetchResponse:
        """GroupMetadataManager.getOffsets; with requireStable (KIP-447) a partition with
        pending transactional offsets is UNSTABLE_OFFSET_COMMIT. Kafka answers that per
        partition and the consumer fails the whole fetch on it, as one error does here."""
        if req.require_stable and self.broker.settings.kip_447 and any(
                group.has_pending_offset_commits(p) for p in req.pidxs):
            return OffsetFetchResponse(UNSTABLE_OFFSET_COMMIT, {})
        return OffsetFetchResponse(None, {p: group.committed.get(p, -1) for p in req.pidxs})

    def _find(self, name: str) -> FindCoordinatorResponse:
        state = self.broker.image.partitions.get(self.ctx.topology.coordinator_pidx(name))
        if state is None or state.leader == NO_LEADER:
            return FindCoordinatorResponse(COORDINATOR_NOT_AVAILABLE, -1)
        return FindCoordinatorResponse(None, state.leader)

    def _group(self, name: str, create: bool) -> Group | None:
        if self.ctx.topology.coordinator_pidx(name) not in self.loaded:
            return None
        group = self.groups.get(name)
        if group is None:
            group = Group(name)
            if create:
                self.groups[name] = group
        return group

    # -- JoinGroup -----------------------------------------------------------------------

    def _join(self, group: Group, req: JoinGroup, reply) -> None:
        if not group.supports(req.protocols):
            reply(JoinGroupResponse(INCONSISTENT_GROUP_PROTOCOL, -1, "", "", req.member_id, ()))
            return
        if not req.member_id:
            old = group.static.get(req.instance_id) if req.instance_id is not None else None
            if old is not None:
                self._static_rejoin(group, old, req, reply)
            elif req.instance_id is None and self.broker.settings.kip_394:
                self._member_id_required(group, req, reply)
            else:
                self._new_member(group, req, reply, self._new_id(req))
            return
        if req.member_id in group.pending:
            self._new_member(group, req, reply, req.member_id)
            return
        member = group.members.get(req.member_id)
        if member is None:
            reply(JoinGroupResponse(UNKNOWN_MEMBER_ID, -1, "", "", req.member_id, ()))
            return
        changed = member.topics != req.topics
        self._update(member, req, reply)
        if group.state == PREPARING:
            self._maybe_complete_join(group)
        elif group.state == STABLE and not changed and member.member_id != group.leader:
            member.join_reply = None
            reply(self._join_response(group, member))
        else:
            self._prepare_rebalance(group, "member_rejoined")

    def _new_id(self, req: JoinGroup) -> str:
        rng = self.ctx.runtime.streams.get("member.id")
        return f"{req.client}-{rng.integers(1 << 32):08x}"

    def _member_id_required(self, group: Group, req: JoinGroup, reply) -> None:
        """KIP-394: a new dynamic member is told its id and kept pending until it joins with
        it, leaves or its session timeout passes (classicGroupJoinNewMember)."""
        member_id = self._new_id(req)
        group.add_pending(member_id)
        self.broker.timer(req.session_us, self._pending_expired, group, member_id)
        reply(JoinGroupResponse(MEMBER_ID_REQUIRED, -1, "", "", member_id, ()))

    def _pending_expired(self, group: Group, member_id: str) -> None:
        if self.groups.get(group.name) is group and member_id in group.pending:
            self._remove_pending(group, member_id)

    def _remove_pending(self, group: Group, member_id: str) -> None:
        """removePendingMemberAndUpdateClassicGroup: a rebalance it held back may complete."""
        group.remove(member_id)
        if group.state == PREPARING:
            self._maybe_complete_join(group)

    def _new_member(self, group: Group, req: JoinGroup, reply, member_id: str) -> None:
        member = Member(member_id, req.instance_id, req.client, req.session_us,
                        req.rebalance_us, req.protocols, req.topics, req.owned)
        group.add(member)
        self._update(member, req, reply)
        self._watch_session(group, member)
        if group.state == PREPARING:
            self._maybe_complete_join(group)
        else:
            self._prepare_rebalance(group, "member_joined")

    def _static_rejoin(self, group: Group, old_id: str, req: JoinGroup, reply) -> None:
        new_id = self._new_id(req)
        old = group.members[old_id]
        self._fail_pending(old, FENCED_INSTANCE_ID)
        changed = old.topics != req.topics
        member = group.replace_static(old_id, new_id)
        self._update(member, req, reply)
        if group.state == STABLE and not changed:
            member.join_reply = None
            reply(self._join_response(group, member, skip_assignment=True))
            self._persist_group(group)
        elif group.state == PREPARING:
            self._maybe_complete_join(group)
        else:
            self._prepare_rebalance(group, "static_member_replaced")

    def _update(self, member: Member, req: JoinGroup, reply) -> None:
        member.session_us, member.rebalance_us = req.session_us, req.rebalance_us
        member.protocols, member.topics, member.owned = req.protocols, req.topics, req.owned
        member.client = req.client
        member.join_reply = reply
        member.expires_at = self.broker.engine.now + member.session_us

    def _join_response(self, group: Group, member: Member, skip_assignment=False):
        leader = member.member_id == group.leader and not skip_assignment
        subscriptions = tuple((m.member_id, m.instance_id, m.topics, m.owned, group.generation - 1)
                              for m in group.members.values()) if leader else ()
        return JoinGroupResponse(None, group.generation, group.protocol, group.leader,
                                 member.member_id, subscriptions)

    # -- rebalances ----------------------------------------------------------------------

    def _prepare_rebalance(self, group: Group, reason: str) -> None:
        if group.state == COMPLETING:
            for member in group.members.values():
                self._fail_sync(member, REBALANCE_IN_PROGRESS)
        initial = group.state == EMPTY
        group.state = PREPARING
        group.rebalance_round += 1
        group.new_members = False
        now = self.broker.engine.now
        self.broker.trace.emit(GroupRebalancing(now, group.name, group.generation, reason))
        if initial and self.initial_delay_us > 0:
            group.delaying = True
            remaining = max(group.rebalance_timeout() - self.initial_delay_us, 0)
            self.broker.timer(self.initial_delay_us, self._initial_delay_over, group,
                              group.rebalance_round, remaining)
        else:
            self.broker.timer(group.rebalance_timeout(), self._rebalance_timed_out, group,
                              group.rebalance_round)
            self._maybe_complete_join(group)

    def _initial_delay_over(self, group: Group, round_: int, remaining: int) -> None:
        """InitialDelayedJoin: wait again while new members keep joining."""
        if not self._current(group, round_):
            return
        if group.new_members and remaining > 0:
            group.new_members = False
            delay = min(self.initial_delay_us, remaining)
            self.broker.timer(delay, self._initial_delay_over, group, round_, remaining - delay)
            return
        group.delaying = False
        group.rebalance_round += 1
        self.broker.timer(group.rebalance_timeout(), self._rebalance_timed_out, group,
                          group.rebalance_round)
        self._maybe_complete_join(group)

    def _rebalance_timed_out(self, group: Group, round_: int) -> None:
        if self._current(group, round_):
            self._complete_join(group)

    def _current(self, group: Group, round_: int) -> bool:
        return self.groups.get(group.name) is group and group.state == PREPARING \
            and group.rebalance_round == round_

    def _maybe_complete_join(self, group: Group) -> None:
        if group.state == PREPARING and not group.delaying and group.all_joined():
            self._complete_join(group)

    def _complete_join(self, group: Group) -> None:
        """onCompleteJoin: drop dynamic members that did not rejoin, start a generation."""
        for member in [m for m in group.members.values()
                       if m.join_reply is None and m.instance_id is None]:
            self._remove(group, member, "not_rejoined", rebalance=False)
        group.generation += 1
        group.rebalance_round += 1
        group.delaying = False
        now = self.broker.engine.now
        if not group.members:
            group.state, group.protocol, group.leader = EMPTY, "", ""
            self._persist_group(group)
            return
        joined = [m for m in group.members.values() if m.join_reply is not None]
        if group.leader not in group.members or group.members[group.leader].join_reply is None:
            group.leader = joined[0].member_id
        group.protocol = group.select_protocol()
        group.state = COMPLETING
        self.broker.trace.emit(GroupGeneration(
            now, group.name, group.generation, group.protocol,
            group.members[group.leader].client, tuple(m.client for m in group.members.values())))
        for member in joined:
            reply, member.join_reply = member.join_reply, None
            member.expires_at = now + member.session_us
            reply(self._join_response(group, member))

    # -- SyncGroup -----------------------------------------------------------------------

    def _sync(self, group: Group, req: SyncGroup, reply) -> None:
        member = group.members.get(req.member_id)
        error = self._check_member(group, member, req.generation)
        if error is None and group.state == PREPARING:
            error = REBALANCE_IN_PROGRESS
        if error is not None:
            reply(SyncGroupResponse(error, ()))
            return
        member.expires_at = self.broker.engine.now + member.session_us
        if group.state == STABLE:
            reply(SyncGroupResponse(None, member.assignment))
            return
        member.sync_reply = reply
        if req.member_id == group.leader and req.assignments is not None:
            assignments = req.assignments
            generation = group.generation
            for m in group.members.values():
                m.assignment = tuple(assignments.get(m.member_id, ()))
            self._write(group, group_record(group),
                        lambda error: self._synced(group, generation, error))

    def _synced(self, group: Group, generation: int, error) -> None:
        if self.groups.get(group.name) is not group or group.generation != generation \
                or group.state != COMPLETING:
            return
        if error is not None:
            for member in group.members.values():
                self._fail_sync(member, _append_error(error))
            self._prepare_rebalance(group, "assignment_not_written")
            return
        group.state = STABLE
        self.broker.trace.emit(GroupStable(self.broker.engine.now, group.name, generation))
        for member in group.members.values():
            if member.sync_reply is not None:
                reply, member.sync_reply = member.sync_reply, None
                reply(SyncGroupResponse(None, member.assignment))

    def _check_member(self, group: Group, member, generation: int):
        if member is None or group.state == EMPTY:
            return UNKNOWN_MEMBER_ID
        if generation != group.generation:
            return ILLEGAL_GENERATION
        return None

    # -- heartbeats, leaving, sessions ---------------------------------------------------

    def _heartbeat(self, group: Group, req: Heartbeat):
        member = group.members.get(req.member_id)
        error = self._check_member(group, member, req.generation)
        if error is not None:
            return error
        member.expires_at = self.broker.engine.now + member.session_us
        return REBALANCE_IN_PROGRESS if group.state == PREPARING else None

    def _leave(self, group: Group, req: LeaveGroup):
        if req.member_id in group.pending:
            self._remove_pending(group, req.member_id)
            return None
        member = group.members.get(req.member_id)
        if member is None:
            return UNKNOWN_MEMBER_ID
        self._remove(group, member, req.reason)
        return None

    def _watch_session(self, group: Group, member: Member) -> None:
        self.broker.timer(member.session_us, self._check_session, group, member)

    def _check_session(self, group: Group, member: Member) -> None:
        if self.groups.get(group.name) is not group \
                or group.members.get(member.member_id) is not member:
            return
        now = self.broker.engine.now
        if member.join_reply is not None or member.sync_reply is not None:
            member.expires_at = max(member.expires_at, now + member.session_us)
        if now < member.expires_at:
            self.broker.timer(member.expires_at - now, self._check_session, group, member)
            return
        self._remove(group, member, "session_timeout")

    def _remove(self, group: Group, member: Member, reason: str, rebalance=True) -> None:
        group.remove(member.member_id)
        self._fail_pending(member, UNKNOWN_MEMBER_ID)
        self.broker.trace.emit(MemberRemoved(self.broker.engine.now, group.name, member.client,
                                             reason))
        if not rebalance:
            return
        if group.state in (STABLE, COMPLETING):
            self._prepare_rebalance(group, reason)
        elif group.state == PREPARING:
            if group.members:
                self._maybe_complete_join(group)
            else:
                self._complete_join(group)

    def _fail_pending(self, member: Member, error: str) -> None:
        if member.join_reply is not None:
            reply, member.join_reply = member.join_reply, None
            reply(JoinGroupResponse(error, -1, "", "", member.member_id, ()))
        self._fail_sync(member, error)

    def _fail_sync(self, member: Member, error: str) -> None:
        if member.sync_reply is not None:
            reply, member.sync_reply = member.sync_reply, None
            reply(SyncGroupResponse(error, ()))

    # -- offsets -------------------------------------------------------------------------

    def _commit(self, group: Group, req: OffsetCommit, reply) -> None:
        """A member's commit, or an admin's (generation -1, no member id) to an empty group."""
        admin = req.generation < 0 and not req.member_id
        member = group.members.get(req.member_id)
        if admin:
            error = UNKNOWN_MEMBER_ID if group.members else None
        else:
            error = self._check_member(group, member, req.generation)
        if error is None and group.state == COMPLETING:
            error = REBALANCE_IN_PROGRESS
        if error is not None:
            reply(OffsetCommitResponse(error))
            return
        if not admin:
            member.expires_at = self.broker.engine.now + member.session_us
        record = CommitRecord(group.name, req.offsets)
        client = "admin" if admin else member.client
        self.append(group, record, lambda e, at: self._committed(group, record, client, e, at,
                                                                 reply))

    def _committed(self, group: Group, record: CommitRecord, client: str, error, at: int,
                   reply) -> None:
        if error is not None:
            reply(OffsetCommitResponse(_append_error(error)))
            return
        self.offsets_committed(group, [(pidx, offset, client) for pidx, offset in record.offsets
                                       if group.commit_offset(pidx, offset, at)])
        reply(OffsetCommitResponse(None))

    def offsets_committed(self, group: Group, moved) -> None:
        """Trace the group's committed offsets that moved: [(pidx, offset, client)]."""
        now = self.broker.engine.now
        parts = self.ctx.topology.partitions
        for pidx, offset, client in moved:
            info = parts[pidx]
            self.broker.trace.emit(OffsetsCommitted(now, group.name, client, info.topic,
                                                    info.partition, offset))

    def _persist_group(self, group: Group) -> None:
        self._write(group, group_record(group), lambda _error: None)

    def _write(self, group: Group, record, on_done) -> None:
        """Append a record to the group's offsets partition, acks=all; on_done(error)."""
        self.append(group, record, lambda error, _at: on_done(error))

    def append(self, group: Group, record, on_done, pid: int = -1,
               producer_epoch: int = -1, transactional_id: str | None = None) -> None:
        """Append a record to the group's offsets partition, acks=all; on_done(error, base
        offset). With a producer id, a transactional batch of that producer id and epoch
        without a sequence (origin COORDINATOR), verified like a client's from 3.6 (KIP-890:
        GroupCoordinator.handleTxnCommitOffsets verifies with the transaction's id)."""
        pidx = self.ctx.topology.coordinator_pidx(group.name)
        ref = self.ctx.group_records.add(record)
        count = len(record.offsets) if isinstance(record, CommitRecord) else 1
        data = BatchData(-1, ref, count, RECORD_BYTES * count + BATCH_HEADER, pid,
                         producer_epoch, -1, pid >= 0)
        request = ProduceRequest(-1, self.commit_timeout_us, ((pidx, data),), transactional_id)
        self.broker.manager.produce(LocalAppend(self.broker, pidx, on_done), 1, request)


def _not_coordinator(kind):
    if kind is DescribeGroup:
        return DescribeGroupResponse(NOT_COORDINATOR, "", 0)
    if kind is JoinGroup:
        return JoinGroupResponse(NOT_COORDINATOR, -1, "", "", "", ())
    if kind is SyncGroup:
        return SyncGroupResponse(NOT_COORDINATOR, ())
    if kind is Heartbeat:
        return HeartbeatResponse(NOT_COORDINATOR)
    if kind is LeaveGroup:
        return LeaveGroupResponse(NOT_COORDINATOR)
    if kind is OffsetCommit:
        return OffsetCommitResponse(NOT_COORDINATOR)
    if kind is TxnOffsetCommit:
        return TxnOffsetCommitResponse(NOT_COORDINATOR)
    return OffsetFetchResponse(NOT_COORDINATOR, {})
