"""Incremental fetch sessions (KIP-227): what a follower's session last carried, and the
partitions that rest idle in it (read once for all by the session's read time)."""

from sim.cluster.fetch_session import NO_SESSION, FetchSessions, Session
from sim.cluster.log import Batch
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import FetchData, FetchPartition, FetchRequest
from sim.cluster.replica import Replica
from sim.cluster.topology import PartitionInfo
from sim.core.units import MS, NEVER, S

T0 = 100 * S


def request(session, replica=2):
    return FetchRequest(replica, 1, {}, 500_000, 1 << 20, session)


def data(hw, log_start=0):
    return FetchData(None, hw, log_start, (), None, hw)


def leader(leo=10, isr=(0, 1, 2)):
    """Broker 0 leads t-0 (replicas 0, 1, 2) since T0 with leo records."""
    info = PartitionInfo(pidx=0, topic="t", partition=0, replicas=(0, 1, 2), min_isr=2,
                         unclean=False, flush_messages=NEVER, flush_us=NEVER, internal=False)
    replica = Replica(info, 0)
    replica.make_leader(PartitionState(pidx=0, leader=0, leader_epoch=1, partition_epoch=1,
                                       isr=isr), T0)
    append(replica, leo)
    return replica


def append(replica, count):
    """A leader append, as ReplicaManager._append does it: idle followers wake first."""
    replica.wake_idle()
    log = replica.log
    log.append(Batch(log.leo, count, 1, 0, log.leo, -1, -1, -1, 61 + 10 * count, 0))


def read(replica, session, fetch_offset, now):
    """What ReplicaManager does for a quiet read (the follower in the ISR at the leader's
    LEO): record the fetch, send the HW and log start, then let it rest."""
    session.read_us = now
    replica.update_follower(2, fetch_offset, now)
    session.last_sent[0] = (replica.log.hw, replica.log.log_start)
    session.rest([(0, FetchPartition(fetch_offset, 1, 1), replica)])


def test_a_session_remembers_the_hw_and_log_start_each_response_carried():
    sessions = FetchSessions()
    assert sessions.get(request(9)) is None                      # a new session: whole
    sessions.sent(request(9), {0: data(5), 1: data(7)})
    assert sessions.get(request(9)).last_sent == {0: (5, 0), 1: (7, 0)}
    sessions.sent(request(9), {1: data(7, log_start=2), 3: data(0)})
    assert sessions.get(request(9)).last_sent == {0: (5, 0), 1: (7, 2), 3: (0, 0)}


def test_a_new_session_another_follower_a_restart_or_no_session_know_nothing():
    sessions = FetchSessions()
    sessions.sent(request(9), {0: data(5)})
    assert sessions.get(request(10)) is None                     # the fetcher's new session
    assert sessions.get(request(9, replica=3)) is None           # another follower
    sessions.sent(request(10), {0: data(6)})
    assert sessions.get(request(9)) is None                      # the old session is gone
    sessions.clear()
    assert sessions.get(request(10)) is None
    sessions.sent(request(NO_SESSION), {0: data(5)})
    assert sessions.get(request(NO_SESSION)) is None


def test_a_follower_in_the_isr_at_the_leo_with_everything_sent_rests():
    replica, session = leader(), Session(9, 2)
    read(replica, session, 10, T0)
    assert 0 in session.idle and replica.followers[2].session is session


def test_a_quiet_follower_not_yet_told_the_hw_or_log_start_does_not_rest():
    replica, session = leader(), Session(9, 2)
    replica.update_follower(2, 10, T0)
    session.last_sent[0] = (replica.log.hw + 1, 0)
    session.rest([(0, FetchPartition(10, 1, 1), replica)])
    session.last_sent[0] = (replica.log.hw, 3)
    session.rest([(0, FetchPartition(10, 1, 1), replica)])
    assert session.idle == {} and replica.followers[2].session is None


def test_a_woken_follower_is_exactly_as_if_every_read_had_been_recorded():
    lazy, session = leader(), Session(9, 2)
    eager = leader()
    for t in (T0, T0 + 500 * MS, T0 + 1000 * MS):
        eager.update_follower(2, 10, t)
    read(lazy, session, 10, T0)
    session.read_us = T0 + 1000 * MS                  # two more reads of the whole session
    append(lazy, 5)                                   # an append wakes it first
    append(eager, 5)
    assert session.idle == {}
    e, f = eager.followers[2], lazy.followers[2]
    assert (f.leo, f.last_fetch_us, f.last_fetch_leader_leo, f.last_caught_up_us) == (
        e.leo, e.last_fetch_us, e.last_fetch_leader_leo, e.last_caught_up_us)


def test_a_leader_change_the_hw_or_the_isr_wakes_idle_followers():
    replica, session = leader(), Session(9, 2)
    read(replica, session, 10, T0)
    replica.update_isr(PartitionState(pidx=0, leader=0, leader_epoch=1, partition_epoch=2,
                                      isr=(0, 1, 2)))
    assert session.idle == {} and replica.followers[2].session is None
    read(replica, session, 10, T0 + S)
    replica.followers[1].leo = 10
    assert replica.maybe_increment_hw(T0 + S, 30 * S, lambda _b: True, False)
    assert session.idle == {}


def test_clearing_the_sessions_wakes_every_idle_follower():
    sessions = FetchSessions()
    sessions.sent(request(9), {0: data(0)})
    replica, session = leader(), sessions.get(request(9))
    replica.log.hw = 0
    read(replica, session, 10, T0)
    assert session.idle
    sessions.clear()
    assert replica.followers[2].session is None and replica.followers[2].last_fetch_us == T0
