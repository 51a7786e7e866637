"""The wire: NIC queues per host and direction, a degraded link's cap, message sizes and the
disk's throughput (sim/cluster/wire.py, net.py, disk.py).

Links have a constant one-way latency of 1 ms; a bandwidth of 1 MiB/s makes 1,048,576 bytes
take exactly one second, so 1 KiB takes 977 us (1e6 / 1024 = 976.5625, rounded up).
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.disk import Disk
from sim.cluster.host import Host
from sim.cluster.log import Batch
from sim.cluster.net import Network
from sim.cluster.protocol import (
    BatchData,
    FetchData,
    FetchResponse,
    ProduceRequest,
    ProduceResponse,
)
from sim.cluster.wire import REQUEST_OVERHEAD_BYTES, message_size, transmission_us
from sim.core.engine import Engine
from sim.core.rng import Streams
from sim.core.trace import Trace
from sim.core.units import MS, S
from sim.scenario.spec import Disk as DiskSpec
from sim.scenario.spec import Dist
from sim.scenario.spec import Network as NetworkSpec

MIB = 1 << 20
ONE_MS = Dist(kind="constant", value_us=1 * MS)


class Wire:
    """Hosts on a network with a NIC bandwidth (0 = unlimited), recording arrivals."""

    def __init__(self, bandwidth=MIB, names=("a", "b", "c")):
        self.engine = Engine()
        spec = NetworkSpec(latency=ONE_MS, loss=0.0, resets=0.0, bandwidth=bandwidth)
        self.net = Network(self.engine, Streams(1), spec)
        self.hosts = {}
        for name in names:
            self.hosts[name] = Host(name, self.engine, Trace())
            self.net.add(self.hosts[name])
        self.arrived = []

    def send(self, src, dst, tag, size, stream=None):
        self.net.send(self.hosts[src], self.hosts[dst],
                      lambda: self.arrived.append((tag, self.engine.now)),
                      stream=stream or (src, dst), size=size)

    def run(self):
        self.engine.run(60 * S)
        return dict(self.arrived)


def test_a_message_takes_latency_plus_size_over_bandwidth():
    w = Wire()
    w.send("a", "b", "m", MIB)
    assert w.run() == {"m": 1 * S + 1 * MS}


def test_without_bandwidth_size_changes_nothing():
    w = Wire(bandwidth=0)
    w.send("a", "b", "m", 100 * MIB)
    assert w.run() == {"m": 1 * MS}


def test_a_hosts_egress_carries_its_bandwidth_whatever_the_destinations():
    w = Wire()
    w.send("a", "b", "first", MIB)
    w.send("a", "c", "second", MIB)
    assert w.run() == {"first": 1 * S + 1 * MS, "second": 2 * S + 1 * MS}


def test_a_small_message_shares_the_egress_with_a_large_one_queued_before_it():
    """Processor sharing with the backlog: a 1 KiB request behind a 1 MiB response is through
    after twice its own transmission, not after the response."""
    w = Wire()
    w.send("a", "b", "large", MIB)
    w.send("a", "c", "small", 1024)
    got = w.run()
    assert got["small"] == 2 * transmission_us(1024, MIB) + 1 * MS
    assert got["large"] == 1 * S + 1 * MS


def test_messages_of_one_link_queue_behind_each_other():
    w = Wire()
    w.send("a", "b", "large", MIB)
    w.send("a", "b", "small", 1024)
    got = w.run()
    assert got["small"] == 1 * S + transmission_us(1024, MIB) + 1 * MS


def test_a_hosts_ingress_serialises_what_it_receives_from_anyone():
    w = Wire()
    w.send("a", "c", "from-a", MIB)
    w.send("b", "c", "from-b", MIB)
    got = w.run()
    assert sorted(got.values()) == [1 * S + 1 * MS, 2 * S + 1 * MS]


def test_an_unlimited_sender_still_meets_the_receivers_ingress():
    w = Wire(bandwidth=0)
    w.net.set_bandwidth("b", MIB)
    w.send("a", "b", "m", MIB)
    w.send("c", "b", "n", MIB)
    assert sorted(w.run().values()) == [1 * MS + 1 * S, 1 * MS + 2 * S]


def test_a_degraded_links_cap_slows_that_link_only():
    w = Wire()
    link = w.net.link("a", "b")
    link.overrides.append((0, None, None, None, MIB // 4))     # degrade a<->b to 256 KiB/s
    w.send("a", "b", "capped", MIB // 4)
    w.engine.at(2 * S, w.send, "a", "c", "free", MIB // 4)
    got = w.run()
    assert got["capped"] == 1 * S + 1 * MS
    assert got["free"] == 2 * S + 250 * MS + 1 * MS


def test_degrade_with_bandwidth_makes_a_plain_network_a_wire():
    """A degrade's cap needs sizes: the fault turns the wire on (sim/faults.py)."""
    w = Wire(bandwidth=0)
    w.net.wire = True
    w.net.link("a", "b").overrides.append((0, None, None, None, MIB))
    w.send("a", "b", "m", MIB)
    assert w.run() == {"m": 1 * S + 1 * MS}


@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "c"]), st.integers(0, 4 * MIB),
                          st.integers(0, 3 * S)), min_size=1, max_size=12))
def test_each_link_stays_fifo_and_no_message_beats_its_transmission(sends):
    """Law: on one link, messages arrive in the order they were sent, each no earlier than
    its send + latency + size ÷ bandwidth, whatever else shares the NICs."""
    w = Wire()
    sent = []
    for i, (src, size, at) in enumerate(sorted(sends, key=lambda s: s[2])):
        w.engine.at(at, w.send, src, "b", i, size)
        sent.append((i, src, size, at))
    got = w.run()
    for src in ("a", "c"):
        order = [i for i, s, _size, _at in sent if s == src]
        assert [got[i] for i in order] == sorted(got[i] for i in order)
    for i, _src, size, at in sent:
        assert got[i] >= at + 1 * MS + transmission_us(size, MIB)


@settings(deadline=None)
@given(st.integers(1, 40), st.integers(1, MIB), st.sampled_from([MIB, 10 * MIB, 100 * MIB]))
def test_a_backlog_drains_at_the_bandwidth(n, size, bandwidth):
    """Law: n messages sent at once arrive, the last after n x size ÷ bandwidth (+ latency,
    + at most a microsecond of rounding per message)."""
    w = Wire(bandwidth=bandwidth)
    for i in range(n):
        w.send("a", "b", i, size)
    last = max(w.run().values())
    exact = n * size * S / bandwidth
    assert exact + 1 * MS <= last <= exact + 1 * MS + n


def test_message_sizes_are_their_batches_plus_one_overhead():
    data = BatchData(0, 0, 10, 1_000, -1, 0, -1)
    produce = ProduceRequest(-1, 30 * S, ((0, data), (1, data._replace(size=500))))
    assert message_size(produce) == REQUEST_OVERHEAD_BYTES + 1_500
    batch = Batch(0, 10, 0, 0, 0, -1, 0, -1, 700, 0)
    fetched = FetchResponse({0: FetchData(None, 0, 0, (batch, batch), None, 20),
                             1: FetchData(None, 0, 0, (), None, 0)})
    assert message_size(fetched) == REQUEST_OVERHEAD_BYTES + 1_400
    assert message_size(ProduceResponse({0: (None, 0)})) == REQUEST_OVERHEAD_BYTES


def test_an_append_costs_its_bytes_over_the_disks_throughput():
    spec = DiskSpec(write_us=20, fsync_us=2 * MS, os_flush_interval_us=30 * S, throughput=MIB)
    disk = Disk(spec)
    assert disk.write(0, size=MIB // 2) == 20 + 500 * MS
    assert disk.write(0, size=0) == 20 + 500 * MS + 20          # queued behind the first
    assert Disk(spec, throughput=2 * MIB).write(0, size=MIB) == 20 + 500 * MS
    unlimited = Disk(DiskSpec(write_us=20, fsync_us=2 * MS, os_flush_interval_us=30 * S))
    assert unlimited.write(0, size=100 * MIB) == 20



def test_a_hosts_own_limits_replace_the_clusters():
    from sim.scenario import from_dict
    from sim.world import World
    spec = from_dict({
        "name": "limits", "duration": "1s",
        "cluster": {"brokers": 3, "network": {"bandwidth": "100MiB/s"},
                    "disk": {"throughput": "400MiB/s"},
                    "hosts": {"broker-1": {"network": {"bandwidth": "10MiB/s"}},
                              "broker-2": {"disk": {"throughput": "50MiB/s"}},
                              "flow": {"network": {"bandwidth": "1MiB/s"}}}},
        "topics": {"a": {"partitions": 1, "replication.factor": 1},
                   "b": {"partitions": 1, "replication.factor": 1}},
        "producers": {"flow": {"steps": [{"topic": "a", "event": "x"},
                                         {"topic": "b", "event": "y", "after": "1ms"}],
                               "rate": "10/s"}},
    })
    world = World(spec, 1)
    assert [world.net.nic(f"broker-{b}").bandwidth for b in range(3)] == [100 * MIB, 10 * MIB,
                                                                        100 * MIB]
    assert world.net.nic("flow.x").bandwidth == world.net.nic("flow.y").bandwidth == MIB
    assert world.net.nic("controller").bandwidth == 100 * MIB
    assert [b.storage.disk.throughput for b in world.brokers] == [400 * MIB, 400 * MIB, 50 * MIB]
