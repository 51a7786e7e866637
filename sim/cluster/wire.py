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
    """One host's network interface: a bandwidth and a queue per direction."""

    __slots__ = ("bandwidth", "egress_free_us", "ingress_free_us", "sent_bytes",
                 "received_bytes")

    def __init__(self, bandwidth: int) -> None:
        self.bandwidth = bandwidth
        self.egress_free_us = 0
        self.ingress_free_us = 0
        self.sent_bytes = 0
        self.received_bytes = 0

    def send(self, at: int, size: int) -> tuple[int, int]:
        """Queue size bytes out from `at`: (when the first byte leaves, when the last does)."""
        self.sent_bytes += size
        if not self.bandwidth:
            return at, at
        start = at if at > self.egress_free_us else self.egress_free_us
        self.egress_free_us = start + transmission_us(size, self.bandwidth)
        return start, self.egress_free_us

    def receive(self, first: int, last: int, size: int) -> int:
        """Take size bytes in, whose first reaches the NIC at `first` and last at `last`:
        when the last of them is in (never before `last`)."""
        self.received_bytes += size
        if not self.bandwidth:
            return last
        start = first if first > self.ingress_free_us else self.ingress_free_us
        done = start + transmission_us(size, self.bandwidth)
        self.ingress_free_us = done if done > last else last
        return self.ingress_free_us
