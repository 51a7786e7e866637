"""Kafka clients: the producer (accumulator, sender, idempotence, partitioner)."""
