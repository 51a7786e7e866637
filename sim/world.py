"""A built run: every host, the network and the clock, in the start state of CONTRACT §2.3.

At t = 0 every broker is registered and unfenced, every partition is led by
its first replica with ISR = all replicas and leader epoch 0, and producers
hold full metadata and (when idempotent) a producer id. The world also maps
the timeline's verbs onto the hosts and runs the drain. It builds the model
only: what watches a run (the invariants, lag, processing, availability)
watches its trace, registered by the runner (sim/runner.py).
"""

import numpy as np

from sim.clients.admin import Admin
from sim.clients.arrivals import Arrivals
from sim.clients.consumer import Consumer
from sim.clients.partitioner import key_names, key_table
from sim.clients.poison import PoisonWindows
from sim.clients.producer import Producer
from sim.clients.steps import Events
from sim.cluster.broker import Broker
from sim.cluster.controller import Controller
from sim.cluster.disk import Disk
from sim.cluster.group_log import RecordStore
from sim.cluster.net import Network
from sim.cluster.settings import BrokerSettings
from sim.cluster.topology import Topology, named_offsets_partitions
from sim.core.engine import Engine
from sim.core.rng import Streams
from sim.core.trace import Trace


class World:
    """Everything one run simulates."""

    def __init__(self, spec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.engine = Engine()
        self.trace = Trace()
        self.streams = Streams(seed)
        self.topology = Topology(spec.topics, spec.cluster, list(spec.consumers),
                                 named_offsets_partitions(spec.timeline))
        self.settings = BrokerSettings.from_cluster(spec.cluster)
        self.net = Network(self.engine, self.streams, spec.cluster.network)
        self.producer_names = [f"{p.name}.{step.event}" if p.steps else p.name
                               for p in spec.producers.values() for step in (p.steps or (0,))]
        self._next_pid = 1000
        self._fetch_sessions = 0
        self.brokers = [Broker(b, self, Disk(spec.cluster.disk))
                        for b in range(spec.cluster.brokers)]
        self.controller = Controller(self)
        self.producers, self.aliases = self._producers(spec.producers)
        self._key_ids: dict[int, np.ndarray] = {}
        self._key_registry: dict[str, int] = {}
        self.group_records = RecordStore()
        self.poison = PoisonWindows()
        self._dead_letters = 0
        self.consumers = [Consumer(g, i, self) for g in spec.consumers.values()
                          for i in range(g.members)]
        self.admin = Admin(self)
        self.hosts = {h.name: h for h in (*self.brokers, self.controller, *self.producers,
                                          *self.consumers, self.admin)}
        for host in self.hosts.values():
            self.net.add(host)

    def _producers(self, specs) -> tuple[list, dict]:
        """One client per producer, or per step of a steps producer (aliased by its name)."""
        producers, aliases = [], {}
        for spec in specs.values():
            if not spec.steps:
                producers.append(Producer(spec, len(producers), self))
                continue
            events = Events(Arrivals(spec.rate, spec.arrivals == "even",
                                     *key_table(key_names(spec.keys), 1), spec.value_size,
                                     self.streams.get(f"producer.{spec.name}")))
            delay, parts = 0, []
            for step in spec.steps:
                delay += step.after_us
                parts.append(Producer(spec, len(producers), self, (events, step, delay)))
                producers.append(parts[-1])
            aliases[spec.name] = parts
        return producers, aliases

    def next_pid(self) -> int:
        """Allocate a producer id (the controller's producer-id blocks, simplified)."""
        self._next_pid += 1
        return self._next_pid

    def new_fetch_session(self) -> int:
        """A fetch session id, unique in the run (fetch_session.py)."""
        self._fetch_sessions += 1
        return self._fetch_sessions

    def next_dead_letter(self) -> int:
        """Number a dead-letter record (its content is the poison record it carries)."""
        self._dead_letters += 1
        return self._dead_letters

    def key_ids(self, producer: int) -> np.ndarray:
        """Run-wide ids of a producer's key indexes: the same key string, the same id."""
        ids = self._key_ids.get(producer)
        if ids is None:
            registry = self._key_registry
            names = self.producers[producer].key_names
            ids = self._key_ids[producer] = np.array(
                [registry.setdefault(name, len(registry)) for name in names], np.int64)
        return ids

    def boot(self) -> None:
        """Bring up the steady state of t = 0."""
        self.controller.boot()
        image = self.controller.image
        for broker in self.brokers:
            broker.boot(image, image.brokers[broker.id].broker_epoch)
        leaders = {pidx: (s.leader, s.leader_epoch) for pidx, s in image.partitions.items()}
        for producer in self.producers:
            producer.boot(leaders, self.next_pid() if producer.settings.idempotence else -1)
        for consumer in self.consumers:
            consumer.boot(leaders)

    # -- the timeline's verbs ------------------------------------------------------------

    def crash(self, host) -> None:
        if host is self.controller:
            host.fail_over("crash")
        else:
            host.crash()

    def stop(self, host) -> None:
        if host is self.controller:
            host.fail_over("stop")
        else:
            host.stop()

    def power_loss(self, host) -> None:
        if host is self.controller:
            host.fail_over("power_loss")
        elif isinstance(host, Broker):
            host.power_loss()
        else:
            host.crash("powered_off")

    def restart(self, host) -> None:
        if host is not self.controller:
            host.restart()

    def pause(self, host) -> None:
        if host is self.controller:
            host.fail_over("pause")
        else:
            host.pause()

    def resume(self, host) -> None:
        if host is not self.controller:
            host.resume()

    def add_member(self, group: str) -> Consumer:
        """Scale a group up: a new member process starts and joins."""
        index = sum(c.group == group for c in self.consumers)
        member = Consumer(self.spec.consumers[group], index, self)
        self.consumers.append(member)
        self.hosts[member.name] = member
        self.net.add(member)
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
            if host is self.controller or getattr(host, "retired", False):
                continue
            if host.state == "paused":
                host.resume()
            elif host.down:
                host.restart()
