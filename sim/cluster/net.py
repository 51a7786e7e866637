"""The network: directed links between hosts, TCP-like and FIFO, with grudges.

Each directed link has a latency distribution; messages on a link never
overtake each other (a message arrives no earlier than the one sent before
it). Packet loss is turned into delay, as TCP does: each lost transmission
adds a retransmission timeout starting at max(200 ms, 2 x RTT) and doubling,
and later messages wait behind it. Partitions are grudges: a count of active
faults cutting each directed pair. A message that meets a cut (when sent, or
in flight when it arrives) is not delivered across it: TCP keeps
retransmitting it, every retransmission timeout (doubling, at most 120 s),
and the messages sent after it on the same connection wait behind it; the
first retransmission after the cut heals delivers them all, in order. A
connection reset meanwhile (a crash) drops what was its own; one its client
closed after a request timeout still delivers the requests sent before the
close (rpc.py); the new connection that replaces either is not held behind it.
Messages already sent by a host that dies are still delivered; messages to a
dead host (or to an earlier incarnation of a restarted one) are dropped.
A message sent with `on_reset` (a client's request) to a powered-off
machine meets silence: TCP retransmits it like one that meets a cut, and
when the machine is back, its new kernel answers the first retransmission
(or any segment of the old connection) with a reset, which reaches the
sender half a round trip later and runs `on_reset` there.

With a bandwidth anywhere (`cluster.network.bandwidth`, a host's own, a `degrade` with
`bandwidth`) the network is a wire (wire.py): a message goes out through its sender's
NIC egress queue (shared with what the host queued before it, wire.Nic), behind the
earlier messages of its link (size ÷ bandwidth after the one before it), through a degraded
link's own cap, then takes the link's latency (and loss), and comes in through the
receiver's NIC ingress queue (shared the same way), arriving when its last byte is in and
never before the link's message before it. One computation when sent, one event. Without
a bandwidth, a message's size does not change its delay and the send path does no wire
work.

Simplified: a message takes its place in its sender's egress queue when sent (one sent
with a delay, `extra_us`, too), and in its receiver's ingress queue then as well, not when
its first byte gets there: a message on a much slower link may count as backlog at the
receiver before it arrives; no TCP windows or congestion control (wire.py).
"""

from sim.cluster.host import POWERED_OFF, RUNNING
from sim.cluster.wire import Nic, transmission_us
from sim.core.dist import Sampler
from sim.core.units import MS

RTO_MIN_US = 200 * MS
RTO_MAX_US = 120_000 * MS


class Link:
    """One direction between two hosts."""

    __slots__ = ("latency", "loss", "resets", "rng", "last_arrival_us", "overrides", "sent_us",
                 "in_us")

    def __init__(self, latency: Sampler, loss: float, resets: float, rng) -> None:
        self.latency = latency
        self.loss = loss
        self.resets = resets
        self.rng = rng
        self.last_arrival_us = 0
        self.overrides: list = []  # (fault index, latency, loss, resets, bandwidth), newest last
        self.sent_us = 0           # when the last message's last byte left the sender
        self.in_us = 0             # when the last message was all in

    def _param(self, pos: int, base):
        for override in reversed(self.overrides):
            if override[pos] is not None:
                return override[pos]
        return base

    def arrival(self, now: int) -> int:
        """When a message sent now arrives (FIFO after earlier messages)."""
        latency = self._param(1, self.latency) if self.overrides else self.latency
        delay = latency.one()
        loss = self._param(2, self.loss) if self.overrides else self.loss
        if loss > 0.0:
            rto = max(RTO_MIN_US, 4 * int(latency.median_us))
            while self.rng.random() < loss:
                delay += rto
                rto = min(2 * rto, RTO_MAX_US)
        t = now + delay
        if t < self.last_arrival_us:
            t = self.last_arrival_us
        self.last_arrival_us = t
        return t

    def leave(self, at: int, out: int, size: int, bandwidth: int) -> int:
        """A message offered at `at` whose last byte its sender's NIC sends at `out`: when
        its last byte is on its way, behind this link's earlier messages and through a
        degraded link's bandwidth cap (a queue of its own)."""
        cap = self._param(4, 0) if self.overrides else 0
        if cap and (not bandwidth or cap < bandwidth):
            bandwidth = cap
        if bandwidth:
            queued = (at if at > self.sent_us else self.sent_us) + transmission_us(size, bandwidth)
            if queued > out:
                out = queued
        self.sent_us = out
        return out

    def reset_probability(self) -> float:
        return self._param(3, self.resets) if self.overrides else self.resets

    def rtt_us(self) -> int:
        latency = self._param(1, self.latency) if self.overrides else self.latency
        return 2 * int(latency.median_us)

    def rto_us(self) -> int:
        return max(RTO_MIN_US, 2 * self.rtt_us())


class Network:
    """All hosts and links of a run, and the faults in force on them."""

    def __init__(self, engine, streams, spec) -> None:
        self.engine = engine
        self.streams = streams
        self.spec = spec
        self.hosts: dict = {}
        self.links: dict[tuple[str, str], Link] = {}
        self.cuts: dict[tuple[str, str], int] = {}
        self.held: dict = {}      # stream -> messages waiting behind a retransmission
        self.wire = bool(spec.bandwidth)    # any bandwidth set: messages have sizes (wire.py)
        self.bandwidths: dict[str, int] = {}     # host name -> its own NIC bandwidth
        self.nics: dict[str, Nic] = {}

    def add(self, host) -> None:
        """Attach a host."""
        self.hosts[host.name] = host

    def set_bandwidth(self, name: str, bandwidth: int) -> None:
        """Give one host its own NIC bandwidth (`cluster.hosts.<name>.network.bandwidth`)."""
        self.bandwidths[name] = bandwidth
        self.wire = True

    def nic(self, name: str) -> Nic:
        """Host name's NIC (created on first use)."""
        nic = self.nics.get(name)
        if nic is None:
            nic = self.nics[name] = Nic(self.bandwidths.get(name, self.spec.bandwidth))
        return nic

    def link(self, src: str, dst: str) -> Link:
        """The directed link src -> dst (created on first use)."""
        key = (src, dst)
        link = self.links.get(key)
        if link is None:
            name = f"link.{src}->{dst}"
            rng = self.streams.get(name)
            latency = Sampler(self.spec.latency, rng)
            link = self.links[key] = Link(latency, self.spec.loss, self.spec.resets, rng)
        return link

    def holds(self, stream) -> bool:
        """Is a message of this stream waiting for a retransmission to get through?"""
        return stream in self.held

    def is_cut(self, src: str, dst: str) -> bool:
        return self.cuts.get((src, dst), 0) > 0

    def cut(self, pairs) -> None:
        """Add one fault's cuts (directed pairs)."""
        for pair in pairs:
            self.cuts[pair] = self.cuts.get(pair, 0) + 1

    def uncut(self, pairs) -> None:
        """Remove one fault's cuts."""
        for pair in pairs:
            left = self.cuts.get(pair, 0) - 1
            if left > 0:
                self.cuts[pair] = left
            else:
                self.cuts.pop(pair, None)

    def send(self, src, dst, fn, *args, stream=None, link=None, extra_us: int = 0,
             on_reset=None, size: int = 0) -> None:
        """Carry a message from src to dst on a stream (a connection, one way); run fn there.

        on_reset = (function, args): run on src if dst's machine answers with a reset.
        size: its bytes on the wire (wire.py), read only when the network is a wire.
        """
        if link is None:
            link = self.link(src.name, dst.name)
        reset = None if on_reset is None else (src, src.incarnation, *on_reset)
        message = (dst, dst.incarnation, fn, args, reset, size)
        if stream is None:
            stream = (src.name, dst.name)
        if self.held:
            held = self.held.get(stream)
            if held is not None:
                held.append(message)
                return
        if self.cuts and self.is_cut(src.name, dst.name):
            self._hold(src.name, link, stream, message)
            return
        now = self.engine.now
        if self.wire:
            self._transmit(src.name, link, stream, message, now + extra_us)
            return
        t = link.arrival(now + extra_us)
        self.engine.later(t - now, self._arrive, src.name, link, stream, message)

    def _transmit(self, src_name: str, link: Link, stream, message, at: int,
                  retransmitted: bool = False) -> None:
        """Send a sized message through the sender's NIC, the link (its order, a degraded
        link's cap) and its latency to the receiver's NIC; a retransmission that gets
        through is delivered as it is."""
        size = message[5]
        nic = self.nic(src_name)
        out = link.leave(at, nic.send(at, size), size, nic.bandwidth)
        t = link.arrival(out)
        nic = self.nic(message[0].name)
        if nic.bandwidth:
            t = nic.receive(t - (out - at), t, size)
            if t < link.in_us:
                t = link.in_us
            link.in_us = t
        else:
            nic.received_bytes += size
        now = self.engine.now
        self.engine.later(t - now, self._passed if retransmitted else self._arrive,
                          src_name, link, stream, message)

    def _passed(self, _src_name: str, _link: Link, _stream, message) -> None:
        self._deliver(message)

    def _arrive(self, src_name: str, link: Link, stream, message) -> None:
        dst, incarnation, fn, args, reset, _size = message
        cut = self.cuts and self.is_cut(src_name, dst.name)
        if not cut and incarnation == dst.incarnation and dst.state == RUNNING:
            fn(*args)
            return
        if cut or (reset is not None and dst.state == POWERED_OFF):
            held = self.held.get(stream)
            if held is not None:
                held.append(message)
            else:
                self._hold(src_name, link, stream, message)
            return
        self._deliver(message)

    def _hold(self, src: str, link: Link, stream, message) -> None:
        self.held[stream] = [message]
        rto = link.rto_us()
        self.engine.later(rto, self._retransmit, src, message[0].name, link, stream, rto)

    def _retransmit(self, src: str, dst: str, link: Link, stream, rto: int) -> None:
        if self.is_cut(src, dst) or self.hosts[dst].state == POWERED_OFF:
            rto = min(2 * rto, RTO_MAX_US)
            self.engine.later(rto, self._retransmit, src, dst, link, stream, rto)
            return
        held = self.held.pop(stream)
        now = self.engine.now
        if self.wire:
            for message in held:
                self._transmit(src, link, stream, message, now, retransmitted=True)
            return
        t = link.arrival(now)
        for message in held:
            self.engine.later(t - now, self._deliver, message)

    def _deliver(self, message) -> None:
        """Hand a message to its host: run, deferred while paused, dropped for a dead or
        earlier process; a new kernel resets the sender's connection instead."""
        dst, incarnation, fn, args, reset, _size = message
        if reset is not None and incarnation != dst.incarnation and not dst.down:
            src, src_incarnation, on_reset, reset_args = reset
            delay = self.link(dst.name, src.name).rtt_us() // 2
            self.engine.later(delay, src.run_on, src_incarnation, on_reset, *reset_args)
            return
        dst.run_on(incarnation, fn, *args)
