"""The timeline: fault and action records applied to the running cluster (docs/faults.md).

Entries fire at `at`, in time order, entries of the same instant in file order
and before any model event of that instant; a `for:` expiry fires before new
entries of the same instant. Targets are resolved when an entry fires, roles
from the controller's metadata at that moment (`rack(NAME)`: every broker of the
rack), and the same hosts are released when the entry ends. Network faults add
their cuts to those in force (grudges compose; `heal: all` ends them all);
faults on a host that is already down do nothing. At `duration` the drain
begins: every fault ends, every host is restarted, producers stop generating.

Faults on `controller` (the one logical host) stand for the loss of the
active controller of a quorum: it fails over (see controller.py); `restart`
and `resume` of it do nothing more. The voters of `cluster.controllers`
(quorum.py) crash, stop, lose power, pause and restart as brokers do;
`controller(active)` is the quorum's active controller when the entry fires
(skipped when there is none), `controllers` all of them.

Each kind's row in `sim/scenario/fault_kinds.py` names the method below that
applies it and gives its lifetime. A method resolves the targets, calls the
mechanism (a World verb, the network, a disk, a client) and returns the
hosts it touched and its undo, or None when the entry is skipped (traced).
"""

import heapq
import re

from sim.cluster.host import DOWN, PAUSED
from sim.cluster.metadata import assigned
from sim.core.dist import Sampler
from sim.core.records import FaultEnded, FaultFired, FaultSides, FaultSkipped
from sim.scenario.fault_kinds import KINDS

ROLE = re.compile(r"^(leader|follower|followers)\((.+)/(\d+)\)$")
COORDINATOR = re.compile(r"^coordinator\((.+)\)$")
RACK = re.compile(r"^rack\((.+)\)$")


class Timeline:
    """Fires the scenario's actions and ends them; runs the drain."""

    def __init__(self, world, actions, duration_us: int) -> None:
        self.world = world
        self.engine = world.engine
        self.trace = world.trace
        self.agenda: list = []
        self.active: dict[int, tuple] = {}        # index -> (action, hosts, undo)
        self._seq = 0
        self._armed_at = -1
        for action in actions:
            self._push(action.at_us, 1, ("fire", action))
        self._push(duration_us, 2, ("drain", None))

    def _push(self, t: int, order: int, item) -> None:
        self._seq += 1
        heapq.heappush(self.agenda, (t, order, self._seq, item))
        if self._armed_at < 0 or t < self._armed_at:
            self._armed_at = t
            self.engine.at(t, self._tick, t, urgent=True)

    def _tick(self, armed_at: int) -> None:
        if armed_at != self._armed_at:
            return
        now = self.engine.now
        while self.agenda and self.agenda[0][0] <= now:
            _t, _o, _s, (what, payload) = heapq.heappop(self.agenda)
            if what == "fire":
                self._fire(payload)
            elif what == "end":
                self._end(payload)
            else:
                self._drain()
        self._armed_at = -1
        if self.agenda:
            self._armed_at = self.agenda[0][0]
            self.engine.at(self._armed_at, self._tick, self._armed_at, urgent=True)

    # -- firing ------------------------------------------------------------------------

    def _fire(self, action) -> None:
        now = self.engine.now
        kind = KINDS[action.kind]
        result = getattr(self, kind.apply)(action)
        if result is None:
            return
        hosts, undo = result
        self.trace.emit(FaultFired(now, action.index, action.kind, _names(hosts)))
        if not kind.stays(action.for_us):
            return
        self.active[action.index] = (action, hosts, undo)
        if action.for_us:
            self._push(now + action.for_us, 0, ("end", action.index))

    def _end(self, index: int) -> None:
        entry = self.active.pop(index, None)
        if entry is None:
            return
        action, hosts, undo = entry
        undo()
        self.trace.emit(FaultEnded(self.engine.now, action.index, action.kind, _names(hosts)))

    def _drain(self) -> None:
        for index in list(self.active):
            self._end(index)
        self.world.drain()

    # -- targets -----------------------------------------------------------------------

    def resolve(self, action, exprs) -> list | None:
        """Resolve target expressions to hosts, or None (traced) when a role has no holder."""
        hosts: list = []
        for expr in exprs:
            found = self._resolve_one(action, expr)
            if found is None:
                self.trace.emit(FaultSkipped(self.engine.now, action.index, action.kind,
                                             f"{expr} resolves to no host"))
                return None
            for host in found:
                if host not in hosts:
                    hosts.append(host)
        return hosts

    def _resolve_one(self, action, expr: str):
        w = self.world
        if expr == "all-brokers":
            return list(w.brokers)
        if expr == "any-broker":
            running = [b for b in w.brokers if b.running]
            if not running:
                return None
            rng = w.streams.get(f"timeline.{action.index}")
            return [running[int(rng.integers(0, len(running)))]]
        if expr == "controllers":
            return [c for c in w.controllers if w.logical is None]
        if expr == "controller(active)":
            active = w.controller
            return [active] if w.logical is None and active.active else None
        match = ROLE.match(expr)
        if match:
            return self._role(*match.groups())
        match = COORDINATOR.match(expr)
        if match:
            state = w.controller.image.partitions[w.topology.coordinator_pidx(match.group(1))]
            return [w.brokers[state.leader]] if state.leader >= 0 else None
        match = RACK.match(expr)
        if match:
            return [w.brokers[b] for b in w.spec.cluster.racks[match.group(1)]]
        if expr in w.aliases:
            return list(w.aliases[expr])
        return [w.hosts[expr]] if expr in w.hosts else None

    def _role(self, role: str, topic: str, partition: str):
        w = self.world
        info = w.topology.find(topic, int(partition))
        if info is None:
            return None
        state = w.controller.image.partitions.get(info.pidx)
        if state is None:           # a partition an add_partitions entry has yet to create
            return None
        if role == "leader":
            return [w.brokers[state.leader]] if state.leader >= 0 else None
        followers = [w.brokers[r] for r in assigned(state, info) if r != state.leader]
        if role == "follower":
            return followers[:1] or None
        return followers or None

    # -- host faults -------------------------------------------------------------------

    def start(self, action):
        """Restart or resume: call the World verb of the kind's name on each target."""
        hosts = self.resolve(action, action.target)
        if hosts is None:
            return None
        for host in hosts:
            getattr(self.world, action.kind)(host)
        return hosts, None

    def take_down(self, action):
        """Crash, stop or power off (the World verb of the kind's name); the undo restarts
        the hosts it took down."""
        hosts = self.resolve(action, action.target)
        if hosts is None:
            return None
        taken = [h for h in hosts if h.state not in DOWN]
        for host in hosts:
            getattr(self.world, action.kind)(host)
        return hosts, lambda: [self.world.restart(h) for h in taken if h.state in DOWN]

    def pause(self, action):
        hosts = self.resolve(action, action.target)
        if hosts is None:
            return None
        paused = [h for h in hosts if h.state == "running"]
        for host in paused:
            self.world.pause(host)
        return hosts, lambda: [self.world.resume(h) for h in paused if h.state == PAUSED]

    def slow_disk(self, action):
        hosts = self.resolve(action, action.target)
        if hosts is None:
            return None
        disks = [h.storage.disk for h in hosts if hasattr(h, "storage")]
        entry = (action.index, float(action.params["factor"]))
        for disk in disks:
            disk.factors.append(entry)
        return hosts, lambda: [d.factors.remove(entry) for d in disks if entry in d.factors]

    def slow(self, action):
        hosts = self.resolve(action, action.target)
        if hosts is None:
            return None
        rng = self.world.streams.get(f"timeline.{action.index}")
        before = [(h, h.sampler) for h in hosts]
        for host in hosts:
            host.slow(Sampler(action.params["processing"], rng))
        return hosts, lambda: [h.slow(sampler) for h, sampler in before]

    def add_member(self, action):
        return [self.world.add_member(action.params["group"])], None

    def remove_member(self, action):
        member = self.world.remove_member(action.params["group"])
        if member is None:
            self.trace.emit(FaultSkipped(self.engine.now, action.index, action.kind,
                                         "no live member"))
            return None
        return [member], None

    def poison(self, action):
        rng = self.world.streams.get(f"timeline.{action.index}")
        window = self.world.poison.open(action.params["topic"], action.params["rate"], rng,
                                        self.engine.now)

        def undo():
            window.end_us = self.engine.now
        return [], undo

    def reset_offsets(self, action):
        self.world.admin.reset_offsets(action.params["group"], action.params["to"])
        return [self.world.admin], None

    def reassign(self, action):
        """AlterPartitionReassignments, answered by the active controller; skipped (traced)
        while it fails over. Partitions whose list is their replicas already are left alone."""
        controller = self.world.controller
        if controller.down:
            self.trace.emit(FaultSkipped(self.engine.now, action.index, action.kind,
                                         "no active controller"))
            return None
        by_topic = self.world.topology.by_topic[action.params["topic"]]
        for pidx, target in zip(by_topic, action.params["assignment"], strict=True):
            if pidx in controller.image.partitions:     # not one a skipped add left out
                controller.reassign(pidx, target)
        return [controller], None

    def add_partitions(self, action):
        """CreatePartitions, answered by the active controller; skipped (traced) while it
        fails over or when the controller refuses it (every new partition's replicas fenced)."""
        controller = self.world.controller
        if controller.down or (self.world.logical is None and not controller.active):
            self.trace.emit(FaultSkipped(self.engine.now, action.index, action.kind,
                                         "no active controller"))
            return None
        topic, image = action.params["topic"], controller.image.partitions
        new = [info.pidx for info in self.world.topology.partitions    # an earlier skipped
               if info.topic == topic and 0 <= info.added_by <= action.index   # entry's too:
               and info.pidx not in image]                             # `count` is the total
        error = controller.create_partitions(new)
        if error is not None:
            self.trace.emit(FaultSkipped(self.engine.now, action.index, action.kind, error))
            return None
        return [controller], None

    def elect_leaders(self, action):
        p = action.params
        self.world.admin.elect_leaders(p["type"], p["topic"], p["partitions"])
        return [self.world.admin], None

    def set_rate(self, action):
        name = action.params["producer"]
        producers = self.world.aliases.get(name) or [self.world.hosts[name]]
        for producer in producers:
            producer.set_rate(float(action.params["rate"]))
        return producers, None

    # -- network faults ----------------------------------------------------------------

    def _cut(self, action, pairs, hosts):
        net = self.world.net
        net.cut(pairs)
        return hosts, lambda: net.uncut(pairs)

    def partition(self, action):
        groups = []
        for group in action.params["groups"]:
            hosts = self.resolve(action, group)
            if hosts is None:
                return None
            groups.append([h.name for h in hosts])
        self.trace.emit(FaultSides(self.engine.now, action.index,
                                   tuple(tuple(g) for g in groups)))
        pairs = [(a, b) for i, ga in enumerate(groups) for j, gb in enumerate(groups)
                 if i != j for a in ga for b in gb if a != b]
        everyone = [self.world.hosts[n] for g in groups for n in g]
        return self._cut(action, pairs, everyone)

    def isolate(self, action):
        hosts = self.resolve(action, action.target)
        if hosts is None:
            return None
        inside = {h.name for h in hosts}
        others = [n for n in self.world.hosts if n not in inside]
        pairs = [(a, b) for a in sorted(inside) for b in others] + \
                [(b, a) for a in sorted(inside) for b in others]
        return self._cut(action, pairs, hosts)

    def one_way(self, action):
        sources = self.resolve(action, _exprs(action.params["from"]))
        targets = self.resolve(action, _exprs(action.params["to"]))
        if sources is None or targets is None:
            return None
        pairs = [(a.name, b.name) for a in sources for b in targets if a is not b]
        return self._cut(action, pairs, sources + targets)

    def degrade(self, action):
        between = action.params["between"]
        left = self.resolve(action, _exprs(between[0]))
        right = self.resolve(action, _exprs(between[1]))
        if left is None or right is None:
            return None
        net = self.world.net
        links = [net.link(a.name, b.name) for a in left for b in right if a is not b]
        links += [net.link(b.name, a.name) for a in left for b in right if a is not b]
        p = action.params
        override_for = {}
        if p.get("bandwidth"):
            net.wire = True
        for link in links:
            latency = Sampler(p["latency"], link.rng) if p.get("latency") is not None else None
            override_for[id(link)] = (action.index, latency, p.get("loss"), p.get("resets"),
                                      p.get("bandwidth"))
            link.overrides.append(override_for[id(link)])

        def undo():
            for link in links:
                if override_for[id(link)] in link.overrides:
                    link.overrides.remove(override_for[id(link)])
        return left + right, undo

    def heal(self, action):
        for index in [i for i, (a, _h, _u) in self.active.items()
                      if "heal" in KINDS[a.kind].ended_by]:
            self._end(index)
        return [], None


def _exprs(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _names(hosts) -> tuple:
    return tuple(h.name for h in hosts)
