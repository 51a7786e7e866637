"""Kafka's defaults, one table keyed by release (docs/model.md#kafka-versions).

`RELEASES[version][scope][property]` is the default a new cluster of that release and its
clients use, for the broker, producer, consumer and feature scopes, and the protocol
behaviour switches (`cluster.protocol`) the release implies. A topic inherits its cluster-wide
`log.*` (or same-named) broker value, as Kafka does; only the topic properties without one
(the throttled-replicas lists) have topic defaults here. Every
minor release from 0.10 to 4.1 is known; its table is 0.10's plus the CHANGES of every
release up to it (docs/model.md#kafka-versions), so 2.3 behaves as 2.1 changed it. A release is
modeled in its recommended mode: ZooKeeper before 3.3 (liveness = the ZooKeeper session,
read here as `broker.session.timeout.ms`), KRaft from 3.3. Not modeled per release: the
ZooKeeper controller's own timing, defaults that did not change outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sim.scenario.properties import LONG_MAX

_BROKER_4_1 = {
    "min.insync.replicas": 1,
    "unclean.leader.election.enable": False,
    "unclean.leader.election.interval.ms": 300_000,
    "replica.lag.time.max.ms": 30_000,
    "replica.fetch.wait.max.ms": 500,
    "replica.fetch.max.bytes": 1_048_576,
    "replica.fetch.response.max.bytes": 10_485_760,  # KIP-74 (0.10.1)
    "replica.fetch.min.bytes": 1,
    "replica.fetch.backoff.ms": 1_000,
    "leader.replication.throttled.rate": LONG_MAX,  # KIP-73 (0.10.1): unthrottled
    "follower.replication.throttled.rate": LONG_MAX,
    "replication.quota.window.num": 11,  # ReplicationQuotaManagerConfig, KIP-73
    "replication.quota.window.size.seconds": 1,
    "replica.high.watermark.checkpoint.interval.ms": 5_000,
    "broker.session.timeout.ms": 9_000,
    "broker.heartbeat.interval.ms": 2_000,
    "controller.quorum.election.timeout.ms": 1_000,  # QuorumConfig (KIP-595), read with
    "controller.quorum.fetch.timeout.ms": 2_000,     # cluster.controllers only
    "controller.quorum.election.backoff.max.ms": 1_000,
    "controller.quorum.request.timeout.ms": 2_000,
    "controlled.shutdown.enable": True,
    "offsets.topic.num.partitions": 50,
    "offsets.topic.replication.factor": 3,
    "offsets.commit.timeout.ms": 5_000,
    "group.initial.rebalance.delay.ms": 3_000,
    "group.min.session.timeout.ms": 6_000,
    "group.max.session.timeout.ms": 1_800_000,
    "log.retention.check.interval.ms": 300_000,
    "log.retention.ms": 604_800_000,  # log.retention.hours = 168
    "log.retention.bytes": -1,
    "log.segment.bytes": 1_073_741_824,
    "log.roll.ms": 604_800_000,  # log.roll.hours = 168
    "log.cleanup.policy": "delete",
    "log.flush.interval.messages": LONG_MAX,
    "log.flush.interval.ms": LONG_MAX,  # unset -> log.flush.scheduler.interval.ms = Long.MAX_VALUE
    "log.cleaner.delete.retention.ms": 86_400_000,
    "log.cleaner.backoff.ms": 15_000,
    "quota.window.num": 11,  # ClientQuotaManagerConfig, since 0.9 (KIP-13)
    "quota.window.size.seconds": 1,
    "message.max.bytes": 1_048_588,  # 1000012 before 2.5 (KAFKA-4203)
    "replica.selector.class": None,  # KIP-392 (2.4+): null, always the leader
    "auto.leader.rebalance.enable": True,  # ReplicationConfigs, since 0.8.2
    "leader.imbalance.check.interval.seconds": 300,
    "leader.imbalance.per.broker.percentage": 10,  # ZooKeeper controller only; gone in 4.0
    "transaction.state.log.num.partitions": 50,  # TransactionLogConfig, since 0.11 (KIP-98)
    "transaction.state.log.replication.factor": 3,
    "transaction.state.log.min.isr": 2,
    "transaction.max.timeout.ms": 900_000,
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": 10_000,
    "transaction.partition.verification.enable": True,  # KIP-890 part 1, 3.6+
}

# The topic properties without a cluster-wide default (LogConfig.CONFIGS_WITH_NO_SERVER_DEFAULTS)
_TOPIC_4_1 = {
    "leader.replication.throttled.replicas": (),  # KIP-73 (0.10.1): no replica throttled
    "follower.replication.throttled.replicas": (),
}

_PRODUCER_4_1 = {
    "acks": -1,  # "all" since 3.0 (KIP-679)
    "enable.idempotence": True,
    "retries": 2_147_483_647,
    "delivery.timeout.ms": 120_000,
    "request.timeout.ms": 30_000,
    "linger.ms": 5,  # 0 before 4.0 (KIP-1030)
    "batch.size": 16_384,
    "max.request.size": 1_048_576,
    "compression.type": "none",
    "max.in.flight.requests.per.connection": 5,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1_000,
    "metadata.max.age.ms": 300_000,
    "socket.connection.setup.timeout.ms": 10_000,  # KIP-601, 2.7+
    "socket.connection.setup.timeout.max.ms": 30_000,  # 127000 in 2.7
    "buffer.memory": 33_554_432,  # ProducerConfig: 32 MiB since 0.9
    "max.block.ms": 60_000,  # ProducerConfig: since 0.9 (KIP-19)
    "transactional.id": None,  # KIP-98 (0.11): null, not transactional
    "transaction.timeout.ms": 60_000,  # KIP-98 (0.11)
}

_CONSUMER_4_1 = {
    "session.timeout.ms": 45_000,  # 10000 before 3.0 (KIP-735)
    "heartbeat.interval.ms": 3_000,
    "max.poll.interval.ms": 300_000,
    "max.poll.records": 500,
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 5_000,
    "auto.offset.reset": "latest",
    "fetch.max.wait.ms": 500,
    "max.partition.fetch.bytes": 1_048_576,
    "fetch.max.bytes": 52_428_800,  # KIP-74 (0.10.1)
    "fetch.min.bytes": 1,
    "request.timeout.ms": 30_000,
    "metadata.max.age.ms": 300_000,
    "retry.backoff.ms": 100,
    "retry.backoff.max.ms": 1_000,
    "socket.connection.setup.timeout.ms": 10_000,
    "socket.connection.setup.timeout.max.ms": 30_000,
    "group.instance.id": None,
    "partition.assignment.strategy": ("range", "cooperative-sticky"),
    "isolation.level": "read_uncommitted",
    "group.protocol": "classic",
    "client.rack": "",  # KIP-392 (2.4+; the catalogue has it from 2.3)
}

_FEATURE_4_1 = {"eligible.leader.replicas.version": 1,  # 0 in 4.0: ELR off by default
               "transaction.version": 2}  # KIP-890 part 2 (4.0); 0 before

_PROTOCOL_4_1 = {
    "replica.truncation": "kip-279",  # "high-watermark" before 0.11, "kip-101" in 0.11-1.1
    "high.watermark.frozen.below.min.isr": True,  # 3.7+ (KAFKA-15583)
    "producer.request.timeout.error": "REQUEST_TIMED_OUT",  # NETWORK_EXCEPTION before 3.5
    "unclean.election.automatic": True,  # ZooKeeper, and KRaft from 3.9 (KAFKA-12670)
    "min.insync.replicas.capped": True,  # 3.7+: min(setting, replication factor) (KAFKA-15583)
    "quorum.check": True,  # 3.7+: a Raft leader without a majority resigns (KAFKA-15489)
    "idempotent.producer.epoch.bump": "kip-360",  # "fatal" before 2.5 (KAFKA-8805, KAFKA-8710)
    "group.member.id.required": True,  # 2.2+: MEMBER_ID_REQUIRED for new members (KIP-394)
    "client.quota.throttle": "kip-219",  # "delay-response" before 2.0
    "replica.placer": "striped",  # KRaft's StripedReplicaPlacer; "admin-utils" before 3.3
    "leader.imbalance.check": "any-partition",  # "per-broker-percentage" before 3.3 (ZooKeeper)
    "transactional.produce.epoch.error": "abortable",  # "fatal" before 2.7 (KIP-588)
    "producer.fenced.error": "PRODUCER_FENCED",  # INVALID_PRODUCER_EPOCH before 2.7 (KIP-588)
    "txn.offset.commit.fencing": "kip-447",  # "none" before 2.5: no group metadata, no
                                             # require_stable (KIP-447)
    "txn.verification.error": "TRANSACTION_ABORTABLE",  # INVALID_TXN_STATE before 3.8
}


def _freeze(scopes: Mapping[str, Mapping]) -> Mapping[str, Mapping]:
    return MappingProxyType({scope: MappingProxyType(dict(v)) for scope, v in scopes.items()})


def derive(base: Mapping[str, Mapping], **changes: Mapping) -> Mapping[str, Mapping]:
    """A release's table from `base` plus changes: derive(R, producer={"linger.ms": 0})."""
    return _freeze({scope: {**base[scope], **changes.get(scope, {})} for scope in base})


_NEWEST_TABLE = _freeze({"broker": _BROKER_4_1, "topic": _TOPIC_4_1,
                         "producer": _PRODUCER_4_1, "consumer": _CONSUMER_4_1,
                         "feature": _FEATURE_4_1,
                         "protocol": _PROTOCOL_4_1})

# What each release changed, oldest first (docs/model.md#kafka-versions). 0.10 is written as the
# changes that undo everything later, so the newest table stays the one written out above.
_ZK_0_10 = {"broker.session.timeout.ms": 6_000}   # liveness: zookeeper.session.timeout.ms
_NO_SETUP_TIMEOUT = {"socket.connection.setup.timeout.ms": LONG_MAX,     # before KIP-601
                     "socket.connection.setup.timeout.max.ms": LONG_MAX}
_SETUP_TIMEOUT_2_7 = {"socket.connection.setup.timeout.ms": 10_000,
                      "socket.connection.setup.timeout.max.ms": 127_000}
CHANGES: tuple[tuple[str, dict, str], ...] = (
    ("0.10", {
        "broker": {"unclean.leader.election.enable": True, "replica.lag.time.max.ms": 10_000,
                   "group.initial.rebalance.delay.ms": 0, "message.max.bytes": 1_000_012,
                   "transaction.partition.verification.enable": False, **_ZK_0_10},
        "producer": {"acks": 1, "enable.idempotence": False, "retries": 0,
                     "delivery.timeout.ms": 30_000, "linger.ms": 0, "retry.backoff.max.ms": 100,
                     **_NO_SETUP_TIMEOUT},
        "consumer": {"session.timeout.ms": 10_000, "request.timeout.ms": 305_000,
                     "retry.backoff.max.ms": 100, "partition.assignment.strategy": ("range",),
                     **_NO_SETUP_TIMEOUT},
        "feature": {"eligible.leader.replicas.version": 0, "transaction.version": 0},
        "protocol": {"replica.truncation": "high-watermark",
                     "high.watermark.frozen.below.min.isr": False,
                     "producer.request.timeout.error": "NETWORK_EXCEPTION",
                     "min.insync.replicas.capped": False,
                     "quorum.check": False,
                     "idempotent.producer.epoch.bump": "fatal",
                     "group.member.id.required": False,
                     "client.quota.throttle": "delay-response",
                     "replica.placer": "admin-utils",
                     "leader.imbalance.check": "per-broker-percentage",
                     "transactional.produce.epoch.error": "fatal",
                     "producer.fenced.error": "INVALID_PRODUCER_EPOCH",
                     "txn.offset.commit.fencing": "none",
                     "txn.verification.error": "INVALID_TXN_STATE"},
    }, "followers truncate to their own high watermark; unclean election on; acks=1, no "
       "retries; a batch expires after request.timeout.ms; ZooKeeper sessions of 6 s"),
    ("0.11", {
        "broker": {"unclean.leader.election.enable": False, "group.initial.rebalance.delay.ms":
                   3_000},
        "protocol": {"replica.truncation": "kip-101"},
    }, "leader epochs (KIP-101): truncation by OffsetsForLeaderEpoch; unclean election off "
       "(KIP-106); initial rebalance delay 3 s (KIP-134)"),
    ("2.0", {
        "consumer": {"request.timeout.ms": 30_000},
        "protocol": {"replica.truncation": "kip-279", "client.quota.throttle": "kip-219"},
    }, "KIP-279: the follower and leader agree on the largest common epoch, in a loop; "
       "KIP-219: a quota's throttle is answered at once and the client waits it out"),
    ("2.1", {
        "producer": {"delivery.timeout.ms": 120_000, "retries": 2_147_483_647},
    }, "delivery.timeout.ms 120 s and retries without limit (KIP-91)"),
    ("2.2", {
        "protocol": {"group.member.id.required": True},
    }, "a new dynamic consumer group member's first JoinGroup is answered MEMBER_ID_REQUIRED "
       "with its member id, and it joins again with it (KIP-394)"),
    ("2.5", {
        "broker": {"replica.lag.time.max.ms": 30_000, "broker.session.timeout.ms": 18_000,
                   "message.max.bytes": 1_048_588},
        "protocol": {"idempotent.producer.epoch.bump": "kip-360",
                     "txn.offset.commit.fencing": "kip-447"},
    }, "replica.lag.time.max.ms 10 s -> 30 s; zookeeper.session.timeout.ms 6 s -> 18 s; "
       "message.max.bytes 1000012 -> 1048588, the producer's max.request.size plus the log "
       "overhead (KAFKA-4203); the "
       "idempotent producer retries sequence errors with a new epoch instead of failing and "
       "resetting its producer id, and brokers accept any sequence from an unknown producer id "
       "(KIP-360); a transactional offset commit carries the consumer's group metadata, so the "
       "group coordinator fences a zombie member's, and a consumer fetching its offsets waits "
       "while a transaction's offsets are pending (KIP-447)"),
    ("2.7", {
        "producer": _SETUP_TIMEOUT_2_7,
        "consumer": _SETUP_TIMEOUT_2_7,
        "protocol": {"producer.fenced.error": "PRODUCER_FENCED",
                     "transactional.produce.epoch.error": "abortable"},
    }, "clients give up a connection not set up within socket.connection.setup.timeout.ms, "
       "10 s growing to 127 s (KIP-601); the transaction coordinator fences a stale producer "
       "epoch with PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (KIP-588, KAFKA-9911), "
       "and a transactional producer whose produce request is answered "
       "INVALID_PRODUCER_EPOCH aborts the transaction instead of failing as fenced "
       "(InvalidProducerEpochException)"),
    ("2.8", {
        "producer": {"socket.connection.setup.timeout.max.ms": 30_000},
        "consumer": {"socket.connection.setup.timeout.max.ms": 30_000},
    }, "socket.connection.setup.timeout.max.ms 127 s -> 30 s"),
    ("3.0", {
        "producer": {"acks": -1, "enable.idempotence": True},
        "consumer": {"session.timeout.ms": 45_000,
                     "partition.assignment.strategy": ("range", "cooperative-sticky")},
    }, "producer acks=all with idempotence (KIP-679); consumer session 45 s (KIP-735)"),
    ("3.3", {
        "broker": {"broker.session.timeout.ms": 9_000},
        "protocol": {"unclean.election.automatic": False, "replica.placer": "striped",
                     "leader.imbalance.check": "any-partition"},
    }, "KRaft production-ready: liveness by controller heartbeats (broker.session.timeout.ms "
       "9 s) instead of ZooKeeper sessions; the KRaft controller elects no leader from "
       "outside the ISR on its own (ConfigurationControlManager."
       "uncleanLeaderElectionEnabledForTopic is false), places replicas on racks with "
       "StripedReplicaPlacer instead of AdminUtils' rack-alternated list, and runs its "
       "preferred-leader check one leader.imbalance.check.interval.seconds after a metadata "
       "write leaves any partition off its preferred replica, ignoring "
       "leader.imbalance.per.broker.percentage "
       "(QuorumController.maybeScheduleNextBalancePartitionLeaders, KAFKA-13682)"),
    ("3.5", {
        "protocol": {"producer.request.timeout.error": "REQUEST_TIMED_OUT"},
    }, "a producer reports the requests a request timeout cancels as REQUEST_TIMED_OUT, not "
       "NETWORK_EXCEPTION (KAFKA-14317)"),
    ("3.6", {
        "broker": {"transaction.partition.verification.enable": True},
    }, "a partition leader asks the transaction coordinator whether a transactional producer's "
       "first write to it belongs to an ongoing transaction before appending it, and refuses it "
       "with INVALID_TXN_STATE otherwise (KIP-890 part 1)"),
    ("3.7", {
        "producer": {"retry.backoff.max.ms": 1_000},
        "consumer": {"retry.backoff.max.ms": 1_000},
        "protocol": {"high.watermark.frozen.below.min.isr": True,
                     "min.insync.replicas.capped": True, "quorum.check": True},
    }, "the high watermark waits while the ISR is below min.insync.replicas, which counts as "
       "the replication factor when set above it (KAFKA-15583); exponential retry backoff "
       "(KIP-580)"),
    ("3.8", {
        "protocol": {"txn.verification.error": "TRANSACTION_ABORTABLE"},
    }, "a failed transaction verification is answered TRANSACTION_ABORTABLE (produce v11, "
       "KAFKA-16314)"),
    ("3.9", {
        "protocol": {"unclean.election.automatic": True},
    }, "the KRaft controller honours unclean.leader.election.enable: at fencing and every "
       "unclean.leader.election.interval.ms (KAFKA-12670)"),
    ("4.0", {
        "producer": {"linger.ms": 5},
        "feature": {"transaction.version": 2},
    }, "linger.ms 0 -> 5 (KIP-1030); ZooKeeper removed; eligible leader replicas available, "
       "off by default; transaction.version 2 (KIP-890 part 2): EndTxn bumps the producer "
       "epoch and a partition joins a transaction with its first write, no AddPartitionsToTxn"),
    ("4.1", {
        "feature": {"eligible.leader.replicas.version": 1},
    }, "eligible leader replicas on for new clusters (KIP-966)"),
)
MINORS = {"0": (10, 11), "1": (0, 1), "2": tuple(range(9)), "3": tuple(range(10)),
          "4": (0, 1)}
KNOWN_VERSIONS: tuple[str, ...] = tuple(f"{major}.{minor}" for major, minors in MINORS.items()
                                        for minor in minors)
NEWEST = "4.1"


def release_key(version: str) -> tuple[int, int]:
    """A release as a sortable pair: "2.8" -> (2, 8)."""
    major, minor = version.split(".")
    return int(major), int(minor)


def _build() -> Mapping[str, Mapping[str, Mapping]]:
    tables = {}
    table = derive(_NEWEST_TABLE, **CHANGES[0][1])
    steps = {version: changes for version, changes, _why in CHANGES[1:]}
    for version in KNOWN_VERSIONS:
        if version in steps:
            table = derive(table, **steps[version])
        tables[version] = table
    return MappingProxyType(tables)


RELEASES: Mapping[str, Mapping[str, Mapping]] = _build()


def era(version: str) -> str:
    """The release in CHANGES whose changes `version` carries last (its era)."""
    return [v for v, _c, _w in CHANGES if release_key(v) <= release_key(version)][-1]


def defaults(version: str, scope: str) -> Mapping:
    """The default values of one scope for one release."""
    return RELEASES[version][scope]
