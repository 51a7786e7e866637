"""Shared helpers for scenario tests: a minimal valid scenario and an error catcher."""

from __future__ import annotations

import copy

import pytest

from sim.scenario import ScenarioError, from_dict

MINIMAL = {
    "name": "minimal",
    "duration": "10s",
    "cluster": {"brokers": 3},
    "topics": {"orders": {"partitions": 3, "replication.factor": 3}},
    "producers": {"checkout": {"topic": "orders", "rate": "100/s"}},
    "consumers": {"billing": {"topic": "orders"}},
}


@pytest.fixture
def raw() -> dict:
    """A fresh copy of a minimal valid raw scenario, to modify in a test."""
    return copy.deepcopy(MINIMAL)


def error_of(raw: dict, overrides=(), source: str = "t.yaml") -> ScenarioError:
    """Load `raw` expecting a ScenarioError and return it."""
    with pytest.raises(ScenarioError) as info:
        from_dict(raw, source, overrides)
    text = str(info.value)
    assert text.startswith(f"{source}: ") and "\n" not in text
    return info.value


@pytest.fixture
def fails():
    return error_of
