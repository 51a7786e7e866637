"""Laws of fetching from followers (KIP-392), whatever happens to the replicas.

A read_uncommitted consumer reading from the follower in its rack never sees an offset at or
above the high watermark any leader had reached at that instant (a follower serves only
below its own HW, which trails the leader's), and loses nothing to it: where reading from the
leader skips nothing (acks=all, min ISR 2, no unclean election), reading from followers skips
nothing either, and processes the same records, through crashes, stops, power losses and cuts
of the follower it reads from or of any other broker.

Either way a fetch in flight to a broker that loses power or is cut off hears nothing: the
consumer skips that node's partitions until the request times out (request.timeout.ms, 30 s;
NetworkClient.handleTimedOutRequests), and which partitions stall differs between the two
(the leaders' against the reader's follower). So the drain outlasts that timeout. (A
JoinGroup in a coordinator that loses power waits longer, max.poll.interval.ms + 5 s, but
for both alike.)
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st

import sim
from sim.core.records import HighWatermark, RecordsFetched
from tests.conftest import examples

SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
RACKS = {"a": [0], "b": [1], "c": [2]}


class BelowLeaderHw:
    """Watches every consumer fetch against the highest HW a leader announced so far."""

    def __init__(self) -> None:
        self.hw: dict[tuple, int] = {}
        self.violations: list = []

    def watch(self, trace) -> None:
        trace.subscribe(HighWatermark, self._hw)
        trace.subscribe(RecordsFetched, self._fetched)

    def _hw(self, r) -> None:
        key = (r.topic, r.partition)
        self.hw[key] = max(self.hw.get(key, 0), r.hw)

    def _fetched(self, r) -> None:
        end = max(b.base_offset + b.count for b in r.batches)
        if end > self.hw.get((r.topic, r.partition), 0):
            self.violations.append((r.t_us, r.topic, r.partition, end))


def _scenario(rack, fault: dict, rate: int, seed: int) -> dict:
    group = {"topic": "orders", "commit": "after-processing",
             "config": {"auto.offset.reset": "earliest"}}
    if rack is not None:
        group["config"]["client.rack"] = rack
    return {
        "name": "follower-fetch-law", "seed": seed, "duration": "8s", "drain": "40s",
        "cluster": {"brokers": 3, "racks": RACKS,
                    "config": {"replica.selector.class": SELECTOR}},
        "topics": {"orders": {"partitions": 2, "replication.factor": 3,
                              "config": {"min.insync.replicas": 2}}},
        "producers": {"checkout": {"topic": "orders", "rate": f"{rate}/s", "keys": 20,
                                   "config": {"acks": "all"}}},
        "consumers": {"readers": group},
        "timeline": [fault],
    }


@st.composite
def faults(draw) -> dict:
    broker = f"broker-{draw(st.integers(0, 2))}"
    at, lasting = f"{draw(st.integers(1_000, 5_000))}ms", f"{draw(st.integers(500, 4_000))}ms"
    kind = draw(st.sampled_from(["crash", "stop", "power_loss", "isolate"]))
    if kind == "isolate":
        return {"at": at, "isolate": broker, "for": lasting}
    return {"at": at, kind: broker, "for": lasting}


@settings(deadline=None, max_examples=examples(6))
@given(rack=st.sampled_from(["a", "b", "c"]), fault=faults(), rate=st.integers(50, 150),
       seed=st.integers(0, 1_000))
# the other follower cut off: the leader's HW stalls while the reader's follower keeps up
@example(rack="b", fault={"at": "2s", "isolate": "broker-2", "for": "3s"}, rate=150, seed=1)
# the reader's follower loses power with a fetch from it in its purgatory
@example(rack="a", fault={"at": "3018ms", "power_loss": "broker-0", "for": "500ms"}, rate=50,
         seed=0)
def test_a_follower_reader_stays_below_the_leaders_hw_and_skips_nothing_the_leader_would(
        rack, fault, rate, seed):
    watch = BelowLeaderHw()
    follower = sim.run(sim.scenario.from_dict(_scenario(rack, fault, rate, seed)),
                       watch=[watch])
    leader = sim.run(sim.scenario.from_dict(_scenario(None, fault, rate, seed)))
    assert watch.violations == []
    assert leader.summary["skipped"] == 0
    assert follower.summary["skipped"] == 0
    assert follower.summary["processed"] == leader.summary["processed"]
