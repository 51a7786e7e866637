"""A consumer group's `output:` (consume-transform-produce, KIP-447) -> an `Output` spec.

`output: {topic, transactional, config}`: each processed record becomes one record of
`topic` (declared), written by one producer per member with the producer `config`
(validated as a producer's, clientrules.py). `transactional` (default false) needs a release
with transactions (0.11+); it gives member i the transactional.id `<group>-<i>` (a restarted
member keeps it and fences its previous incarnation), so a `transactional.id` in the config is
refused, and it commits the group's offsets in the member's transactions
(sendOffsetsToTransaction): the group's auto commit is turned off and `commit:` is refused.
"""

from __future__ import annotations

from sim.scenario.clientrules import settle_producer, settle_transactions
from sim.scenario.config import Draft, read_config
from sim.scenario.errors import Invalid, Path, describe
from sim.scenario.fields import Ctx, boolean, check_keys, mapping
from sim.scenario.producers import declared_topic
from sim.scenario.schema import OUTPUT
from sim.scenario.shapes import fields
from sim.scenario.spec import Config, ConsumerGroup, Output, Producer, Transactional

TRANSACTION = "transaction"     # the group's commit mode with a transactional output


def read_output(raw: object, path: Path, group: str, topics: dict, ctx: Ctx) -> Output | None:
    """The group's output block, or None when absent."""
    if raw is None:
        return None
    entry = mapping(raw, path, "a mapping with topic, transactional and config", optional=False)
    check_keys(entry, path, fields(OUTPUT), required=("topic",))
    topic = declared_topic(entry["topic"], path + ("topic",), topics)
    transactional = boolean(entry.get("transactional", False), path + ("transactional",))
    config = read_config("producer", entry.get("config"), path + ("config",), ctx)
    if config.values["transactional.id"] is not None:
        raise Invalid(
            path + ("config", "transactional.id"), "no transactional.id",
            describe(config.values["transactional.id"]),
            f"With transactional: true member i of the group writes with the transactional.id "
            f"{group}-i (one producer per application instance, KIP-447).")
    settle_transactions(config, group, path + ("transactional",), transactional, ctx.version)
    settle_producer(config)
    return Output(topic=topic, transactional=transactional, config=config.freeze())


def settle_transactional_commit(draft: Draft, entry: dict, path: Path) -> str:
    """A transactional output commits the offsets in the transactions: no auto commit and no
    `commit:` mode (the loop of Kafka's ExactlyOnceMessageProcessor)."""
    if "commit" in entry:
        raise Invalid(path + ("commit",), "no commit mode, since output.transactional is true",
                      describe(entry["commit"]),
                      "The offsets are committed with each transaction "
                      "(sendOffsetsToTransaction).")
    if "enable.auto.commit" in draft.explicit and draft.values["enable.auto.commit"]:
        raise Invalid(draft.path + ("enable.auto.commit",),
                      "false, since output.transactional is true", "true",
                      "The offsets are committed with each transaction "
                      "(sendOffsetsToTransaction).")
    draft.adjust("enable.auto.commit", False, "output.transactional commits in transactions")
    return TRANSACTION


def member_output(group: ConsumerGroup, member: str, inputs: list) -> Producer:
    """The producer spec of one member's output: the group's output config (with the member's
    transactional.id), the keys of the `inputs` (the producers writing the group's topics, in
    order) and the largest of their value sizes."""
    out = group.output
    names = tuple(name for p in inputs for name in p.key_names)
    return Producer(
        name=f"{member}.out", topic=out.topic, steps=None, rate=0.0, keys=names or None,
        value_size=max((p.value_size for p in inputs), default=100), arrivals="even",
        tombstones=0.0, config=_member_config(out, member),
        transactional=Transactional(records=1, abort=0.0) if out.transactional else None)


def _member_config(out: Output, member: str) -> Config:
    """A transactional output's member writes with its own name as transactional.id."""
    config = out.config
    if not out.transactional:
        return config
    values = {**config, "transactional.id": member}
    sources = {name: config.source(name) for name in config}
    sources["transactional.id"] = "adjusted (member i of group G writes as G-i)"
    return Config(config.scope, values, sources, config.ignored)
