"""A consumer's side of the classic group protocol (AbstractCoordinator, ConsumerCoordinator).

The member finds its coordinator (FindCoordinator to any broker), joins
(JoinGroup with its assignors, subscription and owned partitions; a new
dynamic member told MEMBER_ID_REQUIRED, KIP-394, joins again at once with the
member id it was given), and syncs: the leader computes the assignment with the group's assignor
(assignors.py) and sends it in its SyncGroup. Before joining, an eager
member commits its positions when auto-commit is on and gives up every
partition; with the sticky assignor it still claims the partitions of its
last assignment, as StickyAssignor's subscription user data does, while it
has a generation (a member that lost it claims nothing). A cooperative
member keeps its partitions and goes on consuming them during the
rebalance, gives up only those the new assignment takes away, and joins
again when it gave any up. A member that lost its
generation loses its partitions either way (onPartitionsLost).

A background heartbeat thread sends Heartbeat every `heartbeat.interval.ms`
while the member has a generation. REBALANCE_IN_PROGRESS asks the next
poll() to rejoin; UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION drop the
generation (and the member id for the former); coordinator errors and
timeouts send it looking for the coordinator again. When poll() has not
been called for `max.poll.interval.ms`, the thread leaves the group on the
member's behalf (a static member only stops heartbeating) while the
application may still be processing: its commits then fail. When a paused
process resumes, the heartbeat thread runs before the application thread
gets back to poll(), so a pause longer than `max.poll.interval.ms` makes the
member leave even if it was waiting inside poll() (thawed).

The leader assigns the partitions its metadata knows and remembers their counts
(ConsumerCoordinator's assignmentSnapshot); when a metadata update shows another count (an
`add_partitions` entry), it rejoins (rejoinNeededOrPending) and the new assignment includes
the new partitions. Other members do not watch the counts.

Simplified: FENCED_INSTANCE_ID and INCONSISTENT_GROUP_PROTOCOL end the
member's process, as the fatal exception would end the application.
"""

import math

from sim.clients.assignors import PROTOCOLS, Subscription, assign
from sim.cluster.protocol import (
    FENCED_INSTANCE_ID,
    ILLEGAL_GENERATION,
    INCONSISTENT_GROUP_PROTOCOL,
    MEMBER_ID_REQUIRED,
    REBALANCE_IN_PROGRESS,
    UNKNOWN_MEMBER_ID,
    FindCoordinator,
    Heartbeat,
    JoinGroup,
    LeaveGroup,
    SyncGroup,
)
from sim.cluster.rpc import Failure
from sim.core.records import PartitionsAssigned

JOIN_SLACK_US = 5_000_000           # JoinGroup waits rebalance timeout + 5 s, at least
                                    # request.timeout.ms (AbstractCoordinator.sendJoinGroupRequest)
FATAL = (FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL)
REJOIN_AT_ONCE = (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
                  MEMBER_ID_REQUIRED)


class Membership:
    """The group membership of one consumer member."""

    def __init__(self, consumer) -> None:
        self.c = consumer
        self.s = consumer.settings
        self.coordinator = -1
        self.member_id = ""
        self.generation = -1
        self.assignment: tuple = ()
        self.rejoin_needed = True
        self.joining = False
        self.rebalancing = False            # JoinGroup sent, SyncGroup not yet answered
        self.synced = None
        self.looking = False
        self.lookup_failures = 0            # failed FindCoordinators in a row
        self.rng = consumer.ctx.runtime.streams.get(f"coordinator.{consumer.name}")
        self.waiting: list = []             # callers waiting for the coordinator lookup
        self.heartbeat_armed = False
        self.session_reset_at = 0           # Heartbeat's sessionTimer: the coordinator last seen
        self.snapshot: dict | None = None   # the leader's partition counts it assigned

    def reset(self) -> None:
        """A new process: no coordinator, no member id, no generation."""
        self.__init__(self.c)

    @property
    def stable(self) -> bool:
        return self.generation >= 0 and not self.rejoin_needed and not self.joining

    # -- poll() ----------------------------------------------------------------------------

    def ensure_active(self) -> bool:
        """poll()'s part: True when the member may fetch now.

        An eager member fetches nothing until its join completes; a cooperative one
        that still has a generation goes on with the partitions it owns meanwhile
        (KafkaConsumer.poll does not wait for the join).
        """
        if self.synced is not None:
            self._complete(self.synced)
        if self.stable:
            return True
        cooperative = self.protocol_kind() == "cooperative" and self.generation >= 0
        if not self.joining:
            self.joining = True
            self.c.on_join_prepare(not cooperative, self._join)
        return cooperative

    def protocol_kind(self) -> str:
        """The rebalance protocol: the most advanced one every configured assignor supports
        (ConsumerCoordinator's constructor). Every built-in assignor supports eager, and only
        cooperative-sticky also cooperative, so [cooperative-sticky, range] is eager."""
        cooperative = all(PROTOCOLS.get(a) == "cooperative" for a in self.s.assignors)
        return "cooperative" if cooperative else "eager"

    # -- coordinator ---------------------------------------------------------------------

    def _with_coordinator(self, then) -> None:
        """Run then() once the coordinator is known (ensureCoordinatorReady).

        Every caller waits on the same lookup, as on AbstractCoordinator's one
        findCoordinatorFuture: a lookup already in flight (or backing off) takes the
        caller as one more waiter instead of sending another FindCoordinator.
        """
        if self.coordinator >= 0:
            then()
            return
        self.waiting.append(then)
        if not self.looking:
            self.looking = True
            self._lookup()

    def _lookup(self) -> None:
        self.c.request_any(FindCoordinator(self.c.group), self._found)

    def _found(self, response) -> None:
        """A failed lookup is retried after a backoff, its waiters still waiting."""
        if isinstance(response, Failure) or response.error is not None:
            self.c.timer(self._lookup_backoff(), self._lookup)
            return
        self.lookup_failures = 0
        self.looking = False
        self.coordinator = response.broker
        self.session_reset_at = self.c.engine.now
        waiting, self.waiting = self.waiting, []
        for then in waiting:
            then()

    def _lookup_backoff(self) -> int:
        """ensureCoordinatorReady's ExponentialBackoff (KIP-580, from 3.7): `retry.backoff.ms`
        doubled per failed lookup in a row, with 20 % jitter, at most `retry.backoff.max.ms`;
        a fixed `retry.backoff.ms` when the two are equal (as before 3.7)."""
        base, cap = self.s.retry_backoff_us, self.s.retry_backoff_max_us
        if cap <= base:
            return base
        exp = min(self.lookup_failures, math.log2(cap / max(base, 1)))
        self.lookup_failures += 1
        return min(int(base * 2 ** exp * self.rng.uniform(0.8, 1.2)), cap)

    def coordinator_lost(self) -> None:
        self.coordinator = -1

    def send(self, request, on_done, timeout_us: int | None = None) -> None:
        """Send a request to the coordinator (found first if unknown)."""
        timeout = self.s.request_timeout_us if timeout_us is None else timeout_us
        if self.coordinator >= 0:
            self.c.request_to(self.coordinator, request, on_done, timeout)
            return
        self._with_coordinator(lambda: self.c.request_to(self.coordinator, request, on_done,
                                                         timeout))

    # -- join and sync -------------------------------------------------------------------

    def _join(self) -> None:
        if self.c.down:
            return
        self.rebalancing = True
        owned = tuple(sorted(self.c.owned_partitions()))
        if self.protocol_kind() == "eager" and "sticky" in self.s.assignors \
                and self.generation >= 0:
            owned = self.assignment    # StickyAssignor's user data: the last assignment
        request = JoinGroup(self.c.group, self.member_id, self.s.instance_id, self.c.name,
                            self.s.session_us, self.s.max_poll_interval_us, self.s.assignors,
                            self.c.topics, owned)
        self.send(request, self._joined, max(self.s.request_timeout_us,
                                             self.s.max_poll_interval_us + JOIN_SLACK_US))

    def _joined(self, response) -> None:
        error = self._error(response)
        if error is not None:
            if error == UNKNOWN_MEMBER_ID:
                self.generation, self.member_id = -1, ""
            elif error == MEMBER_ID_REQUIRED:
                self.member_id = response.member_id      # KIP-394: join again with it
            self._retry_join(error)
            return
        self.member_id, self.generation = response.member_id, response.generation
        assignments = self.snapshot = None
        if response.leader == self.member_id and response.members:
            assignments = self._assign(response.protocol, response.members)
        request = SyncGroup(self.c.group, self.generation, self.member_id, assignments)
        self.send(request, self._synced)
        self._arm_heartbeat()

    def _assign(self, protocol: str, members) -> dict:
        subs = [Subscription(m, i, tuple(t), tuple(o), g) for m, i, t, o, g in members]
        topics = sorted({t for sub in subs for t in sub.topics})
        counts = self.c.partition_counts()
        self.snapshot = {t: counts[t] for t in topics}
        return assign(protocol, subs, self.snapshot)

    def metadata_updated(self) -> None:
        """The leader rejoins when its metadata's partition counts moved from those it
        assigned (ConsumerCoordinator.rejoinNeededOrPending: the metadata snapshot check)."""
        if self.snapshot is None or self.rejoin_needed:
            return
        counts = self.c.partition_counts()
        if any(counts[t] != n for t, n in self.snapshot.items()):
            self.request_rejoin()

    def _synced(self, response) -> None:
        error = self._error(response)
        if error is None and not self.rebalancing:
            # SyncGroupResponseHandler: the heartbeat thread left (or reset the generation)
            # while the SyncGroup was in flight: the rebalance failed, retried at once
            error = ILLEGAL_GENERATION
        if error is not None:
            if error in (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION):
                self.generation = -1
                if error == UNKNOWN_MEMBER_ID:
                    self.member_id = ""
            self._retry_join(error)
            return
        self.synced = response.assignment
        self.rebalancing = False
        self.session_reset_at = self.c.engine.now
        self.c.wake_poll()

    def _complete(self, assignment) -> None:
        """onJoinComplete, run inside poll() as in Kafka's application thread."""
        self.synced = None
        self.assignment = assignment
        self.joining = False
        self.rejoin_needed = False
        self.c.trace.emit(PartitionsAssigned(self.c.engine.now, self.c.group, self.c.name,
                                             self.generation, self.assignment))
        revoked = self.c.on_join_complete(self.assignment)
        if revoked and self.protocol_kind() == "cooperative":
            self.rejoin_needed = True

    def _retry_join(self, error: str) -> None:
        """A failed JoinGroup or SyncGroup. UNKNOWN_MEMBER_ID (and ILLEGAL_GENERATION for a
        SyncGroup) reset the generation, which makes the member prepare its join again
        (resetStateAndRejoin: needsJoinPrepare): a member still owning partitions (a
        cooperative one) loses them in the next poll before it joins. The member joins again
        at once after UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS and
        MEMBER_ID_REQUIRED, after `retry.backoff.ms` otherwise (joinGroupIfNeeded)."""
        if error in FATAL:
            self.c.fail(error)
            return
        if self.generation < 0:
            self.rebalancing = False
        if self.generation < 0 and self.c.owned_partitions():
            self.joining = False
            self.request_rejoin()
        elif error in REJOIN_AT_ONCE:
            self._join()
        else:
            self.c.timer(self.s.retry_backoff_us, self._join)

    def _error(self, response):
        """The response's error; coordinator trouble makes the member look it up again."""
        error = response.error
        if isinstance(response, Failure) or error in ("NOT_COORDINATOR",
                                                      "COORDINATOR_NOT_AVAILABLE",
                                                      "COORDINATOR_LOAD_IN_PROGRESS"):
            self.coordinator_lost()
        return error

    # -- heartbeats ----------------------------------------------------------------------

    def _arm_heartbeat(self) -> None:
        if not self.heartbeat_armed:
            self.heartbeat_armed = True
            self.c.timer(self.s.heartbeat_us, self._heartbeat)

    def _heartbeat(self) -> None:
        """One run of the heartbeat thread while the process runs.

        Inside poll() the application thread resets the poll timer on every pass of its
        loop (pollHeartbeat), so only a member outside poll() can overstay
        `max.poll.interval.ms`.
        """
        self.heartbeat_armed = False
        if self.generation < 0:
            return
        c = self.c
        if c.engine.now - c.last_poll > self.s.max_poll_interval_us and not c.in_poll:
            self.leave("max_poll_interval")
            return
        generation = self.generation
        self.send(Heartbeat(c.group, generation, self.member_id),
                  lambda r: self._heartbeat_done(r, generation))
        self._arm_heartbeat()

    def _heartbeat_done(self, response, generation: int) -> None:
        error = self._error(response)
        if error in (None, REBALANCE_IN_PROGRESS):
            self.session_reset_at = self.c.engine.now
        if error is None or isinstance(response, Failure) or generation != self.generation:
            return
        if error == REBALANCE_IN_PROGRESS:
            self.request_rejoin()
        elif error in (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION):
            self.reset_generation(error)
        elif error in FATAL:
            self.c.fail(error)

    def thawed(self) -> None:
        """The heartbeat thread's first run when a paused process resumes.

        SIGCONT wakes both threads at once. The heartbeat thread sleeps at most
        `retry.backoff.ms` between runs, so its wait is over, and all it needs is
        the coordinator's lock; the application thread, blocked in poll()'s
        network wait or in the middle of its records, must first get back to
        pollHeartbeat() (under the same lock) to reset the poll timer. So the
        heartbeat thread runs first, with the checks of HeartbeatThread.run in
        their order: coordinator unknown (it looks it up and waits, and the
        application polls meanwhile), session timer expired (it marks the
        coordinator unknown), then poll timer expired: it leaves the group
        (maybeLeaveGroup), whatever the application thread was doing. A member
        in the middle of a join has its heartbeat thread disabled (and is inside
        poll()), so nothing happens then.
        """
        c = self.c
        now = c.engine.now
        if self.generation < 0 or self.joining or self.coordinator < 0:
            return
        if now - self.session_reset_at >= self.s.session_us:
            self.coordinator_lost()
        elif now - c.last_poll > self.s.max_poll_interval_us:
            self.leave("max_poll_interval")
            c.wake_poll()

    def reset_generation(self, error: str) -> None:
        """resetStateOnResponseError: drop the generation (and the member id for
        UNKNOWN_MEMBER_ID) and rejoin; the next poll loses the partitions."""
        self.generation = -1
        self.rebalancing = False
        if error == UNKNOWN_MEMBER_ID:
            self.member_id = ""
        self.request_rejoin()

    def request_rejoin(self) -> None:
        self.rejoin_needed = True
        self.c.wake_poll()

    # -- leaving -------------------------------------------------------------------------

    def leave(self, reason: str, on_done=None) -> bool:
        """maybeLeaveGroup: a dynamic member says goodbye to a coordinator it knows (no lookup:
        a minimal effort); a static one just goes quiet. Either forgets its generation and
        member id. True if a LeaveGroup went out, whose answer (or failure) goes to on_done."""
        joined = self.generation >= 0 or self.rebalancing     # not UNJOINED
        sent = joined and self.s.instance_id is None and bool(self.member_id) \
            and self.coordinator >= 0
        if sent:
            self.send(LeaveGroup(self.c.group, self.member_id, reason),
                      on_done or (lambda _r: None))
        self.member_id = ""             # resetGenerationOnLeaveGroup, static members too
        self.generation = -1
        self.rebalancing = False
        self.rejoin_needed = True
        return sent
