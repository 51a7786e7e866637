"""`expect:` keys and values (docs/summary.md#expectations)."""

from __future__ import annotations

import pytest

from sim.scenario import EXPECT_KEYS, Expectation, from_dict


def test_every_summary_key_and_nested_forms_are_accepted(raw):
    raw["expect"] = {key: 0 for key in EXPECT_KEYS}
    raw["expect"].update(
        {
            "lost_by_cause.unclean_election": "== 0",
            "skipped_by_cause.committed_before_processing": ">= 1",
            "errors.NOT_ENOUGH_REPLICAS": "< 5",
        }
    )
    expect = from_dict(raw).expect
    assert [e.key for e in expect] == list(raw["expect"])
    assert expect[-1] == Expectation(
        key="errors.NOT_ENOUGH_REPLICAS", op="<", value=5.0, text="< 5"
    )


@pytest.mark.parametrize(
    "value, op, number",
    [
        (0, "==", 0.0),
        (2.5, "==", 2.5),
        ("> 0", ">", 0.0),
        ("<=5", "<=", 5.0),
        (">= -1", ">=", -1.0),
        ("== 3", "==", 3.0),
        ("< 250.5", "<", 250.5),
        ("  >  7  ", ">", 7.0),
    ],
)
def test_values(raw, value, op, number):
    raw["expect"] = {"lost": value}
    expectation = from_dict(raw).expect[0]
    assert (expectation.op, expectation.value) == (op, number)
    assert expectation.text == str(value)


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("lsot", 0, "Did you mean lost?"),
        ("errors.not_enough", 0, "uppercase"),
        ("lost_by_cause.Power", 0, "lowercase"),
        ("lost.extra", 0, "a summary key"),
        ("lost", "5", 'Write 5 or "== 5"'),
        ("lost", "!= 5", "a number or a comparison"),
        ("lost", True, "true"),
        ("lost", None, "null"),
        ("lost", float("inf"), "inf"),
        ("lost", [1], "a list"),
    ],
)
def test_bad_expectations(raw, fails, key, value, fragment):
    raw["expect"] = {key: value}
    err = fails(raw)
    assert err.path == f"expect.{key}"
    assert fragment in f"{err.expected} {err.found} {err.hint}"
