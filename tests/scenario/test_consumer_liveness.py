"""Consumer groups stay live through coordinator faults, slow windows and pauses."""

import sim
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

