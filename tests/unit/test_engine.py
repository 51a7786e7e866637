"""The engine's run loop (sim/core/engine.py) stops exactly where SimPy's env.run(until) stops.

A schedule of calls, some urgent, some scheduling more calls when they run, is played
twice in slices: by `Engine.run` and by SimPy's own `env.run(until=...)` on the same
queue. Both must run the same calls in the same order and end each slice at its bound.
The engine relies on SimPy internals (pyproject pins the range): the contract test says
which, so a SimPy release that changes them fails here first.
"""

from itertools import count

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from simpy.core import NORMAL, URGENT

from sim.core.engine import Engine

calls = st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.integers(0, 12)), max_size=25)


def play(schedule, bounds, simpy_loop: bool):
    engine, log = Engine(), []

    def fire(name, then_us):
        log.append((engine.now, name))
        if then_us:
            engine.later(then_us, fire, name + "'", 0)

    for i, (t_us, urgent, then_us) in enumerate(schedule):
        engine.at(t_us, fire, str(i), then_us, urgent=urgent)
    for bound in bounds:
        if simpy_loop:
            engine.env.run(until=bound)
        else:
            engine.run(bound)
        log.append(("end", engine.now))
    return log


@settings(deadline=None)
@given(schedule=calls, cuts=st.lists(st.integers(1, 15), min_size=1, max_size=4))
def test_run_runs_what_simpy_runs_in_the_same_order_and_stops_at_the_bound(schedule, cuts):
    bounds, t = [], 0
    for cut in cuts:
        t += cut
        bounds.append(t)
    assert play(schedule, bounds, simpy_loop=False) == play(schedule, bounds, simpy_loop=True)


def test_urgent_calls_at_the_bound_scheduled_before_the_run_still_run():
    log = play([(10, True, 0), (10, False, 0), (5, False, 0)], [10, 20], simpy_loop=False)
    assert log == [(5, "2"), (10, "0"), ("end", 10), (10, "1"), ("end", 20)]


def test_the_simpy_internals_the_engine_uses_keep_their_shape():
    env = simpy.Environment(initial_time=3)
    assert env._now == 3 and isinstance(env._eid, count) and env._queue == []
    assert URGENT < NORMAL                           # urgent events sort first at an instant
    timeout = env.timeout(5)
    eid = next(env._eid)                             # the next event's eid, as Engine.run asks
    (entry,) = env._queue                            # a heap of (time, priority, eid, event)
    assert entry == (8, NORMAL, eid - 1, timeout)
    early = env.timeout(1)
    assert env._queue[0] == (4, NORMAL, eid + 1, early)          # the heap's head
    env.step()                                       # step pops the heap's head and sets _now
    assert env._now == 4 and env._queue == [entry]
