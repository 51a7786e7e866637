"""Every property listed as modeled is read by the model, so the list cannot drift again.

The model reads a config as `config["name"]` or `config.us("name")` (in `sim/cluster`,
`sim/clients`, `sim/core` and `sim/world.py`). A broker `log.*` default counts as read when
the topic property that inherits it is. A few properties act only when the scenario is
validated: Kafka would refuse the value, so kafkasim refuses the scenario (VALIDATED).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sim.scenario.properties import PROPERTIES, TOPIC

SIM = Path(__file__).resolve().parents[2] / "sim"
MODEL = [SIM / "cluster", SIM / "clients", SIM / "core", SIM / "world.py"]
CLIENT_RULES = SIM / "scenario" / "clientrules.py"
VALIDATED = {
    ("broker", "group.min.session.timeout.ms"),  # JoinGroup: INVALID_SESSION_TIMEOUT
    ("broker", "group.max.session.timeout.ms"),
    ("consumer", "group.protocol"),  # consumer (KIP-848) is refused
}


def _sources() -> list[Path]:
    return [p for root in MODEL for p in ([root] if root.is_file() else root.rglob("*.py"))]


def _read_names(paths: list[Path]) -> set[str]:
    """Names used as `x["name"]` or `x.us("name")` in `paths`."""
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "us" and node.args
                  and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)
    return names


READ = _read_names(_sources())
MODELED = [(scope, name) for scope, table in PROPERTIES.items() for name in table]


def _inherited_by_a_read_topic_property(name: str) -> bool:
    return any(prop.broker_name == name and prop.name in READ for prop in TOPIC.values())


@pytest.mark.parametrize("scope, name", MODELED)
def test_every_modeled_property_is_read_by_the_model(scope, name):
    if (scope, name) in VALIDATED:
        return
    assert name in READ or (scope == "broker" and _inherited_by_a_read_topic_property(name)), (
        f"{scope} property {name} is listed as modeled but the model never reads it"
    )


@pytest.mark.parametrize("scope, name", sorted(VALIDATED))
def test_validation_only_properties_act_at_validation(scope, name):
    prop = PROPERTIES[scope][name]
    assert prop.unsupported or f'"{name}"' in CLIENT_RULES.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["auto.create.topics.enable", "transactional.id.expiration.ms"])
def test_properties_the_model_ignores_are_not_listed_as_modeled(name):
    assert all(name not in table for table in PROPERTIES.values())
    assert name not in READ
