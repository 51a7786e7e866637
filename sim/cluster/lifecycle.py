"""A broker's registration and heartbeats to the controller (Kafka's BrokerLifecycleManager).

One communication with the controller is in flight at a time; the next one is scheduled
when it ends, and a new schedule replaces the pending one. A new process is STARTING: it
registers (`previousBrokerEpoch` from its clean-shutdown marker) and, once registered,
heartbeats at once, then 10 ms after each answer until the controller reports it has
caught up with the metadata up to its registration (`isCaughtUp`). It is then in RECOVERY:
it loads its logs and, ready to be unfenced, heartbeats at once with `wantFence` false; the
controller unfences it then (BrokerHeartbeatManager.calculateNextBrokerState). From the
answer that says it is unfenced it is RUNNING and heartbeats every
`broker.heartbeat.interval.ms` after each answer. Registrations and heartbeats have a
connection of their own (Kafka's "heartbeat" NodeToControllerChannelManager), on which a
request waits at most half of `broker.session.timeout.ms` (its retry timeout,
KAFKA-14392). A failed registration or heartbeat (an error such as
DUPLICATE_BROKER_REGISTRATION while the previous incarnation's session lives, a timeout,
a disconnect) is retried after an exponential backoff: 100 ms doubling up to
`broker.session.timeout.ms`, with 2 % jitter (`resendExponentialBackoff`). At the start
of a run every broker is registered and RUNNING.

Left out: log recovery takes no simulated time (Kafka's LogLoader re-reads every segment
after the recovery point on an unclean restart, a cost bound by disk throughput, which the
disk model does not have, and Kafka's recovery point moves only with fsyncs, not with the
OS write-back the model counts as stable); `initial.broker.registration.timeout.ms`
(a broker that cannot register for 60 s shuts down); controlled shutdown by heartbeat
(`wantShutDown`) is a request of its own here (broker.py).
"""

from sim.cluster.protocol import BrokerHeartbeat, BrokerRegistration
from sim.cluster.rpc import Connection, Failure
from sim.core.units import MS

STARTING, RECOVERY, RUNNING = "starting", "recovery", "running"
STARTING_HEARTBEAT_US = 10 * MS          # "after only 10 ms so that ... we start up quicker"
BACKOFF_INITIAL_US = 100 * MS
BACKOFF_JITTER = 0.02


class BrokerLifecycleManager:
    """One broker process's side of its session with the controller."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.settings = broker.settings
        self.rng = broker.ctx.runtime.streams.get(f"lifecycle.{broker.name}")
        self.state = STARTING
        self.registered = False
        self.ready_to_unfence = False
        self.in_flight = False
        self.next_immediately = False      # nextSchedulingShouldBeImmediate
        self.failed_attempts = 0
        self.scheduled = 0                 # the pending communication; a new one replaces it
        self.conn: Connection | None = None

    def boot(self) -> None:
        """Start of the run: registered and unfenced; the first heartbeat is one interval away."""
        self.state, self.registered, self.ready_to_unfence = RUNNING, True, True
        self._schedule(self.settings.heartbeat_interval_us)

    def start(self) -> None:
        """A new process: register now."""
        self._communicate()

    def set_ready_to_unfence(self) -> None:
        """The logs are loaded: ask to be unfenced at once."""
        self.ready_to_unfence = True
        self._schedule(0)

    # -- scheduling -------------------------------------------------------------------

    def _schedule(self, delay_us: int) -> None:
        if self.next_immediately:
            delay_us, self.next_immediately = 0, False
        self.scheduled += 1
        self.broker.timer(delay_us, self._fire, self.scheduled)

    def _fire(self, token: int) -> None:
        if token == self.scheduled:
            self._communicate()

    def _communicate(self) -> None:
        if self.in_flight:
            self.next_immediately = True
            return
        self.in_flight = True
        b = self.broker
        if self.conn is None or self.conn.server is not b.nodes.controller:
            self.conn = Connection(b.net, b, b.nodes.controller)   # a quorum's new leader
        if self.registered:
            request = BrokerHeartbeat(b.id, b.broker_epoch, b.image.offset,
                                      not self.ready_to_unfence)
            on_done = self._on_heartbeat
        else:
            request = BrokerRegistration(b.id, b.incarnation, b.clean_marker)
            on_done = self._on_registration
        self.conn.request(request, on_done, self.settings.session_timeout_us // 2)

    def _after_failure(self) -> None:
        """scheduleNextCommunicationAfterFailure: ExponentialBackoff(100, 2, session, 0.02)."""
        cap = self.settings.session_timeout_us
        term = min(BACKOFF_INITIAL_US << min(self.failed_attempts, 62), cap)
        self.failed_attempts += 1
        self.next_immediately = False
        jitter = self.rng.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)
        self._schedule(min(int(term * jitter), cap))

    # -- answers ------------------------------------------------------------------------

    def _answered(self, response) -> bool:
        """The communication ended: False (and a backoff) when it failed."""
        self.in_flight = False
        if isinstance(response, Failure) or response.error is not None:
            self._after_failure()
            return False
        self.failed_attempts = 0
        return True

    def _on_registration(self, response) -> None:
        if not self._answered(response):
            return
        self.registered = True
        self.broker.on_registered(response.broker_epoch)
        self._schedule(0)

    def _on_heartbeat(self, response) -> None:
        if not self._answered(response):
            return
        if self.state == STARTING:
            self._schedule(STARTING_HEARTBEAT_US)
            if response.caught_up:
                self.state = RECOVERY
                self.set_ready_to_unfence()      # the logs were recovered at restart
            return
        if self.state == RECOVERY and not response.fenced:
            self.state = RUNNING
        self._schedule(self.settings.heartbeat_interval_us)
