"""`expect:` -> `Expectation`s: a summary key (docs/summary.md) compared with a number.

A value is a number (equality) or a string `"< N"`, `"<= N"`, `"> N"`, `">= N"`, `"== N"`.
Keys are the summary's counters and measures, plus nested keys `lost_by_cause.<cause>`,
`skipped_by_cause.<cause>` (lowercase identifiers) and `errors.<ERROR_NAME>` (Kafka's
uppercase error names). Whether an expectation holds is decided after the run, not here.
"""

from __future__ import annotations

import math
import re

from sim.scenario.errors import Invalid, closest, describe, quote
from sim.scenario.fields import mapping
from sim.scenario.problems import Problems
from sim.scenario.spec import Expectation

EXPECT_KEYS = (
    "produced",
    "acked",
    "failed",
    "indeterminate",
    "failed_but_present",
    "lost",
    "aborted",
    "txn_committed",
    "txn_aborted",
    "txn_fatal",
    "offline_at_end",
    "committing_at_end",
    "expired",
    "log_duplicates",
    "reordered",
    "replica_divergence",
    "inconsistent_offsets",
    "processed",
    "processed_duplicates",
    "skipped",
    "dead_lettered",
    "out_of_order",
    "aborted_read",
    "uncommitted_read",
    "txn_hanging",
    "eos_duplicates",
    "max_lag",
    "final_lag",
    "ack_p99_ms",
    "e2e_p99_ms",
    "ack_p99_ms_steady",
    "ack_p99_ms_in_faults",
    "e2e_p99_ms_steady",
    "e2e_p99_ms_in_faults",
    "unavailable_s",
    "produce_stalled_s",
    "under_replicated_s",
    "under_min_isr_s",
    "max_catch_up_s",
    "throttle_s",
    "metadata_unavailable_s",
    "rejected",
    "leader_elections",
    "unclean_elections",
    "isr_shrinks",
    "isr_expands",
    "isr_min",
    "preferred_leaders_at_end",
    "rebalances",
)
NESTED = {
    "lost_by_cause": r"[a-z_][a-z0-9_]*",
    "skipped_by_cause": r"[a-z_][a-z0-9_]*",
    "errors": r"[A-Z_][A-Z0-9_]*",
}
_COMPARISON = re.compile(r"\s*(==|<=|>=|<|>)\s*(-?\d{1,15}(?:\.\d{1,15})?)\s*")
VALUE = 'a number or a comparison such as "> 0", "<= 5", "== 0"'


def build_expect(raw: object, problems: Problems) -> tuple[Expectation, ...]:
    """Read every expectation, in file order; one with a problem is left out."""
    block = mapping(raw, ("expect",), "a mapping of summary keys to numbers or comparisons")
    read = [problems.attempt(_expectation, key, value) for key, value in block.items()]
    return tuple(expectation for expectation in read if expectation is not None)


def check_key(key: str) -> str:
    """Check that `key` is a summary key or a nested key the summary may hold."""
    head, dot, tail = key.partition(".")
    if not dot and key in EXPECT_KEYS:
        return key
    if dot and head in NESTED and re.fullmatch(NESTED[head], tail):
        return key
    if dot and head in NESTED:
        case = "uppercase" if head == "errors" else "lowercase"
        raise Invalid(
            ("expect", key),
            f"{head}.<{case} identifier>",
            quote(key),
            "e.g. errors.NOT_ENOUGH_REPLICAS"
            if head == "errors"
            else f"e.g. {head}.unclean_election",
        )
    candidates = list(EXPECT_KEYS) + [f"{name}.<name>" for name in NESTED]
    raise Invalid(
        ("expect", key), "a summary key (see docs/summary.md)", quote(key), closest(key, candidates)
    )


def _expectation(key: str, value: object) -> Expectation:
    check_key(key)
    path = ("expect", key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise Invalid(path, VALUE, describe(value))
        return Expectation(key=key, op="==", value=float(value), text=str(value))
    if not isinstance(value, str):
        raise Invalid(path, VALUE, describe(value))
    match = _COMPARISON.fullmatch(value)
    if not match:
        hint = (
            f'Write {value.strip()} or "== {value.strip()}".'
            if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value)
            else ""
        )
        raise Invalid(path, VALUE, quote(value), hint)
    return Expectation(key=key, op=match.group(1), value=float(match.group(2)), text=value)
