"""Client byte-rate quotas on a broker (KIP-13, KIP-219): measure, throttle, mute.

Each client's bytes are a Kafka `Rate` over a `SampledStat` of `quota.window.num` samples
of `quota.window.size.seconds` (ClientQuotaManager): a sample opens at the first record
after the previous one's window ended, at most `quota.window.num` + 1 are kept, and a
sample whose last record is `quota.window.num` windows old is reset (purgeObsoleteSamples).
The rate is the samples' sum over the time since the oldest sample started, counted as
at least `quota.window.num` - 1 whole windows (Rate.windowSize). A record that takes the
rate above the quota is throttled for (rate - quota) / quota × that window, rounded to
the millisecond (QuotaUtils.throttleTime).

Produce requests are measured by their size when they arrive; consumer fetches by the size
of the response, and a throttled fetch is answered empty with its bytes taken back
(KafkaApis.handleFetchRequest). From 2.0 (KIP-219, `client.quota.throttle: kip-219`) the
broker answers at once with the throttle time and mutes the client's channel for it (a
request that arrives meanwhile waits), and the client sends that broker no produce or fetch
until it has passed; before, the broker holds the response for the throttle time
(`delay-response`). Left out: request-rate quotas, per-user quotas, a quota that bounds a
fetch's size (Kafka caps a consumer fetch at the quota's window of bytes), the mute delaying
other kinds of request than produce and fetch.
"""

from sim.cluster.rate import SampledRate
from sim.core.records import ClientThrottled
from sim.core.units import MS


class ClientQuotas:
    """One broker's byte-rate quotas: per (quota, client) rates, and muted channels."""

    def __init__(self, broker, limits: dict, window_us: int, samples: int, kip_219: bool):
        self.broker = broker
        self.limits = limits                    # producer_byte_rate / consumer_byte_rate -> B/s
        self.window_us, self.samples = window_us, samples
        self.kip_219 = kip_219
        self.rates: dict[tuple[str, str], SampledRate] = {}
        self.muted: dict[str, int] = {}         # client -> muted until (KIP-219)

    def record(self, quota: str, client: str, size: int, now: int) -> int:
        """Record size bytes of the client; return its throttle time in microseconds."""
        rate = self.rates.get((quota, client))
        if rate is None:
            rate = self.rates[(quota, client)] = SampledRate(self.window_us, self.samples,
                                                               padded=True)
        rate.record(size, now)
        value, window_us = rate.measure(now)
        bound = self.limits[quota]
        if value <= bound:
            return 0
        throttle_us = round((value - bound) / bound * window_us / MS) * MS
        if throttle_us <= 0:
            return 0
        self.broker.trace.emit(ClientThrottled(now, client, self.broker.id, quota, throttle_us))
        if self.kip_219:
            self.muted[client] = now + throttle_us
        return throttle_us

    def unrecord(self, quota: str, client: str, size: int, now: int) -> None:
        """Take back bytes of a response that was not sent (ClientQuotaManager.unrecord)."""
        self.rates[(quota, client)].record(-size, now)

    def held(self, conn, now: int, handler, *args) -> bool:
        """A request on a muted channel waits until it is unmuted (KIP-219): call handler
        then and return True; False when the channel is not muted."""
        until = self.muted.get(_client(conn), now)
        if until <= now:
            return False
        self.broker.timer(until - now, handler, conn, *args)
        return True

    def produce_throttle(self, conn, size: int, now: int, delay: int = 0) -> tuple[int, int]:
        """Record a produce request's bytes; return (throttle_time_ms of the response, how
        long the response is held): a throttle is answered at once from 2.0 (KIP-219) and
        held for its length before."""
        client = _client(conn)
        if client is None or "producer_byte_rate" not in self.limits:
            return 0, delay
        return self._answer(self.record("producer_byte_rate", client, size, now), delay)

    def fetch_throttle(self, conn, size: int, now: int) -> tuple[int, int]:
        """Record a consumer fetch response's bytes; return (throttle_time_ms, hold) as
        produce_throttle does. From 2.0 a throttled response is sent empty and its bytes are
        taken back (KafkaApis.handleFetchRequest); before, it is held whole."""
        client = _client(conn)
        if client is None or "consumer_byte_rate" not in self.limits:
            return 0, 0
        throttle_us = self.record("consumer_byte_rate", client, size, now)
        if throttle_us and self.kip_219:
            self.unrecord("consumer_byte_rate", client, size, now)
        return self._answer(throttle_us, 0)

    def _answer(self, throttle_us: int, delay: int) -> tuple[int, int]:
        if self.kip_219:
            return throttle_us // MS, delay
        return 0, delay + throttle_us


def _client(conn) -> str | None:
    """The client host on a connection; None for the broker's own writes (the group
    coordinator's, which no quota limits)."""
    client = getattr(conn, "client", None)
    return None if client is None else client.name


def client_quotas(broker):
    """The broker's ClientQuotas, or None when the scenario sets no quota."""
    s = broker.settings
    if not s.quotas:
        return None
    return ClientQuotas(broker, dict(s.quotas), s.quota_window_us, s.quota_samples, s.kip_219)
