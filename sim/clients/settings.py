"""Producer and consumer settings in simulator units, read once from a client's config."""

from dataclasses import dataclass

from sim.core.units import ms


def setup_timeouts_us(c) -> tuple[int, int]:
    """A client's KIP-601 connection set-up timeouts (initial, max)."""
    return (ms(c["socket.connection.setup.timeout.ms"]),
            ms(c["socket.connection.setup.timeout.max.ms"]))


@dataclass(frozen=True, slots=True)
class ProducerSettings:
    acks: int
    idempotence: bool
    retries: int
    delivery_timeout_us: int
    request_timeout_us: int
    linger_us: int
    batch_size: int
    max_in_flight: int
    retry_backoff_us: int
    retry_backoff_max_us: int
    metadata_max_age_us: int
    setup_timeouts_us: tuple[int, int]   # socket.connection.setup.timeout(.max).ms
    timeout_error: str                   # cluster.protocol producer.request.timeout.error
    buffer_memory: int = 33_554_432      # buffer.memory, bytes
    max_block_us: int = 60_000_000       # max.block.ms
    kip_360: bool = True        # sequence errors bump the epoch (2.5+), else fatal
    max_request_size: int = 1_048_576
    compression_type: str = "none"
    transactional_id: str | None = None      # transactional.id (KIP-98)
    transaction_timeout_ms: int = 60_000
    produce_epoch_fatal: bool = False   # transactional.produce.epoch.error: fatal (before 2.7)
    transaction_version: int = 0        # the cluster's transaction.version feature (KIP-890)

    @classmethod
    def from_config(cls, c, protocol, features=None) -> "ProducerSettings":
        """The producer's config, and the cluster's protocol switches for its client release
        and finalized features (ApiVersions)."""
        return cls(
            acks=int(c["acks"]),
            idempotence=bool(c["enable.idempotence"]),
            retries=int(c["retries"]),
            delivery_timeout_us=ms(c["delivery.timeout.ms"]),
            request_timeout_us=ms(c["request.timeout.ms"]),
            linger_us=ms(c["linger.ms"]),
            batch_size=int(c["batch.size"]),
            max_in_flight=int(c["max.in.flight.requests.per.connection"]),
            retry_backoff_us=ms(c["retry.backoff.ms"]),
            retry_backoff_max_us=ms(c["retry.backoff.max.ms"]),
            metadata_max_age_us=ms(c["metadata.max.age.ms"]),
            setup_timeouts_us=setup_timeouts_us(c),
            timeout_error=protocol["producer.request.timeout.error"],
            buffer_memory=int(c["buffer.memory"]),
            max_block_us=ms(c["max.block.ms"]),
            kip_360=protocol["idempotent.producer.epoch.bump"] == "kip-360",
            max_request_size=int(c["max.request.size"]),
            compression_type=str(c["compression.type"]),
            transactional_id=c["transactional.id"],
            transaction_timeout_ms=int(c["transaction.timeout.ms"]),
            produce_epoch_fatal=protocol["transactional.produce.epoch.error"] == "fatal",
            transaction_version=int((features or {}).get("transaction.version", 0)),
        )


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    session_us: int
    heartbeat_us: int
    max_poll_interval_us: int
    max_poll_records: int
    auto_commit: bool
    auto_commit_interval_us: int
    auto_offset_reset: str
    fetch_max_wait_us: int
    max_partition_fetch_bytes: int
    fetch_max_bytes: int
    fetch_min_bytes: int
    request_timeout_us: int
    retry_backoff_us: int
    retry_backoff_max_us: int
    metadata_max_age_us: int
    setup_timeouts_us: tuple[int, int]
    instance_id: str | None
    assignors: tuple
    client_rack: str = ""        # client.rack (KIP-392): sent in every fetch when not empty
    read_committed: bool = False  # isolation.level read_committed (KIP-98)

    @classmethod
    def from_config(cls, c, member: int = 0) -> "ConsumerSettings":
        """Member `member` of a group with config c (its own group.instance.id when static)."""
        strategy = c["partition.assignment.strategy"]
        instance = c["group.instance.id"]
        return cls(
            session_us=ms(c["session.timeout.ms"]),
            heartbeat_us=ms(c["heartbeat.interval.ms"]),
            max_poll_interval_us=ms(c["max.poll.interval.ms"]),
            max_poll_records=int(c["max.poll.records"]),
            auto_commit=bool(c["enable.auto.commit"]),
            auto_commit_interval_us=ms(c["auto.commit.interval.ms"]),
            auto_offset_reset=str(c["auto.offset.reset"]),
            fetch_max_wait_us=ms(c["fetch.max.wait.ms"]),
            max_partition_fetch_bytes=int(c["max.partition.fetch.bytes"]),
            fetch_max_bytes=int(c["fetch.max.bytes"]),
            fetch_min_bytes=int(c["fetch.min.bytes"]),
            request_timeout_us=ms(c["request.timeout.ms"]),
            retry_backoff_us=ms(c["retry.backoff.ms"]),
            retry_backoff_max_us=ms(c["retry.backoff.max.ms"]),
            metadata_max_age_us=ms(c["metadata.max.age.ms"]),
            setup_timeouts_us=setup_timeouts_us(c),
            instance_id=None if instance is None else f"{instance}-{member}",
            assignors=tuple(strategy) if not isinstance(strategy, str) else (strategy,),
            client_rack=str(c["client.rack"]),
            read_committed=c["isolation.level"] == "read_committed",
        )
