"""Helpers of the placement ports: Kafka's MockRandom, a fixed start, and AdminRackAwareTest's
checkReplicaDistribution (RackAwareTest)."""

from __future__ import annotations

from collections import Counter


class MockRandom:
    """org.apache.kafka.server.util.MockRandom (state 17) under java.util.Random.nextInt."""

    def __init__(self, state: int = 17) -> None:
        self.state = state

    def _next(self, bits: int) -> int:
        self.state = (self.state * 2862933555777941757 + 3037000493) & (2**64 - 1)
        return self.state >> (64 - bits)

    def next_int(self, bound: int) -> int:
        r, m = self._next(31), bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if (u - r + m) & 0xFFFFFFFF < 2**31:       # Java's int overflow test
                return r
            u = self._next(31)


class Fixed:
    """A random that always draws `value`: AdminUtils' fixedStartIndex."""

    def __init__(self, value: int) -> None:
        self.value = value

    def next_int(self, bound: int) -> int:
        return self.value


def racks_of(rack_map: dict[int, str]) -> dict[str, list[int]]:
    """A test's broker -> rack map as cluster.racks: rack -> broker ids."""
    racks: dict[str, list[int]] = {}
    for broker, rack in rack_map.items():
        racks.setdefault(rack, []).append(broker)
    return racks


def check_replica_distribution(assignment, rack_map: dict[int, str], partitions: int,
                               replication: int, rack_aware=True, leaders=True,
                               replicas=True) -> None:
    """RackAwareTest.checkReplicaDistribution."""
    brokers = len(rack_map)
    assert all(len(set(r)) == len(r) for r in assignment)
    if rack_aware:
        assert [len({rack_map[b] for b in r}) for r in assignment] == [replication] * partitions
    if leaders:
        counts = Counter(r[0] for r in assignment)
        assert sorted(counts.values()) == [partitions // brokers] * brokers
    if replicas:
        counts = Counter(b for r in assignment for b in r)
        assert sorted(counts.values()) == [partitions * replication // brokers] * brokers
