"""Time distributions written in a scenario: network latency, processing time per record.

Forms (docs/scenario.md#time-distributions): a duration (`1ms`, constant);
`{mean: 2ms, dist: exp}` (exponential;
`dist` may be omitted when only `mean` is given); `{median: 1ms, p99: 20ms}` (lognormal,
`dist: lognormal` optional); `{value: 1ms, dist: constant}`. A lognormal needs median >= 1us
and p99 >= median. Sampling is the simulator's business; this module only reads parameters.
"""

from __future__ import annotations

from sim.scenario.errors import Invalid, Path, choices, describe, quote
from sim.scenario.fields import check_keys
from sim.scenario.shapes import DIST, fields
from sim.scenario.spec import Dist
from sim.scenario.units import format_duration, parse_duration

KINDS = {"constant": ("value",), "exp": ("mean",), "lognormal": ("median", "p99")}
FORMS = "a duration (1ms), {mean: 2ms, dist: exp} or {median: 1ms, p99: 20ms}"


def parse_dist(value: object, path: Path) -> Dist:
    """Read a distribution in any of the forms above."""
    if isinstance(value, dict):
        return _from_mapping(value, path)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return Dist(kind="constant", value_us=parse_duration(value, path))
    raise Invalid(path, FORMS, describe(value))


def _from_mapping(raw: dict, path: Path) -> Dist:
    check_keys(raw, path, fields(DIST))
    kind = _kind(raw, path)
    for key in raw:
        if key != "dist" and key not in KINDS[kind]:
            raise Invalid(
                path + (key,), f"only {choices(KINDS[kind])} for a {kind} distribution", quote(key)
            )
    params = {}
    for key in KINDS[kind]:
        if key not in raw:
            raise Invalid(path + (key,), f"a {key} for a {kind} distribution", "nothing")
        params[key] = parse_duration(raw[key], path + (key,))
    if kind == "constant":
        return Dist(kind=kind, value_us=params["value"])
    if kind == "exp":
        return Dist(kind=kind, mean_us=params["mean"])
    return _lognormal(params, path)


def _kind(raw: dict, path: Path) -> str:
    if "dist" in raw:
        if not isinstance(raw["dist"], str) or raw["dist"] not in KINDS:
            raise Invalid(path + ("dist",), f"one of {choices(KINDS)}", describe(raw["dist"]))
        return raw["dist"]
    for kind, keys in KINDS.items():
        if any(key in raw for key in keys):
            return kind
    raise Invalid(path, FORMS, "an empty mapping")


def _lognormal(params: dict, path: Path) -> Dist:
    median, p99 = params["median"], params["p99"]
    if median < 1:
        raise Invalid(path + ("median",), "a median of at least 1us", "0s")
    if p99 < median:
        raise Invalid(
            path + ("p99",),
            "a p99 at least as large as the median",
            f"{format_duration(p99)} below the median {format_duration(median)}",
        )
    return Dist(kind="lognormal", median_us=median, p99_us=p99)
