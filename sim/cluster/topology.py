"""The static layout of a run's partitions: topics, replicas and per-topic settings.

Every partition of every topic (internal ones included) gets a global index
`pidx`; components address partitions by it. Replica assignment never changes
during a run (reassignment is not modeled).
"""

from dataclasses import dataclass

from sim.core.units import NEVER, ms


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    pidx: int
    topic: str
    partition: int
    replicas: tuple[int, ...]
    min_isr: int                 # effective: min(min.insync.replicas, replication factor)
    unclean: bool                # unclean.leader.election.enable
    flush_messages: int
    flush_us: int
    internal: bool

    @property
    def name(self) -> str:
        return f"{self.topic}-{self.partition}"


class Topology:
    """All partitions, by index and by topic."""

    def __init__(self, topics) -> None:
        self.partitions: list[PartitionInfo] = []
        self.by_topic: dict[str, list[int]] = {}
        for topic in topics.values():
            self._add_topic(topic)

    def _add_topic(self, topic) -> None:
        cfg = topic.config
        flush_ms = cfg["flush.ms"]
        indexes = []
        for p, replicas in enumerate(topic.assignment):
            info = PartitionInfo(
                pidx=len(self.partitions), topic=topic.name, partition=p,
                replicas=tuple(replicas),
                min_isr=min(int(cfg["min.insync.replicas"]), len(replicas)),
                unclean=bool(cfg["unclean.leader.election.enable"]),
                flush_messages=int(cfg["flush.messages"]),
                flush_us=NEVER if flush_ms >= NEVER else ms(flush_ms),
                internal=topic.name.startswith("__"))
            self.partitions.append(info)
            indexes.append(info.pidx)
        self.by_topic[topic.name] = indexes

    def find(self, topic: str, partition: int) -> PartitionInfo:
        return self.partitions[self.by_topic[topic][partition]]

    def __len__(self) -> int:
        return len(self.partitions)
