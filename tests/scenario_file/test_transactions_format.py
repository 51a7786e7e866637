"""The transactional workload (`transactional: {records, abort}`) and Kafka's rules for a
transactional producer's config (ProducerConfig: a transactional.id needs idempotence)."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict


def transactional(raw: dict, block=None, config=None, version=None) -> dict:
    producer = raw["producers"]["checkout"]
    producer["transactional"] = {"records": 10} if block is None else block
    if config is not None:
        producer["config"] = config
    raw["cluster"] = {"brokers": 3} if version is None else {"brokers": 3, "version": version}
    return raw


def test_the_block_gives_records_abort_and_the_producer_name_as_transactional_id(raw):
    p = from_dict(transactional(raw, {"records": 50, "abort": 0.1})).producers["checkout"]
    assert (p.transactional.records, p.transactional.abort) == (50, 0.1)
    assert p.config["transactional.id"] == "checkout"
    assert p.config.source("transactional.id").startswith("adjusted")
    assert p.config["transaction.timeout.ms"] == 60_000


def test_without_the_block_nothing_changes(raw):
    p = from_dict(raw).producers["checkout"]
    assert p.transactional is None and p.config["transactional.id"] is None


def test_a_given_transactional_id_is_kept(raw):
    p = from_dict(transactional(raw, config={"transactional.id": "ledger"})).producers["checkout"]
    assert p.config["transactional.id"] == "ledger"


def test_before_3_0_default_conflicts_are_set_to_what_idempotence_needs(raw):
    p = from_dict(transactional(raw, version="2.0")).producers["checkout"]
    assert (p.config["enable.idempotence"], p.config["acks"]) == (True, -1)
    assert p.config.source("acks") == "adjusted (transactional.id needs idempotence)"


@pytest.mark.parametrize(
    "block, config, version, path, expected",
    [
        (None, {"enable.idempotence": False}, None, "producers.checkout.config.enable.idempotence",
         "true, because transactional.id is set"),
        (None, {"acks": 1}, None, "producers.checkout.config.acks",
         "all (-1) because transactional.id is set"),
        ({"records": 0}, None, None, "producers.checkout.transactional.records",
         "a number of records per transaction from 1 to 2147483647"),
        ({"records": 5, "abort": 1.5}, None, None, "producers.checkout.transactional.abort",
         "a probability from 0 to 1"),
        ({"abort": 0.5}, None, None, "producers.checkout.transactional.records",
         "a value for records (required)"),
        (None, None, "0.10", "producers.checkout.transactional", "no transactions in Kafka 0.10"),
    ],
)
def test_bad_transactional_producers_are_refused(raw, fails, block, config, version, path,
                                                 expected):
    err = fails(transactional(raw, block, config, version))
    assert (err.path, err.expected) == (path, expected)


def test_a_transactional_id_without_the_block_is_refused(raw, fails):
    raw["producers"]["checkout"]["config"] = {"transactional.id": "ledger"}
    err = fails(raw)
    assert err.path == "producers.checkout.config.transactional.id"
    assert "transactional: {records: N}" in err.hint
