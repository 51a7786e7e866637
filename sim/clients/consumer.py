"""A consumer group member: the application's poll loop around a KafkaConsumer.

The loop (docs/model.md#consumer-groups, KafkaConsumer javadoc): poll() joins the group
when needed, commits automatically when `auto.commit.interval.ms` has passed
(the positions of records returned by earlier polls), finds positions, and
returns up to `max.poll.records` buffered records, sending the next fetches
before it returns; with nothing buffered it waits for a fetch. The records
are then processed (processing.py: one timed step per run of good records,
poison records handled by `on_poison`); `before-processing` commits
the new positions synchronously before that step, `after-processing` after
it. A failed commit (the member left or the generation moved on) is traced
and the loop goes on, as an application catching CommitFailedException would;
UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION also drop the member's generation (and
its member id for the former), so it rejoins having lost its partitions, while
REBALANCE_IN_PROGRESS only asks it to rejoin. A commit while the member
rebalances (from its JoinGroup to its SyncGroup's answer: a cooperative member
goes on consuming meanwhile) fails with REBALANCE_IN_PROGRESS without being sent.
With `long_running`, the batch is processed in the background while the loop
keeps calling poll() with every partition paused, so the member stays within
`max.poll.interval.ms` and takes part in rebalances; when the job is done it
commits (after-processing) and resumes fetching.

Lifecycle: a crash ends the process at once (records whose processing had finished by
then count, the rest do not); a clean stop finishes the batch in hand and its commit,
commits under auto-commit, leaves the group (dynamic members whose coordinator is
known), awaits the LeaveGroup's answer and exits, all within close()'s timeout (30 s)
but at most `request.timeout.ms`; a pause freezes the loop and the heartbeat thread; a
restart is a new process with a new member id (static members keep their
`group.instance.id`: member i of a group configured with `group.instance.id: X` is
`X-i`, since every member needs its own). Retriable commit errors are retried until
`default.api.timeout.ms` (60 s); before a join, an auto-committing member (eager or
cooperative) commits its positions, retrying until the rebalance timeout
(`max.poll.interval.ms`), and then joins whatever the outcome.

Metadata: a member learns of partitions an `add_partitions` entry creates from a metadata
answer; members of a group whose topics grow refresh it every `metadata.max.age.ms` (the
refresh that does nothing else here is left out for the others, whose leaders' moves reach
them by errors), and the group's leader rejoins when the counts change (membership.py).
"""

from functools import partial

from sim.clients.fetcher import Fetcher
from sim.clients.membership import Membership
from sim.clients.processing import Processor
from sim.clients.settings import ConsumerSettings
from sim.cluster.context import ClientContext
from sim.cluster.host import STOPPED, Host
from sim.cluster.protocol import OffsetCommit
from sim.cluster.rpc import Connections, Failure, next_node
from sim.core.dist import Sampler
from sim.core.records import CommitFailed

DEFAULT_API_TIMEOUT_US = 60_000_000
CLOSE_TIMEOUT_US = 30_000_000           # close() (DEFAULT_CLOSE_TIMEOUT_MS)
COORDINATOR_LOST = {"COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "REQUEST_TIMED_OUT",
                    "NETWORK_EXCEPTION"}
RETRIABLE_COMMIT = COORDINATOR_LOST | {"COORDINATOR_LOAD_IN_PROGRESS"}


class Consumer(Host):
    """One member process of a consumer group."""

    def __init__(self, spec, index: int, ctx: ClientContext) -> None:
        runtime = ctx.runtime
        super().__init__(f"{spec.name}-{index}", runtime.engine, runtime.trace)
        self.ctx = ctx
        self.net = runtime.net
        self.nodes = runtime.nodes
        self.topology = ctx.topology
        self.spec = spec
        self.group = spec.name
        self.topics = spec.topics
        self.settings = ConsumerSettings.from_config(spec.config, index)
        self.commit_mode = spec.commit
        self.long_running = spec.long_running
        self.sampler = Sampler(spec.processing, runtime.streams.get(f"processing.{self.name}"))
        self.membership = Membership(self)
        self.fetcher = Fetcher(self)
        self.processor = Processor(self)
        self.conns = Connections(self.net, self, self.nodes.brokers.__getitem__,
                                 self.settings.setup_timeouts_us)
        self.cursor = index
        self.in_poll = False
        self.committing = False
        self.closing = False
        self.grows = any(self.topology.partitions[p].added_by >= 0
                         for t in self.topics for p in self.topology.by_topic[t])
        self.close_timeout_us = CLOSE_TIMEOUT_US
        self.last_poll = 0
        self.next_auto_commit = 0
        self.retired = False
        self.output = None              # the output producer (`output:`, output.py)
        self.eos = None                 # its transactional loop (eos_loop.py)

    # -- lifecycle -------------------------------------------------------------------------

    def boot(self, leaders: dict | None) -> None:
        """Start: with full metadata at t = 0, else (a member added later) asking for it."""
        if leaders is None:
            self.fetcher.refresh_metadata()
        else:
            self.fetcher.leaders = {p: leaders[p] for t in self.topics
                                    for p in self.topology.by_topic[t] if p in leaders}
        self._arm_metadata()
        self.last_poll = self.engine.now
        self.next_auto_commit = self.engine.now + self.settings.auto_commit_interval_us
        self.poll()

    def crash(self, state: str = "crashed") -> None:
        if self.down:
            return
        self.processor.interrupt()
        self.kill(state)
        if self.output is not None:
            self.output.crash(state)
        for conn in list(self.connections):
            conn.reset()

    def stop(self, timeout_us: int = CLOSE_TIMEOUT_US) -> None:
        """SIGTERM: finish the batch in hand, then close(timeout_us)."""
        if self.state != "running" or self.closing:
            return
        self.closing = True
        self.close_timeout_us = timeout_us
        if not self.processor.busy and not self.committing:
            self._close()

    def _close(self) -> None:
        """close(): commit (auto-commit), leave the group, await the LeaveGroup's answer, exit.

        The close timer, close's timeout but at most `request.timeout.ms`, bounds it all: the
        commit's retries and coordinator lookup, then the wait for the answer; when it runs
        out, the member leaves if it still can and exits at once (ConsumerCoordinator.close,
        AbstractCoordinator.close). A member whose coordinator is unknown does not leave.
        """
        left = False
        if self.output is not None:
            self.output.stop()

        def leave(_error=None):
            nonlocal left
            if not left:
                left = True
                if not self.membership.leave("consumer_closed", exit_):
                    exit_()

        def exit_(_response=None):
            self.kill(STOPPED)

        def expire():
            leave()
            exit_()
        budget = min(self.close_timeout_us, self.settings.request_timeout_us)
        self.timer(budget, expire)
        if self.settings.auto_commit and self.membership.generation >= 0:
            self._commit(self._offsets(), leave, budget)
        else:
            leave()

    def restart(self) -> None:
        if not self.down:
            return
        if self.output is not None:
            self.output.restart()
        self.start()
        self.membership.reset()
        self.fetcher.reset()
        self.conns.clear()
        self.in_poll = self.committing = self.closing = False
        self.processor = Processor(self)
        self.last_poll = self.engine.now
        self.next_auto_commit = self.engine.now + self.settings.auto_commit_interval_us
        self._arm_metadata()
        self.poll()

    def _arm_metadata(self) -> None:
        """metadata.max.age.ms, for a member whose topics grow during the run."""
        if self.grows:
            self.timer(self.settings.metadata_max_age_us, self._periodic_metadata)

    def _periodic_metadata(self) -> None:
        self.fetcher.refresh_metadata()
        self._arm_metadata()

    def metadata_updated(self) -> None:
        """A metadata answer was applied: the leader checks the counts, poll() may go on."""
        self.membership.metadata_updated()
        self.wake_poll()

    def partition_counts(self) -> dict[str, int]:
        """Topic -> its partitions in this member's metadata: those of the start, and the
        created ones a metadata answer named."""
        known = self.fetcher.leaders
        parts = self.topology.partitions
        return {t: sum(parts[p].added_by < 0 or p in known for p in self.topology.by_topic[t])
                for t in self.topics}

    def fail(self, error: str) -> None:
        """A fatal client error ends the application."""
        self.crash()

    def slow(self, sampler: Sampler) -> None:
        """A `slow` window begins or ends: records that start processing from now on take
        this time, the rest of the batch in hand included."""
        self.sampler = sampler
        self.processor.redraw()

    def pause(self) -> None:
        """Freeze both threads. Inside poll() the poll timer was reset until this moment."""
        if self.running and self.in_poll:
            self.last_poll = self.engine.now
        super().pause()
        if self.output is not None:
            self.output.pause()

    def resume(self) -> None:
        """SIGCONT: the output producer (same process) runs again first."""
        if self.output is not None and self.state == "paused":
            self.output.resume()
        super().resume()

    def thawed(self) -> None:
        """SIGCONT: the heartbeat thread runs first (Membership.thawed)."""
        self.membership.thawed()

    # -- connections -----------------------------------------------------------------------

    def request_to(self, broker: int, request, on_done, timeout_us: int) -> None:
        self.conns.to(broker).request(request, on_done, timeout_us)

    def request_any(self, request, on_done) -> None:
        nodes = self.nodes.broker_ids()
        broker, after = next_node(nodes, self.conns, self.cursor + 1)
        self.cursor = after - 1
        self.request_to(broker, request, on_done, self.settings.request_timeout_us)

    # -- the poll loop ---------------------------------------------------------------------

    def poll(self) -> None:
        busy = self.processor.busy
        if self.down or (busy and not self.long_running) or self.committing or self.closing:
            return
        self.in_poll = True
        self.last_poll = self.engine.now
        if not self.membership.ensure_active():
            return
        if self.settings.auto_commit and self.engine.now >= self.next_auto_commit:
            self.next_auto_commit = self.engine.now + self.settings.auto_commit_interval_us
            self._commit(self._offsets(), None)
        fetcher = self.fetcher
        if not fetcher.positions_ready():
            fetcher.resolve()
            return
        if busy:
            return                      # long-running job: every partition stays paused
        if self.eos is not None and not self.eos.ready():
            return                      # the transaction of the last batch is not done
        segments = fetcher.take(self.settings.max_poll_records)
        fetcher.send_fetches()
        if not segments:
            if self.settings.auto_commit:
                self.timer(max(self.next_auto_commit - self.engine.now, 1), self.wake_poll)
            return
        self.in_poll = self.long_running
        self.last_poll = self.engine.now
        if self.eos is not None:
            self.eos.begin()
        if self.commit_mode == "before-processing":
            self._commit(self._offsets(), lambda _r: self._process(segments))
        else:
            self._process(segments)

    def wake_poll(self) -> None:
        """Something the waiting poll() may use arrived (records, an assignment, a position)."""
        if self.in_poll:
            self.poll()

    def _offsets(self) -> tuple:
        return tuple(sorted(self.fetcher.positions.items()))

    def positions(self) -> tuple:
        """The positions of the assigned partitions: the offsets to commit."""
        return self._offsets()

    def rewind(self) -> None:
        """Seek to the group's committed offsets: drop positions and buffered records, so
        the next poll fetches the committed offsets (OffsetFetch)."""
        self.fetcher.positions = {}
        self.fetcher.buffered = {}

    # -- processing ------------------------------------------------------------------------

    def _process(self, segments) -> None:
        self.processor.start(segments, self._processed)

    def _processed(self) -> None:
        if self.eos is not None:
            self.eos.commit()
        elif self.commit_mode == "after-processing":
            self._commit(self._offsets(), lambda _r: self._next())
        else:
            self._next()

    def go_on(self) -> None:
        """The batch's commit is done: close if stopping, else poll."""
        self._next()

    def _next(self) -> None:
        if self.closing:
            self._close()
        else:
            self.poll()

    # -- commits ---------------------------------------------------------------------------

    def _commit(self, offsets: tuple, then, timeout_us: int = DEFAULT_API_TIMEOUT_US,
                block: bool = True) -> None:
        """commitSync (then is called with the outcome) or commitAsync (then is None).

        A commit with an outcome to wait for retries retriable errors for timeout_us
        (default.api.timeout.ms for commitSync; the commit before a join passes the
        rebalance timeout) and, if it blocks, holds poll() back until it completes.
        """
        m = self.membership
        if not offsets:
            if then is not None:
                then(None)
            return
        if m.rebalancing:
            # sendOffsetCommitRequest: no stable generation while the member rebalances
            # (a cooperative member consuming meanwhile): fail without sending
            self._commit_failed("REBALANCE_IN_PROGRESS", then)
            return
        if m.generation < 0:
            self._commit_failed("COMMIT_FAILED_NOT_IN_GROUP", then)
            return
        deadline = self.engine.now + timeout_us
        if then is not None and block:
            self.committing = True
            then = partial(self._unblock, then)
        request = OffsetCommit(self.group, m.generation, m.member_id, offsets)
        m.send(request, lambda r: self._committed(r, request, then, deadline))

    def _committed(self, response, request, then, deadline: int) -> None:
        error = response.error
        if error is None:
            self._commit_done(then, None)
            return
        if isinstance(response, Failure) or error in RETRIABLE_COMMIT:
            if isinstance(response, Failure) or error in COORDINATOR_LOST:
                # OffsetCommitResponseHandler: a coordinator that is loading stays known
                self.membership.coordinator_lost()
            if then is not None and self.engine.now < deadline:
                self.timer(self.settings.retry_backoff_us, self.membership.send, request,
                           lambda r: self._committed(r, request, then, deadline))
                return
            if then is None:
                # an auto-commit (autoCommitOffsetsAsync): the next one is due after
                # retry.backoff.ms rather than a whole auto.commit.interval.ms
                self.next_auto_commit = self.engine.now + self.settings.retry_backoff_us
                self.timer(self.settings.retry_backoff_us, self.wake_poll)
        elif error == "REBALANCE_IN_PROGRESS":
            self.membership.request_rejoin()
        elif error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"):
            # the generation is reset, unless the member already joined again since the
            # commit was sent (OffsetCommitResponseHandler: generationUnchanged)
            m = self.membership
            if not m.joining or (request.generation, request.member_id) == \
                    (m.generation, m.member_id):
                m.reset_generation(error)
        self._commit_failed(error, then)

    def _commit_failed(self, error: str, then) -> None:
        self.trace.emit(CommitFailed(self.engine.now, self.group, self.name, error))
        self._commit_done(then, error)

    def _commit_done(self, then, error) -> None:
        if then is not None:
            then(error)

    def _unblock(self, then, error) -> None:
        self.committing = False
        then(error)

    # -- rebalance callbacks ---------------------------------------------------------------

    def owned_partitions(self) -> list:
        topo = self.topology
        return [(topo.partitions[p].topic, topo.partitions[p].partition)
                for p in self.fetcher.assigned]

    def on_join_prepare(self, eager: bool, then) -> None:
        """Before joining: the member commits (auto-commit); an eager one revokes everything.

        A stop that came during that commit closes the consumer instead of joining.
        """
        def revoke(_error=None):
            if eager:
                self.fetcher.assign(())
            if self.closing:
                self._close()
            else:
                then()
        if self.settings.auto_commit and self.membership.generation >= 0:
            # ConsumerCoordinator.onJoinPrepare, eager and cooperative alike: retry until
            # the rebalance timeout (max.poll.interval.ms), then join anyway; a cooperative
            # member goes on consuming meanwhile
            self._commit(self._offsets(), revoke, self.settings.max_poll_interval_us,
                         block=eager)
        else:
            revoke()

    def on_join_complete(self, assignment) -> list:
        """Take the new assignment; return the partitions given up (cooperative)."""
        topo = self.topology
        new = [topo.by_topic[t][p] for t, p in assignment]
        revoked = [p for p in self.fetcher.assigned if p not in new]
        self.fetcher.assign(new)
        return revoked
