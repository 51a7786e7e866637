"""The node types of a scenario file's shape, and the shape of a distribution.

`Fixed` = a mapping with known fields, `Named` = a mapping whose keys are user names
(topics, producers, consumers), `Seq` = a list indexed by integers, `WHOLE` = a mapping whose
keys may contain dots (Kafka properties, features, expectations), `LEAF` = a value. The tree
of a whole file is in `schema.py`; a timeline entry's actions take their shapes from
`fault_kinds.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fixed:
    fields: dict


@dataclass(frozen=True)
class Named:
    entry: object


@dataclass(frozen=True)
class Seq:
    item: object


LEAF = "leaf"
WHOLE = "whole"


def fixed(*names: str, **nested: object) -> Fixed:
    """A fixed-field mapping: leaf fields first, then nested ones."""
    return Fixed({**dict.fromkeys(names, LEAF), **nested})


def fields(node: Fixed) -> tuple[str, ...]:
    """The field names of a fixed-field mapping, in schema order."""
    return tuple(node.fields)


DIST = fixed("dist", "mean", "median", "p99", "value")
