"""Causal steps: one workload event becomes a record per step, all with the event's key.

`steps: [{topic: payments, event: payment_created}, {topic: payments, event:
payment_paid, after: 50ms}]` draws events (times and keys) once, from the
producer's stream; step j sends its record `after` (summed over the steps
so far) after the event, to its own topic, partitioned by the same key. Each
step is sent by a producer client of its own named `<producer>.<event>`;
the timeline's `<producer>` acts on all of them. Rate changes apply in event
time: an event made before a change still gets all its steps.

Simplified: a real application would send every step through one
KafkaProducer (one producer id, shared connections and requests); here each
step has its own client. A crash or pause drops the steps still pending at
that instant, as the process that would have sent them is gone or frozen.
"""

import numpy as np

from sim.clients.arrivals import RECORD_OVERHEAD, Arrivals


class Events:
    """The events of one steps workload, drawn once and read by every step."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals
        self.times = np.empty(0, dtype=np.int64)
        self.keys = np.empty(0, dtype=np.int64)
        self.restarted_at = None

    @property
    def drawn_until(self) -> int:
        return self.arrivals.drawn_until

    def ensure(self, horizon_us: int) -> None:
        if horizon_us > self.arrivals.drawn_until:
            self.arrivals.ensure(horizon_us)
            times, keys, _sizes, _parts = self.arrivals.take(self.arrivals.drawn_until - 1)
            self.times = np.concatenate((self.times, times))
            self.keys = np.concatenate((self.keys, keys))

    def set_rate(self, rate: float, now: int) -> None:
        """Once per change, whichever step asks first: events after now are redrawn."""
        if self.restarted_at == (now, rate):
            return
        self.restarted_at = (now, rate)
        keep = int(np.searchsorted(self.times, now, side="right"))
        self.times, self.keys = self.times[:keep], self.keys[:keep]
        self.arrivals.set_rate(rate, now)


class StepArrivals:
    """What one step's producer sees: the events shifted by its delay, keyed for its topic."""

    def __init__(self, events: Events, offset_us: int, key_parts, key_sizes,
                 value_size: int) -> None:
        self.events = events
        self.offset_us = offset_us
        self.key_parts, self.key_sizes = key_parts, key_sizes
        self.value_size = value_size
        self.next_index = 0                # the next event not yet taken
        self.rate = events.arrivals.rate
        self.drawn_until = 0               # this step's records before it are known

    def ensure(self, horizon_us: int) -> None:
        if horizon_us > self.drawn_until:
            self.events.ensure(horizon_us - self.offset_us)
            self.drawn_until = self.events.drawn_until + self.offset_us

    def take(self, now: int):
        """The records of events whose step time is at most now, not yet taken."""
        self.ensure(now + 1)
        times = self.events.times
        lo = self.next_index
        hi = max(int(np.searchsorted(times, now - self.offset_us, side="right")), lo)
        keys = self.events.keys[lo:hi]
        self.next_index = hi
        if not self.key_sizes.size:
            sizes = np.full(hi - lo, self.value_size + RECORD_OVERHEAD, dtype=np.int64)
            return times[lo:hi] + self.offset_us, keys, sizes, keys
        sizes = self.key_sizes[keys] + (self.value_size + RECORD_OVERHEAD)
        return times[lo:hi] + self.offset_us, keys, sizes, self.key_parts[keys]

    def forget_pending(self, now: int) -> None:
        """The process died at now: the steps of events made by then will never be sent."""
        self.ensure(now + 1)
        times = self.events.times
        self.next_index = max(self.next_index, int(np.searchsorted(times, now, side="right")))

    def set_rate(self, rate: float, now: int) -> None:
        """Events after now are redrawn at the new rate (this step's records after now +
        its delay were discarded by the lanes)."""
        self.rate = rate
        self.events.set_rate(rate, now)
        self.drawn_until = min(self.drawn_until, now + self.offset_us)
        self.next_index = min(self.next_index, len(self.events.times))
