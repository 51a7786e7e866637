"""The event loop: SimPy with integer-microsecond time and plain callbacks.

On the hot path a network hop or a timer is one SimPy event with one callback,
never a process or a Store hand-off (docs/development.md#performance): `later` pushes a
minimal event straight onto SimPy's queue, ordered like any other event (by
time, priority, then insertion), and `run` calls it without SimPy's per-event
bookkeeping. Control loops that read better as generators may still use
SimPy processes on the same environment: `run` hands their events to SimPy.
"""

from heapq import heappop, heappush

import simpy
from simpy.core import NORMAL, URGENT

__all__ = ["Engine", "URGENT", "NORMAL"]


def _run_call(call) -> None:
    call.fn(*call.args)


class _Call:
    """A scheduled call, shaped like a triggered SimPy event with one callback."""

    __slots__ = ("fn", "args", "callbacks")
    _ok = True
    _value = None

    def __init__(self, fn, args) -> None:
        self.fn = fn
        self.args = args
        self.callbacks = (_run_call,)


class Engine:
    """A SimPy environment plus cheap timers that call a function."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self._queue = self.env._queue
        self._eid = self.env._eid

    @property
    def now(self) -> int:
        """The current simulated time in microseconds."""
        return self.env._now

    def later(self, delay_us: int, fn, *args) -> None:
        """Call fn(*args) after delay_us."""
        heappush(self._queue, (self.env._now + delay_us, NORMAL, next(self._eid), _Call(fn, args)))

    def at(self, t_us: int, fn, *args, urgent: bool = False) -> None:
        """Call fn(*args) at time t_us (urgent calls run before normal ones of that instant)."""
        heappush(self._queue, (max(t_us, self.env._now), URGENT if urgent else NORMAL,
                               next(self._eid), _Call(fn, args)))

    def run(self, until_us: int) -> None:
        """Run the simulation up to until_us, exactly as `env.run(until=until_us)` would.

        SimPy stops at an urgent event scheduled at until_us now: everything
        ordered before it runs. Our calls run straight from the queue; any other
        SimPy event (a process step) goes through SimPy's own `step`.
        """
        env, queue = self.env, self._queue
        stop = next(self._eid)              # the eid SimPy's stop event would take
        while queue:
            t, priority, eid, event = queue[0]
            if t > until_us or (t == until_us and (priority != URGENT or eid > stop)):
                break
            if type(event) is _Call:
                heappop(queue)
                env._now = t
                event.fn(*event.args)
            else:
                env.step()
        env._now = until_us

    def events_processed(self) -> int:
        """SimPy events processed so far (scheduled ones still in the queue excluded)."""
        return next(self._eid) - len(self._queue)
