"""Raw tree (+ `--set` overrides) -> validated `Scenario`: the only place dicts become specs.

Order: top-level fields, cluster (its release decides every default), topics, producers,
consumers, the admin client's config, host-name clashes, `__consumer_offsets` feasibility,
timeline, expectations, limits. The first problem raises; `Invalid` paths become
`ScenarioError`s naming the file, or `--set PATH` when an override wrote the value. The raw
tree is copied first (aliases unshared, tuples made lists, numpy integers made ints), so
`Scenario.raw` is plain JSON data independent of the caller's dict.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from sim.scenario.cluster import build_cluster
from sim.scenario.config import read_config
from sim.scenario.consumers import build_consumers
from sim.scenario.errors import Invalid, Path, ScenarioError, describe, dotted
from sim.scenario.expect import build_expect
from sim.scenario.fields import Ctx, check_keys, integer, mapping, text
from sim.scenario.limits import check_partitions, check_records
from sim.scenario.names import check_host_clashes, scenario_name
from sim.scenario.overrides import apply_overrides
from sim.scenario.producers import build_producers
from sim.scenario.schema import ADMIN, ROOT
from sim.scenario.shapes import fields
from sim.scenario.spec import Cluster, Config, FrozenMap, Scenario
from sim.scenario.targets import Hosts
from sim.scenario.timeline import build_timeline
from sim.scenario.topics import build_topics
from sim.scenario.units import parse_duration
from sim.scenario.yamlload import MAX_DEPTH, MAX_NODES

OFFSETS_TOPIC = "__consumer_offsets"


def from_raw(raw: object, source: str, overrides: Sequence[str] = ()) -> Scenario:
    """Validate a raw tree after applying `overrides`; raise `ScenarioError` on any problem."""
    if not isinstance(raw, dict):
        raise ScenarioError(source, "", "a mapping at the top level", describe(raw))
    tree = plain(raw, source)
    written = apply_overrides(tree, overrides, source)
    try:
        return _scenario(tree, source, Ctx(set_paths=frozenset(written)), overrides, written)
    except Invalid as exc:
        where, hint = _where(exc.path, written), exc.hint
        if written and not where.startswith("--set"):
            hint = f"{hint} (with --set {' '.join(overrides)})".strip()
        raise ScenarioError(source, where, exc.expected, exc.found, hint) from None


def _where(path: Path, written: dict[Path, str]) -> str:
    """The `--set PATH` that wrote `path` (or an ancestor), else the dotted file path."""
    for prefix in sorted(written, key=len, reverse=True):
        if path[: len(prefix)] == prefix:
            return f"--set {written[prefix]}"
    return dotted(path)


def plain(tree: object, source: str) -> object:
    """Deep-copy a raw tree into fresh dicts and lists, refusing cycles and oversize trees."""
    budget = [MAX_NODES]

    def copy(value: object, depth: int) -> object:
        budget[0] -= 1
        if depth > MAX_DEPTH or budget[0] < 0:
            raise ScenarioError(
                source,
                "",
                f"at most {MAX_DEPTH} levels and {MAX_NODES} values",
                "a deeper or larger tree",
            )
        if isinstance(value, dict):
            return {key: copy(item, depth + 1) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [copy(item, depth + 1) for item in value]
        if isinstance(value, numbers.Integral) and not isinstance(value, (int, bool)):
            return int(value)  # numpy integers from a notebook
        return value

    return copy(tree, 0)


def _scenario(
    raw: dict, source: str, ctx: Ctx, overrides: Sequence[str], written: dict[Path, str]
) -> Scenario:
    mapping(raw, (), "a mapping at the top level", optional=False)
    check_keys(raw, (), fields(ROOT), required=("name", "duration", "cluster"))
    top = _top_level(raw)
    cluster, ctx = build_cluster(raw["cluster"], ctx)
    topics = build_topics(raw.get("topics"), cluster, ctx)
    producers = build_producers(raw.get("producers"), topics, ctx)
    consumers = build_consumers(raw.get("consumers"), topics, cluster, ctx)
    admin = _admin(raw.get("admin"), ctx)
    check_host_clashes(list(producers), list(consumers))
    _check_offsets_topic(cluster, consumers)
    hosts = _hosts(cluster, topics, producers, consumers)
    timeline = build_timeline(raw.get("timeline"), top["duration_us"], hosts)
    expect = build_expect(raw.get("expect"))
    check_partitions(topics)
    check_records(producers, timeline, top["duration_us"])
    return Scenario(
        **top,
        source=source,
        raw=raw,
        cluster=cluster,
        topics=FrozenMap(topics),
        producers=FrozenMap(producers),
        consumers=FrozenMap(consumers),
        admin=admin,
        timeline=timeline,
        expect=expect,
        overrides=tuple(overrides),
        set_paths=frozenset(dotted(path) for path in written),
    )


def _admin(raw: object, ctx: Ctx) -> Config | None:
    """The optional `admin: {config: {...}}` block: an admin client's properties, none modeled."""
    if raw is None:
        return None
    block = mapping(raw, ("admin",), "a mapping with a config")
    check_keys(block, ("admin",), fields(ADMIN))
    return read_config("admin", block.get("config"), ("admin", "config"), ctx).freeze()


def _top_level(raw: dict) -> dict:
    duration_us = parse_duration(raw["duration"], ("duration",))
    if duration_us == 0:
        raise Invalid(("duration",), "a duration of at least 1us", "0s")
    return {
        "name": scenario_name(raw["name"], ("name",)),
        "description": text(raw.get("description", ""), ("description",), "a text"),
        "seed": integer(raw.get("seed", 0), ("seed",), 0, 2**64 - 1, "a seed"),
        "duration_us": duration_us,
        "drain_us": parse_duration(raw.get("drain", "30s"), ("drain",)),
    }


def _check_offsets_topic(cluster: Cluster, consumers: dict) -> None:
    needed = cluster.config["offsets.topic.replication.factor"]
    if consumers and cluster.brokers < needed:
        raise Invalid(
            ("cluster", "brokers"),
            f"at least offsets.topic.replication.factor "
            f"({needed}) brokers for {OFFSETS_TOPIC}, since consumer groups exist",
            f"{cluster.brokers}",
            "Add brokers or set cluster.config."
            f"offsets.topic.replication.factor: {cluster.brokers}.",
        )


def _hosts(cluster: Cluster, topics: dict, producers: dict, consumers: dict) -> Hosts:
    partitions = {name: topic.partitions for name, topic in topics.items()}
    if consumers:
        partitions[OFFSETS_TOPIC] = cluster.config["offsets.topic.num.partitions"]
    return Hosts(
        brokers=cluster.brokers,
        producers=tuple(producers),
        members={name: group.members for name, group in consumers.items()},
        partitions=partitions,
    )
