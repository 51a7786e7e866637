"""Automatic preferred-leader election: `auto.leader.rebalance.enable` and its check.

A partition's preferred replica is the first of its assignment; it is elected back when it
is in the ISR (or, with an empty ISR, the ELR), unfenced and not shutting down (the
PREFERRED election of PartitionChangeBuilder.electPreferredLeader). When the check runs is
a protocol switch (`leader.imbalance.check`):

- `any-partition` (KRaft, 3.3+; QuorumController.maybeScheduleNextBalancePartitionLeaders,
  KAFKA-13682): the controller keeps the set of partitions not led by their preferred
  replica (ReplicationControlManager.imbalancedPartitions, leaderless ones included). After
  each metadata write, and when a controller becomes active, a check is scheduled
  `leader.imbalance.check.interval.seconds` later if that set is not empty and none is
  scheduled yet; later writes do not move it. The check elects the preferred replica of
  every imbalanced partition where it is eligible, at most 1,000 per check
  (MAX_ELECTIONS_PER_IMBALANCE; more are left to a check 10 ms later), and the next is
  scheduled by the same rule. `leader.imbalance.per.broker.percentage` is not read.
- `per-broker-percentage` (ZooKeeper, before 3.3; KafkaController.
  checkAndTriggerAutoLeaderRebalance): the first check runs 5 s after the controller
  starts, then every interval whatever happened. Per preferred broker, when more than
  `leader.imbalance.per.broker.percentage` percent of the partitions it prefers are led
  elsewhere (or by nobody), those whose preferred replica is eligible are elected.

A controller failover cancels the pending check; the new active controller schedules its
own. Left out: the `__consumer_offsets` partitions the run does not simulate, which Kafka
counts in a broker's share, and the preferred-replica imbalance metric.
"""

from sim.cluster.metadata import assigned
from sim.core.units import MS, S

MAX_ELECTIONS_PER_IMBALANCE = 1_000
AGAIN_US = 10 * MS                  # the next check when the last one hit the cap
ZK_FIRST_CHECK_US = 5 * S           # KafkaController.onControllerFailover


class LeaderBalance:
    """The active controller's preferred-leader check; `elect(pidxs)` makes its elections."""

    def __init__(self, controller, settings, topology, elect) -> None:
        self.controller = controller
        self.interval_us = settings.leader_imbalance_check_us
        self.per_broker = settings.imbalance_per_broker
        self.percentage = settings.leader_imbalance_percentage
        self.topology = topology
        self.preferred = [info.replicas[0] for info in topology.partitions]
        self.elect = elect
        self.imbalanced: set[int] = set()
        self.scheduled = False
        self.again = False
        self.generation = 0     # a check armed by an earlier leadership does nothing

    def applied(self, state) -> None:
        """Keep the imbalanced set as a partition record is applied (the preferred replica
        is the first of the current replicas: a completed reassignment changes it)."""
        preferred = assigned(state, self.topology.partitions[state.pidx])[0]
        self.preferred[state.pidx] = preferred
        if state.leader == preferred:
            self.imbalanced.discard(state.pidx)
        else:
            self.imbalanced.add(state.pidx)

    def activate(self) -> None:
        """A controller became active: rebuild the imbalanced set from its image and
        schedule its first check."""
        self.generation += 1
        self.scheduled = self.again = False
        for state in self.controller.image.partitions.values():
            self.applied(state)
        if self.interval_us and self.per_broker:
            self.scheduled = True
            self.controller.timer(ZK_FIRST_CHECK_US, self._check_brokers, self.generation)
        else:
            self.after_write()

    def deactivate(self) -> None:
        """The controller lost its leadership: its pending check is gone with it."""
        self.scheduled = False
        self.generation += 1

    def after_write(self) -> None:
        """KRaft: schedule a check if some partition is off its preferred leader."""
        if self.scheduled or not self.interval_us or self.per_broker or not self.imbalanced:
            return
        self.scheduled = True
        self.controller.timer(AGAIN_US if self.again else self.interval_us, self._check,
                              self.generation)

    def _check(self, generation: int) -> None:
        if generation != self.generation:
            return
        # still marked scheduled while its own write commits, as Kafka's event decides
        # IMMEDIATELY or DEFERRED before the write's maybeScheduleNextBalancePartitionLeaders
        elected = self.elect(sorted(self.imbalanced), MAX_ELECTIONS_PER_IMBALANCE)
        self.scheduled = False
        self.again = elected >= MAX_ELECTIONS_PER_IMBALANCE
        self.after_write()

    def _check_brokers(self, generation: int) -> None:
        if generation != self.generation:
            return
        leaders = self.controller.image.partitions
        by_broker: dict[int, list[int]] = {}
        for pidx, broker in enumerate(self.preferred):
            if pidx not in leaders:         # a partition add_partitions has not created yet
                continue
            by_broker.setdefault(broker, []).append(pidx)
        candidates = []
        for broker in sorted(by_broker):
            prefers = by_broker[broker]
            elsewhere = [p for p in prefers if leaders[p].leader != broker]
            if len(elsewhere) / len(prefers) > self.percentage / 100:
                candidates += elsewhere
        self.elect(candidates, len(candidates))
        self.controller.timer(self.interval_us, self._check_brokers, self.generation)
