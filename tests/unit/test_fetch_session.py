"""Incremental fetch sessions (KIP-227): a follower's response carries only what changed."""

from sim.cluster.fetch_session import NO_SESSION, FetchSessions
from sim.cluster.protocol import FetchData, FetchRequest


def request(session, replica=2):
    return FetchRequest(replica, 1, {}, 500_000, 1 << 20, session)


def data(hw, log_start=0, batches=(), error=None, diverging=None):
    return FetchData(error, hw, log_start, batches, diverging, hw)


def test_a_session_leaves_out_the_partitions_with_nothing_new():
    sessions = FetchSessions()
    first = {0: data(5), 1: data(7)}
    assert sessions.changed(request(9), first) == first          # a new session: whole
    assert sessions.changed(request(9), {0: data(5), 1: data(7)}) == {}
    moved = {0: data(6), 1: data(7, log_start=2), 3: data(0)}
    assert sessions.changed(request(9), dict(moved)) == moved    # HW, log start, a newcomer
    news = {0: data(6, batches=("b",)), 1: data(7, 2, error="FENCED_LEADER_EPOCH"),
            3: data(0, diverging=(1, 0))}
    assert sessions.changed(request(9), dict(news)) == news      # records, errors, divergence


def test_a_new_session_a_restart_or_no_session_gets_every_partition():
    sessions = FetchSessions()
    out = {0: data(5)}
    sessions.changed(request(9), out)
    assert sessions.changed(request(10), {0: data(5)}) == out    # the fetcher's new session
    assert sessions.changed(request(10, replica=3), {0: data(5)}) == out   # another follower
    sessions.clear()
    assert sessions.changed(request(10), {0: data(5)}) == out
    assert sessions.changed(request(NO_SESSION), {0: data(5)}) == out
    assert sessions.changed(request(NO_SESSION), {0: data(5)}) == out
