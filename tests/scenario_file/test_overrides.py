"""`--set PATH=VALUE`: path resolution against the schema, errors naming `--set PATH`."""

from __future__ import annotations

import pytest

from sim.scenario import from_dict, split_sweep_values


def test_fixed_fields_with_dots_and_config_keys(raw):
    scenario = from_dict(
        raw,
        overrides=[
            "topics.orders.replication.factor=2",
            "cluster.config.min.insync.replicas=2",
            "topics.orders.config.retention.ms=1000",
            "seed=9",
            "duration=1m",
        ],
    )
    topic = scenario.topics["orders"]
    assert topic.replication_factor == 2 and topic.assignment[0] == (0, 1)
    assert scenario.cluster.config["min.insync.replicas"] == 2
    assert scenario.cluster.config.source("min.insync.replicas") == "--set"
    assert topic.config["retention.ms"] == 1000 and topic.config.source("retention.ms") == "--set"
    assert topic.config.source("min.insync.replicas") == "cluster min.insync.replicas"
    assert (scenario.seed, scenario.duration_us) == (9, 60_000_000)
    assert scenario.raw["topics"]["orders"]["replication.factor"] == 2
    assert "topics.orders.config.retention.ms" in scenario.set_paths


def test_dotted_topic_names_take_the_longest_existing_entry(raw):
    raw["topics"]["a"] = {"partitions": 1, "replication.factor": 1}
    raw["topics"]["a.b"] = {"partitions": 1, "replication.factor": 1}
    scenario = from_dict(
        raw,
        overrides=[
            "topics.a.b.partitions=4",
            "topics.a.partitions=2",
            "topics.a.b.config.segment.ms=10",
        ],
    )
    assert scenario.topics["a.b"].partitions == 4 and scenario.topics["a"].partitions == 2
    assert scenario.topics["a.b"].config["segment.ms"] == 10


def test_list_indexes_and_created_mappings(raw):
    raw["timeline"] = [{"at": "1s", "crash": "broker-0"}, {"at": "2s", "restart": "broker-0"}]
    scenario = from_dict(
        raw,
        overrides=[
            "timeline.0.at=3s",
            "cluster.network.loss=0.5",
            "consumers.billing.processing={median: 1ms, p99: 9ms}",
        ],
    )
    assert [a.kind for a in scenario.timeline] == ["restart", "crash"]
    assert scenario.timeline[1].at_us == 3_000_000
    assert scenario.cluster.network.loss == 0.5
    assert scenario.consumers["billing"].processing.p99_us == 9_000


def test_list_values_and_expectations(raw):
    raw["topics"]["refunds"] = {"partitions": 1, "replication.factor": 1}
    scenario = from_dict(
        raw,
        overrides=[
            "consumers.billing.topics=[orders, refunds]",
            "consumers.billing.topic=null",
            "expect.lost=0",
            "expect.errors.NOT_ENOUGH_REPLICAS=< 3",
        ],
    )
    assert scenario.consumers["billing"].topics == ("orders", "refunds")
    assert [(e.key, e.op, e.value) for e in scenario.expect] == [
        ("lost", "==", 0.0),
        ("errors.NOT_ENOUGH_REPLICAS", "<", 3.0),
    ]


def test_the_input_dict_is_not_modified(raw):
    from_dict(raw, overrides=["seed=3"])
    assert "seed" not in raw


@pytest.mark.parametrize(
    "override, path, fragment",
    [
        ("topics.ordrs.partitions=2", "--set topics.ordrs.partitions", "Did you mean orders?"),
        ("cluster.brokrs=2", "--set cluster.brokrs", "Did you mean brokers?"),
        ("timeline.0.at=1s", "--set timeline.0.at", "an existing item"),
        ("name.first=x", "--set name.first", "it is a value"),
        ("topics.orders.partitions=0", "--set topics.orders.partitions", "from 1 to 10000"),
        (
            "topics.orders.config.retention.hours=1",
            "--set topics.orders.config.retention.hours",
            "Did you mean retention.ms?",
        ),
        ("producers.checkout.rate=lots", "--set producers.checkout.rate", "a rate"),
        ("producers.checkout.rate=[", "--set producers.checkout.rate", "valid YAML"),
        ("seed=!!python/object:os.system {}", "--set seed", "no tags"),
        (
            "consumers.billing.processing.median=1ms",
            "--set consumers.billing.processing.median",
            "a mapping at consumers.billing.processing",
        ),
        ("nonsense", "--set", "PATH=VALUE"),
        ("topics..x=1", "--set topics..x", "a dotted path"),
    ],
)
def test_bad_overrides_name_the_set_path(raw, fails, override, path, fragment):
    if override.startswith("consumers.billing.processing."):
        raw["consumers"]["billing"]["processing"] = "1ms"
    err = fails(raw, [override])
    assert err.path == path
    assert fragment in f"{err.expected} {err.found} {err.hint}"


def test_cross_field_errors_mention_the_overrides(raw, fails):
    err = fails(raw, ["cluster.brokers=2"])
    assert err.path == "topics.orders.replication.factor"
    assert "(with --set cluster.brokers=2)" in err.hint


@pytest.mark.parametrize(
    "text, values",
    [
        ("1,2,3", ["1", "2", "3"]),
        ("[a, b],c", ["[a, b]", "c"]),
        ("1s", ["1s"]),
        ("{median: 1ms, p99: 2ms},5ms", ["{median: 1ms, p99: 2ms}", "5ms"]),
        ("'a,b',c", ["'a,b'", "c"]),
        ("all, 1", ["all", "1"]),
    ],
)
def test_split_sweep_values(text, values):
    assert split_sweep_values(text) == values


def test_notebook_values_are_normalized(raw):
    import json

    import numpy as np

    raw["cluster"]["brokers"] = np.int64(3)
    raw["consumers"]["billing"]["topics"] = ("orders",)
    del raw["consumers"]["billing"]["topic"]
    scenario = from_dict(raw)
    assert type(scenario.cluster.brokers) is int
    assert scenario.consumers["billing"].topics == ("orders",)
    json.dumps(scenario.raw)
