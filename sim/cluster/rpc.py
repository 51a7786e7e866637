"""Request/response connections between a client host and a server host.

A connection carries requests client -> server and responses back, FIFO each
way over the network's links. It tracks the requests in flight: when one has
no response within its timeout, the connection is closed and every request
in flight on it fails as timed out (NetworkClient.handleTimedOutRequests ->
processTimeoutDisconnection); how a client reports that is its own rule
(sender.py). That close is graceful: TCP sends its FIN after the bytes already
written, so a request the network still carries (held behind a cut, delayed)
reaches the server and is processed there, as the broker's Selector processes
the receives of a channel its peer closed (closingChannels); its response finds
no socket. A reset (`resets:` probability per request, or the crash or
clean stop of either end) fails every request in flight at once with a
disconnect; requests already delivered are still processed, but their
responses are lost. A request to a crashed or stopped process is refused
after a round trip (the machine answers with a reset); one to a paused host
waits for it; one to a powered-off machine meets silence, and TCP retransmits
it until the request times out or the machine is back, whose new kernel
answers with a reset (net.py). Timeouts are checked by one lazy timer per
connection, not one per request.

A client with a connection set-up timeout (KIP-601, 2.7+, connection_setup.py)
starts connecting with the first message of each new connection. If the
network still holds that message at the timeout (a cut, a machine that is
off), the connection is closed, its requests come back as never sent
(UNSENT), the client refreshes its metadata as after any disconnect, and the
node waits out `reconnect.backoff.ms` (50 ms); a machine that answers sets
the connection up (a paused process's kernel does). Without one (before 2.7)
a request to a silent machine waits out its request timeout.

Messages that expect no response (acks=0) count against the socket's send
buffer (`send.buffer.bytes`, 128 KiB) until they reach a live server; when a
silent peer has let it fill, the next write is stuck (a partial send): it is
in flight like a request, and nothing more is written until it goes out. It
goes out when the peer has taken enough (the client hears the peer's TCP
acknowledgement half a round trip later, and `on_writable` wakes it, as the
Selector's writable socket does), or fails with the connection when it times
out after the request timeout or the connection resets (NetworkClient).
A server may close the connection itself (a broker does after an acks=0
produce error): it reads and answers nothing more on it, and its FIN resets
the client's end half a round trip later, after the responses sent before it.

Each message carries its size on the wire (wire.py), computed only when the network is
a wire (some bandwidth is set).

Simplified: no handshake round trip (a request travels with the SYN); a
request queued behind a set-up runs its request timeout from the start
(Kafka's starts once connected), so a set-up timeout longer than the request
timeout does not fire while requests wait; the reconnect backoff follows only
a failed set-up, without growth (Kafka's follows every disconnect and grows
to `reconnect.backoff.max.ms`); acks=0 messages written to a connection that
never comes up are lost (Kafka would not have drained them); the one-way (acks=0)
messages of a connection closed at a timeout are dropped, not delivered; a closed
connection's data is retransmitted until it gets through (Linux gives an orphaned
socket up after tcp_orphan_retries, 8 retransmissions, about 100 s).
"""

from sim.cluster.connection_setup import ConnectionSetup
from sim.cluster.host import CRASHED, DOWN, RUNNING, STOPPED
from sim.cluster.wire import REQUEST_OVERHEAD_BYTES, message_size
from sim.core.units import MS, NEVER

NETWORK_EXCEPTION = "NETWORK_EXCEPTION"
RECONNECT_BACKOFF_US = 50 * MS      # reconnect.backoff.ms
REFUSING = (CRASHED, STOPPED)       # the machine is up, the process is not: connection refused
REQUEST_TIMED_OUT = "REQUEST_TIMED_OUT"
SEND_BUFFER_BYTES = 131_072


class Failure:
    """The response a client gets when a request did not complete."""

    __slots__ = ("error",)

    def __init__(self, error: str) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Failure({self.error})"


DISCONNECTED = Failure(NETWORK_EXCEPTION)
TIMED_OUT = Failure(REQUEST_TIMED_OUT)
UNSENT = Failure(NETWORK_EXCEPTION)   # queued on a connection that never came up


def next_node(nodes: list[int], conns: dict, cursor: int) -> tuple[int, int]:
    """The node to ask for what any broker can answer, and the cursor after it.

    NetworkClient.leastLoadedNode, simplified: the nodes in turn from the cursor, passing
    over one whose connection is being set up to a silent machine or waits out the
    reconnect backoff after a failed set-up, unless every node is.
    """
    for i in range(len(nodes)):
        node = nodes[(cursor + i) % len(nodes)]
        conn = conns.get(node)
        if conn is None or conn.connectable():
            return node, cursor + i + 1
    return nodes[cursor % len(nodes)], cursor + 1


class Connection:
    """One client's connection to one server."""

    def __init__(self, net, client, server, setup_timeouts_us: tuple[int, int] | None = None
                 ) -> None:
        """setup_timeouts_us: the client's KIP-601 (initial, max) set-up timeouts, if any."""
        self.net = net
        self.client = client
        self.server = server
        self.epoch = 0
        self.inflight: dict[int, tuple] = {}     # request id -> (deadline, on_done)
        self._next_id = 0
        self._timer_at = -1
        self.unacked_bytes = 0
        self.server_closed = -1                  # the epoch the server closed its end of
        self.orphaned: dict[int, None] = {}      # epochs the client closed at a request timeout
        self.server_incarnation = server.incarnation
        self.client_incarnation = client.incarnation
        self.on_reset = None
        self.on_writable = None                # the client's wake-up once a stuck write went out
        self._stuck = None                     # (rid, payload, size): a write the buffer refused
        self._unstick_armed = False
        self.setup = None if setup_timeouts_us is None else ConnectionSetup(
            *setup_timeouts_us, net.streams, f"connection.setup.{client.name}->{server.name}")
        self._opened = -1                      # the epoch whose connection attempt began
        self._connecting = -1                  # that epoch while its machine has not answered
        self.reconnect_at = 0
        self.uplink = net.link(client.name, server.name)
        self.downlink = net.link(server.name, client.name)
        client.connections.append(self)
        server.connections.append(self)

    def request(self, payload, on_done, timeout_us: int, extra_us: int = 0) -> None:
        """Send payload to the server; on_done(response or Failure) runs on the client."""
        self._adopt()
        now = self.net.engine.now
        rid = self._next_id = self._next_id + 1
        if self._opened != self.epoch:
            self._open(extra_us)
        deadline = now + extra_us + timeout_us
        self.inflight[rid] = (deadline, on_done)
        if self._timer_at < 0 or deadline < self._timer_at:
            self._arm(deadline)
        link, server = self.uplink, self.server
        if (server.state != RUNNING or server.incarnation != self.server_incarnation) and \
                self._refused(link, extra_us):
            return
        probability = link.reset_probability() if link.overrides else link.resets
        if probability > 0.0 and link.rng.random() < probability:
            at = int(link.rng.random() * link.rtt_us())
            self.client.timer(extra_us + at, self._reset_if, self.epoch)
        self.net.send(self.client, self.server, self._deliver, self.epoch, rid, payload,
                      stream=(self, 0, self.epoch), link=link, extra_us=extra_us,
                      on_reset=(self._reset_if, (self.epoch,)),
                      size=message_size(payload) if self.net.wire else 0)

    def _adopt(self) -> None:
        """A new process of the client sends on this connection: the old one's requests died
        with it, and their answers find no socket (a restarted host answers them with RST)."""
        if self.client.incarnation != self.client_incarnation:
            self.client_incarnation = self.client.incarnation
            self.epoch += 1
            self.inflight = {}
            self._timer_at = -1
            self.unacked_bytes = 0
            self._stuck = None

    def ready(self) -> bool:
        """NetworkClient.ready: can a request go out? Not while the server's process is gone.

        A crash or stop resets the connection at once, so the client knows;
        its reconnection attempts are refused until the process is back. After
        a connection set-up timeout, the node waits out `reconnect.backoff.ms`.
        """
        return self.server.state not in REFUSING and self.net.engine.now >= self.reconnect_at

    def connectable(self) -> bool:
        """Neither setting up to a machine that has not answered nor backing off after a
        failed set-up (ClusterConnectionStates.isConnecting / canConnect)."""
        if self.net.engine.now < self.reconnect_at:
            return False
        return self._connecting != self.epoch or not self.net.holds((self, 0, self.epoch))

    def _refused(self, link, extra_us: int) -> bool:
        """Is the server's process gone (or replaced)? Then it answers with a reset."""
        server = self.server
        if server.state in REFUSING or (
                server.incarnation != self.server_incarnation and not server.down):
            self.client.timer(extra_us + link.rtt_us(), self._reset_if, self.epoch)
            return True
        return False

    def writable(self) -> bool:
        """NetworkClient.canSendMore for one-way messages: no write is stuck on a full send
        buffer, and the server's process is there."""
        return self._stuck is None and not self._refused(self.uplink, 0)

    def write(self, payload, size: int, on_done, timeout_us: int) -> None:
        """Write a one-way message (acks=0): on_done(None) once the send buffer takes it.

        A message the full buffer refuses is a stuck send (Kafka's partial write), in
        flight like a request: it goes out when the peer has taken enough, or fails
        with the connection at a reset or after timeout_us (NetworkClient times it out).
        """
        self._adopt()
        if self._fits(size):
            self._send(payload, size)
            on_done(None)
            return
        rid = self._next_id = self._next_id + 1
        deadline = self.net.engine.now + timeout_us
        self.inflight[rid] = (deadline, on_done)
        if self._timer_at < 0 or deadline < self._timer_at:
            self._arm(deadline)
        self._stuck = (rid, payload, size)

    def _fits(self, size: int) -> bool:
        return self.unacked_bytes == 0 or self.unacked_bytes + size <= SEND_BUFFER_BYTES

    def _unstick(self) -> None:
        """The peer's acknowledgement freed buffer space: finish the stuck write if it fits."""
        self._unstick_armed = False
        if self._stuck is None or not self._fits(self._stuck[2]):
            return
        rid, payload, size = self._stuck
        self._stuck = None
        _deadline, on_done = self.inflight.pop(rid)
        self._send(payload, size)
        on_done(None)
        if self.on_writable is not None:
            self.on_writable()

    def _send(self, payload, size: int, extra_us: int = 0) -> None:
        """Send payload with no response expected (acks=0), counting it against the send buffer."""
        self._adopt()
        if self._opened != self.epoch:
            self._open(extra_us)
        self.unacked_bytes += size
        self.net.send(self.client, self.server, self._deliver_oneway, self.epoch, size, payload,
                      stream=(self, 0, self.epoch), link=self.uplink, extra_us=extra_us,
                      on_reset=(self._reset_if, (self.epoch,)),
                      size=message_size(payload) if self.net.wire else 0)

    def _deliver_oneway(self, epoch: int, size: int, payload) -> None:
        if epoch == self.epoch != self.server_closed:
            if self._connecting == epoch:
                self._connected()
            self.unacked_bytes -= size
            if self._stuck is not None and not self._unstick_armed:
                self._unstick_armed = True
                self.client.timer(self.downlink.rtt_us() // 2, self._unstick)
            self.server.handle(self, 0, payload)

    def _deliver(self, epoch: int, rid: int, payload) -> None:
        if epoch == self.epoch != self.server_closed:
            if self._connecting == epoch:
                self._connected()
            self.server.handle(self, rid, payload)
        elif epoch in self.orphaned and epoch != self.server_closed:
            self.server.handle(self, rid, payload)      # sent before the client's FIN

    def respond(self, rid: int, response, extra_us: int = 0) -> None:
        """Send the response to request rid back to the client."""
        if rid == 0 or self.server.state in DOWN or self.server_closed == self.epoch:
            return
        self.net.send(self.server, self.client, self._complete, self.epoch, rid, response,
                      stream=(self, 1, self.epoch), link=self.downlink, extra_us=extra_us,
                      size=message_size(response) if self.net.wire else 0)

    def _complete(self, epoch: int, rid: int, response) -> None:
        if epoch != self.epoch or self.client.incarnation != self.client_incarnation:
            return                      # the process that asked is gone (a power loss is silent)
        pending = self.inflight.pop(rid, None)
        if pending is not None:
            pending[1](response)

    def close_by_server(self) -> None:
        """The server closes its end (RequestChannel.closeConnection): it reads and answers
        nothing more on it, and its FIN reaches the client after the responses sent before."""
        if self.server_closed == self.epoch:
            return
        self.server_closed = self.epoch
        self.net.send(self.server, self.client, self._reset_if, self.epoch,
                      stream=(self, 1, self.epoch), link=self.downlink, size=REQUEST_OVERHEAD_BYTES)

    def reset(self) -> None:
        """Break the connection: every request in flight fails with a disconnect."""
        if self._connecting == self.epoch:
            self._connecting = -1
            self.setup.failures += 1           # a refused attempt counts as a failed one
        self.epoch += 1
        self._timer_at = -1
        self.unacked_bytes = 0
        self._stuck = None
        if not self.server.down:
            self.server_incarnation = self.server.incarnation
        self._fail_all(DISCONNECTED)
        if self.on_reset is not None and not self.client.down:
            self.on_reset()

    def _reset_if(self, epoch: int) -> None:
        if epoch == self.epoch:
            self.reset()

    def _fail_all(self, failure: Failure) -> None:
        """NetworkClient.cancelInFlightRequests: fail every request in flight with failure."""
        inflight, self.inflight = self.inflight, {}
        if self.client.down:
            return
        for _deadline, on_done in inflight.values():
            on_done(failure)

    def _arm(self, deadline: int) -> None:
        self._timer_at = deadline
        self.client.timer(deadline - self.net.engine.now, self._check_timeouts, deadline)

    def _check_timeouts(self, armed_at: int) -> None:
        if armed_at != self._timer_at:
            return
        self._timer_at = -1
        now = self.net.engine.now
        if any(deadline <= now for deadline, _ in self.inflight.values()):
            self.orphaned[self.epoch] = None
            self.epoch += 1
            self.unacked_bytes = 0
            self._stuck = None
            self._fail_all(TIMED_OUT)
            return
        if self.inflight:
            self._arm(min(deadline for deadline, _ in self.inflight.values()))

    # -- connection set-up (KIP-601) ----------------------------------------------------

    def _open(self, extra_us: int) -> None:
        """The first message of a new connection: with a set-up timeout, start connecting."""
        self._opened = self.epoch
        if self.setup is None:
            return
        timeout_us = self.setup.timeout_us()
        self._connecting = self.epoch
        if timeout_us != NEVER:
            self.client.timer(extra_us + timeout_us, self._check_setup, self.epoch)

    def _connected(self) -> None:
        """The server's machine answered (ClusterConnectionStates.ready)."""
        self._connecting = -1
        self.setup.failures = 0

    def _check_setup(self, epoch: int) -> None:
        """NetworkClient.handleTimedOutConnections: still connecting at the set-up timeout?

        The connection is set up unless the network still holds its first message
        (a cut, a machine that is off); a paused process's kernel answers.
        """
        if self._connecting != epoch or epoch != self.epoch:
            return
        if not self.net.holds((self, 0, epoch)):
            self._connected()
            return
        self._connecting = -1
        self.setup.failures += 1
        self.reconnect_at = self.net.engine.now + RECONNECT_BACKOFF_US
        self.epoch += 1
        self._timer_at = -1
        self.unacked_bytes = 0
        self._stuck = None
        self._fail_all(UNSENT)
        if self.on_reset is not None:
            self.on_reset()


class Connections(dict):
    """A client's connections by node, each made at its first use (the connection states
    NetworkClient keeps by node id). `locate(node)`: the server host a node names; `made`:
    sets up each new connection (its callbacks)."""

    def __init__(self, net, client, locate, setup_timeouts_us: tuple[int, int] | None = None,
                 made=None) -> None:
        super().__init__()
        self.net, self.client, self.locate = net, client, locate
        self.setup_timeouts_us, self.made = setup_timeouts_us, made

    def to(self, node) -> Connection:
        conn = self.get(node)
        if conn is None:
            conn = self[node] = Connection(self.net, self.client, self.locate(node),
                                           self.setup_timeouts_us)
            if self.made is not None:
                self.made(conn)
        return conn
