"""A consumer group's `output:` (consume-transform-produce): its topic, its producer config
(validated as a producer's), and what `transactional: true` requires and changes."""

from __future__ import annotations

import pytest

from sim.cluster.topology import output_transactional_ids
from sim.scenario import from_dict


def with_output(raw: dict, output: dict, group_extra=None, version=None) -> dict:
    raw["topics"]["ledger-out"] = {"partitions": 3, "replication.factor": 3}
    raw["consumers"]["billing"] = dict({"topic": "orders", "members": 2, "output": output},
                                       **(group_extra or {}))
    if version is not None:
        raw["cluster"]["version"] = version
    return raw


def test_a_plain_output_keeps_the_group_s_commit_and_a_plain_producer(raw):
    g = from_dict(with_output(raw, {"topic": "ledger-out"})).consumers["billing"]
    assert (g.output.topic, g.output.transactional) == ("ledger-out", False)
    assert g.commit == "auto" and g.config["enable.auto.commit"] is True
    assert g.output.config["transactional.id"] is None
    assert g.output.config["enable.idempotence"] is True


def test_a_transactional_output_turns_auto_commit_off_and_names_member_ids(raw):
    s = from_dict(with_output(raw, {"topic": "ledger-out", "transactional": True}))
    g = s.consumers["billing"]
    assert g.output.transactional and g.commit == "transaction"
    assert g.config["enable.auto.commit"] is False
    assert g.config.source("enable.auto.commit").startswith("adjusted")
    assert g.output.config["enable.idempotence"] is True
    assert output_transactional_ids(s.consumers) == ["billing-0", "billing-1"]


def test_the_output_config_is_a_producer_config(raw):
    g = from_dict(with_output(raw, {"topic": "ledger-out",
                                    "config": {"linger.ms": 20}})).consumers["billing"]
    assert g.output.config["linger.ms"] == 20


@pytest.mark.parametrize(
    "output, extra, version, path, expected",
    [
        ({"topic": "nowhere"}, None, None, "consumers.billing.output.topic",
         "a declared topic (orders, ledger-out)"),
        ({"transactional": True}, None, None, "consumers.billing.output.topic",
         "a value for topic (required)"),
        ({"topic": "ledger-out", "transactional": True}, {"commit": "after-processing"}, None,
         "consumers.billing.commit", "no commit mode, since output.transactional is true"),
        ({"topic": "ledger-out", "transactional": True},
         {"config": {"enable.auto.commit": True}}, None,
         "consumers.billing.config.enable.auto.commit",
         "false, since output.transactional is true"),
        ({"topic": "ledger-out", "transactional": True,
          "config": {"transactional.id": "x"}}, None, None,
         "consumers.billing.output.config.transactional.id", "no transactional.id"),
        ({"topic": "ledger-out", "config": {"transactional.id": "x"}}, None, None,
         "consumers.billing.output.config.transactional.id", "no transactional.id"),
        ({"topic": "ledger-out", "transactional": True}, None, "0.10",
         "consumers.billing.output.transactional", "no transactions in Kafka 0.10"),
        ({"topic": "ledger-out", "transactional": True, "config": {"acks": 1}}, None, None,
         "consumers.billing.output.config.acks", "all (-1) because transactional.id is set"),
        ({"topic": "ledger-out", "extra": 1}, None, None, "consumers.billing.output.extra",
         None),
    ],
)
def test_bad_outputs_are_refused(raw, fails, output, extra, version, path, expected):
    err = fails(with_output(raw, output, extra, version))
    assert err.path == path
    if expected is not None:
        assert err.expected == expected


def test_a_transactional_output_needs_the_brokers_of_transaction_state(raw, fails):
    raw = with_output(raw, {"topic": "ledger-out", "transactional": True})
    raw["cluster"]["brokers"] = 2
    raw["topics"] = {name: dict(t, **{"replication.factor": 2})
                     for name, t in raw["topics"].items()}
    raw["cluster"]["config"] = {"offsets.topic.replication.factor": 2}
    err = fails(raw)
    assert err.path == "cluster.brokers"
    assert "transaction.state.log.replication.factor" in err.expected
