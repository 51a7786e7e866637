"""Kafka's own cross-field client rules: idempotence, delivery timeout, heartbeats, commits."""

from __future__ import annotations

import pytest

from sim.scenario import explain, from_dict


@pytest.mark.parametrize(
    "given, why",
    [
        ({"acks": 1}, "acks=1"),
        ({"acks": 0}, "acks=0"),
        ({"retries": 0}, "retries=0"),
        ({"max.in.flight.requests.per.connection": 6}, "max.in.flight.requests.per.connection=6"),
    ],
)
def test_default_idempotence_is_silently_disabled(raw, given, why):
    raw["producers"]["checkout"]["config"] = given
    scenario = from_dict(raw)
    config = scenario.producers["checkout"].config
    assert config["enable.idempotence"] is False
    assert config.source("enable.idempotence").startswith(f"adjusted ({why} conflicts")
    assert "so Kafka disables idempotence" in explain(scenario)


@pytest.mark.parametrize(
    "given, blamed, message",
    [
        ({"acks": "1"}, "acks", "Must set acks to all"),
        ({"retries": 0}, "retries", "Must set retries to non-zero"),
        (
            {"max.in.flight.requests.per.connection": 10},
            "max.in.flight.requests.per.connection",
            "to at most 5",
        ),
    ],
)
def test_explicit_idempotence_with_a_conflict_is_an_error(raw, fails, given, blamed, message):
    raw["producers"]["checkout"]["config"] = {"enable.idempotence": "true", **given}
    err = fails(raw)
    assert err.path == f"producers.checkout.config.{blamed}"
    assert "because enable.idempotence is true" in err.expected
    assert message in err.hint


def test_explicitly_disabled_idempotence_allows_anything(raw):
    raw["producers"]["checkout"]["config"] = {
        "enable.idempotence": False,
        "acks": 1,
        "max.in.flight.requests.per.connection": 10,
    }
    config = from_dict(raw).producers["checkout"].config
    assert (
        config["enable.idempotence"] is False and config.source("enable.idempotence") == "scenario"
    )


def test_delivery_timeout_below_linger_plus_request_timeout(raw, fails):
    raw["producers"]["checkout"]["config"] = {"delivery.timeout.ms": 30_000}
    err = fails(raw)
    assert err.expected == "at least linger.ms + request.timeout.ms (30005)"
    raw["producers"]["checkout"]["config"] = {"request.timeout.ms": 200_000}
    config = from_dict(raw).producers["checkout"].config
    assert config["delivery.timeout.ms"] == 200_005
    assert config.source("delivery.timeout.ms").startswith("adjusted (raised")


def test_heartbeat_must_be_below_session_timeout(raw, fails):
    raw["consumers"]["billing"]["config"] = {"heartbeat.interval.ms": 45_000}
    assert fails(raw).path == "consumers.billing.config.heartbeat.interval.ms"
    raw["consumers"]["billing"]["config"] = {"session.timeout.ms": 3_000}
    assert fails(raw).path == "consumers.billing.config.session.timeout.ms"


def test_session_timeout_within_the_brokers_bounds(raw, fails):
    raw["consumers"]["billing"]["config"] = {"session.timeout.ms": 2_000_000}
    assert "group.max.session.timeout.ms (1800000)" in fails(raw).expected
    raw["cluster"]["config"] = {"group.max.session.timeout.ms": 3_000_000}
    assert from_dict(raw).consumers["billing"].config["session.timeout.ms"] == 2_000_000


@pytest.mark.parametrize(
    "commit, auto, mode, auto_after, source",
    [
        (None, None, "auto", True, "default 4.1"),
        (None, False, "after-processing", False, "scenario"),
        ("after-processing", None, "after-processing", False, "adjusted"),
        ("before-processing", "false", "before-processing", False, "scenario"),
        ("auto", True, "auto", True, "scenario"),
    ],
)
def test_commit_mode_agrees_with_enable_auto_commit(raw, commit, auto, mode, auto_after, source):
    group = raw["consumers"]["billing"]
    if commit:
        group["commit"] = commit
    if auto is not None:
        group["config"] = {"enable.auto.commit": auto}
    result = from_dict(raw).consumers["billing"]
    assert result.commit == mode
    assert result.config["enable.auto.commit"] is auto_after
    assert result.config.source("enable.auto.commit").startswith(source)


def test_commit_mode_contradicting_enable_auto_commit(raw, fails):
    raw["consumers"]["billing"].update(commit="auto", config={"enable.auto.commit": False})
    assert fails(raw).path == "consumers.billing.commit"
    raw["consumers"]["billing"].update(
        commit="after-processing", config={"enable.auto.commit": True}
    )
    assert fails(raw).path == "consumers.billing.config.enable.auto.commit"
