"""A consumer group member's output producer (consume-transform-produce, KIP-447).

With `output:` each member process has one KafkaProducer of its own (named
`<member>.out`; it crashes, pauses, stops and restarts with the member, whose host name the
timeline targets). Each record the member finishes processing becomes one output record
with the input's key: keyed records go where the keyed partitioner puts that key in the
output topic, keyless ones to the partition with the input's number modulo the output
topic's count. Each is handed when its record's processing finishes: the member schedules
a step's outputs when the step starts (processing.py knows every finish time), a redrawn
step hands its unfinished ones at their new times, a pause holds them until the resume, a
crash drops those not handed yet.
Each handed chunk is traced with the identity of its input records (OutputSources), so the
analysis counts output records produced more than once for one input (`eos_duplicates`).

With `transactional: true` the producer's transactional.id is the member's name
(`<group>-<i>`, kept across restarts, so a restarted member fences its previous
incarnation) and the member drives its transactions (transactions.py `drive`).

Left out: the output value's content (its size is the input producers' largest
value_size); an output topic whose partition count grows during the run keeps keyless
records on the partitions known at the start.
"""

import numpy as np

from sim.clients.arrivals import RECORD_OVERHEAD
from sim.clients.eos_loop import EosLoop
from sim.clients.partitioner import key_table
from sim.clients.producer import Producer
from sim.core.records import OutputSources

_EMPTY = np.empty(0, dtype=np.int64)


class OutputSource:
    """What the output producer's application hands over: pushed as the member schedules its
    processing, each record at the time its processing finishes. Nothing is known beyond
    what was pushed: the lanes take every pushed record at once (as drawn ahead), and then
    the source is stopped until the member pushes more (a push is like a rate change: the
    producer predicts again)."""

    def __init__(self) -> None:
        self.key_parts = _EMPTY
        self.drawn_until = 0
        self.times = self.keys = self.sizes = self.parts = _EMPTY

    @property
    def rate(self) -> float:
        """Non-zero while pushed records wait to be taken (Lanes.stopped reads it)."""
        return 1.0 if len(self.times) else 0.0

    def push(self, times, keys, sizes, parts) -> None:
        """Records of a processing step (times oldest first, none before an earlier push's)."""
        self.times = np.concatenate((self.times, times))
        self.keys = np.concatenate((self.keys, keys))
        self.sizes = np.concatenate((self.sizes, sizes))
        self.parts = np.concatenate((self.parts, parts))
        self.drawn_until = min(self.drawn_until, int(times[0]))

    def ensure(self, horizon_us: int) -> None:
        """Every record pushed is known: the lanes take them all, whatever the horizon."""
        last = int(self.times[-1]) + 1 if len(self.times) else 0
        self.drawn_until = max(self.drawn_until, horizon_us, last)

    def take(self, now: int):
        """Remove and return (times, keys, sizes, partitions) of the records due by now."""
        n = int(np.searchsorted(self.times, now, side="right"))
        out = self.times[:n], self.keys[:n], self.sizes[:n], self.parts[:n]
        self.times, self.keys = self.times[n:], self.keys[n:]
        self.sizes, self.parts = self.sizes[n:], self.parts[n:]
        return out

    def set_rate(self, rate: float, now: int) -> None:
        """A pause, a crash or a redrawn step: the records after now are not handed."""
        self.discard_after(now)

    def discard_after(self, now: int) -> None:
        keep = int(np.searchsorted(self.times, now, side="right"))
        self.times, self.keys = self.times[:keep], self.keys[:keep]
        self.sizes, self.parts = self.sizes[:keep], self.parts[:keep]

    def forget_pending(self, now: int) -> None:
        """Nothing is drawn ahead, so nothing pending to forget."""


class Sources:
    """The input identities of the output records not yet handed, per partition position,
    in lane order, with their times (so the tail a pause or a redraw drops goes too)."""

    def __init__(self, positions: int) -> None:
        self.queues: list[list[tuple]] = [[] for _ in range(positions)]

    def add(self, pos: int, times: np.ndarray, triples: np.ndarray) -> None:
        self.queues[pos].append((times, triples))

    def pop(self, pos: int, count: int) -> np.ndarray:
        """The identities of the next `count` records of the position."""
        queue, taken = self.queues[pos], []
        while count:
            times, triples = queue[0]
            taken.append(triples[:count])
            if len(triples) <= count:
                queue.pop(0)
            else:
                queue[0] = (times[count:], triples[count:])
            count -= len(taken[-1])
        return taken[0] if len(taken) == 1 else np.concatenate(taken)

    def drop_after(self, now: int) -> None:
        for queue in self.queues:
            while queue and queue[-1][0][0] > now:
                queue.pop()
            if queue:
                times, triples = queue[-1]
                keep = int(np.searchsorted(times, now, side="right"))
                queue[-1] = (times[:keep], triples[:keep])

    def clear(self) -> None:
        self.queues = [[] for _ in self.queues]


class OutputProducer(Producer):
    """The KafkaProducer of one consumer member, fed by its processing."""

    def __init__(self, member, index: int, ctx, spec, key_offsets: dict) -> None:
        """`spec`: the producer spec the member's output makes (outputs.member_output);
        `key_offsets`: input producer index -> the index of its first key among spec's."""
        source = OutputSource()
        super().__init__(spec, index, ctx, source=source)
        source.key_parts = key_table(self.key_names, self.created)[0]
        self.member = member
        self.key_shift = _shift_table(key_offsets)
        self.sources = Sources(len(self.pidxs))
        self.scheduled: list = []       # the step's pushes: (times, keys, sizes, parts, ids)
        self.paused_at = -1
        if self.txn is not None:
            member.eos = EosLoop(member, self.txn)
            self.txn.drive(member.eos, member.group,
                           ctx.protocol["txn.offset.commit.fencing"] == "kip-447")

    # -- the member's records ----------------------------------------------------------

    def schedule(self, runs: list, since: int) -> None:
        """A processing step: `runs` holds (segment, first offset, finish times) for its
        records; each becomes one output record, handed when its processing finishes (those
        finishing after `since`)."""
        if self.down or self.closing:
            return
        contents = self.member.ctx.contents
        parts = [self._outputs(seg, start, finished, contents) for seg, start, finished in runs]
        times, keys, sizes, pos, triples = (np.concatenate([p[i] for p in parts])
                                            for i in range(5))
        later = np.flatnonzero(times > since)
        order = later[np.argsort(times[later], kind="stable")]
        push = (times[order], keys[order], sizes[order], pos[order], triples[order])
        if len(order):
            self.scheduled.append(push)
            self._push(*push)

    def new_step(self) -> None:
        """The member starts a processing step: the last step's records are all handed."""
        self.scheduled = []

    def _outputs(self, seg, start: int, finished: np.ndarray, contents) -> tuple:
        """(times, keys, sizes, partition positions, input identities) of the outputs of
        records [start, start + len(finished)) of a segment."""
        triples, keys, at = _inputs(contents, seg, start, len(finished))
        times = finished[at]
        out_keys = keys.copy()
        keyed = keys >= 0
        info = self.member.topology.partitions[seg.pidx]
        parts = np.full(len(times), info.partition % self.created, np.int64)
        sizes = np.full(len(times), self.value_size + RECORD_OVERHEAD, np.int64)
        if keyed.any():
            producers = triples[keyed, 1]
            table = self.key_shift
            known = (producers >= 0) & (producers < len(table))
            shift = np.where(known, table[np.clip(producers, 0, len(table) - 1)], 0)
            out_keys[keyed] = keys[keyed] + shift
            parts[keyed] = self.arrivals.key_parts[out_keys[keyed]]
            sizes[keyed] += self.key_sizes[out_keys[keyed]]
        return times, out_keys, sizes, parts, triples

    def _push(self, times, keys, sizes, parts, triples) -> None:
        for pos in np.unique(parts).tolist():
            mine = parts == pos
            self.sources.add(pos, times[mine], triples[mine])
        self.arrivals.push(times, keys, sizes, parts)
        self.acc.repredict(self.engine.now)
        self.wake()

    def retract(self, now: int) -> None:
        """The step was redrawn: its records not finished by now are handed later."""
        self.lanes.set_rate(0.0, now)
        self.sources.drop_after(now)
        self.scheduled = [_after(push, -1, now) for push in self.scheduled]

    def _hand(self, now: int, pos: int, first: int, count: int) -> None:
        super()._hand(now, pos, first, count)
        ids = self.sources.pop(pos, count)
        self.trace.emit(OutputSources(now, self.name, self.topic, pos, first, count,
                                      ids.tobytes()))

    def _send_failed(self, now: int) -> None:
        self.sources.pop(self.acc.pool.blocked_lane, 1)
        super()._send_failed(now)

    # -- lifecycle: the member's --------------------------------------------------------

    def stop_generating(self) -> None:
        """The workload's end does not end the member's processing: outputs go on."""

    def pause(self) -> None:
        """The member's process froze: what it would hand after now waits for the resume."""
        if self.state == "running":
            self.paused_at = self.engine.now
        super().pause()
        self.sources.drop_after(self.engine.now)

    def resume(self) -> None:
        """The member runs again: the records of its step that finished while it was frozen
        (processing.py lets the step's timer fire at the resume) are handed now."""
        was_paused = self.state == "paused"
        super().resume()
        if was_paused and self.paused_at >= 0:
            for push in self.scheduled:
                later = _after(push, self.paused_at, None)
                if len(later[0]):
                    self._push(*later)
        self.paused_at = -1

    def crash(self, state: str = "crashed") -> None:
        """The member's process died: outputs not yet handed die with it."""
        super().crash(state)
        self._forget()

    def close_after_fatal(self) -> None:
        super().close_after_fatal()
        self._forget()

    def _forget(self) -> None:
        self.lanes.drop_waiting()
        self.arrivals.discard_after(-1)
        self.sources.clear()
        self.scheduled = []


def _after(push: tuple, since: int, until) -> tuple:
    """The rows of a push with a time after `since` (and at most `until`, if given)."""
    times = push[0]
    keep = times > since
    if until is not None:
        keep &= times <= until
    return tuple(column[keep] for column in push)


def _inputs(contents, seg, start: int, count: int):
    """Identity triples (partition index, producer index, sequence), key indexes and the
    positions in [start, start + count) of the records of a segment's batches there."""
    triples, keys, at = [], [], []
    for b in seg.batches:
        lo, hi = max(start, b.base_offset), min(start + count, b.base_offset + b.count)
        if lo >= hi:
            continue
        n = hi - lo
        if b.producer >= 0:
            book, pidxs = contents.book(b.producer)
            seq = b.first_seq + lo - b.base_offset
            keys.append(book.key_range(pidxs.index(seg.pidx), seq, n))
            ident = np.column_stack((np.full(n, seg.pidx), np.full(n, b.producer),
                                     np.arange(seq, seq + n)))
        else:
            keys.append(np.full(n, -1, np.int64))
            ident = np.column_stack((np.full(n, seg.pidx), np.full(n, -1), np.arange(lo, hi)))
        triples.append(ident.astype(np.int64))
        at.append(np.arange(lo - start, hi - start))
    return np.concatenate(triples), np.concatenate(keys), np.concatenate(at)


def _shift_table(key_offsets: dict) -> np.ndarray:
    """key_offsets as an array indexed by input producer index (0 for one not in it)."""
    table = np.zeros(max(key_offsets, default=0) + 1, np.int64)
    for producer, offset in key_offsets.items():
        table[producer] = offset
    return table
