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

