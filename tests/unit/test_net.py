"""Links, grudges and connections (sim/cluster/net.py, rpc.py, host.py on sim/core/engine.py).

Unless a test says otherwise, every link has a constant one-way latency of 1 ms, so a round
trip is 2 ms and the retransmission timeout is max(200 ms, 2 x RTT) = 200 ms. Hosts are
tiny `Node`s that record what they handle, and answer after `reply_after_us` if set.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.host import CRASHED, POWERED_OFF, STOPPED, Host
from sim.cluster.net import RTO_MAX_US, RTO_MIN_US, Network
from sim.cluster.rpc import (
    NETWORK_EXCEPTION,
    REQUEST_TIMED_OUT,
    UNSENT,
    Connection,
    Connections,
    Failure,
    next_node,
)
from sim.core.dist import Sampler
from sim.core.engine import Engine
from sim.core.rng import Streams
from sim.core.trace import Trace
from sim.core.units import MS, S
from sim.scenario.spec import Dist
from sim.scenario.spec import Network as NetworkSpec

ONE_MS = Dist(kind="constant", value_us=1 * MS)


class Node(Host):
    """A host that records every request it handles and may answer it."""

    def __init__(self, name, engine, reply_after_us=None):
        super().__init__(name, engine, Trace())
        self.handled = []
        self.reply_after_us = reply_after_us

    def handle(self, conn, rid, payload):
        self.handled.append((self.engine.now, payload))
        if self.reply_after_us is not None:
            self.timer(self.reply_after_us, conn.respond, rid, ("re", payload))


class World:
    def __init__(self, latency=ONE_MS, loss=0.0, resets=0.0, seed=1, reply_after_us=0):
        self.engine = Engine()
        self.net = Network(self.engine, Streams(seed),
                           NetworkSpec(latency=latency, loss=loss, resets=resets))
        self.client = self.node("client", None)
        self.server = self.node("server", reply_after_us)
        self.got = []                                  # (t, tag, response) on the client

    def node(self, name, reply_after_us=None):
        host = Node(name, self.engine, reply_after_us)
        self.net.add(host)
        return host

    def at(self, t_us, fn, *args):
        self.engine.at(t_us, fn, *args)

    def done(self, tag):
        return lambda response: self.got.append((self.engine.now, tag, response))

    def errors(self):
        return [(t, tag, r.error if isinstance(r, Failure) else r) for t, tag, r in self.got]

    def run(self, until_us=10 * 60 * S):
        self.engine.run(until_us)


def deliveries(world, src, dst, stream="s"):
    """Send-and-record helpers on the raw network."""
    arrived = []

    def send(tag):
        world.net.send(src, dst, lambda: arrived.append((world.engine.now, tag)), stream=stream)

    return send, arrived


# -- links: FIFO, loss as delay --------------------------------------------------------------


def test_a_message_arrives_after_the_link_latency():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    w.at(5 * MS, send, "m")
    w.run()
    assert arrived == [(6 * MS, "m")]


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       p99_ms=st.sampled_from([1, 5, 50]),
       loss=st.sampled_from([0.0, 0.05, 0.5]),
       gaps=st.lists(st.integers(0, 3 * MS), min_size=1, max_size=40),
       streams=st.integers(1, 3))
def test_a_link_is_fifo_under_random_latency_and_loss(seed, p99_ms, loss, gaps, streams):
    w = World(latency=Dist(kind="lognormal", median_us=1 * MS, p99_us=p99_ms * MS), loss=loss,
              seed=seed)
    arrived = []
    t = 0
    for i, gap in enumerate(gaps):
        t += gap
        w.at(t, lambda i=i: w.net.send(w.client, w.server, arrived.append, i,
                                       stream=("conn", i % streams)))
    w.run()
    assert arrived == list(range(len(gaps)))


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), loss=st.sampled_from([0.1, 0.5]))
def test_each_lost_transmission_adds_a_doubling_retransmission_timeout(seed, loss):
    w = World(loss=loss, seed=seed)
    send, arrived = deliveries(w, w.client, w.server)
    send("m")
    w.run(2**62)
    extra = arrived[0][0] - 1 * MS
    assert extra in {RTO_MIN_US * (2**k - 1) for k in range(60)}


def test_a_degraded_link_keeps_fifo_when_its_latency_drops_back():
    w = World()
    slow = Sampler(Dist(kind="constant", value_us=5 * MS), w.net.streams.get("slow"))
    other = w.node("other")
    to_server, at_server = deliveries(w, w.client, w.server)
    to_other, at_other = deliveries(w, w.client, other)
    link = w.net.link("client", "server")
    link.overrides.append((0, slow, None, None))      # a degrade fault: 5 ms one way
    to_server(1)
    to_other("x")                                     # other links are not degraded
    w.at(1 * MS, link.overrides.clear)
    w.at(1 * MS, to_server, 2)                        # 1 ms latency now, but behind message 1
    w.run()
    assert at_server == [(5 * MS, 1), (5 * MS, 2)]
    assert at_other == [(1 * MS, "x")]


# -- grudges: a cut delays, it does not drop -------------------------------------------------


def test_a_cut_holds_messages_until_the_first_retransmission_after_the_heal():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    w.net.cut([("client", "server")])
    w.at(0, send, 1)                                   # retransmitted at 200, 600 ms
    w.at(300 * MS, send, 2)                            # waits behind 1 on the same connection
    w.at(500 * MS, w.net.uncut, [("client", "server")])
    w.at(700 * MS, send, 3)
    w.run()
    assert arrived == [(601 * MS, 1), (601 * MS, 2), (701 * MS, 3)]


def test_a_message_in_flight_when_the_cut_starts_is_held_from_its_arrival():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    w.at(0, send, 1)
    w.at(MS // 2, w.net.cut, [("client", "server")])
    w.at(100 * MS, w.net.uncut, [("client", "server")])
    w.run()
    assert arrived == [(202 * MS, 1)]                  # held at 1 ms, retransmitted at 201 ms


def test_retransmission_timeouts_double_up_to_two_minutes():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    w.net.cut([("client", "server")])
    send(1)
    w.at(600 * S, w.net.uncut, [("client", "server")])
    w.run(20 * 60 * S)
    # retransmissions at 0.2 0.6 1.4 3.0 6.2 12.6 25.4 51.0 102.2 204.6 s, then every
    # RTO_MAX (120 s): 324.6 444.6 564.6 684.6 s -- the first one after the heal at 600 s
    assert RTO_MAX_US == 120 * S
    assert arrived == [(684_601 * MS, 1)]


def test_a_cut_in_one_direction_does_not_hold_the_other():
    w = World()
    to_server, at_server = deliveries(w, w.client, w.server)
    to_client, at_client = deliveries(w, w.server, w.client, stream="back")
    w.net.cut([("client", "server")])
    to_server(1)
    to_client(2)
    w.at(50 * MS, w.net.uncut, [("client", "server")])
    w.run()
    assert (at_server, at_client) == ([(201 * MS, 1)], [(1 * MS, 2)])


def test_overlapping_cuts_of_one_pair_heal_only_when_both_end():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    pair = [("client", "server")]
    w.net.cut(pair)
    w.net.cut(pair)
    send(1)
    w.at(100 * MS, w.net.uncut, pair)                 # one fault ends: still cut at 200 ms
    w.at(300 * MS, w.net.uncut, pair)
    w.run()
    assert arrived == [(601 * MS, 1)]


def test_a_new_connection_after_the_heal_is_not_held_behind_the_old_one():
    w = World()
    old, at_old = deliveries(w, w.client, w.server, stream="old")
    new, at_new = deliveries(w, w.client, w.server, stream="new")
    w.net.cut([("client", "server")])
    old(1)
    w.at(500 * MS, w.net.uncut, [("client", "server")])
    w.at(510 * MS, new, 2)
    w.run()
    assert (at_old, at_new) == ([(601 * MS, 1)], [(511 * MS, 2)])


def test_overlapping_cuts_compose_and_a_link_heals_only_when_every_fault_ends():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    pair = [("client", "server")]
    w.net.cut(pair)
    w.net.cut(pair)                                   # a second fault on the same link
    send(1)
    w.at(10 * MS, w.net.uncut, pair)                  # one fault ends: still cut
    w.at(300 * MS, w.net.uncut, pair)                 # the other ends
    w.run()
    assert arrived == [(601 * MS, 1)] and w.net.cuts == {}


def test_messages_without_a_stream_on_an_uncut_link_are_not_held_by_a_cut_elsewhere():
    w = World()
    other_a, other_b = w.node("a"), w.node("b")
    arrived = []
    w.net.cut([("client", "server")])
    w.net.send(w.client, w.server, arrived.append, "cut")
    w.net.send(other_a, other_b, arrived.append, "free")
    w.at(50 * MS, w.net.uncut, [("client", "server")])
    w.run()
    assert arrived[0] == "free" and w.engine.now > 0


# -- hosts: incarnations and pauses --------------------------------------------------------


def test_a_restarted_host_never_runs_timers_of_its_previous_incarnation():
    w = World()
    ran = []
    w.server.timer(10 * MS, ran.append, "old")
    w.at(5 * MS, w.server.kill, CRASHED)
    w.at(6 * MS, w.server.start)
    w.at(7 * MS, lambda: w.server.timer(10 * MS, ran.append, "new"))
    w.run()
    assert ran == ["new"] and w.server.incarnation == 2


def test_a_message_to_an_earlier_incarnation_is_dropped():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    send(1)                                            # addressed to incarnation 0
    w.server.kill(CRASHED)
    w.server.start()
    w.at(2 * MS, send, 2)
    w.run()
    assert arrived == [(3 * MS, 2)]


def test_messages_sent_by_a_host_that_then_dies_are_still_delivered():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    send(1)
    w.client.kill(CRASHED)
    w.run()
    assert arrived == [(1 * MS, 1)]


def test_a_paused_host_runs_what_arrived_and_what_came_due_at_resume_in_order():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    ran = []
    w.server.pause()
    w.server.timer(2 * MS, lambda: ran.append((w.engine.now, "timer")))
    send(1)
    w.at(50 * MS, w.server.resume)
    w.run()
    assert (arrived, ran) == ([(50 * MS, 1)], [(50 * MS, "timer")])


def test_a_host_killed_while_paused_drops_what_was_waiting():
    w = World()
    send, arrived = deliveries(w, w.client, w.server)
    w.server.pause()
    send(1)
    w.at(10 * MS, w.server.kill, POWERED_OFF)
    w.at(20 * MS, w.server.start)
    w.run()
    assert arrived == []


# -- connections ---------------------------------------------------------------------------


def test_connections_make_one_per_node_at_first_use_and_a_cleared_pool_makes_new_ones():
    w = World(reply_after_us=0)
    made = []
    conns = Connections(w.net, w.client, {7: w.server}.__getitem__, made=made.append)
    first = conns.to(7)
    assert conns.to(7) is first and first.server is w.server and made == [first]
    conns.clear()
    again = conns.to(7)
    assert again is not first and made == [first, again]


def test_a_request_is_handled_after_one_way_and_answered_after_a_round_trip():
    w = World(reply_after_us=3 * MS)
    conn = Connection(w.net, w.client, w.server)
    conn.request("q", w.done("q"), timeout_us=1 * S)
    w.run()
    assert w.server.handled == [(1 * MS, "q")]
    assert w.errors() == [(5 * MS, "q", ("re", "q"))]


def test_a_connection_reset_fails_every_request_in_flight_at_once():
    w = World(reply_after_us=0)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    conn.request("b", w.done("b"), timeout_us=1 * S)
    w.at(MS // 2, conn.reset)
    w.run()
    assert w.errors() == [(MS // 2, "a", NETWORK_EXCEPTION), (MS // 2, "b", NETWORK_EXCEPTION)]
    assert w.server.handled == []                      # in flight on the old connection


def test_a_request_delivered_before_a_reset_is_processed_but_its_response_is_lost():
    w = World(reply_after_us=5 * MS)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(3 * MS, conn.reset)
    w.run()
    assert w.server.handled == [(1 * MS, "a")]
    assert w.errors() == [(3 * MS, "a", NETWORK_EXCEPTION)]


def test_a_new_request_after_a_reset_gets_its_own_answer():
    w = World(reply_after_us=5 * MS)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(3 * MS, conn.reset)
    w.at(4 * MS, conn.request, "b", w.done("b"), 1 * S)
    w.run()
    assert w.errors() == [(3 * MS, "a", NETWORK_EXCEPTION), (11 * MS, "b", ("re", "b"))]


def test_a_request_timeout_closes_the_connection_and_fails_every_request_on_it_as_timed_out():
    w = World(reply_after_us=None)                     # the server never answers
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(10 * MS, conn.request, "b", w.done("b"), 100 * MS)
    w.run()                                            # oldest first, as cancelInFlightRequests
    assert w.errors() == [(110 * MS, "a", REQUEST_TIMED_OUT), (110 * MS, "b", REQUEST_TIMED_OUT)]


def test_an_answered_request_does_not_time_out_later():
    w = World(reply_after_us=0)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=100 * MS)
    w.run()
    assert w.errors() == [(2 * MS, "a", ("re", "a"))]
    assert conn.inflight == {}


@pytest.mark.parametrize("state", [CRASHED, STOPPED])
def test_a_request_to_a_dead_process_is_refused_after_a_round_trip(state):
    w = World()
    w.server.kill(state)
    conn = Connection(w.net, w.client, w.server)
    w.at(1 * MS, conn.request, "a", w.done("a"), 1 * S)
    w.run()
    assert w.errors() == [(3 * MS, "a", NETWORK_EXCEPTION)]
    assert w.server.handled == []


def test_a_request_to_a_powered_off_machine_meets_silence_and_times_out():
    w = World()
    w.server.kill(POWERED_OFF)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=30 * MS)
    w.run()
    assert w.errors() == [(30 * MS, "a", REQUEST_TIMED_OUT)]


def test_a_request_to_a_machine_that_powers_back_on_is_reset_at_the_next_retransmission():
    w = World(reply_after_us=0)
    w.server.kill(POWERED_OFF)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=30 * S)
    w.at(1 * S, w.server.start)
    w.at(2 * S, conn.request, "b", w.done("b"), 30 * S)
    w.run()
    # arrives at 1 ms to silence; retransmitted at 201, 601 and 1401 ms (RTO 200 ms,
    # doubling); the machine is back at 1 s, so that one meets its new kernel at 1402 ms,
    # whose reset reaches the client at 1403 ms; the next request gets through
    assert w.errors() == [(1403 * MS, "a", NETWORK_EXCEPTION), (2002 * MS, "b", ("re", "b"))]
    assert w.server.handled == [(2001 * MS, "b")]


def test_a_request_to_a_paused_host_waits_and_is_handled_at_resume():
    w = World(reply_after_us=0)
    w.server.pause()
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(50 * MS, w.server.resume)
    w.run()
    assert w.server.handled == [(50 * MS, "a")]
    assert w.errors() == [(51 * MS, "a", ("re", "a"))]


def test_a_request_that_timed_out_against_a_paused_host_is_handled_at_resume_unanswered():
    """The client's close after the timeout is a FIN behind the request's bytes: the resumed
    server reads the request and processes it (the Selector's closingChannels); the answer
    finds no socket and the client's next request is not confused by it."""
    w = World(reply_after_us=0)
    w.server.pause()
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=30 * MS)
    w.at(40 * MS, conn.request, "b", w.done("b"), 1 * S)
    w.at(50 * MS, w.server.resume)
    w.run()
    assert w.server.handled == [(50 * MS, "a"), (50 * MS, "b")]
    assert w.errors() == [(30 * MS, "a", REQUEST_TIMED_OUT), (51 * MS, "b", ("re", "b"))]


def test_a_request_delayed_by_a_cut_reaches_the_server_after_the_client_timed_out():
    w = World(reply_after_us=0)
    w.net.cut([("client", "server")])
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=30 * MS)
    w.at(100 * MS, w.net.uncut, [("client", "server")])
    w.run()
    assert w.errors() == [(30 * MS, "a", REQUEST_TIMED_OUT)]
    assert [p for _t, p in w.server.handled] == ["a"]
    assert w.server.handled[0][0] > 100 * MS


def test_a_request_of_a_reset_connection_is_dropped():
    w = World(reply_after_us=0)
    w.net.cut([("client", "server")])
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(10 * MS, conn.reset)
    w.at(100 * MS, w.net.uncut, [("client", "server")])
    w.run()
    assert w.server.handled == []


def test_a_crashed_client_gets_no_callbacks():
    w = World(reply_after_us=0)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(MS // 2, w.client.kill, CRASHED)
    w.at(MS // 2, conn.reset)
    w.run()
    assert w.got == [] and w.server.handled == []


def test_a_restarted_client_does_not_receive_answers_meant_for_its_previous_incarnation():
    w = World(reply_after_us=0)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(MS + MS // 2, w.client.kill, CRASHED)        # after delivery, before the answer
    w.at(MS + MS // 2, w.client.start)
    w.run()
    assert w.server.handled == [(1 * MS, "a")] and w.got == []


def test_with_resets_certain_every_request_fails_within_a_round_trip():
    w = World(resets=1.0, reply_after_us=None)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.run()
    [(t, tag, error)] = w.errors()
    assert (tag, error) == ("a", NETWORK_EXCEPTION) and 0 <= t < 2 * MS


def test_a_cut_delays_requests_and_answers_instead_of_failing_them():
    w = World(reply_after_us=0)
    conn = Connection(w.net, w.client, w.server)
    w.net.cut([("server", "client")])
    conn.request("a", w.done("a"), timeout_us=30 * S)
    w.at(100 * MS, w.net.uncut, [("server", "client")])
    w.run()
    assert w.server.handled == [(1 * MS, "a")]
    assert w.errors() == [(202 * MS, "a", ("re", "a"))]   # held at 1 ms, resent at 201 ms


def test_a_request_made_from_a_timeout_callback_is_not_failed_by_that_timeout():
    w = World(reply_after_us=None)
    conn = Connection(w.net, w.client, w.server)

    def retry(response):
        w.got.append((w.engine.now, "a", response))
        w.server.reply_after_us = 0
        conn.request("retry", w.done("retry"), 1 * S)

    conn.request("a", retry, timeout_us=100 * MS)
    w.run()
    assert w.server.handled == [(1 * MS, "a"), (101 * MS, "retry")]
    assert w.errors() == [(100 * MS, "a", REQUEST_TIMED_OUT),
                          (102 * MS, "retry", ("re", "retry"))]


def test_a_connection_closed_by_the_server_reaches_the_client_half_a_round_trip_later():
    w = World(reply_after_us=None)
    conn = Connection(w.net, w.client, w.server)
    closed = []
    conn.on_reset = lambda: closed.append(w.engine.now)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(2 * MS, conn.close_by_server)                  # after "a" arrived, unanswered
    w.at(2 * MS, conn.write, "late", 10, w.done("late"), 1 * S)  # reaches a closed socket
    w.at(4 * MS, setattr, w.server, "reply_after_us", 0)
    w.at(4 * MS, conn.request, "b", w.done("b"), 1 * S)  # a new connection
    w.run()
    assert closed == [3 * MS]
    assert w.server.handled == [(1 * MS, "a"), (5 * MS, "b")]
    assert w.errors() == [(2 * MS, "late", None), (3 * MS, "a", NETWORK_EXCEPTION),
                          (6 * MS, "b", ("re", "b"))]


def test_a_server_that_closed_the_connection_sends_no_answers_on_it():
    w = World(reply_after_us=2 * MS)
    conn = Connection(w.net, w.client, w.server)
    conn.request("a", w.done("a"), timeout_us=1 * S)
    w.at(2 * MS, conn.close_by_server)                  # "a" handled at 1 ms, answer due at 3
    w.run()
    assert w.errors() == [(3 * MS, "a", NETWORK_EXCEPTION)]


# -- connection set-up timeout (KIP-601) -----------------------------------------------------


def test_a_new_connection_to_a_machine_that_is_off_gives_up_at_the_setup_timeout():
    w = World()
    w.server.kill(POWERED_OFF)
    conn = Connection(w.net, w.client, w.server, setup_timeouts_us=(10 * S, 10 * S))
    resets = []
    conn.on_reset = lambda: resets.append((w.engine.now, conn.ready(), conn.connectable()))
    conn.request("a", w.done("a"), timeout_us=30 * S)
    w.run()
    # max <= initial: a constant 10 s, no jitter; the request never left, so it is UNSENT,
    # and the node waits out reconnect.backoff.ms (50 ms) before the next attempt
    assert [(t, tag, r is UNSENT) for t, tag, r in w.got] == [(10 * S, "a", True)]
    assert resets == [(10 * S, False, False)]
    assert conn.setup.failures == 1


def test_the_setup_timeout_grows_per_failed_attempt_with_jitter_up_to_the_max():
    w = World()
    w.net.cut([("client", "server")])
    conn = Connection(w.net, w.client, w.server, setup_timeouts_us=(1 * S, 3 * S))
    starts = []

    def attempt(_response=None):
        starts.append(w.engine.now)
        if len(starts) <= 4:
            conn.request("a", attempt, timeout_us=60 * S)

    attempt()
    w.run()
    waits = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    low, high = [0.8, 1.6, 2.4, 2.4], [1.2, 2.4, 3.0, 3.0]   # 1 s x 2^n +/- 20 %, at most 3 s
    assert all(lo * S <= wait <= hi * S for wait, lo, hi in zip(waits, low, high, strict=True))


def test_an_answered_connection_resets_the_failed_attempts():
    w = World(reply_after_us=0)
    w.net.cut([("client", "server")])
    conn = Connection(w.net, w.client, w.server, setup_timeouts_us=(1 * S, 3 * S))
    conn.request("a", w.done("a"), timeout_us=60 * S)
    w.at(2 * S, w.net.uncut, [("client", "server")])
    w.at(2 * S, conn.request, "b", w.done("b"), 60 * S)
    w.run()
    assert [tag for _t, tag, _r in w.got] == ["a", "b"]
    assert w.got[1][0] == 2 * S + 2 * MS and conn.setup.failures == 0


def test_an_established_connection_to_a_machine_that_goes_off_waits_out_the_request_timeout():
    w = World(reply_after_us=0)
    conn = Connection(w.net, w.client, w.server, setup_timeouts_us=(1 * S, 1 * S))
    conn.request("a", w.done("a"), timeout_us=30 * S)
    w.at(1 * S, w.server.kill, POWERED_OFF)
    w.at(2 * S, conn.request, "b", w.done("b"), 30 * S)
    w.run()
    assert w.errors() == [(2 * MS, "a", ("re", "a")), (32 * S, "b", REQUEST_TIMED_OUT)]


def test_a_paused_process_s_kernel_sets_the_connection_up():
    w = World(reply_after_us=0)
    w.server.pause()
    conn = Connection(w.net, w.client, w.server, setup_timeouts_us=(1 * S, 1 * S))
    conn.request("a", w.done("a"), timeout_us=30 * S)
    w.at(5 * S, w.server.resume)
    w.run()
    assert w.errors() == [(5 * S + 1 * MS, "a", ("re", "a"))]


def test_requests_for_any_broker_pass_over_a_node_that_failed_to_connect():
    w = World()
    other = w.node("other")
    w.server.kill(POWERED_OFF)
    conns = {0: Connection(w.net, w.client, w.server, setup_timeouts_us=(1 * S, 1 * S)),
             1: Connection(w.net, w.client, other, setup_timeouts_us=(1 * S, 1 * S))}
    conns[0].request("a", w.done("a"), timeout_us=30 * S)
    w.run(500 * MS)
    assert next_node([0, 1], conns, 0) == (1, 2)        # still connecting to silence
    w.run(1 * S + 10 * MS)
    assert next_node([0, 1], conns, 0) == (1, 2)        # reconnect backoff
    w.run(1 * S + 60 * MS)
    assert next_node([0, 1], conns, 0) == (0, 1)


def test_a_write_stuck_on_a_full_buffer_goes_out_once_the_peer_takes_what_was_held():
    """acks=0 writes fill the socket's send buffer while a cut holds them; the next write is
    stuck (nothing more is written meanwhile). When the cut heals and the peer takes the
    held bytes, the client hears of it half a round trip later, finishes the stuck write and
    is woken: nothing else would wake a producer whose every partition waits."""
    w = World(reply_after_us=None)
    conn = Connection(w.net, w.client, w.server)
    woken = []
    conn.on_writable = lambda: woken.append(w.engine.now)
    w.at(0, w.net.cut, [("client", "server")])
    w.at(1 * MS, conn.write, "a", 100_000, w.done("a"), 30 * S)
    w.at(2 * MS, conn.write, "b", 100_000, w.done("b"), 30 * S)
    w.at(3 * MS, lambda: woken.append(("writable", conn.writable())))
    w.at(300 * MS, w.net.uncut, [("client", "server")])
    w.run(2 * S)
    (a_at, _a, a), (b_at, _b, b) = w.got
    assert (a_at, a, b) == (1 * MS, None, None)
    assert woken[0] == ("writable", False)
    assert woken[1:] == [b_at] and 300 * MS < b_at < 1 * S
    assert [p for _t, p in w.server.handled] == ["a", "b"]


def test_a_write_stuck_on_a_full_buffer_for_the_request_timeout_closes_the_connection():
    """NetworkClient times out an acks=0 request whose send never completed like any other:
    the connection closes and the write fails as timed out, so the producer refreshes its
    metadata instead of waiting for a machine that may never come back."""
    w = World(reply_after_us=None)
    conn = Connection(w.net, w.client, w.server)
    w.at(0, w.server.kill, POWERED_OFF)
    w.at(1 * MS, conn.write, "a", 100_000, w.done("a"), 30 * S)
    w.at(2 * MS, conn.write, "b", 100_000, w.done("b"), 30 * S)
    w.run(60 * S)
    assert w.errors() == [(1 * MS, "a", None), (30 * S + 2 * MS, "b", REQUEST_TIMED_OUT)]
    assert conn.writable() and w.server.handled == []
