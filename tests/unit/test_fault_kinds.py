"""The fault table (sim/scenario/fault_kinds.py) against everything that follows from it."""

import re
from pathlib import Path

import pytest

from sim.faults import Timeline
from sim.scenario import actions
from sim.scenario.fault_kinds import ACTIONS, DOWN, INSTANT, KINDS, LASTING
from sim.scenario.schema import ENTRY
from sim.testing import ALL_FAULTS, TIMELINE_ACTIONS

FAULTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_has_a_reader_and_a_timeline_method_that_applies_it(name):
    kind = KINDS[name]
    assert kind.name == name
    assert getattr(actions, kind.read.__name__, None) is kind.read
    assert callable(getattr(Timeline, kind.apply, None)), f"Timeline.{kind.apply} is missing"
    assert kind.lifetime in (INSTANT, DOWN, LASTING)


def test_an_entry_holds_at_for_the_extra_keys_and_exactly_the_tables_actions():
    assert sorted(ACTIONS) == sorted(KINDS)
    assert list(ENTRY.fields) == ["at", "for", "factor", "processing", *ACTIONS]
    assert [KINDS[name].extra[0] for name in ("slow_disk", "slow")] == ["factor", "processing"]


def test_an_entry_stays_in_force_exactly_when_its_lifetime_says():
    for kind in KINDS.values():
        assert kind.stays(1_000_000) == (kind.lifetime != INSTANT), kind.name
        assert kind.stays(None) == (kind.lifetime == LASTING), kind.name
        assert set(kind.ended_by) <= set(KINDS), kind.name
        assert not kind.ended_by or kind.lifetime != INSTANT, kind.name


def test_explore_and_the_fuzzer_draw_exactly_the_kinds_the_table_lets_them():
    assert sorted(ALL_FAULTS) == sorted(k.explore for k in KINDS.values() if k.explore)
    assert sorted(TIMELINE_ACTIONS) == sorted(name for name, k in KINDS.items() if k.fuzz)
    assert all(KINDS[name].lifetime != INSTANT for name in ACTIONS if KINDS[name].explore)


def _documented_rows() -> list[tuple[str, str]]:
    """(kind, lasts until) for each kind in the table of actions of docs/faults.md."""
    section = FAULTS_DOC.read_text(encoding="utf-8").split("## The actions", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows, previous = [], ""
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        action, _what, lasts = (c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|")))
        lasts = previous if lasts == "same" else lasts
        rows += [(name, lasts) for name in re.findall(r"`(\w+):", action)]
        previous = lasts
    return rows


def test_the_docs_list_the_tables_kinds_in_its_order_with_their_lifetimes():
    rows = _documented_rows()
    assert [name for name, _ in rows] == list(KINDS)
    for name, lasts in rows:
        kind = KINDS[name]
        assert (lasts == "—") == (kind.lifetime == INSTANT), name
        if kind.lifetime != INSTANT:
            assert "`for`" in lasts and "the drain" in lasts, name
        assert ("`restart`" in lasts) == (kind.lifetime == DOWN), name
        assert ("`heal" in lasts) == ("heal" in kind.ended_by), name
        assert ("`resume" in lasts) == ("resume" in kind.ended_by), name
