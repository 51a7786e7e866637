"""Cluster metadata: the controller's records and each host's image of them.

The controller owns the truth and appends records to its metadata log (a
KRaft `__cluster_metadata`, fsynced, never lost). Brokers fetch the records in
order and apply them to their image; clients ask a broker and get that
broker's image. Images are therefore stale by the time a record takes to
travel, and much staler across a network cut.
"""

from dataclasses import dataclass, field

NO_LEADER = -1


@dataclass(frozen=True, slots=True)
class PartitionState:
    """PartitionRegistration: leader, epochs, ISR, the KIP-966 replica sets and the replica
    assignment with the replicas a reassignment adds and removes (KIP-455: `replicas` is the
    target followed by the removing ones while it is in progress)."""
    pidx: int
    leader: int
    leader_epoch: int
    partition_epoch: int
    isr: tuple[int, ...]
    elr: tuple[int, ...] = ()
    last_known_elr: tuple[int, ...] = ()
    replicas: tuple[int, ...] = ()
    adding: tuple[int, ...] = ()
    removing: tuple[int, ...] = ()


def assigned(state: PartitionState, info) -> tuple[int, ...]:
    """A partition's replicas: its registration's once reassigned, else the topology's."""
    return state.replicas or info.replicas


@dataclass(frozen=True, slots=True)
class BrokerState:
    """BrokerRegistration: epoch (new per registration), fenced, in controlled shutdown."""
    broker: int
    broker_epoch: int
    fenced: bool
    shutting_down: bool = False


@dataclass(slots=True)
class Image:
    """One host's view of the metadata, as of `offset` records applied."""
    offset: int = 0
    partitions: dict[int, PartitionState] = field(default_factory=dict)
    brokers: dict[int, BrokerState] = field(default_factory=dict)

    def apply(self, record) -> None:
        """Apply one metadata record."""
        if isinstance(record, PartitionState):
            self.partitions[record.pidx] = record
        elif isinstance(record, BrokerState):
            self.brokers[record.broker] = record
        self.offset += 1                 # a quorum's LeaderChange records take an offset too

    def copy(self) -> "Image":
        return Image(self.offset, dict(self.partitions), dict(self.brokers))

    def eligible(self, broker: int) -> bool:
        """May this broker join an ISR or lead (unfenced and not shutting down)?"""
        state = self.brokers.get(broker)
        return state is not None and not state.fenced and not state.shutting_down
