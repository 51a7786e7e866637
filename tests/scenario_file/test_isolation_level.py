"""`isolation.level` (KIP-98): a consumer property from 0.11, read_uncommitted by default,
read_committed accepted now that transactions are modeled on the read side."""

import pytest

from sim.clients.settings import ConsumerSettings
from sim.scenario import from_dict
from sim.scenario.errors import ScenarioError


def _raw(version: str, config: dict | None = None) -> dict:
    return {"name": "x", "duration": "10s", "cluster": {"brokers": 3, "version": version},
            "topics": {"t": {"partitions": 1, "replication.factor": 3}},
            "producers": {"p": {"topic": "t", "rate": "10/s"}},
            "consumers": {"g": {"topic": "t", "config": config or {}}}}


def test_read_uncommitted_is_the_default_and_read_committed_is_read_by_the_consumer():
    default = from_dict(_raw("3.9")).consumers["g"].config
    assert default["isolation.level"] == "read_uncommitted"
    assert not ConsumerSettings.from_config(default).read_committed
    chosen = from_dict(_raw("3.9", {"isolation.level": "read_committed"})).consumers["g"].config
    assert ConsumerSettings.from_config(chosen).read_committed


def test_isolation_level_is_refused_before_0_11():
    assert from_dict(_raw("0.10")).consumers["g"].config["isolation.level"] == "read_uncommitted"
    with pytest.raises(ScenarioError) as err:
        from_dict(_raw("0.10", {"isolation.level": "read_committed"}))
    assert "added in 0.11" in str(err.value)


def test_an_unknown_isolation_level_is_refused():
    with pytest.raises(ScenarioError) as err:
        from_dict(_raw("3.9", {"isolation.level": "serializable"}))
    assert "read_uncommitted" in str(err.value) and "read_committed" in str(err.value)
