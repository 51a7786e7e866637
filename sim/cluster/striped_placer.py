"""The KRaft controller's rack-aware replica placement: StripedReplicaPlacer (KAFKA-12788).

A port of org.apache.kafka.metadata.placement.StripedReplicaPlacer (metadata module, Kafka
3.x-4.x). A `RackList` holds, per rack, a sorted list of unfenced and one of fenced brokers,
each with a random starting offset, and the racks in name order with a random starting rack.
Each partition takes its leader from the next rack with an unfenced broker, then its other
replicas from the racks round-robin, each rack's list round-robin too (a rack's list yields
each broker at most once per partition; its offset moves on by one per partition that asks
it). The starting rack moves on by one per partition: the "striped" pattern. After as many
partitions as there are unfenced brokers, the racks and every list are shuffled.

So the replicas of a partition spread over as many racks as they can (min(RF, racks)), and
the racks hold them as evenly as their sizes allow; the leader racks take turns. Brokers
within a rack are not promised even leadership: with 3 racks of 3 brokers and RF 3, the
first 9 partitions' leaders are 3 brokers, one per rack (each rack's offset moves on once per
partition, 3 times between its turns as leader rack).

Differences: the random numbers come from a named stream (placement.py) instead of the
controller's java.util.Random, and the racks draw their offsets and shuffle in name order
where Kafka walks a HashMap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class BrokerList:
    """StripedReplicaPlacer.BrokerList: brokers yielded round-robin, once each per epoch."""

    def __init__(self) -> None:
        self.brokers: list[int] = []
        self.index = 0        # brokers returned in the current epoch
        self.offset = 0       # added to the index, modulo the size
        self.epoch = 0

    def initialize(self, random) -> None:
        """Sort the brokers and draw the starting offset."""
        if self.brokers:
            self.brokers.sort()
            self.offset = random.next_int(len(self.brokers))

    def next(self, epoch: int) -> int:
        """The next broker of this epoch, -1 when every one was returned in it."""
        if not self.brokers:
            return -1
        size = len(self.brokers)
        if self.epoch != epoch:
            self.epoch, self.index, self.offset = epoch, 0, (self.offset + 1) % size
        if self.index >= size:
            return -1
        self.index += 1
        return self.brokers[(self.index - 1 + self.offset) % size]


class Rack:
    """StripedReplicaPlacer.Rack: unfenced brokers first, then fenced ones."""

    def __init__(self) -> None:
        self.unfenced = BrokerList()
        self.fenced = BrokerList()

    def next(self, epoch: int) -> int:
        result = self.unfenced.next(epoch)
        return result if result >= 0 else self.fenced.next(epoch)


class RackList:
    """StripedReplicaPlacer.RackList: places one partition at a time."""

    def __init__(self, random, racks: Mapping[str, Iterable[int]],
                 fenced: frozenset[int] = frozenset()) -> None:
        self.random = random
        self.racks: dict[str, Rack] = {}
        for name in sorted(racks):
            rack = self.racks[name] = Rack()
            for broker in racks[name]:
                (rack.fenced if broker in fenced else rack.unfenced).brokers.append(broker)
        for rack in self.racks.values():
            rack.fenced.initialize(random)
            rack.unfenced.initialize(random)
        self.names = list(self.racks)
        self.total = sum(len(r.unfenced.brokers) + len(r.fenced.brokers)
                         for r in self.racks.values())
        self.unfenced = sum(len(r.unfenced.brokers) for r in self.racks.values())
        self.epoch = 0
        self.offset = random.next_int(len(self.names)) if self.names else 0

    def place(self, replication: int) -> list[int]:
        """The replicas of the next partition, leader first (RackList.place)."""
        check_replication(replication, self.total, self.unfenced)
        if self.epoch == self.unfenced and self.unfenced > 1:
            self._shuffle()
            self.epoch = 0
        if self.offset == len(self.names):
            self.offset = 0
        first = self.offset
        while True:
            leader = self.racks[self.names[first]].unfenced.next(self.epoch)
            if leader >= 0:
                break
            first = (first + 1) % len(self.names)
        replicas = [leader]
        index = self.offset
        for _ in range(1, replication):
            result = -1
            while result < 0:
                if index == first:
                    first = -1
                else:
                    result = self.racks[self.names[index]].next(self.epoch)
                index = (index + 1) % len(self.names)
            replicas.append(result)
        self.epoch += 1
        self.offset += 1
        return replicas

    def _shuffle(self) -> None:
        shuffle(self.names, self.random)
        for rack in self.racks.values():
            shuffle(rack.fenced.brokers, self.random)
            shuffle(rack.unfenced.brokers, self.random)


def shuffle(items: list, random) -> None:
    """java.util.Collections.shuffle: swap each position from the end with a random earlier one."""
    for i in range(len(items), 1, -1):
        j = random.next_int(i)
        items[i - 1], items[j] = items[j], items[i - 1]


def check_replication(replication: int, total: int, unfenced: int) -> None:
    """StripedReplicaPlacer's InvalidReplicationFactorException, with Kafka's messages."""
    if replication <= 0:
        raise ValueError(f"Invalid replication factor {replication}: the replication factor "
                         "must be positive.")
    if replication > total:
        raise ValueError(f"The target replication factor of {replication} cannot be reached "
                         f"because only {total} broker(s) are registered.")
    if unfenced == 0:
        raise ValueError("All brokers are currently fenced.")


def striped_placement(random, racks: Mapping[str, Iterable[int]], partitions: int,
                      replication: int, fenced: frozenset[int] = frozenset()) -> list[list[int]]:
    """StripedReplicaPlacer.place: one RackList for the topic, one place() per partition."""
    rack_list = RackList(random, racks, fenced)
    return [rack_list.place(replication) for _ in range(partitions)]
