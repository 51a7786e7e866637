"""kafkasim scenarios: YAML file -> validated, frozen spec tree, with one-paragraph errors.

    scenario = load("scenarios/quickstart.yaml", overrides=["cluster.brokers=5"])
    print(explain(scenario))

`load`, `loads` and `from_dict` raise `ScenarioError` (and nothing else) for any invalid
input; a file with several independent problems raises its subclass `ScenarioErrors`, whose
`errors` lists them in file order; the spec types are plain frozen records any layer may read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.scenario.build import from_raw
from sim.scenario.errors import ScenarioError, ScenarioErrors
from sim.scenario.expect import EXPECT_KEYS
from sim.scenario.explain import explain
from sim.scenario.overrides import split_sweep_values
from sim.scenario.properties import INERT, LONG_MAX, PROPERTIES
from sim.scenario.spec import (
    Action,
    Cluster,
    Config,
    ConsumerGroup,
    Disk,
    Dist,
    Expectation,
    FrozenMap,
    Network,
    Poison,
    Producer,
    Scenario,
    Step,
    Topic,
)
from sim.scenario.versions import KNOWN_VERSIONS
from sim.scenario.yamlload import parse_text, read_file

__all__ = [
    "load",
    "loads",
    "from_dict",
    "explain",
    "split_sweep_values",
    "ScenarioError",
    "ScenarioErrors",
    "EXPECT_KEYS",
    "KNOWN_VERSIONS",
    "PROPERTIES",
    "INERT",
    "LONG_MAX",
    "Scenario",
    "Cluster",
    "Network",
    "Disk",
    "Topic",
    "Producer",
    "Step",
    "ConsumerGroup",
    "Poison",
    "Dist",
    "Action",
    "Expectation",
    "Config",
    "FrozenMap",
]


def load(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override, validate and resolve one scenario file."""
    source = str(path)
    return from_raw(parse_text(read_file(path), source), source, overrides)


def loads(text: str, source: str = "<string>", overrides: Sequence[str] = ()) -> Scenario:
    """Like `load`, from YAML text."""
    if not isinstance(text, str):
        raise ScenarioError(source, "", "YAML text", f"a {type(text).__name__}")
    return from_raw(parse_text(text, source), source, overrides)


def from_dict(raw: dict, source: str = "<dict>", overrides: Sequence[str] = ()) -> Scenario:
    """Like `load`, from an already-parsed tree (the dict is copied, never modified)."""
    return from_raw(raw, source, overrides)
