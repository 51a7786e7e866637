"""Consumer groups stay live through coordinator faults, slow windows and pauses."""

import sim
from sim.core.records import HostChanged, MemberRemoved
from tests.liveness import unsettled_members


def _coordinator_crash(seed: int) -> dict:
    """Three members committing after each poll over links with a latency distribution;
    the broker coordinating their group is killed at 20 s."""
    return {
        "name": "coordinator-crash-with-latency", "seed": seed, "duration": "60s",
        "drain": "30s",
        "cluster": {"brokers": 3, "network": {"latency": {"median": "5ms", "p99": "20ms"}}},
        "topics": {"orders": {"partitions": 3, "replication.factor": 3,
                              "config": {"min.insync.replicas": 2}}},
        "producers": {"checkout": {"topic": "orders", "rate": "600/s", "keys": 100}},
        "consumers": {"billing": {"topic": "orders", "members": 3, "processing": "500us",
                                  "commit": "after-processing",
                                  "config": {"auto.offset.reset": "earliest"}}},
        "timeline": [{"at": "20s", "crash": "coordinator(billing)"}],
    }


def test_every_caller_waiting_on_a_coordinator_lookup_goes_on_once_it_is_found():
    """AbstractCoordinator.lookupCoordinator hands every caller the same
    findCoordinatorFuture: a commit that finds a lookup in flight waits for it too. Seeds
    1 and 5 of this scenario each left a member's commit behind a lookup another
    request had started, so that member never polled again."""
    roster = {"billing": ["billing-0", "billing-1", "billing-2"]}
    for seed in (1, 5):
        result = sim.run(sim.scenario.from_dict(_coordinator_crash(seed)))
        s = result.summary
        assert s["final_lag"] == 0, seed
        assert s["processed"] == s["acked"], seed
        assert unsettled_members(result, roster) == [], seed


def _slow_window(virtual_partitions: int) -> dict:
    """One member reading one partition at 200 records/s, 1 ms a record, slowed to 50 ms a
    record from 10 s to 13 s: the backlog the window builds makes polls return full batches,
    so the window ends in the middle of one. Keyless records go to worker offset mod N."""
    group = {"topic": "t", "members": 1, "processing": "1ms", "commit": "after-processing",
             "config": {"auto.offset.reset": "earliest"}}
    if virtual_partitions:
        group["virtual_partitions"] = virtual_partitions
    return {"name": "slow-window", "seed": 3, "duration": "30s", "drain": "20s",
            "cluster": {"brokers": 3},
            "topics": {"t": {"partitions": 1, "replication.factor": 3}},
            "producers": {"p": {"topic": "t", "rate": "200/s"}},
            "consumers": {"g": group},
            "timeline": [{"at": "10s", "slow": "g-0", "processing": "50ms", "for": "3s"}]}


def test_a_slow_window_slows_exactly_the_records_that_start_inside_it():
    """A record's processing time is decided when its processing starts. On each worker a
    record starts when the one before it finishes (or later, after an idle gap, which only
    lengthens the time between the two): one that follows a record finished inside the
    window takes 50 ms at least, and once the window is over (and the record in hand when it
    ended is done) records take 1 ms again, the rest of the batch in hand included."""
    start, end, slow = 10_000_000, 13_000_000, 50_000
    for workers in (0, 4):
        result = sim.run(sim.scenario.from_dict(_slow_window(workers)))
        done = result.processing
        done = done.assign(worker=done.offset % max(workers, 1))
        inside, after = [], []
        for _, rows in done.sort_values("offset").groupby("worker"):
            previous, gap = rows.done_us.to_numpy()[:-1], rows.done_us.diff().to_numpy()[1:]
            inside += list(gap[(previous >= start) & (previous < end)])
            after += list(gap[previous >= end + slow])
        assert len(inside) > 10 and min(inside) >= slow, workers
        assert len(after) > 1000 and max(after) < slow, workers
        assert result.summary["final_lag"] == 0


def _pause() -> dict:
    """Two members with `max.poll.interval.ms` 20 s; billing-0 is frozen for 30 s, longer
    than that but shorter than `session.timeout.ms` (45 s)."""
    return {
        "name": "pause-beyond-max-poll-interval", "seed": 5, "duration": "90s",
        "drain": "30s", "cluster": {"brokers": 3},
        "topics": {"orders": {"partitions": 2, "replication.factor": 3,
                              "config": {"min.insync.replicas": 2}}},
        "producers": {"checkout": {"topic": "orders", "rate": "200/s", "keys": 100}},
        "consumers": {"billing": {"topic": "orders", "members": 2, "processing": "1ms",
                                  "commit": "after-processing",
                                  "config": {"auto.offset.reset": "earliest",
                                             "max.poll.interval.ms": 20_000}}},
        "timeline": [{"at": "20s", "pause": "billing-0", "for": "30s"}],
    }


def test_a_member_paused_past_max_poll_interval_leaves_when_it_resumes():
    """HeartbeatThread.run checks the poll timer on each run, whatever the application
    thread is doing; on resume it runs before the application gets back to poll(), finds
    the timer expired and leaves (maybeLeaveGroup). The coordinator never evicts it (the
    pause is shorter than the session), so the leave is the only way out of the
    generation: a rebalance for max_poll_interval at the moment the pause ends, which the
    member joins again at once (a new dynamic member), and the group catches up."""
    roster = {"billing": ["billing-0", "billing-1"]}
    result = sim.run(sim.scenario.from_dict(_pause()))
    removed = result.trace.rows(MemberRemoved)
    assert [(r.member, r.reason) for r in removed] == [("billing-0", "max_poll_interval")]
    assert 50_000_000 <= removed[0].t_us <= 50_001_000      # one 1 ms hop after the resume
    rebalances = result.rebalances
    assert list(rebalances.reason) == ["member_joined", "max_poll_interval"]
    assert (rebalances.end_us > 0).all()
    assert unsettled_members(result, roster) == []
    assert result.summary["final_lag"] == 0 and result.summary["skipped"] == 0


def test_a_heartbeat_thread_whose_session_timer_ran_out_looks_for_the_coordinator_first():
    """The same member frozen for 44 s: its last heartbeat response came at 18 s, so on
    resume its session timer (45 s) has run out too, and HeartbeatThread.run checks that
    before the poll timer: it marks the coordinator unknown and looks it up, the
    application thread polls meanwhile, and nobody leaves. The coordinator has not evicted
    the member either: its commits, up to the pause, counted as signs of life."""
    raw = _pause()
    raw["timeline"] = [{"at": "20s", "pause": "billing-0", "for": "44s"}]
    result = sim.run(sim.scenario.from_dict(raw))
    assert result.trace.rows(MemberRemoved) == []
    assert list(result.rebalances.reason) == ["member_joined"]
    assert result.summary["final_lag"] == 0


def test_a_member_stopped_during_its_commit_before_joining_closes_instead_of_joining():
    """SIGTERM while an eager auto-commit member commits in onJoinPrepare: the application
    leaves its poll loop and closes the consumer (KafkaConsumer.close: commit, then
    maybeLeaveGroup) instead of going on with the join. billing-0's link to the coordinator
    takes 2 s each way, so the commit it starts when it hears of the rebalance (a third
    member joins at 20 s) is still out when it is stopped at 23 s. It used to join after
    that commit and then never poll again: still running, never stopped, never restarted
    by the drain, its partition never read. Its close then waits for the LeaveGroup's
    answer, sent when the commit's came back (26 s), 4 s later."""
    raw = {
        "name": "stop-during-pre-join-commit", "seed": 1, "duration": "60s", "drain": "60s",
        "cluster": {"brokers": 3},
        "topics": {"orders": {"partitions": 2, "replication.factor": 3}},
        "producers": {"checkout": {"topic": "orders", "rate": "200/s", "keys": 100}},
        "consumers": {"billing": {"topic": "orders", "members": 2, "processing": "1ms",
                                  "commit": "auto",
                                  "config": {"auto.offset.reset": "earliest"}}},
        "timeline": [{"at": "15s", "for": "30s", "degrade": {
                         "between": ["billing-0", "coordinator(billing)"], "latency": "2s"}},
                     {"at": "20s", "add_member": "billing"},
                     {"at": "23s", "stop": "billing-0"}]}
    result = sim.run(sim.scenario.from_dict(raw))
    stopped = [r.t_us for r in result.trace.rows(HostChanged)
               if r.host == "billing-0" and r.state == "stopped"]
    assert len(stopped) == 1 and 30_000_000 < stopped[0] < 31_000_000
    removed = result.trace.rows(MemberRemoved)
    assert [(r.member, r.reason) for r in removed] == [("billing-0", "consumer_closed")]
    roster = {"billing": ["billing-0", "billing-1", "billing-2"]}
    assert unsettled_members(result, roster) == []
    assert result.summary["final_lag"] == 0
