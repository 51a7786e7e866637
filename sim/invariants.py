"""Runtime invariants: protocol rules that hold in every run, checked as state changes.

- at most one leader per (partition, leader epoch);
- the controller's ISR contains the leader, when there is one;
- a new leader comes from the ISR or the ELR of the state before the change
  (or, with ELR on, is the last known leader: balanced recovery; or, when the change
  completes a reassignment, from the ISR the leader's expansion brought with it: KIP-455),
  unless unclean leader election is enabled for the topic or an operator asked for it
  (ElectLeaders UNCLEAN);
- on a leader, the high watermark never decreases within its epoch, and HW <= LEO;
- records below a leader's high watermark never change at an offset, unless an
  unclean election, or the election of a replica that lost data in a power
  loss or by truncating to its own high watermark (before KIP-101), happened
  for that partition: then the exemption is traced and the
  committed history restarts from the new leader's log.

The invariants observe the trace: the runner registers them before the run
starts (as Kafka's RaftEventSimulationTest registers its invariants on the
cluster), and they check each PartitionChanged and HwAdvanced probe as it is
emitted; model code never calls them. They also read the cluster where a
rule is about its state (a leader's log, a broker's lost data), so they are
neither model (sim/cluster, which never sees them) nor analysis (which reads
only the trace and the audit): they are the harness's checkers, next to the
runner that registers them. A violation stops the run with InvariantViolation
(exit 4) at the record's instant, naming the simulated time and the seed.
Kafka's durability promises are not here: Kafka really breaks them under some
faults; the property tests check them.
"""

from bisect import bisect_right

from sim.core.records import HwAdvanced, InvariantExempted, PartitionChanged


class InvariantViolation(Exception):
    """A protocol rule the model must never break was broken."""


class Invariants:
    """Checks of the controller's partition states and the leaders' high watermarks."""

    def __init__(self, seed: int, topology, brokers) -> None:
        self.seed = seed
        self.topology = topology
        self.brokers = brokers
        self.trace = None
        self.leaders: dict[tuple[int, int], int] = {}
        self.leader_hw: dict[int, tuple[int, int]] = {}
        self.committed: dict[int, tuple] = {}   # pidx -> (committed batches, their base offsets)
        self.exempt: set[int] = set()

    def watch(self, trace) -> None:
        """Check every partition change and high-watermark advance of this trace."""
        self.trace = trace
        trace.subscribe(PartitionChanged, self.partition_changed)
        trace.subscribe(HwAdvanced, self.hw_advanced)

    def fail(self, t_us: int, rule: str, detail: str) -> None:
        raise InvariantViolation(f"invariant '{rule}' violated at t={t_us} us "
                                 f"(seed {self.seed}): {detail}")

    def partition_changed(self, change: PartitionChanged) -> None:
        """The controller committed a partition state."""
        t_us, old, new, kind, unclean_requested = change
        if old is not None and new.leader >= 0 and new.leader != old.leader \
                and not unclean_requested:
            self._check_eligible(old, new, t_us)
        if new.leader >= 0:
            key = (new.pidx, new.leader_epoch)
            if self.leaders.setdefault(key, new.leader) != new.leader:
                self.fail(t_us, "one leader per epoch", f"partition {new.pidx} epoch "
                          f"{new.leader_epoch}: {self.leaders[key]} and {new.leader}")
            if new.leader not in new.isr:
                self.fail(t_us, "ISR contains the leader", f"partition {new.pidx}: {new}")
        if kind in ("unclean", "last_known_elr"):
            self.exempt.add(new.pidx)
        elif kind in ("clean", "elr") and self._lost_data(new.leader, new.pidx):
            self.exempt.add(new.pidx)

    def _check_eligible(self, old, new, t_us: int) -> None:
        eligible = set(old.isr) | set(old.elr) | set(old.last_known_elr)
        if old.adding or old.removing:
            eligible |= set(new.isr)
        if new.leader not in eligible and not self.topology.partitions[new.pidx].unclean:
            self.fail(t_us, "leader from the ISR or ELR unless unclean election is enabled "
                      "or asked for",
                      f"partition {new.pidx}: broker {new.leader} elected, ISR {old.isr} "
                      f"ELR {old.elr}")

    def _lost_data(self, broker: int, pidx: int) -> bool:
        storage = self.brokers[broker].storage
        return pidx in storage.power_lost or pidx in storage.hw_truncated

    def hw_advanced(self, moved: HwAdvanced) -> None:
        """A leader's HW moved from old_hw."""
        t_us, broker, pidx, epoch, old_hw, hw, leo = moved
        if hw > leo:
            self.fail(t_us, "HW <= LEO", f"broker {broker} partition {pidx}: {hw} > {leo}")
        last = self.leader_hw.get(pidx)
        if last is not None and last[0] == epoch and hw < last[1]:
            self.fail(t_us, "leader HW never decreases", f"partition {pidx} epoch "
                      f"{epoch}: {last[1]} -> {hw}")
        self.leader_hw[pidx] = (epoch, hw)
        self._check_committed(t_us, pidx, self.brokers[broker].replicas[pidx].log, old_hw)

    def _check_committed(self, t_us: int, pidx: int, log, old_hw: int) -> None:
        history, bases = self.committed.setdefault(pidx, ([], []))
        end = history[-1].end_offset if history else log.log_start
        if old_hw < end:
            for b in log.read_range(max(old_hw, log.log_start), min(end, log.hw)):
                i = bisect_right(bases, b.base_offset) - 1
                other = history[i] if i >= 0 else None
                if other is None or not _same_records(other, b):
                    if pidx in self.exempt:
                        self._exempt(t_us, pidx, log)
                        return
                    self.fail(t_us, "committed records never change",
                              f"partition {pidx} offset {b.base_offset}: {other} then {b}")
        for b in log.read_range(end, log.hw):
            if b.base_offset >= end and b.end_offset <= log.hw:
                history.append(b)
                bases.append(b.base_offset)

    def _exempt(self, t_us: int, pidx: int, log) -> None:
        info = self.topology.partitions[pidx]
        self.trace.emit(InvariantExempted(t_us, info.topic, info.partition,
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
