"""A built run: every host, the network and the clock, in the start state of a run.

At t = 0 every broker is registered and unfenced, every partition is led by
its first replica with ISR = all replicas and leader epoch 0, and producers
hold full metadata and (when idempotent) a producer id. The world also maps
the timeline's verbs onto the hosts and runs the drain. It builds the model
only: what watches a run (the invariants, lag, processing, availability)
watches its trace, registered by the runner (sim/runner.py).

The world assembles; hosts never reach it. Each host is built from the narrow
context of its kind (sim/cluster/context.py): the runtime (clock, trace,
network, the directory of nodes, random streams) and what a process of that
kind knows.

The start state: docs/scenario.md#start-of-a-run.
"""

from sim.clients.admin import Admin
from sim.clients.arrivals import Arrivals
from sim.clients.consumer import Consumer
from sim.clients.output import OutputProducer
from sim.clients.partitioner import key_names, key_table
from sim.clients.poison import PoisonWindows
from sim.clients.producer import Producer
from sim.clients.steps import Events
from sim.cluster.broker import Broker
from sim.cluster.context import (
    BrokerContext,
    ClientContext,
    ControllerContext,
    Ids,
    Nodes,
    RecordContents,
    Runtime,
)
from sim.cluster.controller import Controller
from sim.cluster.disk import Disk
from sim.cluster.group_log import RecordStore
from sim.cluster.net import Network
from sim.cluster.quorum import QuorumController
from sim.cluster.raft import QuorumSettings, boot_quorum
from sim.cluster.settings import BrokerSettings
from sim.cluster.topology import (
    TXN_TOPIC,
    Topology,
    added_partitions,
    named_offsets_partitions,
    output_transactional_ids,
    reassigned_brokers,
    transactional_ids,
)
from sim.cluster.wire_sampler import WireSampler, wants_sampler
from sim.core.engine import Engine
from sim.core.rng import Streams
from sim.core.trace import Trace
from sim.core.units import MS
from sim.scenario.outputs import member_output


class World:
    """Everything one run simulates."""

    def __init__(self, spec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.engine = Engine()
        self.trace = Trace()
        self.streams = Streams(seed)
        self.topology = Topology(spec.topics, spec.cluster, list(spec.consumers),
                                 named_offsets_partitions(spec.timeline), self.streams,
                                 reassigned_brokers(spec.timeline),
                                 added_partitions(spec.timeline),
                                 transactional_ids(spec.producers)
                                 + output_transactional_ids(spec.consumers, spec.timeline),
                                 named_offsets_partitions(spec.timeline, TXN_TOPIC))
        self.settings = BrokerSettings.from_cluster(spec.cluster)
        self.net = Network(self.engine, self.streams, spec.cluster.network)
        self.producer_names = [f"{p.name}.{step.event}" if p.steps else p.name
                               for p in spec.producers.values() for step in (p.steps or (0,))]
        self.nodes = Nodes()
        runtime = Runtime(self.engine, self.trace, self.net, self.nodes, self.streams)
        self.ids = Ids()
        self.contents = RecordContents()
        self.group_records = RecordStore()
        self.poison = PoisonWindows()
        broker_ctx = BrokerContext(runtime, self.settings, spec.cluster.config, self.topology,
                                   self.ids, self.contents, self.group_records,
                                   self.producer_names)
        self.brokers = self.nodes.brokers
        limits = spec.cluster.hosts
        self.brokers.extend(Broker(b, broker_ctx, self._disk(spec.cluster, b))
                            for b in range(spec.cluster.brokers))
        controller_ctx = ControllerContext(runtime, self.settings, self.topology)
        self.controllers = self._controllers(spec.cluster, controller_ctx)
        self.logical = self.controllers[0] if not spec.cluster.controllers else None
        self.nodes.controller = self.controllers[0]
        self.client_ctx = ClientContext(
            runtime, self.topology, spec.cluster.protocol, self.ids, self.contents, self.poison,
            {g.name: g.topics for g in spec.consumers.values()}, spec.cluster.features)
        self.producers, self.aliases = self._producers(spec.producers)
        self.contents.producers = self.producers
        self.consumers = [Consumer(g, i, self.client_ctx) for g in spec.consumers.values()
                          for i in range(g.members)]
        outputs = [self._attach_output(c) for c in self.consumers if c.spec.output is not None]
        self.admin = Admin(self.client_ctx)
        self.hosts = {h.name: h for h in (*self.brokers, *self.controllers, *self.producers,
                                          *self.consumers, self.admin)}
        for host in (*self.hosts.values(), *outputs):
            self.net.add(host)
        self._host_bandwidths(limits)

    @property
    def controller(self):
        """The active controller (the last one active while the quorum has none)."""
        return self.nodes.controller

    @staticmethod
    def _controllers(cluster, ctx) -> list:
        """The logical host, or `cluster.controllers` voters of a KRaft quorum."""
        n = cluster.controllers
        if not n:
            return [Controller(ctx)]
        c = cluster.config
        settings = QuorumSettings(
            c["controller.quorum.election.timeout.ms"] * MS,
            c["controller.quorum.fetch.timeout.ms"] * MS,
            c["controller.quorum.election.backoff.max.ms"] * MS,
            c["controller.quorum.request.timeout.ms"] * MS,
            check_quorum=bool(cluster.protocol["quorum.check"]))
        shared = ({}, {})
        voters = tuple(range(n))
        quorum = [QuorumController(ctx, i, voters, settings, shared) for i in voters]
        for c in quorum:
            c.quorum = quorum
        return quorum

    @staticmethod
    def _disk(cluster, broker: int) -> Disk:
        """Broker's disk, with its own throughput if `cluster.hosts` gives one."""
        limit = cluster.hosts.get(f"broker-{broker}")
        return Disk(cluster.disk, limit.throughput if limit and limit.throughput else None)

    def _host_bandwidths(self, limits) -> None:
        """`cluster.hosts.<name>.network.bandwidth`: a producer's name covers its steps."""
        for name, limit in limits.items():
            if limit.bandwidth:
                for host in self.aliases.get(name) or (self.hosts[name],):
                    self.net.set_bandwidth(host.name, limit.bandwidth)

    def _producers(self, specs) -> tuple[list, dict]:
        """One client per producer, or per step of a steps producer (aliased by its name)."""
        producers, aliases = [], {}
        for spec in specs.values():
            if not spec.steps:
                producers.append(Producer(spec, len(producers), self.client_ctx))
                continue
            events = Events(Arrivals(spec.rate, spec.arrivals == "even",
                                     *key_table(key_names(spec.keys), 1), spec.value_size,
                                     self.streams.get(f"producer.{spec.name}")))
            delay, parts = 0, []
            for step in spec.steps:
                delay += step.after_us
                parts.append(Producer(spec, len(producers), self.client_ctx, (events, step, delay)))
                producers.append(parts[-1])
            aliases[spec.name] = parts
        return producers, aliases

    def _attach_output(self, member: Consumer) -> OutputProducer:
        """The member's output producer (consume-transform-produce), keeping the keys of the
        producers writing the group's topics; it runs in the member's process, so it is no
        host of its own."""
        inputs = [p for p in self.producers if p.topic in member.topics]
        offsets, at = {}, 0
        for p in inputs:
            offsets[p.index] = at
            at += len(p.key_names)
        spec = member_output(member.spec, member.name, inputs)
        out = OutputProducer(member, len(self.producers), self.client_ctx, spec, offsets)
        self.producers.append(out)
        self.producer_names.append(out.name)
        member.output = out
        return out

    def _leaders(self) -> dict:
        image = self.controller.image
        return {pidx: (s.leader, s.leader_epoch) for pidx, s in image.partitions.items()}

    def boot(self) -> None:
        """Bring up the steady state of t = 0."""
        self._boot_controllers()
        image = self.controller.image
        for broker in self.brokers:
            broker.boot(image, image.brokers[broker.id].broker_epoch)
        leaders = {pidx: (s.leader, s.leader_epoch) for pidx, s in image.partitions.items()}
        for producer in self.producers:
            idempotent = producer.settings.idempotence and producer.txn is None
            producer.boot(leaders, self.ids.next_pid() if idempotent else -1)
        for consumer in self.consumers:
            consumer.boot(leaders)
        if wants_sampler(self.spec):
            WireSampler(self).start()

    def _boot_controllers(self) -> None:
        """The logical host boots alone; a quorum's first voter leads epoch 1 with the
        initial metadata committed on every voter."""
        if self.logical is not None:
            self.logical.boot()
            return
        first = self.controllers[0]
        first.raft.boot_leader()
        first.boot()
        boot_quorum([c.raft for c in self.controllers])
        first.activate()

    # -- the timeline's verbs ------------------------------------------------------------

    def crash(self, host) -> None:
        if host is self.logical:
            host.fail_over("crash")
        else:
            host.crash()

    def stop(self, host) -> None:
        if host is self.logical:
            host.fail_over("stop")
        else:
            host.stop()

    def power_loss(self, host) -> None:
        if host is self.logical:
            host.fail_over("power_loss")
        elif isinstance(host, Broker):
            host.power_loss()
        else:
            host.crash("powered_off")

    def restart(self, host) -> None:
        if host is not self.logical:
            host.restart()

    def pause(self, host) -> None:
        if host is self.logical:
            host.fail_over("pause")
        else:
            host.pause()

    def resume(self, host) -> None:
        if host is not self.logical:
            host.resume()

    def add_member(self, group: str) -> Consumer:
        """Scale a group up: a new member process starts and joins."""
        index = sum(c.group == group for c in self.consumers)
        member = Consumer(self.spec.consumers[group], index, self.client_ctx)
        self.consumers.append(member)
        self.hosts[member.name] = member
        self.net.add(member)
        if member.spec.output is not None:
            out = self._attach_output(member)
            self.net.add(out)
            out.boot(self._leaders(), self.ids.next_pid() if out.settings.idempotence
                     and out.txn is None else -1)
        member.boot(None)
        return member

    def remove_member(self, group: str):
        """Scale a group down: the highest-index live member stops cleanly, for good."""
        live = [c for c in self.consumers if c.group == group and not c.down and not c.retired]
        if not live:
            return None
        member = live[-1]
        member.retired = True
        member.stop()
        return member

    def drain(self) -> None:
        """End of the workload: restart and resume everything, stop generating."""
        for producer in self.producers:
            producer.stop_generating()
        for host in self.hosts.values():
            if host is self.logical or getattr(host, "retired", False):
                continue
            if host.state == "paused":
                host.resume()
            elif host.down:
                host.restart()
