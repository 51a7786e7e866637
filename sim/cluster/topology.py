"""The static layout of a run's partitions: topics, replicas and per-topic settings.

Every partition of every topic (internal ones included) gets a global index
`pidx`; components address partitions by it. `replicas` is a partition's assignment at
the start; the timeline's `reassign` entries change it during the run in the controller's
metadata (PartitionState.replicas, reassignment.py), and `hosts` lists every broker that
may host the partition at some time (the start's replicas, then each reassignment's new
ones), so each broker builds its replicas once. The timeline's `add_partitions` entries
(CreatePartitions) get their partitions' slots here too, after every other partition so no
index moves, marked with the entry that creates them (`added_by`): the controller registers
them only when the entry runs, and until then they are absent from every image. Their
replicas are the entry's `assignment`, else the default of a topic without one (below, or
the release's placer with racks, from the stream `placement.<topic>.<entry index>`); the
controller places them when the run is built, not when the entry runs, so a broker fenced
by then may still get replicas. When consumer groups exist the
internal `__consumer_offsets` topic is added after the declared ones, with
Kafka's settings for it (`offsets.topic.num.partitions`,
`offsets.topic.replication.factor`, the broker-wide min ISR, unclean election
and flush policy) and the default assignment; a group lives on partition
`abs(groupId.hashCode()) % partitions` (GroupCoordinator.partitionFor). With
`cluster.racks`, the controller places every topic without an assignment, the offsets topic
too, with the release's rack-aware placer (placement.py) and the run's random streams. A topic's
throttled-replicas lists become, per partition, the brokers that throttle it as its leader
and as its follower (replication_quota.py). A
partition's min ISR is capped at its replication factor when the protocol
switch `min.insync.replicas.capped` says so (3.7+, Partition.effectiveMinIsr).

When some producer has a `transactional.id`, the internal `__transaction_state` topic follows,
the same way: `transaction.state.log.num.partitions`, `.replication.factor` and `.min.isr`
(its min ISR), unclean election off (TransactionStateManager.transactionTopicConfigs); an id
lives on partition `abs(transactionalId.hashCode()) % partitions` (TransactionStateManager.
partitionFor).

Only the offsets and txn partitions that some group or id lives on, or that the timeline
names, are simulated: the others hold no records, are excluded from every
total, and would only cost events (an idle partition still rides every
follower fetch). Their slots in `by_topic` are None.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from sim.cluster.log import NO_LIMIT
from sim.cluster.placement import place
from sim.cluster.replication_quota import throttled_brokers
from sim.core.units import NEVER, ms


@dataclass(frozen=True, slots=True)
class LogConfig:
    """A topic's segment, retention and compaction settings in simulator units.

    Internal topics get the defaults: nothing is deleted or compacted there
    (Kafka compacts `__consumer_offsets`; its commits are replayed whole here).
    """
    delete: bool = False                 # cleanup.policy has delete
    compact: bool = False                # cleanup.policy has compact
    retention_us: int = NEVER            # retention.ms (-1: NEVER)
    retention_bytes: int = -1            # retention.bytes (-1: no limit)
    segment_bytes: int = NO_LIMIT
    segment_us: int = NO_LIMIT
    delete_retention_us: int = NEVER     # delete.retention.ms: how long tombstones stay

    @classmethod
    def from_topic(cls, cfg) -> "LogConfig":
        policy = str(cfg["cleanup.policy"]).split(",")
        retention = int(cfg["retention.ms"])
        return cls(delete="delete" in policy, compact="compact" in policy,
                   retention_us=NEVER if retention < 0 else ms(retention),
                   retention_bytes=int(cfg["retention.bytes"]),
                   segment_bytes=int(cfg["segment.bytes"]), segment_us=ms(cfg["segment.ms"]),
                   delete_retention_us=ms(cfg["delete.retention.ms"]))


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    pidx: int
    topic: str
    partition: int
    replicas: tuple[int, ...]
    min_isr: int                 # effective: capped at the replication factor from 3.7
    unclean: bool                # unclean.leader.election.enable
    flush_messages: int
    flush_us: int
    internal: bool
    log: LogConfig = field(default_factory=LogConfig)
    max_message_bytes: int = NO_LIMIT    # max.message.bytes (internal topics: no limit)
    leader_throttled: tuple[int, ...] = ()     # brokers throttled as its leader (KIP-73)
    follower_throttled: tuple[int, ...] = ()   # brokers throttled as its follower
    hosts: tuple[int, ...] = ()                # replicas, then every broker a reassign adds
    added_by: int = -1         # the timeline index of the add_partitions creating it; -1: at start

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.partition}"


OFFSETS_TOPIC = "__consumer_offsets"
TXN_TOPIC = "__transaction_state"


def java_string_hash(text: str) -> int:
    """Java's String.hashCode over UTF-16 code units, as a signed 32-bit int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def group_partition(group: str, partitions: int) -> int:
    """The internal partition of a group id or a transactional id (Utils.abs: MIN_VALUE maps
    to 0)."""
    h = java_string_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def transactional_ids(producers) -> list[str]:
    """The `transactional.id`s of the scenario's producers, in declaration order."""
    ids = (p.config.get("transactional.id") for p in producers.values())
    return list(dict.fromkeys(i for i in ids if i))


def output_transactional_ids(consumers, timeline=()) -> list[str]:
    """The transactional ids of the members of groups with a transactional output (member i
    of group G writes with `G-i`), those the timeline's `add_member` entries add included,
    in declaration order."""
    added = Counter(a.params["group"] for a in timeline if a.kind == "add_member")
    return [f"{g.name}-{i}" for g in consumers.values()
            if g.output is not None and g.output.transactional
            for i in range(g.members + added[g.name])]


def named_offsets_partitions(timeline, topic: str = OFFSETS_TOPIC) -> set[int]:
    """The partitions of an internal topic (__consumer_offsets by default) the timeline's
    role targets name."""
    pattern = re.compile(rf"^(?:leader|follower|followers)\({topic}/(\d+)\)$")
    named = set()
    for action in timeline:
        for expr in _expressions((action.target, dict(action.params))):
            match = pattern.match(expr)
            if match:
                named.add(int(match.group(1)))
    return named


def reassigned_brokers(timeline) -> dict[tuple[str, int], set[int]]:
    """(topic, partition) -> the brokers the timeline's `reassign` entries name for it."""
    named: dict[tuple[str, int], set[int]] = {}
    for action in timeline:
        if action.kind == "reassign":
            for p, replicas in enumerate(action.params["assignment"]):
                named.setdefault((action.params["topic"], p), set()).update(replicas)
    return named


def added_partitions(timeline) -> tuple:
    """The timeline's `add_partitions` entries, in time order."""
    return tuple(action for action in timeline if action.kind == "add_partitions")


def _expressions(value) -> list[str]:
    """Every string inside nested tuples, lists and mappings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, (list, tuple)):
        return []
    return [expr for item in value for expr in _expressions(item)]


class Topology:
    """All partitions, by index and by topic."""

    def __init__(self, topics, cluster, groups=(), named=(), streams=None,
                 reassigned=None, added=(), txn_ids=(), txn_named=()) -> None:
        """Declared topics, plus __consumer_offsets partitions for `groups` and `named` ones
        and __transaction_state partitions for `txn_ids` and `txn_named` ones;
        with racks, `streams` (the run's) place the topics that have no assignment;
        `reassigned` (reassigned_brokers) adds the brokers reassignments move them to;
        `added` (added_partitions) the partitions the timeline creates."""
        self.capped = bool(cluster.protocol["min.insync.replicas.capped"])
        self.reassigned = reassigned or {}
        self.partitions: list[PartitionInfo] = []
        self.by_topic: dict[str, list[int]] = {}
        self._coordinator_pidx: dict[str, int] = {}
        self._txn_pidx: dict[str, int | None] = {}
        self._placer, self._racks = cluster.protocol["replica.placer"], cluster.racks
        self._streams = streams
        self._brokers = cluster.brokers
        self._settings: dict[str, tuple] = {}
        for topic in topics.values():
            cfg = topic.config
            assignment = topic.assignment
            if assignment is None:
                assignment = self._place(topic.name, topic.partitions, topic.replication_factor)
            self._add_topic(topic.name, assignment, cfg["min.insync.replicas"],
                            cfg["unclean.leader.election.enable"], cfg["flush.messages"],
                            cfg["flush.ms"], LogConfig.from_topic(cfg),
                            int(cfg["max.message.bytes"]),
                            (cfg["leader.replication.throttled.replicas"],
                             cfg["follower.replication.throttled.replicas"]))
        cfg = cluster.config
        if groups:
            n, rf = cfg["offsets.topic.num.partitions"], cfg["offsets.topic.replication.factor"]
            self._add_internal(OFFSETS_TOPIC, cluster, n, rf, groups, named,
                               cfg["min.insync.replicas"], cfg["unclean.leader.election.enable"])
        if txn_ids:
            self._add_internal(TXN_TOPIC, cluster, cfg["transaction.state.log.num.partitions"],
                               cfg["transaction.state.log.replication.factor"], txn_ids,
                               txn_named, cfg["transaction.state.log.min.isr"], False)
        for action in added:
            self._grow(action)

    def _add_internal(self, name, cluster, n, rf, keys, named, min_isr, unclean) -> None:
        """An internal topic holding only the partitions some key maps to or that are named,
        with the default assignment (or the rack-aware placer with racks)."""
        cfg = cluster.config
        used = {group_partition(k, n) for k in keys} | set(named)
        placed = (self._place(name, n, rf) if cluster.racks else
                  [[(p + j) % cluster.brokers for j in range(rf)] for p in range(n)])
        assignment = [replicas if p in used else None for p, replicas in enumerate(placed)]
        self._add_topic(name, assignment, min_isr, unclean,
                        cfg["log.flush.interval.messages"], cfg["log.flush.interval.ms"])

    def _place(self, topic: str, partitions: int, replication: int):
        """The controller's rack-aware placement of a topic (placement.py)."""
        return place(self._placer, self._streams, topic, self._racks, partitions, replication)

    def _grow(self, action) -> None:
        """The partitions an `add_partitions` entry creates, at the end of their topic."""
        topic, count = action.params["topic"], action.params["count"]
        start = len(self.by_topic[topic])
        rf = len(self.partitions[self.by_topic[topic][0]].replicas)
        assignment = action.params["assignment"]
        if assignment is None and self._racks:
            assignment = place(self._placer, self._streams, f"{topic}.{action.index}",
                               self._racks, count - start, rf)
        elif assignment is None:
            assignment = [[(p + j) % self._brokers for j in range(rf)]
                          for p in range(start, count)]
        self.by_topic[topic] += self._add_partitions(topic, start, assignment, action.index)

    def _add_topic(self, name, assignment, min_isr, unclean, flush_messages, flush_ms,
                   log=LogConfig(), max_message_bytes: int = NO_LIMIT,
                   throttled=((), ())) -> None:
        self._settings[name] = (min_isr, unclean, flush_messages, flush_ms, log,
                                max_message_bytes, throttled)
        self.by_topic[name] = self._add_partitions(name, 0, assignment, -1)

    def _add_partitions(self, name, start: int, assignment, added_by: int) -> list:
        """Partitions start, start + 1, ... of a topic with these replicas (None: not
        simulated); their indexes."""
        min_isr, unclean, flush_messages, flush_ms, log, max_message_bytes, throttled = \
            self._settings[name]
        indexes = []
        for p, replicas in enumerate(assignment, start):
            if replicas is None:
                indexes.append(None)
                continue
            later = self.reassigned.get((name, p), ())
            info = PartitionInfo(
                pidx=len(self.partitions), topic=name, partition=p,
                replicas=tuple(replicas),
                hosts=tuple(replicas) + tuple(sorted(set(later) - set(replicas))),
                min_isr=min(int(min_isr), len(replicas)) if self.capped else int(min_isr),
                unclean=bool(unclean), flush_messages=int(flush_messages),
                flush_us=NEVER if flush_ms >= NEVER else ms(flush_ms),
                internal=name.startswith("__"), log=log, max_message_bytes=max_message_bytes,
                leader_throttled=throttled_brokers(throttled[0], p),
                follower_throttled=throttled_brokers(throttled[1], p), added_by=added_by)
            self.partitions.append(info)
            indexes.append(info.pidx)
        return indexes

    def coordinator_pidx(self, group: str) -> int:
        """The partition index whose leader coordinates the group (remembered per group)."""
        pidx = self._coordinator_pidx.get(group)
        if pidx is None:
            offsets = self.by_topic[OFFSETS_TOPIC]
            pidx = self._coordinator_pidx[group] = offsets[group_partition(group, len(offsets))]
        return pidx

    def txn_pidx(self, transactional_id: str) -> int | None:
        """The partition index whose leader coordinates the transactional id (None when the
        run does not simulate its partition)."""
        if transactional_id not in self._txn_pidx:
            parts = self.by_topic[TXN_TOPIC]
            self._txn_pidx[transactional_id] = parts[group_partition(transactional_id,
                                                                     len(parts))]
        return self._txn_pidx[transactional_id]

    @property
    def has_transactions(self) -> bool:
        return TXN_TOPIC in self.by_topic

    def find(self, topic: str, partition: int) -> PartitionInfo | None:
        """A partition by name (None for an offsets partition that is not simulated)."""
        pidx = self.by_topic[topic][partition]
        return None if pidx is None else self.partitions[pidx]

    def __len__(self) -> int:
        return len(self.partitions)
