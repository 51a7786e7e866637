"""Preferred leaders at the controller built alone (sim/cluster/leader_balance.py): the check of
`auto.leader.rebalance.enable` per release, and each answer of ElectLeaders (KIP-460)."""

from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    ELECTION_NOT_NEEDED,
    ELIGIBLE_LEADERS_NOT_AVAILABLE,
    PREFERRED,
    PREFERRED_LEADER_NOT_AVAILABLE,
    UNCLEAN,
    ElectLeaders,
)
from sim.core.records import LeaderChanged
from sim.core.units import S
from tests.conformance.test_ReplicationControlManagerTest import ControllerAlone

INTERVAL = {"leader.imbalance.check.interval.seconds": 30}


def _moved_off_broker_0(config=None, version="4.1", assignment=((0, 1, 2),)):
    """broker-0 fenced at 9 s (its leaderships move), unfenced at 10 s; returns the
    controller and when the first leadership moved."""
    c = ControllerAlone(3, assignment, cluster={
        "version": version, "config": {**INTERVAL, "broker.session.timeout.ms": 9_000,
                                       **(config or {})}})
    c.fence(0)
    moved = _elections(c)[0][0]
    c.unfence(0)
    return c, moved


def _elections(c, kind=None):
    return [(r.t_us, r.partition, r.leader) for r in c.h.trace.rows(LeaderChanged)
            if r.election != "initial" and (kind is None or r.election == kind)]


def _rejoin(c, p=0):
    """The partition's leader adds broker-0 back to its ISR."""
    state = c.partition(p)
    assert c.alter(state.leader, (*state.isr, 0), p).error is None


def _run_to(c, t_us):
    while c.h.engine.now + S <= t_us:
        c.step()
    c.h.run(t_us)


def test_kraft_elects_the_preferred_replica_one_interval_after_the_imbalance_not_before():
    c, moved = _moved_off_broker_0()
    assert moved == 9 * S and c.partition().leader == 1
    _rejoin(c)                               # a later write does not move the check
    _run_to(c, moved + 30 * S - 1)
    assert c.partition().leader == 1 and _elections(c, "preferred") == []
    _run_to(c, moved + 30 * S + 1)
    assert _elections(c, "preferred") == [(moved + 30 * S, 0, 0)]
    assert c.partition().leader_epoch == 2 and c.partition().isr == (1, 2, 0)


def test_kraft_checks_again_one_interval_later_when_the_preferred_replica_is_out_of_the_isr():
    c, moved = _moved_off_broker_0()
    _run_to(c, moved + 45 * S)               # broker-0 unfenced but not in the ISR
    assert _elections(c, "preferred") == []
    _rejoin(c)
    _run_to(c, moved + 61 * S)
    assert _elections(c, "preferred") == [(moved + 60 * S, 0, 0)]


def test_kraft_does_not_elect_a_fenced_preferred_replica():
    c = ControllerAlone(3, [(0, 1, 2)], cluster={"config": INTERVAL})
    c.fence(0)
    moved = _elections(c)[0][0]
    for _ in range(40):                       # broker-0 stays silent, fenced
        c.step()
    assert c.h.engine.now > moved + 30 * S and _elections(c, "preferred") == []
    assert c.partition().leader == 1


def test_kraft_counts_every_imbalanced_partition_and_one_check_elects_them_all():
    c, moved = _moved_off_broker_0(assignment=((0, 1, 2), (1, 2, 0), (0, 2, 1)))
    for p in (0, 2):
        _rejoin(c, p)
    _run_to(c, moved + 31 * S)
    assert _elections(c, "preferred") == [(moved + 30 * S, 0, 0), (moved + 30 * S, 2, 0)]


def test_disabled_never_elects():
    c, moved = _moved_off_broker_0({"auto.leader.rebalance.enable": False})
    _rejoin(c)
    _run_to(c, moved + 200 * S)
    assert _elections(c, "preferred") == [] and c.partition().leader == 1


def test_zookeeper_checks_every_interval_from_5s_and_only_past_the_per_broker_percentage():
    # broker-0 prefers 10 partitions; all move at 9 s, rejoin, and an operator brings 9 or 8
    # of them back: 10% led elsewhere is not above leader.imbalance.per.broker.percentage
    assignment = [(0, 1, 2)] * 10
    for back, elected_at in ((9, None), (8, 35 * S)):
        c, moved = _moved_off_broker_0(version="3.2", assignment=assignment)
        for p in range(10):
            _rejoin(c, p)
        c.request(0, ElectLeaders(PREFERRED, tuple(range(back))))
        before = len(_elections(c, "preferred"))
        _run_to(c, 70 * S)
        auto = _elections(c, "preferred")[before:]
        if elected_at is None:
            assert auto == []
        else:                                 # the checks run at 5 s, 35 s, 65 s ...
            assert auto == [(elected_at, p, 0) for p in range(back, 10)]


def test_elect_leaders_preferred_answers():
    c = ControllerAlone(3, [(0, 1, 2)])
    assert c.request(2, ElectLeaders(PREFERRED, (0,))).results == ((0, ELECTION_NOT_NEEDED),)
    c.fence(0)
    assert c.request(2, ElectLeaders(PREFERRED, (0,))).results == \
        ((0, PREFERRED_LEADER_NOT_AVAILABLE),)               # fenced
    c.unfence(0)
    assert c.request(2, ElectLeaders(PREFERRED, (0,))).results == \
        ((0, PREFERRED_LEADER_NOT_AVAILABLE),)               # not in the ISR
    _rejoin(c)
    assert c.request(2, ElectLeaders(PREFERRED, (0,))).results == ((0, None),)
    assert c.partition().leader == 0 and _elections(c)[-1][2] == 0


def test_elect_leaders_unclean_answers():
    c = ControllerAlone(3, [(0, 1, 2)])              # unclean.leader.election.enable false
    assert c.request(2, ElectLeaders(UNCLEAN, (0,))).results == ((0, ELECTION_NOT_NEEDED),)
    c.fence(0, 1, 2)
    assert (c.partition().leader, c.partition().isr) == (NO_LEADER, (2,))
    c.alive = {1}
    c.unfence(1)                                     # live, but outside the ISR
    assert c.partition().leader == NO_LEADER
    c.fence(0, 1, 2)
    assert c.request(1, ElectLeaders(UNCLEAN, (0,))).results == \
        ((0, ELIGIBLE_LEADERS_NOT_AVAILABLE),)       # no live replica
    c.unfence(1)
    assert c.request(1, ElectLeaders(UNCLEAN, (0,))).results == ((0, None),)
    assert (c.partition().leader, c.partition().isr) == (1, (1,))
    assert [r.election for r in c.h.trace.rows(LeaderChanged)][-1] == "unclean"


def test_kraft_leaves_what_passes_the_cap_of_a_check_to_another_10ms_later(monkeypatch):
    monkeypatch.setattr("sim.cluster.leader_balance.MAX_ELECTIONS_PER_IMBALANCE", 2)
    c, moved = _moved_off_broker_0(assignment=((0, 1, 2),) * 3)
    for p in range(3):
        _rejoin(c, p)
    _run_to(c, moved + 31 * S)
    assert _elections(c, "preferred") == [(moved + 30 * S, 0, 0), (moved + 30 * S, 1, 0),
                                          (moved + 30 * S + 10_000, 2, 0)]
