"""The timeline's action kinds, each declared once (docs/faults.md#the-actions).

A row says everything about a kind that is not its mechanism:

- how a scenario reads it: the shape of its value (for key checks and `--set`), its reader
  in `actions.py`, which kinds of host its targets may be (the one logical
  controller is a target of network faults only: a highly available quorum that can be cut
  off, not killed; the voters of `cluster.controllers` take every host fault too), and the
  extra key next to it (`slow_disk` needs `factor`, `slow` needs `processing`);
- its lifetime: INSTANT (takes effect at once, `for:` is refused); DOWN (takes hosts down:
  with `for:` its undo restarts the hosts it took down, without they stay down until a
  `restart` entry or the drain); LASTING (in force until its `for:` ends, or the drain, when
  its undo runs), and the kinds that end it early (`ended_by`: `heal` undoes the network
  faults; the fault windows of the analysis also end at a `restart` or `resume` of the
  same hosts);
- which method of `faults.Timeline` applies it: it resolves the targets, calls the
  mechanism (a World verb, the network, a disk, a client) and returns the hosts it touched
  with the undo of a lasting kind;
- whether `kafkasim explore` draws it (`explore`: the name `sim.testing.fault_schedules`
  draws it under) and whether `sim.testing.any_scenarios` does (`fuzz`); `workload` marks
  load, not faults, which explore keeps when it replaces a scenario's faults.

The schema of a timeline entry, the timeline's checks, the Timeline's dispatch and heal,
the fault windows of the analysis and the workload explore keeps follow from this table;
tests check it against the Timeline's methods, sim.testing's draws and the table of docs/faults.md.
Adding a kind: its row here, its reader (actions.py) and its apply and undo (faults.py) with
the mechanism they call, its row in docs/faults.md; if explore or the fuzzer may draw it, its
draw in sim/testing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.scenario import actions
from sim.scenario.shapes import DIST, LEAF, Seq, fixed

INSTANT, DOWN, LASTING = "instant", "down", "lasting"
ANY = ("broker", "controller", "voter", "producer", "member")
PROCESSES = ("broker", "voter", "producer", "member")
HEAL = ("heal",)


@dataclass(frozen=True, slots=True)
class FaultKind:
    """One timeline action kind."""

    name: str
    read: Callable
    apply: str
    lifetime: str = INSTANT
    shape: object = LEAF
    targets: tuple[str, ...] = ()
    extra: tuple[str, object] | None = None
    ended_by: tuple[str, ...] = ()
    explore: str | None = None
    fuzz: bool = False
    workload: bool = False

    @property
    def host_action(self) -> bool:
        """Is its value its targets and nothing else?"""
        return self.shape == LEAF and bool(self.targets) and self.extra is None

    def stays(self, for_us: int | None) -> bool:
        """Does an entry of this kind stay in force after it fires, its undo pending?"""
        return self.lifetime == LASTING or (self.lifetime == DOWN and bool(for_us))


def _table(*kinds: FaultKind) -> dict[str, FaultKind]:
    return {kind.name: kind for kind in kinds}


KINDS = _table(     # name, reader (actions.py), Timeline method, lifetime, then the rest by name
    FaultKind("crash", actions.read_targets, "take_down", DOWN, targets=PROCESSES,
              ended_by=("restart",), explore="crash", fuzz=True),
    FaultKind("stop", actions.read_targets, "take_down", DOWN, targets=PROCESSES,
              ended_by=("restart",), explore="stop", fuzz=True),
    FaultKind("power_loss", actions.read_targets, "take_down", DOWN, targets=PROCESSES,
              ended_by=("restart",), explore="power_loss", fuzz=True),
    FaultKind("restart", actions.read_targets, "start", targets=PROCESSES),
    FaultKind("pause", actions.read_targets, "pause", LASTING, targets=PROCESSES,
              ended_by=("resume", "restart"), explore="pause", fuzz=True),
    FaultKind("resume", actions.read_targets, "start", targets=PROCESSES),
    FaultKind("partition", actions.read_partition, "partition", LASTING, shape=Seq(Seq(LEAF)),
              targets=ANY, ended_by=HEAL, explore="cut-from-controller"),
    FaultKind("isolate", actions.read_targets, "isolate", LASTING, targets=ANY, ended_by=HEAL,
              explore="isolate", fuzz=True),
    FaultKind("one_way", actions.read_one_way, "one_way", LASTING, shape=fixed("from", "to"),
              targets=ANY, ended_by=HEAL),
    FaultKind("degrade", actions.read_degrade, "degrade", LASTING,
              shape=fixed("loss", "resets", "bandwidth", between=Seq(LEAF), latency=DIST),
              targets=ANY, ended_by=HEAL, explore="degrade", fuzz=True),
    FaultKind("slow_disk", actions.read_slow_disk, "slow_disk", LASTING, targets=("broker",),
              extra=("factor", LEAF), explore="slow_disk", fuzz=True),
    FaultKind("slow", actions.read_slow, "slow", LASTING, targets=("member",),
              extra=("processing", DIST), fuzz=True, workload=True),
    FaultKind("heal", actions.read_heal, "heal"),
    FaultKind("poison", actions.read_poison, "poison", LASTING, shape=fixed("topic", "rate"),
              fuzz=True, workload=True),
    FaultKind("reset_offsets", actions.read_reset_offsets, "reset_offsets",
              shape=fixed("group", to=fixed("offset", "time")), fuzz=True, workload=True),
    FaultKind("set_rate", actions.read_set_rate, "set_rate", shape=fixed("producer", "rate"),
              fuzz=True, workload=True),
    FaultKind("add_member", actions.read_add_member, "add_member", fuzz=True, workload=True),
    FaultKind("remove_member", actions.read_remove_member, "remove_member", fuzz=True,
              workload=True),
    FaultKind("reassign", actions.read_reassign, "reassign",
              shape=fixed("topic", assignment=Seq(Seq(LEAF))), workload=True),
    FaultKind("elect_leaders", actions.read_elect_leaders, "elect_leaders",
              shape=fixed("type", "topic", partitions=Seq(LEAF)), fuzz=True, workload=True),
    FaultKind("add_partitions", actions.read_add_partitions, "add_partitions",
              shape=fixed("topic", "count", assignment=Seq(Seq(LEAF))), workload=True),
)

# The file format lists the host actions (a value that is just targets) first; the error
# for a `for:` on an instant action lists the lasting ones in the table's order.
ACTIONS = tuple([name for name, kind in KINDS.items() if kind.host_action]
                + [name for name, kind in KINDS.items() if not kind.host_action])
LASTING_KINDS = tuple(name for name, kind in KINDS.items() if kind.lifetime != INSTANT)
EXTRAS = {kind.extra[0]: name for name, kind in KINDS.items() if kind.extra}
WORKLOAD = tuple(name for name, kind in KINDS.items() if kind.workload)
