"""Per-record facts at the end of a run, as arrays per (producer, partition).

A record's fate is acked, failed or indeterminate (no callback by the end),
from the producer's per-batch callbacks. Its presence is the number of copies
in the final committed log and the offset of the first. Its last removal is
the latest event that dropped a replica's copy of it (truncation or power
loss), with that event's cause. Built from ranges with numpy: one slice per
batch, never a Python step per record.
"""

from dataclasses import dataclass

import numpy as np

from sim.core.records import BatchAcked, BatchFailed, CopiesRemoved

INDETERMINATE, ACKED, FAILED = 0, 1, 2


@dataclass(slots=True)
class Stream:
    """Every record one producer sent to one partition, indexed by sequence."""
    producer: str
    topic: str
    partition: int
    send_us: np.ndarray
    key: np.ndarray
    fate: np.ndarray
    ack_us: np.ndarray
    ack_offset: np.ndarray
    copies: np.ndarray
    first_offset: np.ndarray
    removed_by: np.ndarray          # index into `removals`, -1: never removed
    offline: bool = False

    @property
    def n(self) -> int:
        return len(self.send_us)


def build_streams(world, audits) -> dict[tuple[str, str, int], Stream]:
    """One Stream per (producer, topic, partition), with fates and presence filled in."""
    streams = {}
    for producer in world.producers:
        for pos in range(len(producer.pidxs)):
            send = producer.book.send_times(pos)
            n = len(send)
            streams[(producer.name, producer.topic, pos)] = Stream(
                producer.name, producer.topic, pos, send, producer.book.keys(pos),
                np.zeros(n, np.int8), np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                np.zeros(n, np.int32), np.full(n, -1, np.int64), np.full(n, -1, np.int32))
    _fill_fates(streams, world.trace)
    _fill_presence(streams, world, audits)
    return streams


def _fill_fates(streams, trace) -> None:
    for row in trace.rows(BatchAcked):
        s = streams[(row.producer, row.topic, row.partition)]
        sl = slice(row.first_seq, row.first_seq + row.count)
        s.fate[sl] = ACKED
        s.ack_us[sl] = row.t_us
        if row.base_offset >= 0:
            s.ack_offset[sl] = np.arange(row.base_offset, row.base_offset + row.count)
    for row in trace.rows(BatchFailed):
        s = streams[(row.producer, row.topic, row.partition)]
        s.fate[row.first_seq:row.first_seq + row.count] = FAILED


def _fill_presence(streams, world, audits) -> None:
    names = world.producer_names
    for a in audits:
        if a.leader < 0:
            for s in streams.values():
                if s.topic == a.topic and s.partition == a.partition:
                    s.offline = True
        for b in a.committed:
            if b.producer < 0:
                continue
            s = streams.get((names[b.producer], a.topic, a.partition))
            if s is None:
                continue
            sl = slice(b.first_seq, b.first_seq + b.count)
            fresh = s.copies[sl] == 0
            offsets = np.arange(b.base_offset, b.base_offset + b.count)
            s.first_offset[sl] = np.where(fresh, offsets, s.first_offset[sl])
            s.copies[sl] += 1
    for i, row in enumerate(world.trace.rows(CopiesRemoved)):
        s = streams.get((row.producer, row.topic, row.partition))
        if s is not None:
            s.removed_by[row.first_seq:row.first_seq + row.count] = i
