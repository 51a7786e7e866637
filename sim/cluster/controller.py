"""The KRaft controller: broker registrations, sessions, fencing, ISR changes, elections.

One logical host stands for the whole controller quorum: its metadata log is
durable, and a crash, stop, power loss or pause of `controller` makes the
quorum fail over, during which (about 3 s: quorum fetch timeout plus
election) nothing is answered; the new active controller then gives every
broker a fresh session. It can also be cut off from brokers by partitions.

Rules (docs/model.md#controller): a broker with no heartbeat for
`broker.session.timeout.ms` is fenced, leaves every ISR and leadership; a
controlled shutdown does the same at once; a new incarnation may register
only once the previous one's session has expired (the same incarnation registering
again, its answer lost, keeps its epoch), and is unfenced when it has
caught up with the metadata and asks to be (BrokerHeartbeatManager.
calculateNextBrokerState: `wantFence` false, and the metadata offset at or past its
registration record). A registration without the previous epoch's
clean-shutdown marker is an unclean shutdown: the broker leaves every ELR.
AlterPartition is accepted only for the current leader epoch, partition
epoch and broker epoch, with eligible replicas. Leaderless partitions of
topics with unclean election enabled are retried on fencing, unfencing and
every `unclean.leader.election.interval.ms`. Unclean elections of its own are
a protocol switch (`unclean.election.automatic`): the ZooKeeper controller
made them, the KRaft controller before 3.9 never did
(ConfigurationControlManager.uncleanLeaderElectionEnabledForTopic returned
false until KAFKA-12670; only an admin's ElectLeaders with UNCLEAN elected
outside the ISR there). ElectLeaders (KIP-460, ReplicationControlManager.
electLeader) answers per partition: ELECTION_NOT_NEEDED when the preferred
replica already leads (PREFERRED) or a leader exists (UNCLEAN), else the
election's change, or PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE
when it would change nothing. The automatic preferred-leader check is in
leader_balance.py. A `reassign` entry is an
AlterPartitionReassignments request (KIP-455): each partition change it starts carries the
new replicas with the adding and removing ones, and every later change of the partition
tries to complete it (reassignment.py, election.py). An `add_partitions` entry is a
CreatePartitions request (ReplicationControlManager.createPartitions): each new partition is
registered with its replicas that are active (unfenced, not shutting down) as the ISR, the
first of them leading at epoch 0; the request fails whole (INVALID_REPLICATION_FACTOR) when a
new partition has no active replica. Its slots exist from the start (topology.py), absent from
the image until then.
"""

from sim.cluster.context import ControllerContext
from sim.cluster.deadlines import Deadlines
from sim.cluster.election import change
from sim.cluster.host import CRASHED, Host
from sim.cluster.leader_balance import LeaderBalance
from sim.cluster.metadata import NO_LEADER, BrokerState, Image, PartitionState, assigned
from sim.cluster.protocol import (
    DUPLICATE_BROKER_REGISTRATION,
    ELECTION_NOT_NEEDED,
    ELIGIBLE_LEADERS_NOT_AVAILABLE,
    FENCED_LEADER_EPOCH,
    INELIGIBLE_REPLICA,
    INVALID_REPLICATION_FACTOR,
    INVALID_REQUEST,
    INVALID_UPDATE_VERSION,
    NOT_CONTROLLER,
    PREFERRED,
    PREFERRED_LEADER_NOT_AVAILABLE,
    STALE_BROKER_EPOCH,
    UNCLEAN,
    UNKNOWN_TOPIC_OR_PARTITION,
    AlterPartition,
    AlterPartitionResponse,
    BrokerHeartbeat,
    BrokerHeartbeatResponse,
    BrokerRegistration,
    ControlledShutdown,
    ElectLeaders,
    ElectLeadersResponse,
    MetadataFetch,
    MetadataRecords,
    RegistrationResponse,
)
from sim.cluster.reassignment import reassignment_replicas
from sim.cluster.settings import CONTROLLER_FAILOVER_US, METADATA_FETCH_WAIT_US
from sim.core.records import (
    BrokerFenced,
    BrokerRegistered,
    BrokerUnfenced,
    IsrChanged,
    LeaderChanged,
    PartitionChanged,
    ReassignmentChanged,
)


class _Fetch:
    __slots__ = ("conn", "rid", "offset", "done")

    def __init__(self, conn, rid, offset) -> None:
        self.conn, self.rid, self.offset, self.done = conn, rid, offset, False


class Controller(Host):
    """The active controller of the metadata quorum."""

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__("controller", ctx.runtime.engine, ctx.runtime.trace)
        self.nodes = ctx.runtime.nodes
        self.settings = ctx.settings
        self.topology = ctx.topology
        self.image = Image()
        self.log: list = []
        self.last_heartbeat: dict[int, int] = {}
        self.incarnations: dict[int, int] = {}
        self.registered_at: dict[int, int] = {}
        self.parked: list[_Fetch] = []
        self.fetch_deadlines = Deadlines(self, self._answer_fetch)
        self._session_timer_at = -1
        self._unclean_chain = 0          # a new active controller starts a new tick chain
        self.balance = LeaderBalance(self, self.settings, self.topology, self._elect_preferred)

    # -- the initial state of docs/scenario.md#start-of-a-run ---------------------

    def boot(self) -> None:
        """Register every broker and lead every partition from its first replica."""
        for b in self.nodes.broker_ids():
            self._append(BrokerState(b, len(self.log), fenced=False))
            self.last_heartbeat[b] = 0
            self.incarnations[b] = 0
            self.registered_at[b] = 0
        for info in self.topology.partitions:
            if info.added_by >= 0:
                continue
            state = PartitionState(info.pidx, info.replicas[0], 0, 0, tuple(sorted(info.replicas)))
            self._append(state)
            self._trace_partition(None, state, "initial")
            self.trace.emit(PartitionChanged(self.engine.now, None, state, "initial"))
        self._arm_sessions()
        self.timer(self.settings.unclean_interval_us, self._unclean_tick, self._unclean_chain)
        self.balance.activate()

    def _committed_end(self) -> int:
        """The end of the log brokers may read: all of it for the one logical host."""
        return len(self.log)

    def _committed_image(self) -> Image:
        return self.image.copy()

    def _append(self, record) -> None:
        self._write(record)
        self.image.apply(record)
        if type(record) is PartitionState:
            self.balance.applied(record)

    def _write(self, record) -> None:
        """Make the record durable: the logical host's log is committed as it is written."""
        self.log.append(record)

    def _commit(self, records) -> None:
        for record in records:
            self._append(record)
        if not records:
            return
        self.balance.after_write()
        self._committed()

    def _committed(self) -> None:
        """Answer the parked metadata fetches: what was just written is committed."""
        if self.parked:
            parked, self.parked = self.parked, []
            for fetch in parked:
                self._answer_fetch(fetch)

    # -- requests ----------------------------------------------------------------

    def handle(self, conn, rid, payload) -> None:
        kind = type(payload)
        if kind is BrokerHeartbeat:
            conn.respond(rid, self._heartbeat(payload))
        elif kind is MetadataFetch:
            self._metadata_fetch(conn, rid, payload)
        elif kind is AlterPartition:
            conn.respond(rid, self._alter_partition(payload))
        elif kind is BrokerRegistration:
            conn.respond(rid, self._register(payload))
        elif kind is ControlledShutdown:
            self._controlled_shutdown(payload)
            conn.respond(rid, BrokerHeartbeatResponse(None, True))
        elif kind is ElectLeaders:
            conn.respond(rid, self._elect_leaders(payload))

    def _metadata_fetch(self, conn, rid, request) -> None:
        fetch = _Fetch(conn, rid, request.offset)
        if request.offset < 0 or request.offset < self._committed_end():
            self._answer_fetch(fetch)
            return
        self.parked.append(fetch)
        self.fetch_deadlines.add(METADATA_FETCH_WAIT_US, fetch)

    def _answer_fetch(self, fetch) -> None:
        if fetch.done:
            return
        fetch.done = True
        end = self._committed_end()
        if fetch.offset < 0 or fetch.offset > end:
            response = MetadataRecords(end, self._committed_image(), ())
        else:
            response = MetadataRecords(fetch.offset, None, tuple(self.log[fetch.offset:end]))
        fetch.conn.respond(fetch.rid, response)

    # -- brokers -------------------------------------------------------------------

    def _session_valid(self, broker: int) -> bool:
        state = self.image.brokers.get(broker)
        if state is None or state.fenced:
            return False
        return self.engine.now - self.last_heartbeat[broker] < self.settings.session_timeout_us

    def _register(self, request) -> RegistrationResponse:
        b = request.broker
        current = self.image.brokers.get(b)
        if self.incarnations.get(b) != request.incarnation and self._session_valid(b):
            return RegistrationResponse(DUPLICATE_BROKER_REGISTRATION, -1)
        if current is not None and self.incarnations.get(b) == request.incarnation:
            # the same process again (an answer was lost): ClusterControlManager.registerBroker
            # amends the registration and keeps its epoch; no shutdown to account for
            return RegistrationResponse(None, current.broker_epoch)
        if current is not None and not current.fenced:
            self._fence(b, "session_timeout")
        clean = current is not None and request.previous_broker_epoch == current.broker_epoch
        epoch = len(self.log)
        self._commit([BrokerState(b, epoch, fenced=True)])
        self.incarnations[b] = request.incarnation
        self.registered_at[b] = len(self.log)
        self.last_heartbeat[b] = self.engine.now
        self.trace.emit(BrokerRegistered(self.engine.now, b, epoch, clean))
        if not clean and self.settings.elr_enabled:
            self._change_where(lambda s: b in s.elr, lambda s: s.isr, "unclean_shutdown",
                               unclean_shutdown=(b,))
        return RegistrationResponse(None, epoch)

    def _heartbeat(self, request) -> BrokerHeartbeatResponse:
        b = request.broker
        state = self.image.brokers.get(b)
        if state is None or state.broker_epoch != request.broker_epoch:
            return BrokerHeartbeatResponse(STALE_BROKER_EPOCH, True)
        self.last_heartbeat[b] = self.engine.now
        caught_up = request.metadata_offset >= self.registered_at[b]
        if state.fenced and not state.shutting_down and not request.want_fence and caught_up:
            self._unfence(b)
            state = self.image.brokers[b]
        self._arm_sessions()
        return BrokerHeartbeatResponse(None, state.fenced, caught_up)

    def _arm_sessions(self) -> None:
        live = [t for b, t in self.last_heartbeat.items() if not self.image.brokers[b].fenced]
        if not live:
            return
        deadline = min(live) + self.settings.session_timeout_us
        if self._session_timer_at < 0 or deadline < self._session_timer_at:
            self._session_timer_at = deadline
            self.timer(deadline - self.engine.now, self._check_sessions, deadline)

    def _check_sessions(self, armed_at: int) -> None:
        if armed_at != self._session_timer_at:
            return
        self._session_timer_at = -1
        for b in sorted(self.last_heartbeat):
            state = self.image.brokers[b]
            if not state.fenced and not self._session_valid(b):
                self._fence(b, "session_timeout")
        self._arm_sessions()

    def _fence(self, b: int, reason: str, shutting_down: bool = False) -> None:
        state = self.image.brokers[b]
        self._commit([BrokerState(b, state.broker_epoch, fenced=True, shutting_down=shutting_down)])
        self.trace.emit(BrokerFenced(self.engine.now, b, reason))
        self._change_where(lambda s: b in s.isr or s.leader == b,
                           lambda s: tuple(r for r in s.isr if r != b), reason)

    def _unfence(self, b: int) -> None:
        state = self.image.brokers[b]
        self._commit([BrokerState(b, state.broker_epoch, fenced=False)])
        self.trace.emit(BrokerUnfenced(self.engine.now, b))
        self._elect_leaderless(lambda s: b in assigned(s, self.topology.partitions[s.pidx]))

    def _controlled_shutdown(self, request) -> None:
        state = self.image.brokers.get(request.broker)
        if state is None or state.broker_epoch != request.broker_epoch or state.fenced:
            return
        self._fence(request.broker, "controlled_shutdown", shutting_down=True)

    def _unclean_tick(self, chain: int) -> None:
        if chain != self._unclean_chain:
            return
        self._elect_leaderless(lambda s: True)
        self.timer(self.settings.unclean_interval_us, self._unclean_tick, chain)

    def _elect_leaderless(self, where) -> None:
        self._change_where(lambda s: s.leader == NO_LEADER and where(s), lambda s: s.isr,
                           "election")

    # -- partition changes -------------------------------------------------------

    def _eligible(self, broker: int) -> bool:
        return self.image.eligible(broker)

    def _change_where(self, where, target_isr, reason: str, unclean_shutdown=()) -> None:
        records = []
        for pidx in range(len(self.topology)):
            state = self.image.partitions.get(pidx)
            if state is not None and where(state):
                new = self._change(state, target_isr(state), reason, unclean_shutdown)
                if new is not None:
                    records.append(new)
        self._commit(records)

    def _change(self, state, target_isr, reason, unclean_shutdown=(), reassignment=None,
                election=None):
        """Propose a target ISR; `election` PREFERRED or UNCLEAN as an ElectLeaders asks;
        `reassignment` (replicas, adding, removing) starts one."""
        info = self.topology.partitions[state.pidx]
        replicas = assigned(state, info)
        # ReplicationControlManager.getTopicEffectiveMinIsr caps at the replication factor
        min_isr = min(info.min_isr, len(replicas))
        unclean = election == UNCLEAN or (info.unclean and self.settings.unclean_automatic
                                          and election is None)
        new, kind = change(state, replicas, target_isr=target_isr, min_isr=min_isr,
                           acceptable=self._eligible, elr_enabled=self.settings.elr_enabled,
                           unclean=unclean, unclean_shutdown=unclean_shutdown,
                           reassignment=reassignment, preferred=election == PREFERRED)
        if new is not None:
            self._trace_partition(state, new, kind if kind else reason)
            self.trace.emit(PartitionChanged(self.engine.now, state, new, kind,
                                             election == UNCLEAN))
            if new.replicas != state.replicas or new.adding != state.adding \
                    or new.removing != state.removing:
                self._trace_reassignment(new)
        return new

    def _trace_reassignment(self, new) -> None:
        info = self.topology.partitions[new.pidx]
        phase = "started" if new.adding or new.removing else "completed"
        self.trace.emit(ReassignmentChanged(self.engine.now, info.topic, info.partition, phase,
                                            new.replicas, new.adding, new.removing))

    def reassign(self, pidx: int, target: tuple) -> bool:
        """AlterPartitionReassignments for one partition (ReplicationControlManager.
        changePartitionReassignment): False when the target is its replicas already."""
        state = self.image.partitions[pidx]
        current = assigned(state, self.topology.partitions[pidx])
        if tuple(target) == current:
            return False
        new = self._change(state, state.isr, "reassign",
                           reassignment=reassignment_replicas(current, tuple(target)))
        self._commit([new])
        return True

    def create_partitions(self, pidxs) -> str | None:
        """CreatePartitions for the new partitions of one topic: None, or the error that
        refuses the whole request (INVALID_REPLICATION_FACTOR: one has no active replica)."""
        records = []
        for pidx in pidxs:
            replicas = self.topology.partitions[pidx].replicas
            isr = [b for b in replicas if self._eligible(b)]
            if not isr:
                return INVALID_REPLICATION_FACTOR
            records.append(PartitionState(pidx, isr[0], 0, 0, tuple(sorted(isr))))
        for state in records:
            self._trace_partition(None, state, "created")
            self.trace.emit(PartitionChanged(self.engine.now, None, state, "created"))
        self._commit(records)
        return None

    def _trace_partition(self, old, new, kind) -> None:
        info = self.topology.partitions[new.pidx]
        now = self.engine.now
        if old is None or new.leader != old.leader:
            self.trace.emit(LeaderChanged(now, info.topic, info.partition, new.leader,
                                          new.leader_epoch, new.isr, kind))
        if old is None or new.isr != old.isr or new.elr != old.elr:
            self.trace.emit(IsrChanged(now, info.topic, info.partition, new.isr, new.elr,
                                       new.partition_epoch, kind))

    def _alter_partition(self, request) -> AlterPartitionResponse:
        state = self.image.partitions[request.pidx]
        error = self._invalid_alter_partition(request, state)
        if error is not None:
            return AlterPartitionResponse(error, state)
        reason = "shrink" if len(request.isr) < len(state.isr) else "expand"
        new = self._change(state, request.isr, reason)
        if new is not None:
            self._commit([new])
            state = new
        return AlterPartitionResponse(None, state)

    def _invalid_alter_partition(self, request, state) -> str | None:
        """ReplicationControlManager.alterPartition's checks, in its order: the broker epoch
        (checkBrokerEpoch), then validateAlterPartitionData: epochs ahead of the controller's
        (it may no longer be the active one), a stale leader epoch, a sender that is not the
        leader, a stale partition epoch, an ISR of non-replicas or without the leader, and
        ISR members that are fenced or shutting down."""
        broker = self.image.brokers.get(request.broker)
        if broker is None or broker.broker_epoch != request.broker_epoch:
            return STALE_BROKER_EPOCH
        if request.leader_epoch > state.leader_epoch \
                or request.partition_epoch > state.partition_epoch:
            return NOT_CONTROLLER
        if request.leader_epoch < state.leader_epoch:
            return FENCED_LEADER_EPOCH
        if request.broker != state.leader:
            return INVALID_REQUEST
        if request.partition_epoch < state.partition_epoch:
            return INVALID_UPDATE_VERSION
        replicas = assigned(state, self.topology.partitions[state.pidx])
        if len(set(request.isr)) != len(request.isr) \
                or any(r not in replicas for r in request.isr) or state.leader not in request.isr:
            return INVALID_REQUEST
        if not all(self._eligible(r) for r in request.isr):
            return INELIGIBLE_REPLICA
        return None

    # -- preferred and unclean elections ---------------------------------------------

    def _elect_preferred(self, pidxs, cap: int) -> int:
        """The preferred-leader check's elections (leader_balance.py): how many it made."""
        records = []
        for pidx in pidxs:
            if len(records) >= cap:
                break
            new = self._change(self.image.partitions[pidx], self.image.partitions[pidx].isr,
                               "preferred", election=PREFERRED)
            if new is not None:
                records.append(new)
        self._commit(records)
        return len(records)

    def _elect_leaders(self, request) -> ElectLeadersResponse:
        """ElectLeaders (KIP-460; ReplicationControlManager.electLeader), per partition."""
        records, results = [], []
        for pidx in request.pidxs:
            if pidx not in self.image.partitions:      # one add_partitions has not created
                results.append((pidx, UNKNOWN_TOPIC_OR_PARTITION))
                continue
            error, new = self._elect_leader(self.image.partitions[pidx], request.election_type)
            results.append((pidx, error))
            if new is not None:
                records.append(new)
        self._commit(records)
        return ElectLeadersResponse(tuple(results))

    def _elect_leader(self, state, election_type: str):
        preferred = assigned(state, self.topology.partitions[state.pidx])[0]
        if (election_type == PREFERRED and state.leader == preferred) \
                or (election_type == UNCLEAN and state.leader != NO_LEADER):
            return ELECTION_NOT_NEEDED, None
        new = self._change(state, state.isr, election_type.lower(), election=election_type)
        if new is not None:
            return None, new
        if election_type == PREFERRED:
            return PREFERRED_LEADER_NOT_AVAILABLE, None
        return ELIGIBLE_LEADERS_NOT_AVAILABLE, None

    # -- quorum failover ----------------------------------------------------------

    def fail_over(self, kind: str) -> None:
        """The active controller is lost; another takes over after the failover time."""
        if self.down:
            return
        self.kill(CRASHED)
        for conn in list(self.connections):
            conn.reset()
        self.parked = []
        self.fetch_deadlines.clear()
        self.balance.deactivate()
        self.engine.later(CONTROLLER_FAILOVER_US, self._take_over)

    def _take_over(self) -> None:
        self.start()
        now = self.engine.now
        for b in self.last_heartbeat:
            self.last_heartbeat[b] = now
        self._session_timer_at = -1
        self._arm_sessions()
        self.timer(self.settings.unclean_interval_us, self._unclean_tick, self._unclean_chain)
        self.balance.activate()
