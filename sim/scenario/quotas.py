"""`cluster.quotas:` -> `Quotas`: the default client byte-rate quotas of every client.

`producer_byte_rate` and `consumer_byte_rate` are Kafka's quota names (KIP-13; set with
kafka-configs.sh for the default client entity); here each is a byte rate in the size
grammar per second, `1MiB/s`, at least 1 B/s. Omitted: no quota. Not modeled: per-client
or per-user overrides, request-rate quotas.
"""

from __future__ import annotations

from sim.scenario.errors import Path
from sim.scenario.fields import check_keys, mapping
from sim.scenario.schema import QUOTAS
from sim.scenario.shapes import fields
from sim.scenario.spec import Quotas
from sim.scenario.units import parse_bandwidth

BYTE_RATE = "a byte rate such as 512KiB/s or 1MiB/s"


def build_quotas(raw: object, parent: Path) -> Quotas:
    path = parent + ("quotas",)
    block = mapping(raw, path, "a mapping with producer_byte_rate, consumer_byte_rate")
    check_keys(block, path, fields(QUOTAS))
    return Quotas(**{key: byte_rate(value, path + (key,)) for key, value in block.items()})


def byte_rate(value: object, path: Path) -> int:
    """Parse `<size>/s` into bytes per second (at least 1)."""
    return parse_bandwidth(value, path, BYTE_RATE)
