"""Raw tree (+ `--set` overrides) -> validated `Scenario`: the only place dicts become specs.

Order: top-level fields, cluster (its release decides every default), topics, producers,
consumers, the admin client's config, host-name clashes, `__consumer_offsets` and
`__transaction_state` feasibility,
timeline, expectations, limits. Every independent problem is collected (`problems.py`);
`Invalid` paths become `ScenarioError`s naming the file, or `--set PATH` when an override
wrote the value. The raw
tree is copied first (aliases unshared, tuples made lists, numpy integers made ints), so
`Scenario.raw` is plain JSON data independent of the caller's dict.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from sim.cluster.topology import TXN_TOPIC, output_transactional_ids, transactional_ids
from sim.scenario.cluster import build_cluster, check_host_names
from sim.scenario.config import read_config
from sim.scenario.consumers import build_consumers
from sim.scenario.errors import Invalid, Path, ScenarioError, ScenarioErrors, describe, dotted
from sim.scenario.expect import build_expect
from sim.scenario.fields import Ctx, check_keys, integer, mapping, text
from sim.scenario.limits import check_partitions, check_records
from sim.scenario.names import check_host_clashes, scenario_name
from sim.scenario.overrides import apply_overrides
from sim.scenario.problems import Problems
from sim.scenario.producers import build_producers
from sim.scenario.schema import ADMIN, ROOT
from sim.scenario.shapes import fields
from sim.scenario.spec import Analysis, Cluster, Config, FrozenMap, Scenario
from sim.scenario.targets import Hosts
from sim.scenario.timeline import build_timeline
from sim.scenario.topics import build_topics
from sim.scenario.units import parse_duration
from sim.scenario.yamlload import MAX_DEPTH, MAX_NODES

OFFSETS_TOPIC = "__consumer_offsets"


def from_raw(raw: object, source: str, overrides: Sequence[str] = ()) -> Scenario:
    """Validate a raw tree after applying `overrides`; raise `ScenarioError` on any problem.

    Every independent problem is reported (`problems.py` says which are skipped as
    consequences): one as a `ScenarioError`, several as a `ScenarioErrors` in file order.
    """
    if not isinstance(raw, dict):
        raise ScenarioError(source, "", "a mapping at the top level", describe(raw))
    tree = plain(raw, source)
    written = apply_overrides(tree, overrides, source)
    problems = Problems()
    scenario = _scenario(tree, source, Ctx(set_paths=frozenset(written)), overrides, written,
                         problems)
    if problems.found:
        errors = [_error(p, source, overrides, written) for p in problems.in_document_order(tree)]
        raise errors[0] if len(errors) == 1 else ScenarioErrors(errors)
    return scenario


def _error(problem: Invalid, source: str, overrides: Sequence[str], written: dict) -> ScenarioError:
    """One problem as the public error, naming `--set PATH` when an override wrote the value."""
    where, hint = _where(problem.path, written), problem.hint
    if written and not where.startswith("--set"):
        hint = f"{hint} (with --set {' '.join(overrides)})".strip()
    return ScenarioError(source, where, problem.expected, problem.found, hint)


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
    raw: dict,
    source: str,
    ctx: Ctx,
    overrides: Sequence[str],
    written: dict[Path, str],
    problems: Problems,
) -> Scenario | None:
    problems.attempt(check_keys, raw, (), fields(ROOT), ("name", "duration", "cluster"))
    top = _top_level(raw, problems)
    parts = _sections(raw, ctx, top.get("duration_us"), problems)
    analysis = problems.attempt(_analysis, raw.get("analysis"), top.get("duration_us"))
    if problems.found:
        return None
    return Scenario(
        **top,
        **parts,
        analysis=analysis,
        source=source,
        raw=raw,
        overrides=tuple(overrides),
        set_paths=frozenset(dotted(path) for path in written),
    )


def _sections(raw: dict, ctx: Ctx, duration_us: int | None, problems: Problems) -> dict:
    """Read the cluster and what depends on it, and the expectations."""
    expect = problems.attempt(build_expect, raw.get("expect"), problems)
    built = problems.attempt(build_cluster, raw["cluster"], ctx) if "cluster" in raw else None
    if built is None:
        return {"expect": expect}
    cluster, ctx = built
    topics = problems.attempt(build_topics, raw.get("topics"), cluster, ctx, problems)
    clients = _clients(raw, cluster, topics, ctx, problems)
    admin = problems.attempt(_admin, raw.get("admin"), ctx)
    parts = {"cluster": cluster, "topics": FrozenMap(topics or {}), "admin": admin,
             "expect": expect, **clients}
    if topics is None or not clients or duration_us is None:
        return parts
    if not problems.found:
        _cross_checks(cluster, topics, clients, problems)
    hosts = _hosts(cluster, topics, clients["producers"], clients["consumers"])
    if cluster.hosts:
        problems.attempt(check_host_names, cluster, hosts.concrete()[:-2])
    timeline = problems.attempt(build_timeline, raw.get("timeline"), duration_us, hosts, problems)
    if not problems.found:
        problems.attempt(check_records, clients["producers"], timeline, duration_us)
    return {**parts, "timeline": timeline}


def _clients(raw: dict, cluster: Cluster, topics: dict | None, ctx: Ctx, problems: Problems):
    """Producers and consumer groups, unless the topics block itself failed (then {})."""
    if topics is None:
        return {}
    producers = problems.attempt(build_producers, raw.get("producers"), topics, ctx, problems)
    consumers = problems.attempt(
        build_consumers, raw.get("consumers"), topics, cluster, ctx, problems
    )
    if producers is None or consumers is None:
        return {}
    return {"producers": FrozenMap(producers), "consumers": FrozenMap(consumers)}


def _cross_checks(cluster: Cluster, topics: dict, clients: dict, problems: Problems) -> None:
    problems.attempt(check_host_clashes, list(clients["producers"]), list(clients["consumers"]))
    problems.attempt(_check_offsets_topic, cluster, clients["consumers"])
    problems.attempt(_check_transaction_topic, cluster, clients["producers"],
                     clients["consumers"])
    problems.attempt(check_partitions, topics)


def _admin(raw: object, ctx: Ctx) -> Config | None:
    """The optional `admin: {config: {...}}` block: an admin client's properties, none modeled."""
    if raw is None:
        return None
    block = mapping(raw, ("admin",), "a mapping with a config")
    check_keys(block, ("admin",), fields(ADMIN))
    return read_config("admin", block.get("config"), ("admin", "config"), ctx).freeze()


def _duration(value: object) -> int:
    duration_us = parse_duration(value, ("duration",))
    if duration_us == 0:
        raise Invalid(("duration",), "a duration of at least 1us", "0s")
    return duration_us


# (key, default or None when required, Scenario field, reader)
_TOP = (
    ("name", None, "name", lambda value: scenario_name(value, ("name",))),
    ("description", "", "description", lambda value: text(value, ("description",), "a text")),
    ("seed", 0, "seed", lambda value: integer(value, ("seed",), 0, 2**64 - 1, "a seed")),
    ("duration", None, "duration_us", _duration),
    ("drain", "30s", "drain_us", lambda value: parse_duration(value, ("drain",))),
)


def _top_level(raw: dict, problems: Problems) -> dict:
    """The top-level fields that are present (or defaulted) and valid."""
    top = {}
    for key, default, field, read in _TOP:
        if key in raw or default is not None:
            value = problems.attempt(read, raw.get(key, default))
            if value is not None:
                top[field] = value
    return top


def _analysis(raw, duration_us: int | None) -> Analysis:
    """`analysis: {stall_threshold, warmup}`: durations, the threshold above 0, the warm-up
    shorter than the run (when the run's duration is valid)."""
    default = Analysis()
    if raw is None:
        return default
    mapping(raw, ("analysis",), "a mapping of stall_threshold and warmup")
    check_keys(raw, ("analysis",), ("stall_threshold", "warmup"))
    threshold = parse_duration(raw.get("stall_threshold", "1s"), ("analysis", "stall_threshold"))
    if threshold == 0:
        raise Invalid(("analysis", "stall_threshold"), "a duration above 0", "0s")
    warmup = parse_duration(raw.get("warmup", "5s"), ("analysis", "warmup"))
    if duration_us is not None and warmup >= duration_us:
        raise Invalid(("analysis", "warmup"), "a warm-up shorter than the duration",
                      describe(raw["warmup"]))
    return Analysis(stall_threshold_us=threshold, warmup_us=warmup)


def _check_offsets_topic(cluster: Cluster, consumers: dict) -> None:
    _check_internal_topic(cluster, "offsets.topic.replication.factor", OFFSETS_TOPIC,
                          bool(consumers), "consumer groups exist")


def _check_transaction_topic(cluster: Cluster, producers: dict,
                             consumers: dict | None = None) -> None:
    """Creating `__transaction_state` fails while fewer brokers exist than its replication
    factor (TransactionStateManager: the internal topic is created on first use)."""
    txn_ids = transactional_ids(producers) + output_transactional_ids(consumers or {})
    _check_internal_topic(cluster, "transaction.state.log.replication.factor", TXN_TOPIC,
                          bool(txn_ids), "some producer has a transactional.id")


def _check_internal_topic(cluster: Cluster, rf_name: str, topic: str, used: bool,
                          why: str) -> None:
    """An internal topic in use needs at least its replication factor of brokers."""
    needed = cluster.config[rf_name]
    if used and cluster.brokers < needed:
        raise Invalid(
            ("cluster", "brokers"),
            f"at least {rf_name} ({needed}) brokers for {topic}, since {why}",
            f"{cluster.brokers}",
            f"Add brokers or set cluster.config.{rf_name}: {cluster.brokers}.",
        )


def _hosts(cluster: Cluster, topics: dict, producers: dict, consumers: dict) -> Hosts:
    partitions = {name: topic.partitions for name, topic in topics.items()}
    if consumers:
        partitions[OFFSETS_TOPIC] = cluster.config["offsets.topic.num.partitions"]
    if transactional_ids(producers) + output_transactional_ids(consumers):
        partitions[TXN_TOPIC] = cluster.config["transaction.state.log.num.partitions"]
    return Hosts(
        brokers=cluster.brokers,
        producers=tuple(producers),
        members={name: group.members for name, group in consumers.items()},
        partitions=partitions,
        racks=tuple(cluster.racks),
        controllers=cluster.controllers,
        replication={name: topic.replication_factor for name, topic in topics.items()},
    )
