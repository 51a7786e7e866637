"""A dedicated KRaft controller of a quorum (`cluster.controllers: N`): `controller-i`.

Each runs Raft (raft.py) over the network with the others; the Raft leader is the active
controller (QuorumController.QuorumMetaLogListener.handleLeaderChange) once its epoch's
LeaderChange record is committed, having replayed the whole log into its image. It runs
the logic of controller.py, appending its records to the Raft log: a record takes effect
for brokers only once committed (the metadata fetch serves the committed log; answers to
registrations, heartbeats and AlterPartition wait for their records' commit, as
QuorumController's deferred events do). A new active controller gives every broker a
fresh session, as controller.py's failover does. A controller that is not active answers
NOT_CONTROLLER; losing the leadership fails the answers that waited for commit.
Without a majority nothing commits: no registrations, ISR changes or elections reach the
brokers, while they keep serving what they lead.

Brokers reach the active controller through the directory (`Nodes.controller`), updated
when a controller becomes active: a simplification of the observer's Fetch that learns
the new leader (RaftControllerNodeProvider); until then their requests to the old one
fail and are retried on their own backoffs.

Left out: the broker epoch and incarnation of each registration are controller state
shared by the quorum here (KRaft writes them in the registration record); snapshots.
"""

from sim.cluster.controller import Controller
from sim.cluster.host import DOWN, POWERED_OFF, STOPPED
from sim.cluster.metadata import Image
from sim.cluster.protocol import NOT_CONTROLLER
from sim.cluster.raft import (
    LEADER,
    BeginQuorumEpoch,
    EndQuorumEpoch,
    Fetch,
    LeaderChange,
    Raft,
    Vote,
)
from sim.cluster.rpc import Connections, Failure
from sim.core.records import ControllerActive

RAFT_REQUESTS = (Fetch, Vote, BeginQuorumEpoch, EndQuorumEpoch)
NOT_ACTIVE = Failure(NOT_CONTROLLER)


class _Deferred:
    """A connection whose answers wait until the controller's records are committed."""

    __slots__ = ("controller", "conn")

    def __init__(self, controller, conn) -> None:
        self.controller, self.conn = controller, conn

    def respond(self, rid, response) -> None:
        self.controller.respond_when_committed(self.conn, rid, response)


class QuorumController(Controller):
    """One voter of the controller quorum, active when it leads."""

    def __init__(self, ctx, node: int, voters: tuple, quorum_settings, shared) -> None:
        super().__init__(ctx)
        self.name = f"controller-{node}"
        self.node = node
        self.incarnations, self.registered_at = shared
        self.net = ctx.runtime.net
        self.quorum: list = []                   # the voters' hosts, by node id
        self.active = False
        self.waiting: list = []                  # (offset, conn, rid, response)
        self.conns = Connections(self.net, self, self._voter)        # by node id
        self.raft = Raft(node, voters, quorum_settings, self,
                         ctx.runtime.streams.get(f"raft.{self.name}"), self._send, self._on_raft)
        self.log = self.raft.records

    # -- Raft's channel ------------------------------------------------------------------

    def _voter(self, peer: int):
        return self.quorum[peer]

    def _send(self, peer: int, payload, on_done) -> None:
        self.conns.to(peer).request(payload, on_done, self.raft.settings.request_timeout_us)

    def _on_raft(self, change: str) -> None:
        raft = self.raft
        if change == "lost":
            self._deactivate()
        elif raft.role == LEADER and not self.active and raft.high_watermark > raft.epoch_start:
            self.activate()
        elif change == "commit" and self.active:
            self._release()

    # -- the log ---------------------------------------------------------------------------

    def _write(self, record) -> None:
        self.raft.append(record)

    def _committed(self) -> None:
        """Nothing yet: parked fetches and answers wait for the Raft commit (_release)."""

    def _committed_end(self) -> int:
        return self.raft.high_watermark

    def _committed_image(self) -> Image:
        return _replay(self.log[:self.raft.high_watermark])

    def respond_when_committed(self, conn, rid, response) -> None:
        end = self.raft.end_offset
        if end <= self.raft.high_watermark:
            conn.respond(rid, response)
        else:
            self.waiting.append((end, conn, rid, response))

    def _release(self) -> None:
        hw = self.raft.high_watermark
        if self.waiting:
            ready = [w for w in self.waiting if w[0] <= hw]
            self.waiting = [w for w in self.waiting if w[0] > hw]
            for _end, conn, rid, response in ready:
                conn.respond(rid, response)
        if self.parked:
            parked, self.parked = self.parked, []
            for fetch in parked:
                self._answer_fetch(fetch)

    # -- requests ---------------------------------------------------------------------------

    def handle(self, conn, rid, payload) -> None:
        if isinstance(payload, RAFT_REQUESTS):
            self.raft.handle(payload, lambda response: conn.respond(rid, response))
        elif not self.active:
            conn.respond(rid, NOT_ACTIVE)
        else:
            super().handle(_Deferred(self, conn), rid, payload)

    def _metadata_fetch(self, conn, rid, request) -> None:
        super()._metadata_fetch(getattr(conn, "conn", conn), rid, request)

    # -- leadership ---------------------------------------------------------------------------

    def activate(self) -> None:
        """The Raft leader's epoch is committed: replay the log, take over as controller.py's
        failover does, become the one brokers reach."""
        if self.active:
            return
        self.active = True
        self.image = _replay(self.log)
        self.nodes.controller = self
        self.trace.emit(ControllerActive(self.engine.now, self.name))
        self._take_over()

    def _deactivate(self) -> None:
        if not self.active:
            return
        self.active = False
        self.balance.deactivate()
        self._session_timer_at = -1
        self._unclean_chain += 1
        waiting, self.waiting = self.waiting, []
        for _end, conn, rid, _response in waiting:
            conn.respond(rid, NOT_ACTIVE)
        parked, self.parked = self.parked, []
        for fetch in parked:
            fetch.done = True
            fetch.conn.respond(fetch.rid, NOT_ACTIVE)
        self.fetch_deadlines.clear()
        if self.nodes.controller is self:        # not when another took over meanwhile
            self.trace.emit(ControllerActive(self.engine.now, ""))

    def _check_sessions(self, armed_at: int) -> None:
        if self.active:
            super()._check_sessions(armed_at)

    # -- the process -----------------------------------------------------------------------

    def crash(self, state: str = "crashed") -> None:
        """Crash, stop or power loss: the quorum state and log are durable (fsynced)."""
        if self.down:
            return
        self._deactivate()
        self.kill(state)
        self.waiting = []
        for conn in list(self.connections):
            conn.reset()

    def stop(self) -> None:
        self.crash(STOPPED)

    def power_loss(self) -> None:
        self.crash(POWERED_OFF)

    def restart(self) -> None:
        if self.state not in DOWN:
            return
        self.start()
        self.raft.start()

    def _take_over(self) -> None:
        now = self.engine.now
        for b in self.image.brokers:
            self.last_heartbeat[b] = now
        self._session_timer_at = -1
        self._arm_sessions()
        self._unclean_chain += 1
        self.timer(self.settings.unclean_interval_us, self._unclean_tick, self._unclean_chain)
        self.balance.activate()


def _replay(records) -> Image:
    image = Image()
    for record in records:
        image.apply(record)
    return image


__all__ = ["LeaderChange", "QuorumController"]
