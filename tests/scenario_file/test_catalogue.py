"""Real Kafka configs pasted whole: every documented name is known, per release and per kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import PROPERTIES, explain, from_dict
from sim.scenario.catalogue import KINDS, known, names, span

CONFIGS = Path(__file__).parent / "kafka_configs"


def properties(name: str) -> dict[str, str]:
    """Read a Java .properties file of kafka_configs/ (key=value lines, # comments)."""
    pairs = {}
    for line in (CONFIGS / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


PASTED = {  # file -> (where the block goes in a scenario, the kind of its names)
    "server.properties": (("cluster", "config"), "broker"),
    "topic.properties": (("topics", "orders", "config"), "topic"),
    "producer.properties": (("producers", "checkout", "config"), "producer"),
    "consumer.properties": (("consumers", "billing", "config"), "consumer"),
    "admin.properties": (("admin", "config"), "admin"),
}


def place(raw: dict, where: tuple[str, ...], block: dict) -> None:
    node = raw
    for key in where[:-1]:
        node = node.setdefault(key, {})
    node[where[-1]] = block


def config_at(scenario, where: tuple[str, ...]):
    if where[0] == "cluster":
        return scenario.cluster.config
    if where[0] == "admin":
        return scenario.admin
    return getattr(scenario, where[0])[where[1]].config


@pytest.mark.parametrize("file", sorted(PASTED))
def test_a_full_real_config_validates_with_its_unmodeled_names_listed(raw, file):
    where, kind = PASTED[file]
    block = properties(file)
    assert len(block) >= 20
    place(raw, where, block)
    scenario = from_dict(raw)
    config = config_at(scenario, where)
    unmodeled = [key for key in block if key not in PROPERTIES[kind]]
    assert unmodeled and list(config.ignored) == [
        key for key in unmodeled if key not in ("log.retention.hours",)
    ]
    text = explain(scenario)
    for key in config.ignored:
        assert f"{key} " in text
    assert text.count("ignored (not modeled, Kafka property") >= len(config.ignored)


def test_modeled_names_of_a_pasted_config_act(raw):
    place(raw, ("cluster", "config"), properties("server.properties"))
    place(raw, ("producers", "checkout", "config"), properties("producer.properties"))
    scenario = from_dict(raw)
    assert scenario.cluster.config["min.insync.replicas"] == 2
    assert scenario.cluster.config.source("log.retention.ms") == "scenario (log.retention.hours)"
    assert scenario.producers["checkout"].config["linger.ms"] == 10


def test_broker_rack_is_a_kafka_name_and_not_a_typo_of_broker_id(raw):
    raw["cluster"]["config"] = {"broker.rack": "eu-west-1a"}
    assert from_dict(raw).cluster.config.ignored == ("broker.rack",)


def test_did_you_mean_comes_from_every_name_kafka_has(raw, fails):
    raw["cluster"]["config"] = {"broker.rak": "eu-west-1a"}
    assert fails(raw).hint == "Did you mean broker.rack?"


@pytest.mark.parametrize(
    "where, typo, meant",
    [
        (("cluster", "config"), "num.network.thread", "num.network.threads"),
        (("consumers", "billing", "config"), "fetch.min.byte", "fetch.min.bytes"),
        (("producers", "checkout", "config"), "compresion.type", "compression.type"),
        (("admin", "config"), "default.api.timeout", "default.api.timeout.ms"),
    ],
)
def test_only_names_kafka_never_had_are_refused(raw, fails, where, typo, meant):
    place(raw, where, {typo: "1"})
    err = fails(raw)
    assert err.path == ".".join(where + (typo,))
    assert err.found == f"'{typo}'"
    assert err.hint == f"Did you mean {meant}?"


def test_a_name_removed_before_the_chosen_release_says_when(raw, fails):
    raw["cluster"]["config"] = {"zookeeper.connect": "zk:2181"}
    err = fails(raw)
    assert err.expected == "a broker property of Kafka 4.1"
    assert err.found == "'zookeeper.connect', which Kafka removed in 4.0"
    assert "from 0.10 to 3.9" in err.hint


def test_a_removed_name_is_accepted_in_a_release_that_had_it(raw):
    raw["cluster"]["version"] = "3.9"
    raw["cluster"]["config"] = {"zookeeper.connect": "zk:2181"}
    assert from_dict(raw).cluster.config.ignored == ("zookeeper.connect",)


def test_a_name_introduced_after_the_chosen_release_says_when(raw, fails):
    raw["cluster"]["version"] = "3.7"
    raw["consumers"]["billing"]["config"] = {"metadata.recovery.strategy": "rebootstrap"}
    err = fails(raw)
    assert err.found == "'metadata.recovery.strategy', which Kafka added in 3.8"
    assert "since 3.8" in err.hint


def test_a_name_of_another_kind_names_where_it_belongs(raw, fails):
    raw["cluster"]["config"] = {"bootstrap.servers": "kafka:9092"}
    assert "admin.config" in fails(raw).hint


def test_listener_prefixed_broker_names_are_known(raw):
    raw["cluster"]["config"] = {
        "listener.name.internal.ssl.keystore.location": "/k",
        "listener.name.external.plain.sasl.jaas.config": "x required;",
    }
    assert len(from_dict(raw).cluster.config.ignored) == 2


def test_explain_shows_the_releases_of_an_ignored_name(raw):
    raw["cluster"]["version"] = "3.9"
    raw["cluster"]["config"] = {"zookeeper.connect": "zk:2181", "num.partitions": 6}
    text = explain(from_dict(raw))
    assert "ignored (not modeled, Kafka property from 0.10 to 3.9)" in text
    assert "declare partitions per topic" in text


def test_the_admin_block_is_optional_and_explained(raw):
    assert from_dict(raw).admin is None
    raw["admin"] = {"config": {"client.id": "ops"}}
    assert "admin client" in explain(from_dict(raw))


def test_admin_block_keys(raw, fails):
    raw["admin"] = {"configs": {}}
    assert fails(raw).hint == "Did you mean config?"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_names_of_the_newest_release(kind):
    current = [name for name in names(kind) if known(kind, name, "4.1")]
    assert len(current) >= 30
    assert all(span(kind, name)[1] is None for name in current)

