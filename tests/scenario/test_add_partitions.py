"""scenarios/add-partitions-*.yaml from their traces (CreatePartitions): the controller
creates partitions 3-5 at 21 s; each producer hashes keys over 3 partitions until the
metadata refresh after that and over 6 from then (BuiltInPartitioner); the group's leader
rejoins on the new count and takes all six; the new partitions start where
auto.offset.reset says (earliest: their start; latest: their end, skipping what was written).
A keyless producer's sticky partitioner reaches new partitions, placed on the racks, only
after its refresh."""

import numpy as np
import pytest

import sim
from sim.clients.partitioner import key_names, partition_for_key
from sim.core.records import LeaderChanged, PartitionsAssigned, PositionReset
from sim.core.units import S
from tests.conftest import run_scenario

KEYS = [k.encode() for k in key_names(1000)]
BY_3 = np.array([partition_for_key(k, 3) for k in KEYS])
BY_6 = np.array([partition_for_key(k, 6) for k in KEYS])


@pytest.fixture(scope="module")
def earliest():
    return run_scenario("add-partitions-moves-keys")


@pytest.fixture(scope="module")
def latest():
    return run_scenario("add-partitions-latest-skips")


def test_the_controller_creates_the_new_partitions_when_the_entry_runs(earliest):
    created = [(r.t_us, r.partition, r.leader) for r in earliest.trace.rows(LeaderChanged)
               if r.election == "created"]
    assert created == [(21 * S, 3, 0), (21 * S, 4, 1), (21 * S, 5, 2)]


def test_each_producer_hashes_over_the_count_its_metadata_knew(earliest):
    by_producer: dict = {}
    for (producer, _topic, partition), stream in earliest.streams.items():
        for key, sent in zip(stream.key.tolist(), stream.send_us.tolist(), strict=True):
            by_producer.setdefault(producer, []).append((sent, key, partition))
    assert sorted(by_producer) == ["checkout.order_created", "checkout.order_paid"]
    for records in by_producer.values():
        records.sort()
        sent, keys, partitions = (np.array(column) for column in zip(*records, strict=True))
        learned = sent[partitions >= 3].min()
        assert 25 * S <= learned < 25 * S + S // 10       # the first refresh after 21 s
        before = sent < learned
        assert (partitions[before] == BY_3[keys[before]]).all()
        assert (partitions[~before] == BY_6[keys[~before]]).all()


def test_the_leader_rejoins_on_the_new_count_and_takes_every_partition(earliest):
    generations = [(r.generation, len(r.partitions)) for r in
                   earliest.trace.rows(PartitionsAssigned)]
    assert generations == [(1, 3), (2, 6)]
    rejoined = earliest.trace.rows(PartitionsAssigned)[1].t_us
    assert 25 * S < rejoined < 27 * S


def test_the_new_partitions_start_at_their_start_with_earliest_and_their_end_with_latest(
        earliest, latest):
    def new_starts(result):
        return [r.offset for r in result.trace.rows(PositionReset) if r.partition >= 3]
    assert new_starts(earliest) == [0, 0, 0]
    assert all(offset > 0 for offset in new_starts(latest))
    assert sum(new_starts(latest)) == latest.summary["skipped"]
    assert latest.summary["skipped_by_cause"] == {"offset_reset": latest.summary["skipped"]}


def test_the_sticky_partitioner_picks_new_partitions_placed_on_the_racks_after_a_refresh():
    raw = {"name": "keyless-growth", "duration": "10s", "drain": "3s",
           "cluster": {"brokers": 3, "racks": {"a": [0], "b": [1], "c": [2]}},
           "topics": {"orders": {"partitions": 2, "replication.factor": 2}},
           "producers": {"p": {"topic": "orders", "rate": "200/s",
                               "config": {"metadata.max.age.ms": 2000}}},
           "timeline": [{"at": "3s", "add_partitions": {"topic": "orders", "count": 4}}]}
    result = sim.run(sim.scenario.from_dict(raw))
    created = [r for r in result.trace.rows(LeaderChanged) if r.election == "created"]
    assert [(r.partition, r.t_us) for r in created] == [(2, 3 * S), (3, 3 * S)]
    assert all(len(set(r.isr)) == 2 for r in created)            # one replica per rack
    first_sent = {p: s.send_us.min() for (_n, _t, p), s in result.streams.items()}
    assert sorted(first_sent) == [0, 1, 2, 3]
    assert 4 * S <= min(first_sent[2], first_sent[3])            # the refresh at 4 s
    assert result.summary["lost"] == 0
