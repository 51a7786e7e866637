"""`producers:` -> `Producer` specs: what each producer sends, how fast, with which client config.

A producer sends to one `topic`, or with `steps` a causal sequence of records per event (all
with the same key; `after` is the delay since the previous step), so `rate` counts events.
`keys`: null (keyless: sticky partitioner), a count N (keys "0".."N-1") or a list of strings;
a compacted topic needs keys (Kafka refuses keyless records there).
Defaults (docs/scenario.md#producers): keys null, value_size 100B, arrivals even,
tombstones 0, compression 1.0 (the ratio of compressed to uncompressed record bytes, in
(0, 1], used only with a `compression.type` other than none); `rate` is
required. Value sizes are capped at 1GiB. The client config follows `clientrules.py`.
`transactional: {records: N, abort: F}` (KIP-98): the application sends its records in
transactions of N records each and aborts a fraction F of them (drawn from the stream
`transactions.<producer>`); without a `transactional.id` in its config the producer's name is
its transactional id, and a `transactional.id` without `transactional:` is refused (the
application would never begin a transaction). Not with `steps`.
"""

from __future__ import annotations

from sim.scenario.clientrules import settle_producer, settle_transactions
from sim.scenario.config import read_config
from sim.scenario.errors import Invalid, Path, closest, describe, quote
from sim.scenario.fields import Ctx, check_keys, choice, integer, mapping, number, text
from sim.scenario.names import host_name
from sim.scenario.problems import Problems
from sim.scenario.schema import PRODUCER, STEP, TRANSACTIONAL
from sim.scenario.shapes import fields
from sim.scenario.spec import Producer, Step, Transactional
from sim.scenario.units import parse_duration, parse_probability, parse_rate, parse_size

MAX_VALUE_SIZE = 1 << 30
MAX_KEYS = 2**31 - 1


def build_producers(
    raw: object, topics: dict, ctx: Ctx, problems: Problems
) -> dict[str, Producer]:
    """Read every producer, in file order; a producer with a problem is left out."""
    block = mapping(raw, ("producers",), "a mapping of producer names to producers")
    producers = {
        name: problems.entry(name, entry, _producer, name, entry, ("producers", name), topics, ctx)
        for name, entry in block.items()
    }
    return {name: producer for name, producer in producers.items() if producer is not None}


def _producer(name: str, raw: object, path: Path, topics: dict, ctx: Ctx) -> Producer:
    host_name(name, path, "producer")
    entry = mapping(raw, path, "a mapping with topic, rate, ...", optional=False)
    check_keys(entry, path, fields(PRODUCER), required=("rate",))
    topic, steps = _destination(entry, path, topics)
    value_size = parse_size(entry.get("value_size", "100B"), path + ("value_size",))
    if value_size > MAX_VALUE_SIZE:
        raise Invalid(
            path + ("value_size",), "a value size of at most 1GiB", quote(entry["value_size"])
        )
    config = read_config("producer", entry.get("config"), path + ("config",), ctx)
    transactional = _transactional(entry, path)
    settle_transactions(config, name, path + ("transactional",), transactional is not None,
                        ctx.version)
    settle_producer(config)
    keys = _keys(entry.get("keys"), path + ("keys",))
    if topic is not None and keys is None and "compact" in topics[topic].config["cleanup.policy"]:
        raise Invalid(
            path + ("keys",),
            f"keys for a producer writing to the compacted topic {quote(topic)}",
            "none (keyless records)",
            "Kafka rejects records without a key on a compacted topic; set keys: N.",
        )
    return Producer(
        name=name,
        topic=topic,
        steps=steps,
        rate=parse_rate(entry["rate"], path + ("rate",)),
        keys=keys,
        value_size=value_size,
        arrivals=choice(entry.get("arrivals", "even"), path + ("arrivals",), ("even", "poisson")),
        tombstones=parse_probability(entry.get("tombstones", 0), path + ("tombstones",)),
        config=config.freeze(),
        compression=_ratio(entry.get("compression", 1.0), path + ("compression",)),
        transactional=transactional,
    )


def _transactional(entry: dict, path: Path) -> Transactional | None:
    """`transactional: {records: N, abort: F}`, or None when absent."""
    if "transactional" not in entry:
        return None
    path = path + ("transactional",)
    if "steps" in entry:
        raise Invalid(path, "no transactional block on a steps producer", "one",
                      "Each step is a producer of its own; give transactions to a topic "
                      "producer.")
    block = mapping(entry["transactional"], path, "a mapping with records and abort",
                    optional=False)
    check_keys(block, path, fields(TRANSACTIONAL), required=("records",))
    return Transactional(
        records=integer(block["records"], path + ("records",), 1, MAX_KEYS,
                        "a number of records per transaction"),
        abort=parse_probability(block.get("abort", 0), path + ("abort",)),
    )


def _ratio(value: object, path: Path) -> float:
    """A compression ratio: a YAML number in (0, 1]."""
    expected = "a compression ratio: a number above 0 and at most 1 (compressed / uncompressed)"
    ratio = number(value, path, what=expected)
    if not 0.0 < ratio <= 1.0:
        raise Invalid(path, expected, describe(value))
    return ratio


def _destination(entry: dict, path: Path, topics: dict) -> tuple[str | None, tuple | None]:
    if ("topic" in entry) == ("steps" in entry):
        found = "both" if "topic" in entry else "neither"
        raise Invalid(path + ("topic",), "either topic or steps", found)
    if "topic" in entry:
        return declared_topic(entry["topic"], path + ("topic",), topics), None
    return None, _steps(entry["steps"], path + ("steps",), topics)


def declared_topic(value: object, path: Path, topics: dict) -> str:
    """Check that `value` names a declared topic."""
    name = text(value, path, "a topic name")
    if name not in topics:
        hint = closest(name, topics) or "Declare it under topics: (topics are not auto-created)."
        raise Invalid(
            path, f"a declared topic ({', '.join(topics) or 'none declared'})", quote(name), hint
        )
    return name


def _steps(raw: object, path: Path, topics: dict) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise Invalid(path, "a non-empty list of {topic, event, after} steps", describe(raw))
    steps, events = [], set()
    for index, item in enumerate(raw):
        step_path = path + (index,)
        entry = mapping(item, step_path, "a mapping with topic, event and after", optional=False)
        check_keys(entry, step_path, fields(STEP), required=("topic", "event"))
        event = text(entry["event"], step_path + ("event",), "an event name", r"\S.{0,199}")
        if event in events:
            raise Invalid(
                step_path + ("event",), "an event name not used by an earlier step", quote(event)
            )
        events.add(event)
        steps.append(
            Step(
                topic=declared_topic(entry["topic"], step_path + ("topic",), topics),
                event=event,
                after_us=parse_duration(entry.get("after", "0s"), step_path + ("after",)),
            )
        )
    return tuple(steps)


def _keys(raw: object, path: Path) -> None | int | tuple[str, ...]:
    if raw is None:
        return None
    if isinstance(raw, list):
        if not raw:
            raise Invalid(path, "a non-empty list of keys", "an empty list")
        for index, key in enumerate(raw):
            if not isinstance(key, str):
                raise Invalid(
                    path + (index,),
                    "a key string",
                    describe(key),
                    "Keys are strings; quote numbers.",
                )
        return tuple(raw)
    return integer(raw, path, 1, MAX_KEYS, "a number of keys, a list of keys or null")
