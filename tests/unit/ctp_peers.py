"""A broker built alone as both the transaction coordinator of `TXN` and the group
coordinator of `GROUP` (tests/unit/hosts.py, tests/unit/txn_peers.py): broker-1 and
broker-2 are fake leaders of orders-0 and orders-1 (and broker-1 of `OTHER`'s offsets
partition) answering WriteTxnMarkers; a `Client` peer sends the producer's requests, a
`Member` peer a consumer's group requests. As Kafka's GroupCoordinatorTest and
TransactionCoordinatorTest drive the coordinators around mocks."""

from sim.cluster.protocol import (
    AddOffsetsToTxn,
    JoinGroup,
    OffsetCommit,
    OffsetFetch,
    SyncGroup,
    TxnOffsetCommit,
)
from sim.core.units import S
from tests.unit.hosts import Harness
from tests.unit.txn_peers import TXN, Client, coordinator

GROUP = "billing"       # __consumer_offsets partition 9: broker-0
OTHER = "reports"       # __consumer_offsets partition 49: broker-1, a fake peer


def harness(version: str = "3.9", offsets_rf: int = 1) -> Harness:
    """A cluster of `version`: 3.9 by default, the last release of transaction.version 0, whose
    client adds partitions itself and keeps its epoch across transactions (as txn_peers);
    `offsets_rf` 2 puts GROUP's offsets partition on broker-0 and broker-1."""
    config = {"transaction.state.log.replication.factor": 1,
              "transaction.state.log.min.isr": 1,
              "offsets.topic.replication.factor": offsets_rf,
              "group.initial.rebalance.delay.ms": 0}
    return Harness({"cluster": {"brokers": 3, "version": version, "config": config},
                    "topics": {"orders": {"partitions": 2, "replication.factor": 1,
                                          "assignment": [[1], [2]]}},
                    "consumers": {GROUP: {"topic": "orders"}, OTHER: {"topic": "orders"}}},
                   txn_ids=(TXN,))


class CtpClient(Client):
    """The producer's requests of Client plus sendOffsetsToTransaction's two."""

    def add_offsets(self, pid, epoch, group=GROUP, tag="add_offsets"):
        return self.send(AddOffsetsToTxn(TXN, pid, epoch, group), tag)

    def commit_offsets(self, pid, epoch, offsets, generation=-1, member_id="", instance=None,
                       group=GROUP, tag="txn_commit"):
        return self.send(TxnOffsetCommit(TXN, group, pid, epoch, generation, member_id,
                                         instance, tuple(offsets)), tag)


class Member(Client):
    """A consumer member's group requests, each answered into `answers[tag]`."""

    def __init__(self, h, broker, name: str = "billing-0") -> None:
        super().__init__(h, broker, name)
        self.name = name

    def join(self, instance=None):
        """Join GROUP (KIP-394's second JoinGroup for a dynamic member), sync as leader;
        (member id, generation)."""
        def join_group(member_id, tag):
            return self.send(JoinGroup(GROUP, member_id, instance, self.name, 45 * S, 300 * S,
                                       ("range",), ("orders",), ()), tag)
        joined = join_group("", "join")
        if joined.error is not None:
            joined = join_group(joined.member_id, "join2")
        self.send(SyncGroup(GROUP, joined.generation, joined.member_id,
                            {joined.member_id: ()}), "sync")
        return joined.member_id, joined.generation

    def fetch(self, pidxs=(0,), require_stable=True, tag="fetch", group=GROUP):
        return self.send(OffsetFetch(group, tuple(pidxs), require_stable), tag)

    def commit(self, offsets, generation=-1, member_id="", tag="commit"):
        return self.send(OffsetCommit(GROUP, generation, member_id, tuple(offsets)), tag)


def ctp(version: str = "3.9", answer=None):
    """(harness, broker-0, fake leaders, producer client, consumer member)."""
    h = harness(version)
    broker, leaders = coordinator(h) if answer is None else coordinator(h, answer)
    return h, broker, leaders, CtpClient(h, broker), Member(h, broker)


def offsets_pidx(h, group=GROUP) -> int:
    return h.topology.coordinator_pidx(group)
