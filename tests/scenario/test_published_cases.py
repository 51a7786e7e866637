"""docs/model.md#published-failure-cases: each published case reproduces its documented outcome."""

import numpy as np

import sim
from sim.core.records import BatchFailed, IsrChanged, LeaderChanged, ProduceRejected, Truncated
from tests.conftest import run_scenario


def test_acks1_leader_crash_loses_only_what_the_followers_had_not_fetched():
    result = run_scenario("acks1-leader-crash")
    s = result.summary
    assert 0 < s["lost"] < 1000         # tens of milliseconds of traffic at 3000 records/s
    assert s["lost_by_cause"] == {"not_replicated_before_failover": s["lost"]}
    records = result.records
    lost = records[records.lost]
    new_leader = [r for r in result.trace.rows(LeaderChanged) if r.election == "clean"][0]
    truncations = [t for t in result.trace.rows(Truncated) if t.cause == "diverging_epoch"]
    assert truncations, "the old leader must truncate when it rejoins"
    # every lost offset lies above the new leader's LEO at election time (the truncation point)
    assert (lost.ack_offset >= truncations[0].new_leo).all()
    assert new_leader.leader != truncations[0].broker


def test_acks0_fire_and_forget_loses_the_socket_buffer_and_fails_only_the_stuck_write():
    """Every record written into the dead leader's socket is reported sent and is lost; the
    one write that found the buffer full is stuck until NetworkClient times it out after
    request.timeout.ms: its records alone fail (one batch of at most batch.size = 16 KiB,
    148 records of 110 B), and the producer moves to the new leader."""
    s = run_scenario("acks0-leader-killed").summary
    assert s["lost_by_cause"].get("never_appended", 0) > 0
    assert s["errors"] == {"REQUEST_TIMED_OUT": 1} and s["rejected"] == 1
    assert 0 < s["failed"] <= 16_384 // 110
    assert s["indeterminate"] == 0


def test_acks_all_min_isr_2_survives_one_broker_failure_in_every_mode():
    for name in ("acks-all-leader-stop", "acks-all-leader-crash", "acks-all-leader-clean-bounce",
                 "acks-all-leader-hard-bounce"):
        s = run_scenario(name).summary
        assert (s["lost"], s["log_duplicates"], s["reordered"]) == (0, 0, 0), name
        assert s["acked"] == s["produced"], name


def test_a_controlled_shutdown_moves_leadership_without_unavailability():
    s = run_scenario("acks-all-leader-stop").summary
    assert s["unavailable_s"] == 0
    crash = run_scenario("acks-all-leader-crash").summary
    assert crash["unavailable_s"] > 5     # a crash waits for broker.session.timeout.ms


def test_an_isolated_follower_leaves_the_isr_within_the_lag_time_and_returns():
    result = run_scenario("follower-partitioned-isr-shrinks")
    changes = [r for r in result.trace.rows(IsrChanged) if r.t_us > 0]
    shrink, expand = changes[0], changes[-1]
    # cut off from the controller too, it is fenced after broker.session.timeout.ms (9 s),
    # before the leader's lag check (10-15 s) would drop it
    assert len(shrink.isr) == 2 and shrink.reason == "session_timeout"
    assert 30_000_000 + 7_000_000 <= shrink.t_us <= 30_000_000 + 15_000_001
    assert len(expand.isr) == 3 and expand.reason == "expand" and expand.t_us > 330_000_000


def test_two_followers_down_refuses_writes_then_fails_them_after_the_delivery_timeout():
    result = run_scenario("two-followers-down-not-enough-replicas")
    s = result.summary
    assert s["lost"] == 0 and s["isr_min"] == 1
    nor = [r for r in result.trace.rows(ProduceRejected) if r.error == "NOT_ENOUGH_REPLICAS"]
    assert min(r.t_us for r in nor) > 20_000_000
    failed = result.trace.rows(BatchFailed)
    assert {r.error for r in failed} == {"DELIVERY_TIMEOUT"}
    send_us = result.streams[("billing", "payments", 0)].send_us
    assert all(r.t_us - send_us[r.first_seq] >= 120_000_000 for r in failed)


def test_min_isr_1_trades_availability_for_durability_on_the_unclean_switch():
    off = run_scenario("min-isr-1-leader-lost-unclean-off").summary
    on = run_scenario("min-isr-1-leader-lost-unclean-on").summary
    assert off["lost"] == 0 and off["unclean_elections"] == 0
    assert on["lost"] > 0 and on["lost_by_cause"] == {"unclean_election": on["lost"]}
    assert off["unavailable_s"] > on["unavailable_s"]


def test_retries_without_idempotence_duplicate_and_reorder_but_idempotence_does_not():
    plain = run_scenario("retries-without-idempotence-duplicate").summary
    idem = run_scenario("idempotent-producer-no-duplicates").summary
    assert plain["log_duplicates"] > 0 and plain["reordered"] > 0
    assert idem["log_duplicates"] == 0 and idem["reordered"] == 0
    assert plain["lost"] == idem["lost"] == 0


def test_power_loss_of_every_replica_loses_unflushed_acknowledged_records():
    result = run_scenario("power-loss-all-replicas")
    s = result.summary
    assert s["lost"] > 0 and s["lost_by_cause"].get("power_loss", 0) > 0
    lost = result.records[result.records.lost]
    # only what was written after the last OS write-back (every 30 s) can be lost
    assert lost.ack_us.min() >= 30_000_000
    assert lost.ack_us.max() <= 45_000_000 + 10_000      # responses already on the wire


def test_with_eligible_leader_replicas_the_last_known_leader_comes_back_uncleanly():
    result = run_scenario("power-loss-all-replicas-elr")
    s = result.summary
    assert s["lost"] > 0 and s["offline_at_end"] == 0
    kinds = {r.election for r in result.trace.rows(LeaderChanged)}
    assert "last_known_elr" in kinds and "unclean" not in kinds


def test_a_single_power_loss_under_acks_all_loses_nothing():
    s = run_scenario("power-loss-one-broker-acks-all").summary
    assert s["lost"] == 0 and np.isclose(s["acked"], s["produced"])


def test_a_leader_restarted_within_its_session_is_unavailable_until_it_is_fenced():
    raw = {"name": "bounce", "seed": 4, "duration": "30s", "drain": "15s",
           "cluster": {"brokers": 3},
           "topics": {"orders": {"partitions": 1, "replication.factor": 3,
                                 "config": {"min.insync.replicas": 2}}},
           "producers": {"checkout": {"topic": "orders", "rate": "200/s"}}}
    down = dict(raw, timeline=[{"at": "10s", "crash": "leader(orders/0)"}])
    bounced = dict(raw, timeline=[{"at": "10s", "crash": "leader(orders/0)", "for": "1s"}])
    stays = sim.run(sim.scenario.from_dict(down)).summary["unavailable_s"]
    back = sim.run(sim.scenario.from_dict(bounced)).summary["unavailable_s"]
    assert stays > 5                      # broker.session.timeout.ms passes before it is fenced
    assert abs(back - stays) < 0.5        # the restarted process serves nothing before that


def test_a_leader_back_but_not_yet_registered_at_the_end_leaves_its_partition_offline():
    raw = {"name": "short-drain", "seed": 3, "duration": "10s", "drain": "3s",
           "cluster": {"brokers": 3},
           "topics": {"orders": {"partitions": 1, "replication.factor": 3,
                                 "config": {"min.insync.replicas": 2}}},
           "producers": {"checkout": {"topic": "orders", "rate": "500/s"}},
           "timeline": [{"at": "9s", "crash": "leader(orders/0)", "for": "1s"}]}
    s = sim.run(sim.scenario.from_dict(raw)).summary
    # the run ends before the old session expires: the controller still names the restarted
    # broker, which serves nothing yet, so nothing is readable and nothing is provably lost
    assert s["lost"] == 0 and s["offline_at_end"] == s["acked"] > 0
    longer = sim.run(sim.scenario.from_dict(dict(raw, drain="15s"))).summary
    assert longer["lost"] == 0 and longer["offline_at_end"] == 0
