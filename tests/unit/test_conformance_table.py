"""docs/CONFORMANCE.md is generated from tests/conformance/ and cannot drift: every Kafka case
is ported or given a reason of a known category, every port names a real case, and the
committed page is what tools/conformance.py writes (with every port passing, as on a green
main)."""

import importlib.util
import sys

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("conformance", ROOT / "tools" / "conformance.py")
conformance = importlib.util.module_from_spec(spec)
sys.modules["conformance"] = conformance
spec.loader.exec_module(conformance)


def test_every_case_is_ported_or_has_a_reason_and_every_port_names_a_case():
    _source, table = conformance.rows()
    assert conformance.problems(table) == []


def test_the_committed_table_is_what_the_script_writes():
    source, table = conformance.rows()
    expected = conformance.render(source, table, {r.name: len(r.ported) for r in table})
    assert (ROOT / "docs" / "CONFORMANCE.md").read_text() == expected, \
        "run: .venv/bin/python tools/conformance.py table > docs/CONFORMANCE.md"


def test_case_names_are_read_from_java_and_scala_sources():
    java = "  @Test\n  public void testA() {}\n  @ParameterizedTest\n  @ValueSource(x)\n" \
           "  void testB(int x) {}\n  void helper() {}\n"
    scala = "  @Test\n  def testC(): Unit = {}\n  def notATest(): Unit = {}\n"
    assert conformance.test_cases(java) == ["testA", "testB"]
    assert conformance.test_cases(scala) == ["testC"]


def test_a_case_without_port_or_reason_and_a_port_of_no_case_are_problems():
    row = conformance.Row("XTest", "x", ["testA", "testB"], ported=["testZ"],
                          reasons={"testA": "because: no category"})
    found = conformance.problems([row])
    assert any("testZ" in f for f in found)
    assert any("testB" in f and "neither" in f for f in found)
    assert any("no known category" in f for f in found)
