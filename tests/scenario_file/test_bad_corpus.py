"""Every file in tests/scenario_file/bad/ raises ScenarioError naming the file and its fragment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.scenario import ScenarioError, load

BAD = Path(__file__).parent / "bad"
EXPECTED = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))


def test_the_table_covers_every_bad_file():
    files = {path.name for path in BAD.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_one_paragraph_naming_the_file(name):
    path = BAD / name
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert EXPECTED[name] in message
    assert "\n" not in message and "Traceback" not in message
    assert info.value.source == str(path)
