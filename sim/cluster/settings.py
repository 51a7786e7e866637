"""Broker-side settings in simulator units, read once from the cluster's config.

Also the protocol switches that changed across Kafka releases (docs/model.md#kafka-versions), read
from `cluster.protocol`.
"""

from dataclasses import dataclass

from sim.core.units import MS, S, ms

REQUEST_TIMEOUT_US = 30_000 * MS        # replica.socket.timeout.ms
CONTROLLER_REQUEST_TIMEOUT_US = 2_000 * MS   # controller.quorum.request.timeout.ms
METADATA_FETCH_WAIT_US = 500 * MS
ALTER_PARTITION_RETRY_US = 50 * MS       # AlterPartitionManager's resend after an error
CONTROLLER_FAILOVER_US = 3_000 * MS      # quorum fetch timeout + election timeout


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    replica_lag_time_max_us: int
    replica_fetch_wait_max_us: int
    replica_fetch_max_bytes: int
    replica_fetch_response_max_bytes: int
    replica_fetch_min_bytes: int
    replica_fetch_backoff_us: int
    leader_throttled_rate: int           # bytes/s, leader.replication.throttled.rate (KIP-73)
    follower_throttled_rate: int         # bytes/s, follower.replication.throttled.rate
    replication_quota_window_us: int     # replication.quota.window.size.seconds
    replication_quota_samples: int       # replication.quota.window.num
    session_timeout_us: int
    heartbeat_interval_us: int
    hw_checkpoint_interval_us: int
    unclean_interval_us: int
    controlled_shutdown: bool
    elr_enabled: bool
    retention_check_interval_us: int
    cleaner_backoff_us: int
    strict_min_isr: bool = True          # 3.7+: the HW waits while ISR < min ISR
    truncation: str = "kip-279"          # high-watermark (< 0.11) | kip-101 | kip-279 (2.0+)
    unclean_automatic: bool = True       # KRaft 3.3-3.8: no unclean election of its own
    kip_360: bool = True                 # 2.5+: an unknown producer id may start anywhere
    kip_394: bool = True                 # 2.2+: a new dynamic member must ask for its id
    quotas: tuple = ()                   # ((quota name, bytes per second), ...): cluster.quotas
    quota_window_us: int = 1_000_000     # quota.window.size.seconds
    quota_samples: int = 11              # quota.window.num
    kip_219: bool = True                 # 2.0+: throttle by muting, the client waits it out
    rack_aware_selector: bool = False    # replica.selector.class = RackAwareReplicaSelector
    racks: tuple = ()                    # broker id -> its broker.rack (None: no rack)
    leader_imbalance_check_us: int = 0   # 0: auto.leader.rebalance.enable false
    leader_imbalance_percentage: int = 10   # leader.imbalance.per.broker.percentage
    imbalance_per_broker: bool = False   # before 3.3: the ZooKeeper controller's check
    fenced_error: str = "PRODUCER_FENCED"   # the txn coordinator's fencing error (KIP-588)
    kip_447: bool = True                    # TxnOffsetCommit fencing and require_stable (2.5+)
    txn_verification: bool = False          # transaction.partition.verification.enable (3.6+)
    txn_verification_error: str = "INVALID_TXN_STATE"   # TRANSACTION_ABORTABLE from 3.8
    transaction_version: int = 0            # the transaction.version feature (2 from 4.0)

    @classmethod
    def from_cluster(cls, cluster) -> "BrokerSettings":
        c = cluster.config
        return cls(
            replica_lag_time_max_us=ms(c["replica.lag.time.max.ms"]),
            replica_fetch_wait_max_us=ms(c["replica.fetch.wait.max.ms"]),
            replica_fetch_max_bytes=int(c["replica.fetch.max.bytes"]),
            replica_fetch_response_max_bytes=int(c["replica.fetch.response.max.bytes"]),
            replica_fetch_min_bytes=int(c["replica.fetch.min.bytes"]),
            replica_fetch_backoff_us=ms(c["replica.fetch.backoff.ms"]),
            leader_throttled_rate=int(c["leader.replication.throttled.rate"]),
            follower_throttled_rate=int(c["follower.replication.throttled.rate"]),
            replication_quota_window_us=int(c["replication.quota.window.size.seconds"]) * S,
            replication_quota_samples=int(c["replication.quota.window.num"]),
            session_timeout_us=ms(c["broker.session.timeout.ms"]),
            heartbeat_interval_us=ms(c["broker.heartbeat.interval.ms"]),
            hw_checkpoint_interval_us=ms(c["replica.high.watermark.checkpoint.interval.ms"]),
            unclean_interval_us=ms(c["unclean.leader.election.interval.ms"]),
            controlled_shutdown=bool(c["controlled.shutdown.enable"]),
            elr_enabled=int(cluster.features["eligible.leader.replicas.version"]) >= 1,
            retention_check_interval_us=ms(c["log.retention.check.interval.ms"]),
            cleaner_backoff_us=ms(c["log.cleaner.backoff.ms"]),
            strict_min_isr=bool(cluster.protocol["high.watermark.frozen.below.min.isr"]),
            truncation=cluster.protocol["replica.truncation"],
            unclean_automatic=bool(cluster.protocol["unclean.election.automatic"]),
            kip_360=cluster.protocol["idempotent.producer.epoch.bump"] == "kip-360",
            kip_394=bool(cluster.protocol["group.member.id.required"]),
            quotas=tuple((name, rate) for name, rate in (
                ("producer_byte_rate", cluster.quotas.producer_byte_rate),
                ("consumer_byte_rate", cluster.quotas.consumer_byte_rate)) if rate is not None),
            quota_window_us=int(c["quota.window.size.seconds"]) * 1_000_000,
            quota_samples=int(c["quota.window.num"]),
            kip_219=cluster.protocol["client.quota.throttle"] == "kip-219",
            rack_aware_selector=c["replica.selector.class"] is not None,
            racks=tuple(cluster.rack_of(b) for b in range(cluster.brokers)),
            leader_imbalance_check_us=int(c["leader.imbalance.check.interval.seconds"]) * S
            if c["auto.leader.rebalance.enable"] else 0,
            leader_imbalance_percentage=int(c["leader.imbalance.per.broker.percentage"]),
            imbalance_per_broker=cluster.protocol["leader.imbalance.check"]
            == "per-broker-percentage",
            fenced_error=cluster.protocol["producer.fenced.error"],
            kip_447=cluster.protocol["txn.offset.commit.fencing"] == "kip-447",
            txn_verification=bool(c["transaction.partition.verification.enable"]),
            txn_verification_error=cluster.protocol["txn.verification.error"],
            transaction_version=int(cluster.features["transaction.version"]),
        )
