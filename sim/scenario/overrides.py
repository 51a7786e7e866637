"""`--set PATH=VALUE`: override the raw tree before validation.

The path resolves against the schema (`schema.py`): in a fixed-field mapping the longest
dotted prefix naming a field (`topics.orders.replication.factor`); in a named mapping (topics,
producers, consumers) the longest prefix naming an existing entry (topic names may contain
dots); after `config.`, `features.` or `expect.` the whole remainder is one key; integers
index lists (`timeline.2.at`). Missing fixed-field mappings are created; named entries and
list items must exist. The value is one YAML flow value (`5`, `2000/s`, `[a, b]`,
`{median: 1ms, p99: 5ms}`), read under the same safety limits as files; `null` (or nothing)
removes the key, restoring its default.

See docs/cli.md#flags-every-command-shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.scenario.errors import Invalid, Path, ScenarioError, closest, describe, dotted, quote
from sim.scenario.schema import ROOT
from sim.scenario.shapes import LEAF, WHOLE, Fixed, Seq
from sim.scenario.yamlload import load_yaml


def apply_overrides(raw: dict, overrides: Sequence[str], source: str) -> dict[Path, str]:
    """Apply each override to `raw` in place; return {resolved path: the PATH text}."""
    if isinstance(overrides, str):
        overrides = (overrides,)
    written: dict[Path, str] = {}
    for item in overrides:
        text, value = _split(item, source)
        try:
            container, key, path = _resolve(raw, text.split("."))
        except Invalid as exc:
            raise ScenarioError(
                source, f"--set {text}", exc.expected, exc.found, exc.hint
            ) from None
        value = load_yaml(value, source, f"--set {text}")
        if value is None and isinstance(container, dict):
            container.pop(key, None)  # PATH=null (or PATH=) restores the default
        else:
            container[key] = value
        written[path] = text
    return written


def _split(item: object, source: str) -> tuple[str, str]:
    if not isinstance(item, str) or "=" not in item:
        raise ScenarioError(source, "--set", "PATH=VALUE", describe(item))
    text, _, value = item.partition("=")
    text = text.strip()
    if not text or any(not part for part in text.split(".")):
        raise ScenarioError(
            source, f"--set {text}", "a dotted path such as topics.orders.partitions", quote(text)
        )
    return text, value


def _resolve(raw: dict, parts: list[str]) -> tuple[object, object, Path]:
    """Walk the schema; return (container, key, path) to assign the value at."""
    node, container, path, i = ROOT, raw, (), 0
    while True:
        key, used, child = _step(node, container, parts[i:], path)
        i += used
        path = path + (key,)
        if i == len(parts):
            return container, key, path
        if child in (LEAF,):
            raise Invalid(path, f"nothing below {dotted(path)} (it is a value)", quote(parts[i]))
        container = _descend(container, key, child, path)
        node = child


def _step(
    node: object, container: object, rest: list[str], path: Path
) -> tuple[object, int, object]:
    """Consume the next segment(s) under `node`: return (key, segments used, child node)."""
    if node == WHOLE:
        return ".".join(rest), len(rest), LEAF
    if isinstance(node, Seq):
        return _index(container, rest[0], path), 1, node.item
    names = list(node.fields) if isinstance(node, Fixed) else list(container)
    for used in range(len(rest), 0, -1):
        key = ".".join(rest[:used])
        if key in names:
            return key, used, node.fields[key] if isinstance(node, Fixed) else node.entry
    what = "a field" if isinstance(node, Fixed) else "an existing entry"
    owner = dotted(path) or "the scenario"
    raise Invalid(
        path + (rest[0],),
        f"{what} of {owner} ({', '.join(names) or 'none'})",
        quote(".".join(rest)),
        closest(rest[0], names),
    )


def _index(container: object, part: str, path: Path) -> int:
    size = len(container) if isinstance(container, list) else 0
    if not part.isdigit() or int(part) >= size:
        expected = f"an index of an existing item (0 to {size - 1})" if size else "an existing item"
        raise Invalid(path + (part,), expected, quote(part))
    return int(part)


def _descend(container: object, key: object, child: object, path: Path) -> object:
    """Return the mapping or list at container[key], creating empty fixed mappings."""
    value = container[key] if isinstance(container, list) else container.get(key)
    if value is None:
        value = container[key] = [] if isinstance(child, Seq) else {}
    wanted = list if isinstance(child, Seq) else dict
    if not isinstance(value, wanted):
        kind = "a list" if wanted is list else "a mapping"
        raise Invalid(
            path,
            f"{kind} at {dotted(path)} to set a value inside",
            describe(value),
            f"Set the whole value: --set {dotted(path)}=...",
        )
    return value


def split_sweep_values(text: str) -> list[str]:
    """Split `1,2,[a, b]` on top-level commas: ['1', '2', '[a, b]'] (quotes and brackets kept)."""
    items, depth, quote_char, current = [], 0, "", []
    for char in text:
        if quote_char:
            quote_char = "" if char == quote_char else quote_char
        elif char in "'\"":
            quote_char = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return items
