"""The ZooKeeper-era rack-aware replica assignment: AdminUtils.assignReplicasToBrokers (KIP-36).

A port of the rack-aware branch of kafka.admin.AdminUtils.assignReplicasToBrokers (core,
0.10 to 3.x; org.apache.kafka.admin.AdminUtils in server-common since), which the ZooKeeper
controller's topic creation (CreateTopics, the auto-created __consumer_offsets) runs. The
brokers are first listed rack-alternated (racks in name order, each rack's brokers in id
order, one from each rack in turn: getRackAlternatedBrokerList). Partition p's leader is
that list's entry (p + startIndex) mod N; each further replica walks the list from the
leader with a shift that grows by one every N partitions (replicaIndex), skipping a broker
whose rack already holds a replica while some rack holds none, and a broker already used.
`startIndex` and the first shift are random (AdminUtils.RAND).

So the replicas of a partition cover min(RF, racks) racks, and the leaders go round-robin
over all brokers (each leads P/N partitions, give or take one). Difference: the two random
numbers come from a named stream (placement.py), not a static java.util.Random.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def rack_alternated(racks: Mapping[str, Iterable[int]]) -> list[int]:
    """AdminUtils.getRackAlternatedBrokerList: one broker of each rack in turn."""
    queues = [sorted(racks[name]) for name in sorted(racks)]
    result: list[int] = []
    for i in range(max(map(len, queues), default=0)):
        result.extend(queue[i] for queue in queues if i < len(queue))
    return result


def replica_index(first: int, shift: int, replica: int, brokers: int) -> int:
    """AdminUtils.replicaIndex: the list position of a further replica."""
    return (first + 1 + (shift + replica) % (brokers - 1)) % brokers


def rack_aware_assignment(random, racks: Mapping[str, Iterable[int]], partitions: int,
                          replication: int) -> list[list[int]]:
    """AdminUtils.assignReplicasToBrokersRackAware, from partition 0 with random starts."""
    rack_of = {broker: name for name, ids in racks.items() for broker in ids}
    arranged = rack_alternated(racks)
    n, num_racks = len(arranged), len(racks)
    if not 0 < replication <= n:
        raise ValueError(f"Replication factor: {replication} larger than available brokers: "
                         f"{n}.")
    start = random.next_int(n)
    shift = random.next_int(n)
    placements = []
    for p in range(partitions):
        if p > 0 and p % n == 0:
            shift += 1
        first = (p + start) % n
        replicas = [arranged[first]]
        used_racks = {rack_of[replicas[0]]}
        k = 0
        while len(replicas) < replication:
            broker = arranged[replica_index(first, shift * num_racks, k, n)]
            k += 1
            rack = rack_of[broker]
            if (rack not in used_racks or len(used_racks) == num_racks) and broker not in replicas:
                replicas.append(broker)
                used_racks.add(rack)
        placements.append(replicas)
    return placements
