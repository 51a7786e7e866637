"""Producer settings in simulator units, read once from a producer's config."""

from dataclasses import dataclass

from sim.core.units import ms


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

    @classmethod
    def from_config(cls, c) -> "ProducerSettings":
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
        )
