"""Build one host alone: a narrow context of its own, a real network, fake peers.

The scenario only supplies settings and the topology (a validated spec, never a World).
Every link has a constant one-way latency of 1 ms. Peers are `Peer`s: hosts that record
every request they get and answer it with what their `answer` function returns (None:
no answer, the request waits as a parked fetch would). Requests to the host under test
are sent from peers over real connections and their responses recorded in order.
"""

from sim.cluster.context import (
    BrokerContext,
    ClientContext,
    ControllerContext,
    Ids,
    Nodes,
    RecordContents,
    Runtime,
)
from sim.cluster.disk import Disk
from sim.cluster.group_log import RecordStore
from sim.cluster.host import Host
from sim.cluster.metadata import BrokerState, Image, PartitionState
from sim.cluster.net import Network
from sim.cluster.rpc import Connections
from sim.cluster.settings import BrokerSettings
from sim.cluster.topology import Topology, added_partitions, reassigned_brokers
from sim.core.engine import Engine
from sim.core.rng import Streams
from sim.core.trace import Trace
from sim.core.units import MS
from sim.scenario import from_dict
from sim.scenario.spec import Dist
from sim.scenario.spec import Network as NetworkSpec

ONE_MS = Dist(kind="constant", value_us=1 * MS)


class Peer(Host):
    """A fake host: records (time, request) and answers with answer(request) if not None,
    after delay_us."""

    def __init__(self, name: str, runtime: Runtime, answer=None, delay_us: int = 0) -> None:
        super().__init__(name, runtime.engine, runtime.trace)
        self.net = runtime.net
        self.answer = answer or (lambda request: None)
        self.delay_us = delay_us
        self.got: list = []
        self.responses: list = []            # (time, tag, response) of requests it sent
        self.conns = Connections(self.net, self, lambda target: target)     # by server host

    def handle(self, conn, rid, payload) -> None:
        self.got.append((self.engine.now, payload))
        response = self.answer(payload)
        if response is not None:
            self.timer(self.delay_us, conn.respond, rid, response)

    def send(self, target, request, tag=None, timeout_us: int = 30_000 * MS) -> None:
        """Send a request to target over this peer's connection to it; record the response."""
        self.conns.to(target).request(
            request, lambda r: self.responses.append((self.engine.now, tag, r)), timeout_us)

    def requests(self, kind) -> list:
        return [p for _t, p in self.got if isinstance(p, kind)]


class Harness:
    """The run-wide pieces a host's context is cut from, for one small scenario."""

    def __init__(self, raw: dict, txn_ids: tuple = ()) -> None:
        """`txn_ids`: transactional ids whose `__transaction_state` partitions exist."""
        self.spec = from_dict(dict({"name": "alone", "duration": "10s"}, **raw))
        self.engine = Engine()
        self.trace = Trace()
        self.nodes = Nodes()
        self.net = Network(self.engine, Streams(1),
                           NetworkSpec(latency=ONE_MS, loss=0.0, resets=0.0))
        self.runtime = Runtime(self.engine, self.trace, self.net, self.nodes, Streams(1))
        self.settings = BrokerSettings.from_cluster(self.spec.cluster)
        self.topology = Topology(self.spec.topics, self.spec.cluster, list(self.spec.consumers),
                                 (), self.runtime.streams, reassigned_brokers(self.spec.timeline),
                                 added_partitions(self.spec.timeline), txn_ids)
        self.ids = Ids()
        self.contents = RecordContents()

    def peer(self, name: str, answer=None, delay_us: int = 0) -> Peer:
        host = Peer(name, self.runtime, answer, delay_us)
        self.net.add(host)
        return host

    def add(self, host):
        self.net.add(host)
        return host

    def broker_context(self) -> BrokerContext:
        return BrokerContext(self.runtime, self.settings, self.spec.cluster.config,
                             self.topology, self.ids, self.contents, RecordStore(), ["app"])

    def controller_context(self) -> ControllerContext:
        return ControllerContext(self.runtime, self.settings, self.topology)

    def client_context(self) -> ClientContext:
        return ClientContext(self.runtime, self.topology, self.spec.cluster.protocol, self.ids,
                             self.contents, None,
                             {g.name: g.topics for g in self.spec.consumers.values()})

    def disk(self) -> Disk:
        return Disk(self.spec.cluster.disk)

    def image(self, isr: dict | None = None) -> Image:
        """Every broker registered and unfenced; each partition of the start led by its first
        replica at epoch 0, with isr.get(pidx) in sync (every replica by default)."""
        image = Image()
        for b in range(self.spec.cluster.brokers):
            image.apply(BrokerState(b, b + 1, fenced=False))
        for info in self.topology.partitions:
            if info.added_by >= 0:
                continue
            in_sync = (isr or {}).get(info.pidx, tuple(sorted(info.replicas)))
            image.apply(PartitionState(info.pidx, info.replicas[0], 0, 0, in_sync))
        return image

    def run(self, until_us: int) -> None:
        self.engine.run(until_us)
