"""One partition on one broker: the log plus, while leading, the leader's bookkeeping.

A leader tracks each follower's LEO and `lastCaughtUpTime`
(Replica.updateFetchStateOrThrow), advances the high watermark by the rule of
Partition.maybeIncrementLeaderHW (the smallest LEO among the maximal ISR and
caught-up, eligible followers; never backwards; since 3.7 not at all while the
committed ISR is below min ISR), and decides ISR shrinks (followers not caught
up within `replica.lag.time.max.ms`) and expansions (a follower at or past the
HW that has fetched in the current leader epoch). An ISR change is proposed to
the controller (AlterPartition); while it is in flight the leader counts the
larger of the old and new ISR (`maximalIsr`, KIP-497). A new leader keeps its
whole log, stamps its epoch at its LEO and resets its view of the followers
(Partition.makeLeader); a change of the replicas under the same leader epoch (a
reassignment) keeps the view of the followers that stay and starts one for each new replica
(Partition.updateAssignmentAndIsr). A replica of a broker that a reassignment will add, or
of a partition an `add_partitions` entry will create, exists from the start, not `hosted`
until the metadata names its broker; one a reassignment
removes is emptied (`delete`) and is no longer hosted. Pure bookkeeping: no SimPy, no network.
"""

from sim.cluster.log import ReplicaLog
from sim.cluster.metadata import NO_LEADER, assigned
from sim.cluster.producer_state import ProducerStates
from sim.cluster.replication import high_watermark, last_caught_up_us

NEVER_CAUGHT_UP = -(2**62)      # Kafka's lastCaughtUpTimeMs = 0: long before any simulated time


class FollowerState:
    __slots__ = ("leo", "last_fetch_us", "last_fetch_leader_leo", "last_caught_up_us", "session",
                 "broker_epoch")

    def __init__(self, caught_up_us: int) -> None:
        self.leo = -1
        self.last_fetch_us = NEVER_CAUGHT_UP
        self.last_fetch_leader_leo = -1
        self.last_caught_up_us = caught_up_us
        self.session = None             # the fetch session it is idle in (fetch_session.py)
        self.broker_epoch = -1          # the registration its last fetch came from

    def wake(self, read_us: int) -> None:
        """Leave the session it was idle in, whose last read was at read_us: each read found
        it at the leader's LEO, so it was caught up then (ReplicaState.updateFetchState)."""
        self.session = None
        self.last_caught_up_us = self.last_fetch_us = read_us
        self.last_fetch_leader_leo = self.leo

    def is_caught_up(self, leader_leo: int, now: int, max_lag_us: int) -> bool:
        return self.leo == leader_leo or now - self.last_caught_up_us <= max_lag_us


class Replica:
    """A partition replica hosted by one broker."""

    def __init__(self, info, broker_id: int) -> None:
        self.info = info
        self.broker_id = broker_id
        self.followers: dict[int, FollowerState] = {}
        self.delete()
        self.hosted = broker_id in info.replicas and info.added_by < 0

    def delete(self) -> None:
        """Stop hosting the partition: no role, an empty log (a reassignment removed it)."""
        self.log = ReplicaLog(self.info.log.segment_bytes, self.info.log.segment_us)
        self.producers = ProducerStates()
        self.reset_role()
        self.last_flush_us = 0
        self.hosted = False

    def reset_role(self) -> None:
        """Forget leadership and follower bookkeeping (a process start)."""
        self.wake_idle()
        self.leader = NO_LEADER
        self.leader_epoch = -1
        self.partition_epoch = -1
        self.is_leader = False
        self.epoch_check = False          # KIP-101: ask the new leader once, on the first fetch
        self.isr: tuple[int, ...] = ()
        self.pending_isr: tuple[int, ...] | None = None
        self.followers: dict[int, FollowerState] = {}
        self.epoch_start_offset = 0
        self.waiting: list = []           # DelayedProduce entries waiting on this partition

    @property
    def maximal_isr(self) -> tuple[int, ...]:
        if self.pending_isr is None:
            return self.isr
        return tuple(sorted(set(self.isr) | set(self.pending_isr)))

    def wake_idle(self) -> None:
        """What a follower's read depends on changed: wake it where it is idle."""
        for f in self.followers.values():
            if f.session is not None:
                f.session.evict(self.info.pidx, f.session.read_us)

    def make_leader(self, state, now: int) -> None:
        """Become leader at state.leader_epoch (Partition.makeLeader)."""
        self.wake_idle()
        new_epoch = state.leader_epoch != self.leader_epoch or not self.is_leader
        self.leader, self.leader_epoch = state.leader, state.leader_epoch
        self.partition_epoch = state.partition_epoch
        self.isr, self.pending_isr = state.isr, None
        self.is_leader = True
        if new_epoch:
            self.log.assign_epoch(state.leader_epoch)
            self.epoch_start_offset = self.log.leo
            self.followers = {r: FollowerState(now if r in state.isr else NEVER_CAUGHT_UP)
                              for r in assigned(state, self.info) if r != self.broker_id}

    def make_follower(self, state) -> None:
        """Follow state.leader (or nobody) at state.leader_epoch."""
        self.wake_idle()
        self.leader, self.leader_epoch = state.leader, state.leader_epoch
        self.partition_epoch = state.partition_epoch
        self.isr, self.pending_isr = state.isr, None
        self.is_leader = False
        self.epoch_check = True
        self.followers = {}

    def update_isr(self, state) -> None:
        """A committed ISR change for the same leader epoch."""
        self.wake_idle()
        self.partition_epoch = state.partition_epoch
        self.isr, self.pending_isr = state.isr, None
        if state.replicas and self.is_leader:
            self._update_assignment(state.replicas)

    def _update_assignment(self, replicas: tuple) -> None:
        """Forget the followers that left the replicas; start a view of the new ones."""
        followers = self.followers
        self.followers = {r: followers.get(r) or FollowerState(NEVER_CAUGHT_UP)
                          for r in replicas if r != self.broker_id}

    def stale_fetch(self, follower: int, broker_epoch: int) -> bool:
        """Does a fetch come from an older registration of the follower than its last one?
        Replica.updateFetchStateOrThrow refuses it (NOT_LEADER_OR_FOLLOWER)."""
        f = self.followers.get(follower)
        return f is not None and broker_epoch < f.broker_epoch

    def is_follower(self, broker: int) -> bool:
        """Whether `broker` is an assigned follower in this leader's view (not yet, or no
        longer, assigned: Partition.followerReplicaOrThrow fails)."""
        return broker in self.followers

    def update_follower(self, follower: int, fetch_offset: int, now: int,
                        broker_epoch: int = -1) -> bool:
        """Record an assigned follower's fetch (Replica.updateFetchStateOrThrow); True if its
        LEO moved."""
        f = self.followers[follower]
        f.broker_epoch = broker_epoch
        moved = f.leo != fetch_offset
        leader_leo = self.log.leo
        f.last_caught_up_us = last_caught_up_us(f, fetch_offset, leader_leo, now)
        f.leo = fetch_offset
        f.last_fetch_leader_leo = leader_leo
        f.last_fetch_us = now
        return moved

    def maybe_increment_hw(self, now: int, max_lag_us: int, eligible, strict_min_isr: bool) -> bool:
        """Advance the HW if the rule allows; return whether it moved."""
        log = self.log
        frozen = strict_min_isr and len(self.isr) < self.info.min_isr
        new_hw = high_watermark(log, self.followers, self.maximal_isr, now, max_lag_us, eligible,
                                frozen)
        if new_hw > log.hw:
            self.wake_idle()
            log.hw = new_hw
            return True
        return False

    def out_of_sync(self, now: int, max_lag_us: int) -> list[int]:
        """ISR followers that are not caught up (Partition.getOutOfSyncReplicas)."""
        leo = self.log.leo
        return [r for r in self.isr if r != self.broker_id
                and not self.followers[r].is_caught_up(leo, now, max_lag_us)]

    def should_expand(self, follower: int, eligible) -> bool:
        """Partition.needsExpandIsr for a follower that just fetched."""
        if self.pending_isr is not None or follower in self.isr or not eligible(follower):
            return False
        f = self.followers.get(follower)
        return f is not None and f.leo >= self.log.hw and f.leo >= self.epoch_start_offset
