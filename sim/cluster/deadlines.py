"""Items that expire at a deadline, checked by one lazy timer per owner.

Used for the produce purgatory and parked fetches: instead of one timer
event per request, one timer is armed at the earliest deadline; when it
fires it expires what is due and re-arms for the next. Items finished early
are skipped when their turn comes (`item.done`).
"""

import heapq


class Deadlines:
    """A heap of (deadline, item) on a host, with one armed timer."""

    def __init__(self, host, on_expire) -> None:
        self.host = host
        self.on_expire = on_expire
        self.heap: list = []
        self._seq = 0
        self._armed_at = -1

    def add(self, deadline: int, item) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (deadline, self._seq, item))
        if self._armed_at < 0 or deadline < self._armed_at:
            self._arm(deadline)

    def clear(self) -> None:
        self.heap.clear()
        self._armed_at = -1

    def _arm(self, deadline: int) -> None:
        self._armed_at = deadline
        self.host.timer(max(deadline - self.host.engine.now, 0), self._fire, deadline)

    def _fire(self, armed_at: int) -> None:
        if armed_at != self._armed_at:
            return
        self._armed_at = -1
        now = self.host.engine.now
        heap = self.heap
        while heap and (heap[0][2].done or heap[0][0] <= now):
            _deadline, _seq, item = heapq.heappop(heap)
            if not item.done:
                self.on_expire(item)
        if heap:
            self._arm(heap[0][0])
