"""One `config:` (or `features:`) block -> every modeled property of its scope, with sources.

Resolution order: the value given in the block (`scenario` or `--set`), else for a topic the
cluster-wide default (`cluster.config` `log.*` or same-named broker property, source
`cluster log.retention.ms` when the scenario set it), else the release's default
(`default 4.1`). Broker aliases in coarser units (`log.retention.hours`) are honoured with
Kafka's precedence (ms > minutes > hours). Any other name of Kafka's documented configs of
the scope (`catalogue.py`) is recorded as ignored when the cluster's release has it and
refused, with the releases that do, when it does not (a modeled name too, once Kafka
removed it: `leader.imbalance.per.broker.percentage` from 4.0); a modeled property of another scope
is an error with a hint to its right place; a name Kafka never had is an unknown name, with
the closest Kafka name as a hint. A modeled property marked `per_release` (KIP-392's
`replica.selector.class` and `client.rack`) is refused in a release without it, as an
unmodeled name would be.
Cross-field rules of the clients live in `clientrules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.scenario import catalogue
from sim.scenario.errors import Invalid, Invalids, Path, choices, closest, quote
from sim.scenario.fields import Ctx, mapping
from sim.scenario.kafkavalues import coerce
from sim.scenario.properties import (
    ALIASES,
    PROPERTIES,
    TOPIC,
    Prop,
    other_scopes,
    suggestions,
    topic_name_for,
)
from sim.scenario.spec import Config
from sim.scenario.versions import defaults

WHAT = {
    "broker": "a broker property",
    "topic": "a topic property",
    "producer": "a producer property",
    "consumer": "a consumer property",
    "feature": "a feature name",
    "protocol": "a protocol switch",
    "admin": "an admin client property",
}
WHERE = {
    "broker": "cluster.config",
    "topic": "a topic's config",
    "producer": "a producer's config",
    "consumer": "a consumer group's config",
    "feature": "cluster.features",
    "protocol": "cluster.protocol",
    "admin": "admin.config",
}


@dataclass
class Draft:
    """A config being resolved; `freeze()` makes the immutable `Config`."""

    scope: str
    path: Path
    values: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    ignored: list = field(default_factory=list)
    explicit: set = field(default_factory=set)

    def adjust(self, name: str, value: object, why: str) -> None:
        """Change a value the way Kafka itself would, recording why."""
        self.values[name] = value
        self.sources[name] = f"adjusted ({why})"

    def freeze(self) -> Config:
        return Config(self.scope, self.values, self.sources, tuple(self.ignored))


def read_config(
    scope: str, raw: object, path: Path, ctx: Ctx, inherit: Config | None = None
) -> Draft:
    """Resolve one block of `scope` properties at `path` (topic blocks inherit from `inherit`)."""
    block = mapping(raw, path, f"a mapping of {WHAT[scope].removeprefix('a ')}s")
    draft = Draft(scope, path)
    given, aliases, problems = {}, {}, []
    for key, value in block.items():
        try:
            _read_key(draft, key, value, ctx, given, aliases)
        except Invalid as problem:
            problems.append(problem)
    if problems:  # each key is independent: report them all
        raise problems[0] if len(problems) == 1 else Invalids(problems)
    _apply_aliases(given, aliases)
    _fill(draft, given, ctx, inherit)
    return draft


def _read_key(draft: Draft, key: str, value: object, ctx: Ctx, given: dict, aliases: dict) -> None:
    """Sort one key of a block: a modeled value, a broker alias, or an ignored Kafka name."""
    scope, key_path = draft.scope, draft.path + (key,)
    if key in PROPERTIES[scope]:
        prop = PROPERTIES[scope][key]
        if prop.per_release:
            _not_modeled(scope, key, key_path, ctx.version)
        _refuse_removed(scope, key, key_path, ctx.version)
        given[key] = (coerce(prop, value, key_path), ctx.origin(key_path))
    elif scope == "broker" and key in ALIASES:
        aliases[key] = (_alias_value(key, value, key_path), ctx.origin(key_path))
    elif scope in catalogue.KINDS and catalogue.span(scope, key):
        draft.ignored.append(_not_modeled(scope, key, key_path, ctx.version))
    else:
        raise misplaced(scope, key, key_path)


def _not_modeled(scope: str, key: str, path: Path, version: str) -> str:
    """Accept a Kafka name of `version` (one kafkasim does not model, or a `per_release` one);
    refuse other releases'."""
    if catalogue.known(scope, key, version):
        return key
    bounds = catalogue.span(scope, key)
    first, removed = bounds
    change = f"added in {first}" if catalogue.earlier(version, first) else f"removed in {removed}"
    raise Invalid(
        path,
        f"{WHAT[scope]} of Kafka {version}",
        f"{quote(key)}, which Kafka {change}",
        f"Kafka has it {catalogue.lifetime(bounds)}: remove it, or set cluster.version "
        "to a release that has it.",
    )


def _refuse_removed(scope: str, key: str, path: Path, version: str) -> None:
    """A modeled name that Kafka removed by `version` is refused like the catalogue's.

    (A modeled name is accepted before Kafka added it: `broker.session.timeout.ms` stands
    for the ZooKeeper session there.)"""
    bounds = catalogue.span(scope, key) if scope in catalogue.KINDS else None
    if bounds and bounds[1] and not catalogue.earlier(version, bounds[1]):
        _not_modeled(scope, key, path, version)


def _alias_value(alias: str, value: object, path: Path) -> int:
    target, factor = ALIASES[alias]
    lo = 1 if target == "log.roll.ms" else -1
    hours = coerce(Prop(alias, "broker", "int", "", lo), value, path)
    return -1 if hours < 0 else hours * factor


def _apply_aliases(given: dict, aliases: dict) -> None:
    for alias in ALIASES:  # table order = Kafka's precedence among aliases
        target = ALIASES[alias][0]
        if alias in aliases and target not in given:
            value, origin = aliases[alias]
            given[target] = (value, f"{origin} ({alias})")


def _fill(draft: Draft, given: dict, ctx: Ctx, inherit: Config | None) -> None:
    for name, prop in PROPERTIES[draft.scope].items():
        if name in given:
            draft.values[name], draft.sources[name] = given[name]
            draft.explicit.add(name)
        elif inherit is not None and prop.broker_name:
            draft.values[name] = inherit[prop.broker_name]
            draft.sources[name] = _inherited(inherit, prop.broker_name)
        else:
            draft.values[name] = defaults(ctx.version, draft.scope)[name]
            draft.sources[name] = f"default {ctx.version}"


def _inherited(cluster: Config, broker_name: str) -> str:
    source = cluster.source(broker_name)
    return source if source.startswith("default") else f"cluster {broker_name}"


def misplaced(scope: str, key: str, path: Path) -> Invalid:
    """The error for a name that is not accepted in `scope`: wrong level, or unknown."""
    others = other_scopes(scope, key)
    if scope == "topic" and ("broker" in others or key in ALIASES):
        better = topic_name_for(ALIASES.get(key, (key,))[0])
        hint = (
            f"Did you mean {better}?"
            if better
            else "It is a broker setting: put it in cluster.config."
        )
        return Invalid(path, WHAT[scope], f"the broker property {quote(key)}", hint)
    if scope == "broker" and "topic" in others:
        return Invalid(
            path,
            WHAT[scope],
            f"the topic property {quote(key)}",
            f"Did you mean {TOPIC[key].broker_name}?",
        )
    if others:
        return Invalid(
            path,
            WHAT[scope],
            f"the {others[0]} property {quote(key)}",
            f"It belongs in {WHERE[others[0]]}.",
        )
    owners = [kind for kind in catalogue.KINDS if kind != scope and catalogue.span(kind, key)]
    if owners:
        where = choices(WHERE[kind] for kind in owners)
        return Invalid(
            path, WHAT[scope], f"the {owners[0]} property {quote(key)}", f"It belongs in {where}."
        )
    return Invalid(path, WHAT[scope], quote(key), _unknown_hint(scope, key))


def _unknown_hint(scope: str, key: str) -> str:
    """'Did you mean X?' from every name Kafka has for `scope`, else where to look."""
    names = suggestions(scope)
    if scope in catalogue.KINDS:
        names += catalogue.names(scope)
    return closest(key, names) or (
        f"Kafka has no such {WHAT[scope].removeprefix('a ').removeprefix('an ')}; "
        "`kafkasim validate --explain` lists the modeled properties."
    )
