"""`consumers:` -> `ConsumerGroup` specs: subscription, members, processing, commits, poison policy.

The entry's name is the group id. `topic` or `topics` (declared, distinct); `members` 1..1000
(default 1); `processing` per record (default `0us`, constant; docs/scenario.md#consumers);
`commit` after-processing | before-processing | auto (default: auto, or after-processing when
`enable.auto.commit` is false); `virtual_partitions` N >= 1; `long_running`; `on_poison`
{retries (default 0), backoff (default 0s), then: dlq | skip | block, dlq_topic (declared,
required with dlq only)}; `output` {topic, transactional, config} (outputs.py). The consumer
config follows `clientrules.py`.
"""

from __future__ import annotations

from sim.scenario.clientrules import settle_commit, settle_consumer
from sim.scenario.config import read_config
from sim.scenario.dists import parse_dist
from sim.scenario.errors import Invalid, Path, quote
from sim.scenario.fields import Ctx, boolean, check_keys, choice, integer, mapping, text_list
from sim.scenario.names import host_name
from sim.scenario.outputs import read_output, settle_transactional_commit
from sim.scenario.problems import Problems
from sim.scenario.producers import declared_topic
from sim.scenario.schema import CONSUMER, POISON
from sim.scenario.shapes import fields
from sim.scenario.spec import Cluster, ConsumerGroup, Dist, Poison
from sim.scenario.units import parse_duration

MAX_MEMBERS = 1_000
COMMITS = ("after-processing", "before-processing", "auto")


def build_consumers(
    raw: object, topics: dict, cluster: Cluster, ctx: Ctx, problems: Problems
) -> dict[str, ConsumerGroup]:
    """Read every consumer group, in file order; a group with a problem is left out."""
    block = mapping(raw, ("consumers",), "a mapping of group ids to consumer groups")
    groups = {
        name: problems.entry(
            name, entry, _group, name, entry, ("consumers", name), topics, cluster, ctx
        )
        for name, entry in block.items()
    }
    return {name: group for name, group in groups.items() if group is not None}


def _group(
    name: str, raw: object, path: Path, topics: dict, cluster: Cluster, ctx: Ctx
) -> ConsumerGroup:
    host_name(name, path, "group")
    entry = mapping(raw, path, "a mapping with topic, members, processing, ...", optional=False)
    check_keys(entry, path, fields(CONSUMER))
    subscribed = _subscription(entry, path, topics)
    config = read_config("consumer", entry.get("config"), path + ("config",), ctx)
    settle_consumer(config, cluster.config)
    output = read_output(entry.get("output"), path + ("output",), name, topics, ctx)
    if output is not None and output.transactional:
        commit = settle_transactional_commit(config, entry, path)
    else:
        commit = None
        if "commit" in entry:
            commit = choice(entry["commit"], path + ("commit",), COMMITS)
        commit = settle_commit(config, commit, path + ("commit",))
    processing = Dist(kind="constant", value_us=0)
    if "processing" in entry:
        processing = parse_dist(entry["processing"], path + ("processing",))
    return ConsumerGroup(
        name=name,
        topics=subscribed,
        members=integer(
            entry.get("members", 1), path + ("members",), 1, MAX_MEMBERS, "a number of members"
        ),
        processing=processing,
        commit=commit,
        virtual_partitions=_virtual(entry.get("virtual_partitions"), path),
        long_running=boolean(entry.get("long_running", False), path + ("long_running",)),
        on_poison=_poison(entry.get("on_poison"), path + ("on_poison",), topics),
        config=config.freeze(),
        output=output,
    )


def _subscription(entry: dict, path: Path, topics: dict) -> tuple[str, ...]:
    if ("topic" in entry) == ("topics" in entry):
        found = "both" if "topic" in entry else "neither"
        raise Invalid(path + ("topic",), "either topic or topics", found)
    if "topic" in entry:
        return (declared_topic(entry["topic"], path + ("topic",), topics),)
    names = text_list(entry["topics"], path + ("topics",), "a non-empty list of topic names")
    if len(set(names)) != len(names):
        raise Invalid(path + ("topics",), "distinct topic names", "a topic listed twice")
    field_path = path + ("topics",)
    return tuple(declared_topic(n, field_path + (i,), topics) for i, n in enumerate(names))


def _virtual(raw: object, path: Path) -> int | None:
    if raw is None:
        return None
    return integer(raw, path + ("virtual_partitions",), 1, 10_000, "a number of workers")


def _poison(raw: object, path: Path, topics: dict) -> Poison | None:
    if raw is None:
        return None
    entry = mapping(
        raw, path, "a mapping with retries, backoff, then and dlq_topic", optional=False
    )
    check_keys(entry, path, fields(POISON), required=("then",))
    then = choice(entry["then"], path + ("then",), ("dlq", "skip", "block"))
    dlq_topic = None
    if then == "dlq":
        if "dlq_topic" not in entry:
            raise Invalid(
                path + ("dlq_topic",), "a dead-letter topic (required with then: dlq)", "nothing"
            )
        dlq_topic = declared_topic(entry["dlq_topic"], path + ("dlq_topic",), topics)
    elif "dlq_topic" in entry:
        raise Invalid(
            path + ("dlq_topic",), "no dlq_topic unless then is dlq", quote(str(entry["dlq_topic"]))
        )
    return Poison(
        retries=integer(
            entry.get("retries", 0), path + ("retries",), 0, 1_000_000, "a number of retries"
        ),
        backoff_us=parse_duration(entry.get("backoff", "0s"), path + ("backoff",)),
        then=then,
        dlq_topic=dlq_topic,
    )
