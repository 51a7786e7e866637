"""Items that expire after a timeout, checked by one lazy timer per owner.

Used for the produce purgatory and parked fetches: instead of one timer
event per request, one timer is armed at the earliest deadline; when it
fires it expires what is due, in deadline order (then in order of arrival),
and re-arms for the next. Items finished early are skipped when their turn
comes (`item.done`). Items with the same timeout expire in the order they
came, so each timeout keeps a FIFO queue rather than one heap for all.
"""

from collections import deque


class Deadlines:
    """FIFO queues of (deadline, arrival, item), one per timeout, on a host, with one timer."""

    def __init__(self, host, on_expire) -> None:
        self.host = host
        self.on_expire = on_expire
        self.queues: dict[int, deque] = {}
        self._seq = 0
        self._armed_at = -1

    def add(self, timeout_us: int, item) -> None:
        """Expire item timeout_us from now unless it is done by then."""
        deadline = self.host.engine.now + timeout_us
        queue = self.queues.get(timeout_us)
        if queue is None:
            queue = self.queues[timeout_us] = deque()
        self._seq += 1
        queue.append((deadline, self._seq, item))
        if self._armed_at < 0 or deadline < self._armed_at:
            self._arm(deadline)

    def clear(self) -> None:
        self.queues.clear()
        self._armed_at = -1

    def _arm(self, deadline: int) -> None:
        self._armed_at = deadline
        self.host.timer(max(deadline - self.host.engine.now, 0), self._fire, deadline)

    def _fire(self, armed_at: int) -> None:
        if armed_at != self._armed_at:
            return
        self._armed_at = -1
        now = self.host.engine.now
        due = []
        for queue in self.queues.values():
            while queue and (queue[0][2].done or queue[0][0] <= now):
                entry = queue.popleft()
                if not entry[2].done:
                    due.append(entry)
        due.sort(key=lambda entry: entry[:2])
        for _deadline, _seq, item in due:
            if not item.done:
                self.on_expire(item)
        heads = [queue[0][0] for queue in self.queues.values() if queue]
        if heads and (self._armed_at < 0 or min(heads) < self._armed_at):
            self._arm(min(heads))
