"""Durations, rates and sizes: the grammar of docs/scenario.md#units and its edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.errors import Invalid
from sim.scenario.units import (
    MAX_DURATION_US,
    format_duration,
    format_rate,
    format_size,
    parse_duration,
    parse_probability,
    parse_rate,
    parse_size,
)


@pytest.mark.parametrize(
    "text, us",
    [
        ("0s", 0),
        ("0us", 0),
        ("1us", 1),
        ("250ms", 250_000),
        ("1.5s", 1_500_000),
        ("0.5ms", 500),
        ("0.000001s", 1),
        ("1.25m", 75_000_000),
        ("2h", 7_200_000_000),
        ("365d", MAX_DURATION_US),
        ("007s", 7_000_000),
        ("1.000s", 1_000_000),
    ],
)
def test_durations_parse_to_integer_microseconds(text, us):
    assert parse_duration(text, ("d",)) == us
    assert isinstance(parse_duration(text, ("d",)), int)


@pytest.mark.parametrize(
    "value, fragment",
    [
        (0, "the number 0"),
        (5, "A unit is required, e.g. 5s"),
        (1.5, "the number 1.5"),
        ("5", "A unit is required"),
        ("5 s", "without spaces"),
        ("-5s", "no sign"),
        ("+5s", "no sign"),
        ("1e3s", "Units"),
        ("0.5us", "whole number of microseconds"),
        ("0.0000001s", "whole number of microseconds"),
        ("366d", "at most 365d"),
        ("5sec", "Units"),
        ("", "a duration"),
        (True, "true"),
        (None, "null"),
        ([], "a list"),
        ("9" * 50 + "s", "51-character string"),
    ],
)
def test_bad_durations_say_what_was_found(value, fragment):
    with pytest.raises(Invalid) as info:
        parse_duration(value, ("x",))
    assert fragment in f"{info.value.found} {info.value.hint} {info.value.expected}"


@settings(deadline=None, max_examples=300)
@given(st.integers(min_value=0, max_value=MAX_DURATION_US))
def test_format_duration_round_trips(us):
    assert parse_duration(format_duration(us), ("d",)) == us


@settings(deadline=None, max_examples=200)
@given(st.integers(0, 10**5), st.integers(0, 999), st.sampled_from(["ms", "s", "m"]))
def test_decimal_durations_are_exact(whole, millis, unit):
    text = f"{whole}.{millis:03d}{unit}"
    scale = {"ms": 1_000, "s": 1_000_000, "m": 60_000_000}[unit]
    expected = whole * scale + millis * scale // 1000
    assert parse_duration(text, ()) == expected


@pytest.mark.parametrize(
    "text, per_second",
    [
        ("0/s", 0.0),
        ("2000/s", 2000.0),
        ("5/ms", 5000.0),
        ("30/m", 0.5),
        ("0.5/s", 0.5),
        ("1.5/ms", 1500.0),
    ],
)
def test_rates_are_per_second(text, per_second):
    assert parse_rate(text, ()) == pytest.approx(per_second)


@pytest.mark.parametrize("value", [100, "100", "100/h", "100 /s", "-1/s", "1e3/s", "/s"])
def test_bad_rates_are_refused(value):
    with pytest.raises(Invalid):
        parse_rate(value, ())


@pytest.mark.parametrize(
    "text, size",
    [("0B", 0), ("100B", 100), ("64KiB", 65_536), ("1MiB", 1_048_576), ("2GiB", 2 << 30)],
)
def test_sizes_are_bytes(text, size):
    assert parse_size(text, ()) == size


@pytest.mark.parametrize(
    "value, hint",
    [
        ("1KB", "binary units"),
        ("1MB", "binary units"),
        ("1kb", "binary units"),
        ("1.5MiB", "binary units"),
        ("100", "Units"),
        (100, "A unit is required"),
    ],
)
def test_bad_sizes_have_hints(value, hint):
    with pytest.raises(Invalid) as info:
        parse_size(value, ())
    assert hint in info.value.hint


def test_probabilities_are_numbers_in_range():
    assert parse_probability(0, ()) == 0.0
    assert parse_probability(1, ()) == 1.0
    for bad in (-0.1, 1.5, "0.1", True, float("nan")):
        with pytest.raises(Invalid):
            parse_probability(bad, ())
    with pytest.raises(Invalid):
        parse_probability(1.0, (), upper_open=True)


def test_formatters_pick_the_largest_exact_unit():
    assert format_duration(1_500_000) == "1500ms"
    assert format_duration(60_000_000) == "1m"
    assert format_duration(0) == "0s"
    assert format_rate(2000.0) == "2000/s"
    assert format_rate(0.5) == "0.5/s"
    assert format_size(1_048_576) == "1MiB"
    assert format_size(1000) == "1000B"
