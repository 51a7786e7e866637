"""The event loop: SimPy with integer-microsecond time and plain callbacks.

On the hot path a network hop or a timer is one SimPy event with one callback,
never a process or a Store hand-off (DESIGN.md, Performance). Control loops
that read better as generators (the timeline) may still use processes.
"""

import simpy
from simpy.core import NORMAL, URGENT

__all__ = ["Engine", "URGENT", "NORMAL"]


class _Call:
    __slots__ = ("fn", "args")

    def __init__(self, fn, args) -> None:
        self.fn = fn
        self.args = args

    def __call__(self, _event) -> None:
        self.fn(*self.args)


class Engine:
    """A SimPy environment plus cheap timers that call a function."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self._schedule = self.env.schedule

    @property
    def now(self) -> int:
        """The current simulated time in microseconds."""
        return self.env._now

    def later(self, delay_us: int, fn, *args) -> None:
        """Call fn(*args) after delay_us."""
        event = simpy.Event(self.env)
        event._ok = True
        event._value = None
        event.callbacks.append(_Call(fn, args))
        self._schedule(event, NORMAL, delay_us)

    def at(self, t_us: int, fn, *args, urgent: bool = False) -> None:
        """Call fn(*args) at time t_us (urgent calls run before normal ones of that instant)."""
        event = simpy.Event(self.env)
        event._ok = True
        event._value = None
        event.callbacks.append(_Call(fn, args))
        self._schedule(event, URGENT if urgent else NORMAL, max(t_us - self.env._now, 0))

    def run(self, until_us: int) -> None:
        """Run the simulation up to (and including events before) until_us."""
        self.env.run(until=until_us)
