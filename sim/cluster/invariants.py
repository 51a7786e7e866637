"""Runtime invariants: protocol rules that hold in every run, checked as state changes.

- at most one leader per (partition, leader epoch);
- the controller's ISR contains the leader, when there is one;
- a new leader comes from the ISR or the ELR of the state before the change
  (or, with ELR on, is the last known leader: balanced recovery), unless
  unclean leader election is enabled for the topic;
- on a leader, the high watermark never decreases within its epoch, and HW <= LEO;
- records below a leader's high watermark never change at an offset, unless an
  unclean election, or the election of a replica that lost data in a power
  loss or by truncating to its own high watermark (before KIP-101), happened
  for that partition: then the exemption is traced and the
  committed history restarts from the new leader's log.
A violation stops the run with InvariantViolation (exit 4), naming the
simulated time and the seed. Kafka's durability promises are not here: Kafka
really breaks them under some faults; the property tests check them.
"""

from bisect import bisect_right

from sim.core.records import InvariantExempted


class InvariantViolation(Exception):
    """A protocol rule the model must never break was broken."""


class Invariants:
    """Checks fed by the controller and the brokers' leaders."""

    def __init__(self, world) -> None:
        self.world = world
        self.leaders: dict[tuple[int, int], int] = {}
        self.leader_hw: dict[int, tuple[int, int]] = {}
        self.committed: dict[int, tuple] = {}   # pidx -> (committed batches, their base offsets)
        self.exempt: set[int] = set()

    def fail(self, rule: str, detail: str) -> None:
        w = self.world
        raise InvariantViolation(f"invariant '{rule}' violated at t={w.engine.now} us "
                                 f"(seed {w.seed}): {detail}")

    def partition_changed(self, new, kind, old=None) -> None:
        """The controller committed a partition state (`old`: the one it replaces)."""
        if old is not None and new.leader >= 0 and new.leader != old.leader:
            self._check_eligible(old, new)
        if new.leader >= 0:
            key = (new.pidx, new.leader_epoch)
            if self.leaders.setdefault(key, new.leader) != new.leader:
                self.fail("one leader per epoch", f"partition {new.pidx} epoch "
                          f"{new.leader_epoch}: {self.leaders[key]} and {new.leader}")
            if new.leader not in new.isr:
                self.fail("ISR contains the leader", f"partition {new.pidx}: {new}")
        if kind in ("unclean", "last_known_elr"):
            self.exempt.add(new.pidx)
        elif kind in ("clean", "elr") and self._lost_data(new.leader, new.pidx):
            self.exempt.add(new.pidx)

    def _check_eligible(self, old, new) -> None:
        eligible = set(old.isr) | set(old.elr) | set(old.last_known_elr)
        if new.leader not in eligible and not self.world.topology.partitions[new.pidx].unclean:
            self.fail("leader from the ISR or ELR unless unclean election is enabled",
                      f"partition {new.pidx}: broker {new.leader} elected, ISR {old.isr} "
                      f"ELR {old.elr}")

    def _lost_data(self, broker: int, pidx: int) -> bool:
        storage = self.world.brokers[broker].storage
        return pidx in storage.power_lost or pidx in storage.hw_truncated

    def hw_advanced(self, broker: int, replica, old_hw: int) -> None:
        """A leader's HW moved from old_hw."""
        log, pidx = replica.log, replica.info.pidx
        if log.hw > log.leo:
            self.fail("HW <= LEO", f"broker {broker} partition {pidx}: {log.hw} > {log.leo}")
        last = self.leader_hw.get(pidx)
        if last is not None and last[0] == replica.leader_epoch and log.hw < last[1]:
            self.fail("leader HW never decreases", f"partition {pidx} epoch "
                      f"{replica.leader_epoch}: {last[1]} -> {log.hw}")
        self.leader_hw[pidx] = (replica.leader_epoch, log.hw)
        self._check_committed(pidx, log, old_hw)

    def _check_committed(self, pidx: int, log, old_hw: int) -> None:
        history, bases = self.committed.setdefault(pidx, ([], []))
        end = history[-1].end_offset if history else log.log_start
        if old_hw < end:
            for b in log.read_range(max(old_hw, log.log_start), min(end, log.hw)):
                i = bisect_right(bases, b.base_offset) - 1
                other = history[i] if i >= 0 else None
                if other is None or not _same_records(other, b):
                    if pidx in self.exempt:
                        self._exempt(pidx, log)
                        return
                    self.fail("committed records never change",
                              f"partition {pidx} offset {b.base_offset}: {other} then {b}")
        for b in log.read_range(end, log.hw):
            if b.base_offset >= end and b.end_offset <= log.hw:
                history.append(b)
                bases.append(b.base_offset)

    def _exempt(self, pidx: int, log) -> None:
        info = self.world.topology.partitions[pidx]
        self.world.trace.emit(InvariantExempted(self.world.engine.now, info.topic, info.partition,
                                                "committed records never change",
                                                "unclean election or lost data"))
        self.exempt.discard(pidx)
        kept = [b for b in log.batches if b.end_offset <= log.hw]
        self.committed[pidx] = (kept, [b.base_offset for b in kept])


def _same_records(committed, batch) -> bool:
    """Does batch hold the committed batch's records at their offsets (all, or the ones
    compaction left)?"""
    if (committed.base_offset, committed.count) == (batch.base_offset, batch.count):
        return (committed.producer, committed.first_seq) == (batch.producer, batch.first_seq)
    return (committed.producer == batch.producer
            and committed.base_offset <= batch.base_offset
            and batch.base_offset + batch.count <= committed.base_offset + committed.count
            and batch.first_seq - batch.base_offset == committed.first_seq
            - committed.base_offset)
