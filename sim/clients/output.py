"""A consumer group member's output producer (consume-transform-produce, KIP-447).

With `output:` each member process has one KafkaProducer of its own (named
`<member>.out`; it crashes, pauses, stops and restarts with the member, whose host name the
timeline targets). Each record the member finishes processing becomes one output record
with the input's key: keyed records go where the keyed partitioner puts that key in the
output topic, keyless ones to the partition with the input's number modulo the output
topic's count. The records of a processing step are handed when the step ends, each with
its own finish time as its send time (a step is one timed event, processing.py).
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
    """What the output producer's application hands over: pushed as processing finishes,
    never drawn ahead (rate 0: no record is known to come until one is pushed)."""

    def __init__(self) -> None:
        self.key_parts = _EMPTY
        self.rate = 0.0
        self.drawn_until = 0
        self.times = self.keys = self.sizes = self.parts = _EMPTY

    def push(self, times, keys, sizes, parts) -> None:
        """Records the member finished processing (times oldest first, at most now)."""
        self.times = np.concatenate((self.times, times))
        self.keys = np.concatenate((self.keys, keys))
        self.sizes = np.concatenate((self.sizes, sizes))
        self.parts = np.concatenate((self.parts, parts))
        self.drawn_until = min(self.drawn_until, int(times[0]))

    def ensure(self, horizon_us: int) -> None:
        self.drawn_until = max(self.drawn_until, horizon_us)

    def take(self, now: int):
        """Remove and return (times, keys, sizes, partitions) of the records pushed by now."""
        n = int(np.searchsorted(self.times, now, side="right"))
        out = self.times[:n], self.keys[:n], self.sizes[:n], self.parts[:n]
        self.times, self.keys = self.times[n:], self.keys[n:]
        self.sizes, self.parts = self.sizes[n:], self.parts[n:]
        return out

    def set_rate(self, rate: float, now: int) -> None:
        """A pause or a crash: nothing comes after now until the member pushes again."""
        self.discard_after(now)

    def discard_after(self, now: int) -> None:
        keep = int(np.searchsorted(self.times, now, side="right"))
        self.times, self.keys = self.times[:keep], self.keys[:keep]
        self.sizes, self.parts = self.sizes[:keep], self.parts[:keep]

    def forget_pending(self, now: int) -> None:
        """Nothing is drawn ahead, so nothing pending to forget."""


class OutputProducer(Producer):
    """The KafkaProducer of one consumer member, fed by its processing."""

    def __init__(self, member, index: int, ctx, spec, key_offsets: dict) -> None:
        """`spec`: the producer spec the member's output makes (outputs.member_output);
        `key_offsets`: input producer index -> the index of its first key among spec's."""
        source = OutputSource()
        super().__init__(spec, index, ctx, source=source)
        source.key_parts = key_table(self.key_names, self.created)[0]
        self.member = member
        self.key_offsets = key_offsets
        self.queues: list[list[np.ndarray]] = [[] for _ in self.pidxs]
        if self.txn is not None:
            member.eos = EosLoop(member, self.txn)
            self.txn.drive(member.eos, member.group,
                           ctx.protocol["txn.offset.commit.fencing"] == "kip-447")

    # -- the member's records ----------------------------------------------------------

    def hand(self, seg, start: int, count: int, finished: np.ndarray) -> None:
        """Records [start, start + count) of a fetched segment finished processing at
        `finished`: one output record each."""
        if self.state != "running" or self.closing:
            return
        triples, keys, at = _inputs(self.member.ctx.contents, seg, start, count)
        times = finished[at]
        order = np.argsort(times, kind="stable")
        times, keys, triples = times[order], keys[order], triples[order]
        out_keys = keys.copy()
        keyed = keys >= 0
        if keyed.any():
            shift = np.array([self.key_offsets.get(int(p), 0) for p in triples[keyed, 1]],
                             np.int64)
            out_keys[keyed] = keys[keyed] + shift
        info = self.member.topology.partitions[seg.pidx]
        parts = np.full(len(times), info.partition % self.created, np.int64)
        sizes = np.full(len(times), self.value_size + RECORD_OVERHEAD, np.int64)
        if keyed.any():
            parts[keyed] = self.arrivals.key_parts[out_keys[keyed]]
            sizes[keyed] += self.key_sizes[out_keys[keyed]]
        for pos in np.unique(parts).tolist():
            self.queues[pos].append(triples[parts == pos])
        self.arrivals.push(times, out_keys, sizes, parts)
        self.acc.repredict(self.engine.now)
        self.wake()

    def _hand(self, now: int, pos: int, first: int, count: int) -> None:
        super()._hand(now, pos, first, count)
        sources = self._pop(pos, count)
        self.trace.emit(OutputSources(now, self.name, self.topic, pos, first, count,
                                      sources.tobytes()))

    def _pop(self, pos: int, count: int) -> np.ndarray:
        """The identities of the next `count` records of the position's lane."""
        queue, taken, need = self.queues[pos], [], count
        while need:
            head = queue[0]
            taken.append(head[:need])
            if len(head) <= need:
                queue.pop(0)
            else:
                queue[0] = head[need:]
            need -= len(taken[-1])
        return np.concatenate(taken) if len(taken) > 1 else taken[0]

    def _send_failed(self, now: int) -> None:
        self._pop(self.acc.pool.blocked_lane, 1)
        super()._send_failed(now)

    # -- lifecycle: the member's --------------------------------------------------------

    def stop_generating(self) -> None:
        """The workload's end does not end the member's processing: outputs go on."""

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
        self.queues = [[] for _ in self.pidxs]


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
