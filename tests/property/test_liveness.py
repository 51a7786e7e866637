"""Consumer-group liveness: once every fault has healed and the drain has run, every live
member of every group is back in its group's final generation with an assignment, and the
group has caught up (final lag 0).

Scenarios come from sim.testing with a consumer group, a network latency distribution (or
a constant latency, with or without connection resets) and faults aimed at the group's
coordinator, a partition's leader or follower, any broker, or member billing-0, at most
one of them faulty at a time. The faults fall in the first 20 s; the drain then lasts
400 s, long enough for Kafka's own timeouts to play out in the worst order. The longest
is the JoinGroup request's, `max.poll.interval.ms` + 5 s = 305 s
(AbstractCoordinator.sendJoinGroupRequest). A member's JoinGroup that a powered-off
coordinator swallowed is only given up then: during a join the member sends nothing else
on its coordinator connection (no heartbeats), so nothing draws the reset from the
rebooted machine. Then the
member looks the coordinator up again (`retry.backoff.ms`), a coordinator that changed
gives the members it loaded a fresh `session.timeout.ms` (45 s) before it evicts the dead
ones, a coordinator frozen until the drain is only fenced after
`broker.session.timeout.ms` (9 s), and the members still have to process the backlog of
20 s of production (at most 10 000 records at 200 us each) and commit it: 305 + 45 + 9 s
and a few seconds of work fit in 400 s. Nothing drawn here is excluded: the workload has
no poison records (`on_poison: block` could never reach lag 0).
"""

from hypothesis import given, settings

import sim
from sim.testing import ALL_FAULTS, fault_schedules, networks, scenarios
from tests.liveness import unsettled_members

GROUP = "billing"
TARGETS = (f"coordinator({GROUP})", "leader(orders/0)", "follower(orders/0)", "any-broker",
           f"{GROUP}-0")


@settings(deadline=None)
@given(raw=scenarios(groups=True, at_once=1, network=networks(), targets=TARGETS,
                     drain_s=400))
def test_every_live_member_rejoins_and_catches_up_once_the_faults_heal(raw):
    result = sim.run(sim.scenario.from_dict(raw))
    members = raw["consumers"][GROUP]["members"]
    roster = {GROUP: [f"{GROUP}-{i}" for i in range(members)]}
    assert unsettled_members(result, roster) == [], raw["timeline"]
    assert result.summary["final_lag"] == 0, raw["timeline"]


@given(timeline=fault_schedules(duration_s=10, at_once=1, kinds=ALL_FAULTS, targets=TARGETS))
def test_fault_schedules_draw_on_the_named_targets_only(timeline):
    for entry in timeline:
        if "partition" in entry:
            named = entry["partition"][0]
        elif "degrade" in entry:
            named = entry["degrade"]["between"][:1]
        else:
            named = [next(entry[k] for k in entry if k not in ("at", "for", "factor"))]
        assert set(named) <= set(TARGETS)
        assert entry.get("slow_disk") != f"{GROUP}-0", "a consumer has no disk to slow"
