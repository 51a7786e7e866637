"""Where the controller puts the replicas of a topic the scenario gives no `assignment`.

Without `cluster.racks` the scenario reader's fixed default stands (topics.py: replica j of
partition p on broker (p + j) mod N). With racks every broker has a `broker.rack` and the
controller places the topic when the run starts, as the release's controller does
(protocol switch `replica.placer`): `striped`, the KRaft controller's StripedReplicaPlacer
(3.3+, striped_placer.py), or `admin-utils`, the ZooKeeper controller's rack-aware
AdminUtils.assignReplicasToBrokers (before 3.3, admin_utils.py). Both draw random
numbers, here from the named stream `placement.<topic>` of the run's seed, so each topic's
placement depends on the seed and its own name only; a topic is placed when every broker is
unfenced (the start of a run).
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.cluster.admin_utils import rack_aware_assignment
from sim.cluster.striped_placer import striped_placement

PLACERS = {"striped": striped_placement, "admin-utils": rack_aware_assignment}


class JavaRandom:
    """The one call both placers make of java.util.Random, nextInt(bound), over a named stream."""

    def __init__(self, rng) -> None:
        self.rng = rng

    def next_int(self, bound: int) -> int:
        """A uniform integer in [0, bound)."""
        return int(self.rng.integers(bound))


def place(placer: str, streams, topic: str, racks: Mapping[str, tuple[int, ...]],
          partitions: int, replication: int) -> tuple[tuple[int, ...], ...]:
    """The replicas of each partition of `topic`, leader first, by the named placer."""
    random = JavaRandom(streams.get(f"placement.{topic}"))
    return tuple(tuple(replicas)
                 for replicas in PLACERS[placer](random, racks, partitions, replication))
