"""Replication throttles (KIP-73): a broker's leader and follower replication quotas.

Each broker has two quotas (ReplicationQuotaManager): the leader's, bounded by
`leader.replication.throttled.rate`, and the follower's, by
`follower.replication.throttled.rate` (bytes/s; Long.MAX_VALUE, unthrottled, by default).
A quota throttles the partitions whose topic lists this broker in its
`leader.replication.throttled.replicas` (respectively `follower.`) as `partition:broker`,
or lists `*` (ConfigHandler.parseThrottledPartitions keeps the pairs of its own broker
id). It measures the bytes of its throttled partitions with a SimpleRate (rate.py) over
`replication.quota.window.num` windows of `replication.quota.window.size.seconds`, and is
exceeded while that rate is above the bound (Sensor.checkQuotas, Quota.acceptable).

The leader records the record bytes of the throttled partitions in each follower fetch
response it sends, to in-sync followers too (KafkaApis.sizeOfThrottledPartitions); while
its quota is exceeded, a fetch from a follower outside the partition's ISR reads no records
of a throttled partition, and they do not count towards `replica.fetch.min.bytes`
(ReplicaManager.shouldLeaderThrottle, DelayedFetch). The check reads the rate before the
response being built: one response may take it past the bound. The follower records the
record bytes it receives for throttled partitions (ReplicaFetcherThread.processPartitionData)
and, while its quota is exceeded, leaves a throttled partition out of its next fetch unless
the partition is in sync: its last fetch with records reached the leader's high watermark
(RemoteLeaderEndPoint.shouldFollowerThrottle, PartitionFetchState.isReplicaInSync). A
fetcher with nothing to ask waits `replica.fetch.backoff.ms` (AbstractFetcherThread.maybeFetch).
The rates live in the broker's memory: a restart starts them afresh.

Simplified: the bytes are the record batches' sizes (Kafka's leader counts the response's
per-partition framing too); the rates and lists are static for a run (Kafka sets them
dynamically, per broker or as the cluster default, with `kafka-configs`); the quota's
inactive-sensor expiry (an hour) is left out.
"""

from sim.cluster.rate import SampledRate

ALL = (-1,)                 # `*`: every replica of the topic (Kafka's AllReplicas = Seq(-1))
UNTHROTTLED = 2**63 - 1     # Long.MAX_VALUE bytes/s: QuotaConfig.QUOTA_BYTES_PER_SECOND_DEFAULT


def throttled_brokers(value: tuple[str, ...], partition: int) -> tuple[int, ...]:
    """The brokers a topic's throttled-replicas list names for one partition: ALL for `*`,
    else the broker of each `partition:broker` pair of that partition."""
    if value == ("*",):
        return ALL
    pairs = (item.split(":") for item in value if item)
    return tuple(sorted({int(b) for p, b in pairs if int(p) == partition}))


def throttles(brokers: tuple[int, ...], broker_id: int) -> bool:
    """Does a partition's throttled list (throttled_brokers) throttle it on broker_id?"""
    return brokers == ALL or broker_id in brokers


class ReplicationQuota:
    """One side's quota on one broker: its throttled partitions, bound and rate."""

    __slots__ = ("partitions", "bound", "rate")

    def __init__(self, partitions: frozenset, bound: int, window_us: int, samples: int):
        self.partitions = partitions        # the pidx it throttles (isThrottled)
        self.bound = bound                  # bytes per second
        self.rate = SampledRate(window_us, samples)

    def record(self, size: int, now: int) -> None:
        self.rate.record(size, now)

    def exceeded(self, now: int) -> bool:
        """isQuotaExceeded: the measured rate is above the bound."""
        return self.rate.measure(now)[0] > self.bound


def leader_quota(broker) -> ReplicationQuota | None:
    """The broker's leader quota (`leader.replication.throttled.*`), or None."""
    throttled = [pidx for pidx, replica in broker.replicas.items()
                 if throttles(replica.info.leader_throttled, broker.id)]
    return _quota(broker.settings, broker.settings.leader_throttled_rate, throttled)


def follower_quota(broker) -> ReplicationQuota | None:
    """The broker's follower quota (`follower.replication.throttled.*`), or None."""
    throttled = [pidx for pidx, replica in broker.replicas.items()
                 if throttles(replica.info.follower_throttled, broker.id)]
    return _quota(broker.settings, broker.settings.follower_throttled_rate, throttled)


def _quota(s, bound: int, throttled: list) -> ReplicationQuota | None:
    """None when the quota throttles nothing: no partition of the broker is on its lists, or
    the rate is Kafka's unthrottled default."""
    if bound >= UNTHROTTLED or not throttled:
        return None
    return ReplicationQuota(frozenset(throttled), bound, s.replication_quota_window_us,
                            s.replication_quota_samples)
