"""Racks in a run (docs/scenario.md#racks): the topology places topics on the racks with the
release's placer and the run's seed, `rack(NAME)` targets a rack's brokers, and
`validate --explain` prints the placement."""

from __future__ import annotations

import copy

import pytest
from hypothesis import find, given, settings

import sim
from sim.cluster.placement import JavaRandom
from sim.cluster.topology import OFFSETS_TOPIC, Topology
from sim.core.records import FaultFired
from sim.core.rng import Streams, stream
from sim.scenario import ScenarioError, from_dict
from sim.scenario.explain import explain
from sim.scenario.versions import RELEASES
from sim.testing import fault_schedules

RACKS = {"us-east-1a": [0, 1], "us-east-1b": [2, 3], "us-east-1c": [4, 5]}
BASE = {
    "name": "racks", "duration": "3s", "seed": 7,
    "cluster": {"brokers": 6, "racks": RACKS},
    "topics": {"orders": {"partitions": 12, "replication.factor": 3}},
    "producers": {"checkout": {"topic": "orders", "rate": "50/s", "keys": 10}},
}


def scenario(*overrides: str, **changes) -> dict:
    raw = copy.deepcopy(BASE)
    for key, value in changes.items():
        raw[key] = value
    return from_dict(raw, "t.yaml", list(overrides))


def replicas(spec, seed: int = 7, groups=(), topic: str = "orders") -> list[tuple[int, ...]]:
    topology = Topology(spec.topics, spec.cluster, list(groups), (), Streams(seed))
    return [topology.partitions[i].replicas for i in topology.by_topic[topic] if i is not None]


def rack_of(broker: int) -> str:
    return next(name for name, ids in RACKS.items() if broker in ids)


def test_with_racks_no_two_replicas_of_a_partition_share_a_rack():
    spec = scenario()
    assert spec.topics["orders"].assignment is None
    placed = replicas(spec)
    assert all(len({rack_of(b) for b in r}) == 3 for r in placed)
    assert placed != [tuple((p + j) % 6 for j in range(3)) for p in range(12)]


def test_the_placement_is_the_striped_placers_on_the_topics_own_stream():
    from sim.cluster.striped_placer import striped_placement
    want = striped_placement(JavaRandom(stream(7, "placement.orders")),
                             {k: tuple(v) for k, v in RACKS.items()}, 12, 3)
    assert replicas(scenario()) == [tuple(r) for r in want]


def test_the_placement_depends_on_the_seed_and_not_on_other_topics():
    spec = scenario()
    assert replicas(spec, 7) == replicas(spec, 7)
    assert any(replicas(spec, 7) != replicas(spec, s) for s in (8, 9, 10))
    more = scenario(topics={"audit": {"partitions": 3, "replication.factor": 2},
                            **BASE["topics"]})
    assert replicas(more, 7) == replicas(spec, 7)


def test_before_3_3_the_zookeeper_controllers_admin_utils_places_the_topic():
    from sim.cluster.admin_utils import rack_aware_assignment
    assert RELEASES["3.2"]["protocol"]["replica.placer"] == "admin-utils"
    assert RELEASES["3.3"]["protocol"]["replica.placer"] == "striped"
    want = rack_aware_assignment(JavaRandom(stream(7, "placement.orders")),
                                 {k: tuple(v) for k, v in RACKS.items()}, 12, 3)
    old = replicas(scenario('cluster.version="3.2"'))
    assert old == [tuple(r) for r in want] != replicas(scenario())
    switched = replicas(scenario("cluster.protocol.replica.placer=admin-utils"))
    assert switched == old
    assert replicas(scenario('cluster.version="3.2"', "cluster.protocol.replica.placer=striped")) \
        == replicas(scenario())


def test_without_racks_or_with_an_assignment_the_replicas_stay_as_written():
    raw = copy.deepcopy(BASE)
    del raw["cluster"]["racks"]
    plain = from_dict(raw, "t.yaml")
    assert replicas(plain) == [tuple((p + j) % 6 for j in range(3)) for p in range(12)]
    given = [[p % 6, (p + 1) % 6, (p + 2) % 6] for p in range(12)]
    explicit = scenario("topics.orders.assignment=" + str(given).replace(" ", ""))
    assert replicas(explicit) == [tuple(r) for r in given]


def test_the_offsets_topic_is_placed_on_the_racks_too():
    spec = scenario(consumers={"billing": {"topic": "orders"}})
    offsets = replicas(spec, groups=("billing",), topic=OFFSETS_TOPIC)
    assert len(offsets) == 1 and len({rack_of(b) for b in offsets[0]}) == 3


# -- rack(NAME) targets -----------------------------------------------------------------------


def error(*timeline, racks=True) -> ScenarioError:
    raw = copy.deepcopy(BASE)
    raw["timeline"] = list(timeline)
    raw["consumers"] = {"billing": {"topic": "orders"}}
    if not racks:
        del raw["cluster"]["racks"]
    with pytest.raises(ScenarioError) as info:
        from_dict(raw, "t.yaml")
    return info.value


def test_a_name_that_is_not_a_rack_is_refused_naming_the_closest():
    err = error({"at": "1s", "isolate": "rack(us-eest-1a)"})
    assert err.path == "timeline.0.isolate" and "rack of cluster.racks" in err.expected
    assert "'us-eest-1a'" in err.found and "Did you mean rack(us-east-1a)?" in str(err)
    far = error({"at": "1s", "crash": ["broker-0", "rack(eu)"]})
    assert far.path == "timeline.0.crash.1" and "rack(us-east-1a)" in str(far)


def test_a_rack_target_needs_racks_and_denotes_brokers():
    err = error({"at": "1s", "power_loss": "rack(a)"}, racks=False)
    assert "no racks" in str(err)
    slow = error({"at": "1s", "slow": "rack(us-east-1a)", "processing": "1ms"})
    assert slow.path == "timeline.0.slow" and "a broker 'rack(us-east-1a)'" in slow.found


def fired(*timeline) -> list[tuple]:
    raw = copy.deepcopy(BASE)
    raw.update(duration="2s", drain="1s", timeline=list(timeline))
    raw["topics"]["orders"]["partitions"] = 1
    result = sim.run(from_dict(raw, "t.yaml"))
    return [tuple(hosts) for hosts in result.frame(FaultFired)["hosts"]]


def test_rack_targets_resolve_to_every_broker_of_the_rack():
    hosts = fired({"at": "1s", "power_loss": "rack(us-east-1b)", "for": "1s"},
                  {"at": "1s", "partition": [["rack(us-east-1a)"],
                                             ["rack(us-east-1c)", "checkout"]], "for": "1s"},
                  {"at": "1.5s", "isolate": "rack(us-east-1c)", "for": "100ms"},
                  {"at": "1.5s", "one_way": {"from": "rack(us-east-1a)", "to": "broker-2"},
                   "for": "100ms"})
    assert hosts == [("broker-2", "broker-3"),
                     ("broker-0", "broker-1", "broker-4", "broker-5", "checkout"),
                     ("broker-4", "broker-5"), ("broker-0", "broker-1", "broker-2")]


def test_validate_explain_prints_each_partition_with_its_racks():
    text = explain(scenario(consumers={"billing": {"topic": "orders"}}))
    assert "striped placer, seed 7" in text
    first = replicas(scenario())[0]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("orders-0 "))
    assert line.split(None, 1)[1] == ", ".join(f"{b} ({rack_of(b)})" for b in first)
    assert f"topic {OFFSETS_TOPIC}" in text


# -- explore draws rack targets -----------------------------------------------------------------

SIZES = {"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}


def _racked(entry) -> str | None:
    return next((v for v in entry.values() if isinstance(v, str) and v.startswith("rack(")), None)


def test_fault_schedules_draw_rack_targets_given_racks():
    drawn = find(fault_schedules(duration_s=10, brokers=6, at_once=2, racks=SIZES),
                 lambda timeline: any(_racked(e) for e in timeline))
    assert _racked(drawn[0]) in {f"rack({name})" for name in SIZES}


@settings(deadline=None)
@given(fault_schedules(duration_s=10, brokers=6, at_once=1, racks=SIZES))
def test_a_rack_is_not_drawn_when_fewer_brokers_than_its_own_may_fail(timeline):
    assert not any(_racked(e) for e in timeline)


@settings(deadline=None)
@given(fault_schedules(duration_s=10, brokers=6, at_once=2, racks=SIZES))
def test_a_drawn_rack_counts_as_its_brokers(timeline):
    def window(entry):
        start = float(entry["at"][:-1])
        return start, start + float(entry.get("for", "1000s")[:-1])
    for entry in timeline:
        if _racked(entry) and "degrade" not in entry:
            start, end = window(entry)
            assert not [e for e in timeline if e is not entry and "degrade" not in e
                        and window(e)[0] < end and start < window(e)[1]]
