"""`explain(scenario)`: the effective configuration as plain text, for `validate --explain`.

Every modeled Kafka property of the cluster, each topic, producer and consumer group, with its
value and its source (`default 4.1`, `scenario`, `--set`, `cluster log.retention.ms`,
`adjusted (...)`), the other Kafka properties given ("ignored (not modeled, Kafka property
since 2.1)"), and the scenario's
own fields with `default` / `scenario` / `--set`. Millisecond and byte values carry a human
reading (`604800000  (7d)`). With `cluster.racks`, each topic's partitions as a run with the
file's seed places them (sim/cluster/placement.py), one line each: the replicas, leader first,
each with its rack (the first 32 of a topic; the simulated `__consumer_offsets` and
`__transaction_state` ones too).
Plain text, so it reads the same in a terminal, a log or a diff.
"""

from __future__ import annotations

import textwrap

from sim.cluster.topology import (
    OFFSETS_TOPIC,
    TXN_TOPIC,
    Topology,
    named_offsets_partitions,
    output_transactional_ids,
    transactional_ids,
)
from sim.core.rng import Streams
from sim.scenario import catalogue
from sim.scenario.errors import dotted
from sim.scenario.fault_kinds import KINDS
from sim.scenario.properties import INERT, LONG_MAX, PROPERTIES
from sim.scenario.shapes import LEAF
from sim.scenario.spec import Action, Config, Dist, Scenario
from sim.scenario.units import format_bandwidth, format_duration, format_rate, format_size

_NAME_WIDTH, _VALUE_WIDTH = 46, 26
_PLACED_SHOWN = 32      # partitions listed with their racks, per topic
# Broker properties a release's protocol switch makes the model (and Kafka) ignore:
# name -> (switch, the switch's value that ignores it, why).
_UNREAD_UNDER = {
    "leader.imbalance.per.broker.percentage": (
        "leader.imbalance.check", "any-partition",
        "the KRaft controller balances any partition off its preferred leader, KAFKA-13682"),
}


def explain(scenario: Scenario) -> str:
    """Render the effective configuration of `scenario`."""
    lines = _header(scenario) + _cluster(scenario)
    placed = _placed(scenario) if scenario.cluster.racks else None
    for name, topic in scenario.topics.items():
        rows = [
            _field(scenario, ("topics", name, "partitions"), topic.partitions),
            _field(scenario, ("topics", name, "replication.factor"), topic.replication_factor),
            _field(scenario, ("topics", name, "assignment"), _assignment(scenario, topic)),
        ]
        lines += ["", f"topic {name}", *_rows(rows, 2)]
        lines += _on_racks(scenario, placed, name) if placed else []
        lines += _config(topic.config)
    for internal in (OFFSETS_TOPIC, TXN_TOPIC):
        if placed and internal in placed.by_topic:
            lines += ["", f"topic {internal} (the partitions the run simulates)",
                      *_on_racks(scenario, placed, internal)]
    for name, producer in scenario.producers.items():
        lines += [
            "",
            f"producer {name}",
            *_rows(_producer_rows(scenario, name, producer), 2),
            *_config(producer.config),
        ]
    for name, group in scenario.consumers.items():
        lines += [
            "",
            f"consumer group {name}",
            *_rows(_group_rows(scenario, name, group), 2),
            *_config(group.config),
        ]
    if scenario.admin is not None:
        lines += ["", "admin client", *_config(scenario.admin)]
    timeline = [f"  {_action(action)}" for action in scenario.timeline] or ["  (no entries)"]
    expect = [f"  {e.key} {e.op} {e.value:g}" for e in scenario.expect] or ["  (none)"]
    lines += ["", "timeline", *timeline, "", "expect", *expect]
    return "\n".join(lines) + "\n"


def _header(s: Scenario) -> list[str]:
    lines = [f"scenario {s.name}  ({s.source})"]
    if s.description:
        lines += textwrap.wrap(
            " ".join(s.description.split()), 96, initial_indent="  ", subsequent_indent="  "
        )
    rows = [
        _field(s, ("seed",), s.seed),
        _field(s, ("duration",), format_duration(s.duration_us)),
        _field(s, ("drain",), format_duration(s.drain_us)),
    ]
    lines += _rows(rows, 2)
    if s.overrides:
        lines.append(f"  --set {' '.join(s.overrides)}")
    return lines


def _cluster(s: Scenario) -> list[str]:
    c = s.cluster
    rows = [
        _field(s, ("cluster", "brokers"), c.brokers),
        _field(s, ("cluster", "version"), c.version),
        _field(s, ("cluster", "network", "latency"), dist_text(c.network.latency)),
        _field(s, ("cluster", "network", "loss"), c.network.loss),
        _field(s, ("cluster", "network", "resets"), c.network.resets),
        _field(s, ("cluster", "disk", "write"), format_duration(c.disk.write_us)),
        _field(s, ("cluster", "disk", "fsync"), format_duration(c.disk.fsync_us)),
        _field(
            s,
            ("cluster", "disk", "os_flush_interval"),
            format_duration(c.disk.os_flush_interval_us),
        ),
    ]
    if c.network.bandwidth:
        rows.append(_field(s, ("cluster", "network", "bandwidth"),
                           format_bandwidth(c.network.bandwidth)))
    if c.disk.throughput:
        rows.append(_field(s, ("cluster", "disk", "throughput"),
                           format_bandwidth(c.disk.throughput)))
    for name, limit in c.hosts.items():
        own = [f"bandwidth {format_bandwidth(limit.bandwidth)}" if limit.bandwidth else "",
               f"disk throughput {format_bandwidth(limit.throughput)}" if limit.throughput else ""]
        rows.append((f"hosts.{name}", ", ".join(x for x in own if x), "scenario"))
    return ["", "cluster", *_rows(rows, 2), *_config(c.features, "features"),
            *_config(c.protocol, "protocol"), *_config(c.config, unread=_unread(c.protocol))]


def _unread(protocol: Config) -> dict[str, str]:
    """Broker properties this release ignores, with the note `validate --explain` shows."""
    return {name: f"not read ({switch}: {value}; {why})"
            for name, (switch, value, why) in _UNREAD_UNDER.items()
            if protocol[switch] == value}


def _producer_rows(s: Scenario, name: str, p) -> list[tuple[str, str, str]]:
    base = ("producers", name)
    where = (
        p.topic
        if p.steps is None
        else " -> ".join(
            f"{st.topic}:{st.event}" + (f" +{format_duration(st.after_us)}" if st.after_us else "")
            for st in p.steps
        )
    )
    keys = (
        "null (sticky partitioner)"
        if p.keys is None
        else (f"{p.keys} keys" if isinstance(p.keys, int) else f"{len(p.keys)} listed keys")
    )
    return [
        _field(s, base + ("topic" if p.steps is None else "steps",), where),
        _field(s, base + ("rate",), format_rate(p.rate)),
        _field(s, base + ("keys",), keys),
        _field(s, base + ("value_size",), format_size(p.value_size)),
        _field(s, base + ("arrivals",), p.arrivals),
        _field(s, base + ("tombstones",), p.tombstones),
    ]


def _group_rows(s: Scenario, name: str, g) -> list[tuple[str, str, str]]:
    base = ("consumers", name)
    poison = "none"
    if g.on_poison:
        q = g.on_poison
        poison = f"{q.retries} retries, backoff {format_duration(q.backoff_us)}, then {q.then}" + (
            f" to {q.dlq_topic}" if q.dlq_topic else ""
        )
    topics_key = "topic" if "topic" in _raw(s, base) else "topics"
    return [
        _field(s, base + (topics_key,), ", ".join(g.topics)),
        _field(s, base + ("members",), g.members),
        _field(s, base + ("processing",), dist_text(g.processing)),
        _field(s, base + ("commit",), g.commit),
        _field(s, base + ("virtual_partitions",), g.virtual_partitions),
        _field(s, base + ("long_running",), g.long_running),
        _field(s, base + ("on_poison",), poison),
    ]


def _raw(s: Scenario, path: tuple) -> object:
    node: object = s.raw
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None
    return node


def _field(s: Scenario, path: tuple, value: object) -> tuple[str, str, str]:
    dotted_path = dotted(path)
    if any(dotted_path == p or dotted_path.startswith(p + ".") for p in s.set_paths):
        origin = "--set"
    else:
        origin = "scenario" if _raw(s, path) is not None else "default"
    label = dotted(path[-2:]) if len(path) > 1 and path[-2] in ("network", "disk") else path[-1]
    return label, value_text(value), origin


def _config(config: Config, title: str = "config", unread: dict | None = None) -> list[str]:
    unread = unread or {}
    rows = [
        (name, _kafka_text(config.scope, name, value),
         f"{config.source(name)}, {unread[name]}" if name in unread else config.source(name))
        for name, value in config.items()
    ]
    lines = [f"  {title}", *_rows(rows, 4)]
    return lines + [f"    {name:<{_NAME_WIDTH}} {_ignored(config.scope, name)}"
                    for name in config.ignored]


def _ignored(scope: str, name: str) -> str:
    """`ignored (not modeled, Kafka property since 0.10: note)` for an accepted Kafka name."""
    note = INERT.get(name, "")
    since = catalogue.lifetime(catalogue.span(scope, name))
    return f"ignored (not modeled, Kafka property {since}{': ' + note if note else ''})"


def _rows(rows: list[tuple[str, str, str]], indent: int) -> list[str]:
    pad = " " * indent
    return [
        f"{pad}{name:<{_NAME_WIDTH}} {value:<{_VALUE_WIDTH}} {source}".rstrip()
        for name, value, source in rows
    ]


def value_text(value: object) -> str:
    """Render a value the way a scenario would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _kafka_text(scope: str, name: str, value: object) -> str:
    unit = PROPERTIES[scope][name].unit
    text = value_text(value)
    if name == "acks":
        return "all (-1)" if value == -1 else text
    if isinstance(value, bool) or not isinstance(value, int):
        return text
    if value == LONG_MAX:
        return f"{text}  (unthrottled)" if unit == "bytes/s" else f"{text}  (never)"
    if value == -1 and unit in ("ms", "bytes"):
        return f"{text}  (unlimited)"
    if unit == "ms" and value >= 1_000:
        return f"{text}  ({format_duration(value * 1_000)})"
    if unit == "bytes" and value >= 1_024 and value % 1_024 == 0:
        return f"{text}  ({format_size(value)})"
    if unit == "bytes/s" and value >= 1_024 and value % 1_024 == 0:
        return f"{text}  ({format_size(value)}/s)"
    return text


def dist_text(dist: Dist) -> str:
    """Render a distribution: `1ms`, `exp mean 2ms`, `lognormal median 1ms p99 8ms`."""
    if dist.kind == "constant":
        return format_duration(dist.value_us)
    if dist.kind == "exp":
        return f"exp mean {format_duration(dist.mean_us)}"
    return f"lognormal median {format_duration(dist.median_us)} p99 {format_duration(dist.p99_us)}"


def _assignment(s: Scenario, topic) -> str:
    if topic.assignment is None:
        return f"{s.cluster.protocol['replica.placer']} placer, seed {s.seed}"
    shown = " ".join("[" + ",".join(map(str, replicas)) + "]"
                     for replicas in topic.assignment[:8])
    return shown + (f" ... ({len(topic.assignment)} partitions)"
                    if len(topic.assignment) > 8 else "")


def _placed(s: Scenario) -> Topology:
    """The partitions as a run with the file's seed places them (racks: the controller's)."""
    return Topology(s.topics, s.cluster, list(s.consumers), named_offsets_partitions(s.timeline),
                    Streams(s.seed), txn_ids=transactional_ids(s.producers)
                    + output_transactional_ids(s.consumers, s.timeline),
                    txn_named=named_offsets_partitions(s.timeline, TXN_TOPIC))


def _on_racks(s: Scenario, placed: Topology, topic: str) -> list[str]:
    """One line per partition: its replicas, leader first, each with its rack."""
    infos = [placed.partitions[i] for i in placed.by_topic[topic] if i is not None]
    lines = [f"    {info.name:<{_NAME_WIDTH - 2}} "
             + ", ".join(f"{b} ({s.cluster.rack_of(b)})" for b in info.replicas)
             for info in infos[:_PLACED_SHOWN]]
    if len(infos) > _PLACED_SHOWN:
        lines.append(f"    ... ({len(infos)} partitions)")
    return lines


def _action(action: Action) -> str:
    params = ", ".join(
        f"{k}={_param_text(action.kind, k, v)}" for k, v in action.params.items() if v is not None
    )
    # an action whose value is a mapping or groups shows its hosts in its parameters
    target = " ".join(action.target) if KINDS[action.kind].shape == LEAF else ""
    parts = [f"{format_duration(action.at_us):>8}", action.kind, target, params]
    if action.for_us is not None:
        parts.append(f"for {format_duration(action.for_us)}")
    return "  ".join(part for part in parts if part) + f"   (entry {action.index})"


def _param_text(kind: str, key: str, value: object) -> str:
    if isinstance(value, Dist):
        return dist_text(value)
    if kind == "set_rate" and key == "rate":
        return format_rate(value)
    if key == "to" and isinstance(value, tuple):
        return f"time {format_duration(value[1])}" if value[0] == "time" else f"offset {value[1]}"
    if key == "groups":
        return " | ".join(" ".join(group) for group in value)
    if key == "between":
        return " <-> ".join(value)
    return value_text(value)
