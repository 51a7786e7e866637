"""The Kafka properties kafkasim models, and notes on some it accepts without modeling.

Each modeled property has a scope (broker = `cluster.config`, topic = `topics.T.config`,
producer, consumer, admin = `admin.config`, feature = `cluster.features`, protocol =
`cluster.protocol`), a value
kind, a unit and the range Kafka's ConfigDef enforces. Where a property drives a periodic
timer in the simulation the minimum is 1 even if Kafka allows 0 (a zero period would spin).
A topic property names its cluster-wide default (`retention.ms` <- `log.retention.ms`), except
the throttled-replicas lists, which have none (LogConfig.CONFIGS_WITH_NO_SERVER_DEFAULTS).
Defaults are NOT here: they live in `versions.py`, keyed by Kafka release. A modeled property
is one the simulation reads (a test checks it); every other name of Kafka's documented
configs is in `catalogue.py`: accepted, recorded as ignored, no effect, with a note from INERT
where one helps. Not modeled: consume-transform-produce transactions (KIP-447), request
quotas, SSL/SASL, the broker's own `compression.type` (it keeps the producer's), the KIP-848
consumer protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPES = ("broker", "topic", "producer", "consumer", "admin", "feature", "protocol")
LONG_MAX = 9_223_372_036_854_775_807
JAVA_RANGE = {
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), LONG_MAX),
    "short": (-(2**15), 2**15 - 1),
}


@dataclass(frozen=True, slots=True)
class Prop:
    """One modeled Kafka property."""

    name: str
    scope: str
    kind: str  # int | long | short | bool | enum | acks | strategies | policy | optional_str
    #            | replicas | str | selector
    unit: str = ""  # ms | bytes | bytes/s | count | ""
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    broker_name: str | None = None  # topic scope: the cluster-wide default it inherits
    unsupported: tuple[tuple[str, str], ...] = ()  # Kafka values kafkasim refuses, with why
    per_release: bool = False  # refused in a release the catalogue says lacks it (KIP-392's)


def _props(scope: str, *rows: tuple) -> dict[str, Prop]:
    """Build one scope's table from compact rows (name, kind, unit, lo, hi, extra...)."""
    table = {}
    for name, kind, unit, lo, hi, *extra in rows:
        options = extra[0] if extra else {}
        table[name] = Prop(name, scope, kind, unit, lo, hi, **options)
    return table


BROKER = _props(
    "broker",
    ("min.insync.replicas", "int", "count", 1, None),
    ("unclean.leader.election.enable", "bool", "", None, None),
    ("unclean.leader.election.interval.ms", "long", "ms", 1, None),
    ("replica.lag.time.max.ms", "long", "ms", 1, None),
    ("replica.fetch.wait.max.ms", "int", "ms", 0, None),
    ("replica.fetch.max.bytes", "int", "bytes", 0, None),
    ("replica.fetch.response.max.bytes", "int", "bytes", 0, None),
    ("replica.fetch.min.bytes", "int", "bytes", None, None),
    ("replica.fetch.backoff.ms", "int", "ms", 0, None),
    ("leader.replication.throttled.rate", "long", "bytes/s", 0, None),
    ("follower.replication.throttled.rate", "long", "bytes/s", 0, None),
    ("replication.quota.window.num", "int", "count", 1, None),
    ("replication.quota.window.size.seconds", "int", "", 1, None),
    ("replica.high.watermark.checkpoint.interval.ms", "long", "ms", 1, None),
    ("broker.session.timeout.ms", "int", "ms", 1, None),
    ("broker.heartbeat.interval.ms", "int", "ms", 1, None),
    ("controller.quorum.election.timeout.ms", "int", "ms", 1, None),
    ("controller.quorum.fetch.timeout.ms", "int", "ms", 1, None),
    ("controller.quorum.election.backoff.max.ms", "int", "ms", 1, None),
    ("controller.quorum.request.timeout.ms", "int", "ms", 1, None),
    ("controlled.shutdown.enable", "bool", "", None, None),
    ("offsets.topic.num.partitions", "int", "count", 1, None),
    ("offsets.topic.replication.factor", "short", "count", 1, None),
    ("offsets.commit.timeout.ms", "int", "ms", 1, None),
    ("group.initial.rebalance.delay.ms", "int", "ms", 0, None),
    ("group.min.session.timeout.ms", "int", "ms", 0, None),
    ("group.max.session.timeout.ms", "int", "ms", 0, None),
    ("log.retention.check.interval.ms", "long", "ms", 1, None),
    ("log.retention.ms", "long", "ms", -1, None),
    ("log.retention.bytes", "long", "bytes", -1, None),
    ("log.segment.bytes", "int", "bytes", 1 << 20, None),
    ("log.roll.ms", "long", "ms", 1, None),
    ("log.cleanup.policy", "policy", "", None, None),
    ("log.flush.interval.messages", "long", "count", 1, None),
    ("log.flush.interval.ms", "long", "ms", 0, None),
    ("log.cleaner.delete.retention.ms", "long", "ms", 0, None),
    ("log.cleaner.backoff.ms", "long", "ms", 1, None),
    ("quota.window.num", "int", "count", 1, None),
    ("quota.window.size.seconds", "int", "", 1, None),
    ("message.max.bytes", "int", "bytes", 0, None),
    ("replica.selector.class", "selector", "", None, None, {"per_release": True}),  # KIP-392
    ("auto.leader.rebalance.enable", "bool", "", None, None),
    ("leader.imbalance.check.interval.seconds", "long", "", 1, None),
    ("leader.imbalance.per.broker.percentage", "int", "", None, None),
    ("transaction.state.log.num.partitions", "int", "count", 1, None),
    ("transaction.state.log.replication.factor", "short", "count", 1, None),
    ("transaction.state.log.min.isr", "int", "count", 1, None),
    ("transaction.max.timeout.ms", "int", "ms", 1, None),
    ("transaction.abort.timed.out.transaction.cleanup.interval.ms", "int", "ms", 1, None),
    ("transaction.partition.verification.enable", "bool", "", None, None,
     {"per_release": True}),  # KIP-890 part 1 (3.6+)
)

TOPIC = _props(
    "topic",
    ("min.insync.replicas", "int", "count", 1, None, {"broker_name": "min.insync.replicas"}),
    (
        "unclean.leader.election.enable",
        "bool",
        "",
        None,
        None,
        {"broker_name": "unclean.leader.election.enable"},
    ),
    ("retention.ms", "long", "ms", -1, None, {"broker_name": "log.retention.ms"}),
    ("retention.bytes", "long", "bytes", -1, None, {"broker_name": "log.retention.bytes"}),
    ("segment.bytes", "int", "bytes", 1 << 20, None, {"broker_name": "log.segment.bytes"}),
    ("segment.ms", "long", "ms", 1, None, {"broker_name": "log.roll.ms"}),
    ("cleanup.policy", "policy", "", None, None, {"broker_name": "log.cleanup.policy"}),
    ("flush.messages", "long", "count", 1, None, {"broker_name": "log.flush.interval.messages"}),
    ("flush.ms", "long", "ms", 0, None, {"broker_name": "log.flush.interval.ms"}),
    (
        "delete.retention.ms",
        "long",
        "ms",
        0,
        None,
        {"broker_name": "log.cleaner.delete.retention.ms"},
    ),
    ("max.message.bytes", "int", "bytes", 0, None, {"broker_name": "message.max.bytes"}),
    ("leader.replication.throttled.replicas", "replicas", "", None, None),
    ("follower.replication.throttled.replicas", "replicas", "", None, None),
)

PRODUCER = _props(
    "producer",
    ("acks", "acks", "", None, None),
    ("enable.idempotence", "bool", "", None, None),
    ("retries", "int", "count", 0, None),
    ("delivery.timeout.ms", "int", "ms", 0, None),
    ("request.timeout.ms", "int", "ms", 0, None),
    ("linger.ms", "long", "ms", 0, None),
    ("batch.size", "int", "bytes", 0, None),
    ("max.request.size", "int", "bytes", 1, None),
    (
        "compression.type",
        "enum",
        "",
        None,
        None,
        {"choices": ("none", "gzip", "snappy", "lz4", "zstd")},
    ),
    ("max.in.flight.requests.per.connection", "int", "count", 1, None),
    ("retry.backoff.ms", "long", "ms", 0, None),
    ("retry.backoff.max.ms", "long", "ms", 0, None),
    ("metadata.max.age.ms", "long", "ms", 1, None),
    ("socket.connection.setup.timeout.ms", "long", "ms", 0, None),
    ("socket.connection.setup.timeout.max.ms", "long", "ms", 0, None),
    ("buffer.memory", "long", "bytes", 0, None),
    ("max.block.ms", "long", "ms", 0, None),
    ("transactional.id", "optional_str", "", None, None, {"per_release": True}),  # KIP-98
    ("transaction.timeout.ms", "int", "ms", 1, None, {"per_release": True}),
)

CONSUMER = _props(
    "consumer",
    ("session.timeout.ms", "int", "ms", 1, None),
    ("heartbeat.interval.ms", "int", "ms", 1, None),
    ("max.poll.interval.ms", "int", "ms", 1, None),
    ("max.poll.records", "int", "count", 1, None),
    ("enable.auto.commit", "bool", "", None, None),
    ("auto.commit.interval.ms", "int", "ms", 1, None),
    ("auto.offset.reset", "enum", "", None, None, {"choices": ("latest", "earliest", "none")}),
    ("fetch.max.wait.ms", "int", "ms", 0, None),
    ("max.partition.fetch.bytes", "int", "bytes", 0, None),
    ("fetch.max.bytes", "int", "bytes", 0, None),
    ("fetch.min.bytes", "int", "bytes", 0, None),
    ("request.timeout.ms", "int", "ms", 0, None),
    ("metadata.max.age.ms", "long", "ms", 1, None),
    ("retry.backoff.ms", "long", "ms", 0, None),
    ("retry.backoff.max.ms", "long", "ms", 0, None),
    ("socket.connection.setup.timeout.ms", "long", "ms", 0, None),
    ("socket.connection.setup.timeout.max.ms", "long", "ms", 0, None),
    ("group.instance.id", "optional_str", "", None, None),
    ("client.rack", "str", "", None, None, {"per_release": True}),  # KIP-392
    ("partition.assignment.strategy", "strategies", "", None, None),
    (
        "isolation.level",
        "enum",
        "",
        None,
        None,
        {"choices": ("read_uncommitted", "read_committed"), "per_release": True},  # KIP-98
    ),
    (
        "group.protocol",
        "enum",
        "",
        None,
        None,
        {
            "choices": ("classic",),
            "unsupported": (
                (
                    "consumer",
                    "kafkasim models the classic group protocol only; "
                    "the KIP-848 consumer protocol is not modeled yet.",
                ),
            ),
        },
    ),
)

FEATURE = _props("feature", ("eligible.leader.replicas.version", "short", "", 0, 1),
                 ("transaction.version", "short", "", 0, 2))

# Protocol behaviour that changed across releases (`cluster.protocol`); not Kafka properties,
# so a scenario can replay one release's rule on another's defaults.
PROTOCOL = _props(
    "protocol",
    ("replica.truncation", "enum", "", None, None,
     {"choices": ("high-watermark", "kip-101", "kip-279")}),
    ("high.watermark.frozen.below.min.isr", "bool", "", None, None),
    ("producer.request.timeout.error", "enum", "", None, None,
     {"choices": ("NETWORK_EXCEPTION", "REQUEST_TIMED_OUT")}),
    ("unclean.election.automatic", "bool", "", None, None),
    ("min.insync.replicas.capped", "bool", "", None, None),
    ("quorum.check", "bool", "", None, None),
    ("idempotent.producer.epoch.bump", "enum", "", None, None,
     {"choices": ("fatal", "kip-360")}),
    ("group.member.id.required", "bool", "", None, None),
    ("client.quota.throttle", "enum", "", None, None,
     {"choices": ("delay-response", "kip-219")}),
    ("replica.placer", "enum", "", None, None, {"choices": ("admin-utils", "striped")}),
    ("leader.imbalance.check", "enum", "", None, None,
     {"choices": ("per-broker-percentage", "any-partition")}),
    ("transactional.produce.epoch.error", "enum", "", None, None,
     {"choices": ("fatal", "abortable")}),
    ("producer.fenced.error", "enum", "", None, None,
     {"choices": ("INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED")}),
    ("txn.offset.commit.fencing", "enum", "", None, None, {"choices": ("none", "kip-447")}),
    ("txn.verification.error", "enum", "", None, None,
     {"choices": ("INVALID_TXN_STATE", "TRANSACTION_ABORTABLE")}),
)

PROPERTIES: dict[str, dict[str, Prop]] = {
    "broker": BROKER,
    "topic": TOPIC,
    "producer": PRODUCER,
    "consumer": CONSUMER,
    "admin": {},  # `admin.config`: the admin client's own names; none changes an outcome
    "feature": FEATURE,
    "protocol": PROTOCOL,
}

# Broker names that set another modeled property in a coarser unit (Kafka: ms > minutes > hours).
ALIASES: dict[str, tuple[str, int]] = {
    "log.retention.minutes": ("log.retention.ms", 60_000),
    "log.retention.hours": ("log.retention.ms", 3_600_000),
    "log.roll.hours": ("log.roll.ms", 3_600_000),
}

# Notes `validate --explain` shows next to a Kafka name that is accepted and has no effect here.
INERT: dict[str, str] = {
    "auto.create.topics.enable": "topics must be declared",
    "num.partitions": "declare partitions per topic",
    "default.replication.factor": "declare replication.factor per topic",
    "compression.type": "the broker keeps the producer's compression (the default, producer)",
    "group.id": "the group id is the consumer entry's name",
}


def other_scopes(scope: str, name: str) -> list[str]:
    """Scopes other than `scope` in which `name` is a modeled property."""
    return [other for other in SCOPES if other != scope and name in PROPERTIES[other]]


def topic_name_for(broker_name: str) -> str | None:
    """The topic property whose cluster-wide default is `broker_name`, if any."""
    for prop in TOPIC.values():
        if prop.broker_name == broker_name:
            return prop.name
    return None


def suggestions(scope: str) -> list[str]:
    """Every modeled name of `scope` with the broker aliases, for hints."""
    return list(PROPERTIES[scope]) + (list(ALIASES) if scope == "broker" else [])
