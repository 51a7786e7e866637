"""KIP-392's settings in a scenario file: `replica.selector.class` takes null or Kafka's
RackAwareReplicaSelector, `client.rack` a string; both are refused in a release the
catalogue says lacks them (the selector from 2.4, the consumer name from 2.3)."""

import pytest

from sim.scenario import from_dict
from sim.scenario.errors import ScenarioError

SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"


def _raw(version="4.1", broker=None, consumer=None) -> dict:
    return {"name": "racks", "duration": "1s",
            "cluster": {"brokers": 3, "version": version, "config": broker or {}},
            "topics": {"orders": {"partitions": 1, "replication.factor": 3}},
            "consumers": {"readers": {"topic": "orders", "config": consumer or {}}}}


def _error(raw) -> str:
    with pytest.raises(ScenarioError) as caught:
        from_dict(raw)
    return str(caught.value)


def test_the_defaults_keep_every_consumer_on_the_leader():
    spec = from_dict(_raw())
    assert spec.cluster.config["replica.selector.class"] is None
    assert spec.consumers["readers"].config["client.rack"] == ""


def test_the_rack_aware_selector_and_a_rack_are_read():
    spec = from_dict(_raw(broker={"replica.selector.class": SELECTOR},
                          consumer={"client.rack": " us-east-1a "}))
    assert spec.cluster.config["replica.selector.class"] == SELECTOR
    assert spec.consumers["readers"].config["client.rack"] == "us-east-1a"


def test_a_custom_selector_class_is_refused():
    message = _error(_raw(broker={"replica.selector.class": "com.example.MySelector"}))
    assert "cluster.config.replica.selector.class" in message
    assert f"expected null or {SELECTOR}" in message and "'com.example.MySelector'" in message
    assert "custom ReplicaSelector" in message


def test_a_misspelt_selector_gets_a_hint():
    message = _error(_raw(broker={"replica.selector.class": SELECTOR.replace("Rack", "Rak")}))
    assert f"Did you mean {SELECTOR}?" in message


def test_a_rack_must_be_a_string():
    message = _error(_raw(consumer={"client.rack": 1}))
    assert "consumers.readers.config.client.rack" in message and "Quote it" in message


def test_before_2_4_the_selector_is_refused_as_kafka_added_it_in_2_4():
    message = _error(_raw("2.3", broker={"replica.selector.class": SELECTOR}))
    assert "a broker property of Kafka 2.3" in message and "added in 2.4" in message


def test_client_rack_is_a_consumer_name_from_2_3_and_refused_before():
    assert from_dict(_raw("2.3", consumer={"client.rack": "a"}))
    message = _error(_raw("2.2", consumer={"client.rack": "a"}))
    assert "a consumer property of Kafka 2.2" in message and "added in 2.3" in message
