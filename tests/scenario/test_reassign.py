"""scenarios/reassign-onto-new-broker.yaml, step by step from its trace (KIP-455): the
reassignment starts at 20 s with broker-3 adding and broker-0 removing in every partition;
each completes once broker-3 is in the ISR, broker-0 leaving it in the same change;
partition 0's leadership moves to broker-3; broker-0 deletes its three logs; broker-3 ends
holding what the leaders hold."""

import pytest

from sim.core.records import IsrChanged, LeaderChanged, ReassignmentChanged, ReplicaDeleted
from sim.core.units import S
from tests.conftest import run_scenario


@pytest.fixture(scope="module")
def result():
    return run_scenario("reassign-onto-new-broker")


def test_each_partition_starts_with_broker_3_adding_and_broker_0_removing(result):
    started = [r for r in result.trace.rows(ReassignmentChanged) if r.phase == "started"]
    assert [(r.partition, r.replicas, r.adding, r.removing) for r in started] == [
        (0, (3, 1, 2, 0), (3,), (0,)), (1, (1, 2, 3, 0), (3,), (0,)),
        (2, (2, 3, 1, 0), (3,), (0,))]
    assert {r.t_us for r in started} == {20 * S}


def test_each_completes_when_broker_3_joins_the_isr_and_broker_0_leaves_it(result):
    trace = result.trace
    done = {r.partition: r for r in trace.rows(ReassignmentChanged) if r.phase == "completed"}
    assert {p: r.replicas for p, r in done.items()} == {0: (3, 1, 2), 1: (1, 2, 3),
                                                        2: (2, 3, 1)}
    for p, r in done.items():
        (isr,) = [i.isr for i in trace.rows(IsrChanged) if i.partition == p and i.t_us == r.t_us]
        assert isr == (1, 2, 3)
        assert 20 * S < r.t_us < 25 * S                  # the copy of 20 s of backlog


def test_leadership_moves_to_the_first_of_the_target_only_where_the_leader_left(result):
    moved = [(r.partition, r.leader) for r in result.trace.rows(LeaderChanged)
             if r.election != "initial"]
    assert moved == [(0, 3)]


def test_broker_0_deletes_its_logs_after_each_completion_and_nothing_is_lost(result):
    trace = result.trace
    done = {r.partition: r.t_us for r in trace.rows(ReassignmentChanged)
            if r.phase == "completed"}
    deleted = trace.rows(ReplicaDeleted)
    assert sorted((r.broker, r.partition) for r in deleted) == [(0, 0), (0, 1), (0, 2)]
    assert all(r.t_us > done[r.partition] and r.leo > 0 for r in deleted)
    s = result.summary
    assert (s["lost"], s["replica_divergence"], s["offline_at_end"]) == (0, 0, 0)


def _completed_after_s(trace) -> float:
    done = [r.t_us for r in trace.rows(ReassignmentChanged) if r.phase == "completed"]
    return (max(done) - 20 * S) / S


def test_a_follower_throttle_on_the_new_replicas_slows_the_copy_to_its_rate(result):
    """KIP-73 on the adding replicas: broker-3 throttled as follower of every partition at
    4 MiB/s copies the 20 MiB backlog while producers add 1 MiB/s: about 20 / (4 - 1) s,
    against under 2 s on its 10 MiB/s link unthrottled."""
    throttled = run_scenario("reassign-onto-new-broker", overrides=(
        "duration=32s", "drain=0s",
        "cluster.config.follower.replication.throttled.rate=4194304",
        "topics.events.config.follower.replication.throttled.replicas=0:3,1:3,2:3"))
    assert _completed_after_s(result.trace) < 2
    assert 5 < _completed_after_s(throttled.trace) < 10
    assert throttled.summary["lost"] == 0
