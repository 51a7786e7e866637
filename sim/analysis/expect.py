"""Evaluate a scenario's `expect:` block against a summary (docs/summary.md#expectations)."""

import operator

OPS = {"==": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt,
       ">=": operator.ge}


def lookup(summary: dict, key: str):
    """The summary value of a dotted key; nested counters default to 0."""
    head, _, rest = key.partition(".")
    value = summary.get(head)
    if rest:
        return (value or {}).get(rest, 0)
    return value


def evaluate(expectations, summary: dict) -> list[dict]:
    """One entry per expectation: key, wanted, got, ok."""
    out = []
    for e in expectations:
        got = lookup(summary, e.key)
        ok = got is not None and not isinstance(got, (dict, str)) and OPS[e.op](got, e.value)
        wanted = e.text if isinstance(e.text, str) else f"{e.op} {e.value:g}"
        out.append({"key": e.key, "wanted": wanted, "got": got, "ok": bool(ok)})
    return out
