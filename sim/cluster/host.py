"""A host: one process on one machine, with its lifecycle.

States: running; paused (frozen: deliveries and timers wait until resume);
crashed, stopped, powered_off (down: deliveries and timers are dropped). Each
start is a new incarnation; work scheduled for an earlier incarnation is
dropped, so a restarted process never runs its predecessor's callbacks.
"""

from sim.core.records import CRASHED, DOWN, PAUSED, POWERED_OFF, RUNNING, STOPPED, HostChanged

__all__ = ["CRASHED", "DOWN", "PAUSED", "POWERED_OFF", "RUNNING", "STOPPED", "Host"]


class Host:
    """Base class of brokers, the controller and clients."""

    def __init__(self, name: str, engine, trace) -> None:
        self.name = name
        self.engine = engine
        self.trace = trace
        self.state = RUNNING
        self.incarnation = 0
        self._deferred: list = []
        self.connections: list = []          # connections this host is an end of

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def down(self) -> bool:
        return self.state in DOWN

    def run_on(self, incarnation: int, fn, *args) -> None:
        """Run fn(*args) on this host if the same incarnation is still alive (later if paused)."""
        if incarnation != self.incarnation:
            return
        state = self.state
        if state == RUNNING:
            fn(*args)
        elif state == PAUSED:
            self._deferred.append((fn, args))

    def timer(self, delay_us: int, fn, *args) -> None:
        """Call fn(*args) on this host after delay_us, if it is still this incarnation."""
        self.engine.later(delay_us, self.run_on, self.incarnation, fn, *args)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.trace.emit(HostChanged(self.engine.now, self.name, state))

    def pause(self) -> None:
        """Freeze the process (SIGSTOP, a long GC): peers hear silence."""
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def resume(self) -> None:
        """Unfreeze: run what arrived and what came due while paused, in order."""
        if self.state != PAUSED:
            return
        self._set_state(RUNNING)
        self.thawed()
        deferred, self._deferred = self._deferred, []
        for fn, args in deferred:
            if self.state != RUNNING:
                break
            fn(*args)

    def thawed(self) -> None:
        """What the process does first when it runs again, before what waited for it."""

    def kill(self, state: str) -> None:
        """End the process (crash, clean stop or power loss); subclasses add their effects."""
        if self.state in DOWN:
            return
        self._deferred.clear()
        self._set_state(state)
        self.incarnation += 1

    def start(self) -> None:
        """Start a new incarnation of a down process."""
        if self.state not in DOWN:
            return
        self.incarnation += 1
        self._set_state(RUNNING)
