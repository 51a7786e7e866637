"""The wire: how many bytes a message is, and each host's NIC, one queue per direction.

A message's size is its record batches (header included) plus one fixed overhead,
REQUEST_OVERHEAD_BYTES: Kafka's 4-byte size prefix and request header (RequestHeader v2: api
key, version, correlation id, a short client id, tagged fields; a ResponseHeader is 9 bytes)
with the request's own fixed fields, rounded to 64 bytes. A produce request carries its
batches, a fetch response the batches it returns, every other message the overhead only.

A NIC (network interface) has a bandwidth in bytes per second for each direction (egress,
ingress; 0 = unlimited) and serialises what goes through it: a message takes size ÷
bandwidth of it, after the messages before it. Kafka has no bandwidth setting: this is the
machine's, shared by produce, replication and consumer traffic. Transmission times are
whole microseconds, rounded up.

Simplified: no TCP windows, slow start or congestion control (a connection gets the whole
NIC when alone on it), no per-packet interleaving of messages (a message holds a NIC
direction from its first byte to its last).
"""

from sim.cluster.protocol import FetchResponse, ProduceRequest

REQUEST_OVERHEAD_BYTES = 64
US_PER_S = 1_000_000


def message_size(payload) -> int:
    """Bytes a request or response puts on the wire."""
    kind = type(payload)
    if kind is ProduceRequest:
        return REQUEST_OVERHEAD_BYTES + sum(data.size for _pidx, data in payload.batches)
    if kind is FetchResponse:
        return REQUEST_OVERHEAD_BYTES + sum(
            batch.size for data in payload.partitions.values() for batch in data.batches)
    return REQUEST_OVERHEAD_BYTES


def transmission_us(size: int, bandwidth: int) -> int:
    """Microseconds size bytes take at bandwidth bytes per second (rounded up)."""
    return -(-size * US_PER_S // bandwidth)


class Nic:
    """One host's network interface: a bandwidth and a queue per direction.

    A message shares a direction with the bytes queued before it as with one other
    connection (processor sharing): it is through after its own size plus as much of that
    backlog as its size (at most the whole backlog), at the bandwidth. The backlog grows
    by its size and drains at the bandwidth, so the NIC never carries more than its
    bandwidth over a busy period; a message already under way is not slowed by later ones.
    A small request thus waits microseconds behind a large fetch response, not the
    response's whole transmission (the kernel interleaves the packets of connections);
    messages of one connection keep their order (net.py).
    """

    __slots__ = ("bandwidth", "egress_free_us", "ingress_free_us", "sent_bytes",
                 "received_bytes")

    def __init__(self, bandwidth: int) -> None:
        self.bandwidth = bandwidth
        self.egress_free_us = 0     # when every byte queued to go out is out
        self.ingress_free_us = 0    # when every byte that reached it is in
        self.sent_bytes = 0
        self.received_bytes = 0

    def send(self, at: int, size: int) -> int:
        """Queue size bytes out from `at`: when the last of them is out."""
        self.sent_bytes += size
        if not self.bandwidth:
            return at
        done, self.egress_free_us = _shared(at, size, self.bandwidth, self.egress_free_us)
        return done

    def receive(self, first: int, last: int, size: int) -> int:
        """Take size bytes in, whose first reaches the NIC at `first` and last at `last`:
        when the last of them is in (never before `last`)."""
        self.received_bytes += size
        if not self.bandwidth:
            return last
        done, self.ingress_free_us = _shared(first, size, self.bandwidth, self.ingress_free_us)
        return done if done > last else last


def _shared(at: int, size: int, bandwidth: int, free_us: int) -> tuple[int, int]:
    """(when a message of size bytes offered at `at` is through, when the queue is empty)."""
    tx = transmission_us(size, bandwidth)
    if free_us <= at:
        return at + tx, at + tx
    backlog = free_us - at
    return at + tx + (tx if tx < backlog else backlog), free_us + tx
