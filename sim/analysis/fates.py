"""Per-record facts at the end of a run, as arrays per (producer, partition).

A record's fate is acked, failed, failed_at_send (its send failed before it joined a
batch: SendFailed), aborted or indeterminate (no callback by the end), from the producer's
per-batch callbacks. A transactional producer's record is acked when its transaction's
commit returned (TxnEnded COMMIT, at that time), not on its produce response; aborted
when its transaction was aborted (TxnEnded ABORT), whatever its batch's callback said;
failed when its producer hit a fatal error inside the transaction (TxnEnded FATAL); and
indeterminate while its transaction was not ended (its producer crashed, or the run ended).
Its presence is the number of copies in the final committed log that a read_committed
consumer reads (a transactional record's only in a transaction committed there:
transactions.readable) and the offset of the first. A transactional record with no such copy
is `committing` when it is in a transaction still open in the final committed log whose
COMMIT marker the partition is owed (the coordinator decided and answered, the marker is
not yet below the high watermark: audit.owed_markers): not readable yet, and not lost.
Its last removal is the latest event that dropped a replica's copy of it (truncation or
power loss), with that event's cause. A record some replica removed by retention or
compaction (RecordsExpired) is marked with that cause and the offset it had; absent at the
end, it is expired, not lost. Built from ranges with numpy: one slice per batch, never a
Python step per record.
"""

from dataclasses import dataclass

import numpy as np

from sim.analysis.transactions import committing, readable
from sim.core.records import (
    ABORT,
    COMMIT,
    FATAL,
    BatchAcked,
    BatchFailed,
    CopiesRemoved,
    RecordsExpired,
    SendFailed,
    TxnEnded,
)

INDETERMINATE, ACKED, FAILED, FAILED_AT_SEND, ABORTED = 0, 1, 2, 3, 4
TXN_FATES = {COMMIT: ACKED, ABORT: ABORTED, FATAL: FAILED}   # TxnEnded results
EXPIRED_BY = {"retention": 1, "compaction": 2}     # Stream.expired codes (0: never removed)


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
    expired: np.ndarray             # EXPIRED_BY code of a retention or compaction removal, or 0
    expired_offset: np.ndarray      # the offset the record had when so removed, -1: never
    expired_us: np.ndarray          # when the first replica so removed it
    failed_us: np.ndarray           # when the error callback (or the abort) came, -1: never
    committing: np.ndarray          # in an open transaction whose COMMIT marker is owed
    offline: bool = False

    @property
    def n(self) -> int:
        return len(self.send_us)

    def lost(self) -> np.ndarray:
        """Acked, no copy in the final committed log, not removed by retention or compaction,
        not committing, in a partition with a leader at the end."""
        if self.offline:
            return np.zeros(self.n, bool)
        return (self.fate == ACKED) & (self.copies == 0) & (self.expired == 0) \
            & ~self.committing

    def committing_at_end(self) -> np.ndarray:
        """Acked, no readable copy yet, in a transaction committing at the end, in a partition
        with a leader at the end."""
        if self.offline:
            return np.zeros(self.n, bool)
        return (self.fate == ACKED) & (self.copies == 0) & self.committing


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
                np.zeros(n, np.int32), np.full(n, -1, np.int64), np.full(n, -1, np.int32),
                np.zeros(n, np.int8), np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                np.full(n, -1, np.int64), np.zeros(n, bool))
    transactional = {p.name for p in world.producers if p.txn is not None}
    _fill_fates(streams, world.trace, transactional)
    _fill_presence(streams, world, audits)
    _fill_expired(streams, world.trace)
    return streams


def _fill_committing(streams, names, a) -> None:
    for b in committing(a.committed, a.owed):
        s = streams.get((names[b.producer], a.topic, a.partition)) if b.producer >= 0 else None
        if s is not None:
            s.committing[b.first_seq:b.first_seq + b.count] = True


def _fill_expired(streams, trace) -> None:
    """Mark removals by retention, then compaction; the first replica's removal wins."""
    rows = trace.rows(RecordsExpired)
    for cause, code in EXPIRED_BY.items():
        mine = [r for r in reversed(rows) if r.cause == cause]
        grouped = _grouped(mine, _stream_key, ("first_seq", "count", "base_offset", "t_us"))
        for key, (first, count, base, t_us) in grouped.items():
            s = streams.get(key)
            if s is not None:
                seqs = _ranges(first, count)
                s.expired[seqs] = code
                s.expired_offset[seqs] = _ranges(base, count)
                s.expired_us[seqs] = np.repeat(t_us, count)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The ranges [start, start + count) laid end to end."""
    shifts = starts - np.cumsum(counts) + counts
    return np.repeat(shifts, counts) + np.arange(int(counts.sum()))


def _grouped(rows, key, fields) -> dict:
    """Rows grouped by key(row), each group as one int64 array per field."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return {k: [np.fromiter((getattr(r, f) for r in group), np.int64, len(group))
                for f in fields] for k, group in groups.items()}


def _stream_key(row):
    return row.producer, row.topic, row.partition


def _fill_fates(streams, trace, transactional) -> None:
    acked = _grouped(trace.rows(BatchAcked), _stream_key,
                     ("first_seq", "count", "t_us", "base_offset"))
    for key, (first, count, t_us, base) in acked.items():
        s = streams[key]
        known = base >= 0
        s.ack_offset[_ranges(first[known], count[known])] = _ranges(base[known], count[known])
        if key[0] not in transactional:
            seqs = _ranges(first, count)
            s.fate[seqs] = ACKED
            s.ack_us[seqs] = np.repeat(t_us, count)
    for kind, fate in ((BatchFailed, FAILED), (SendFailed, FAILED_AT_SEND)):
        failed = _grouped(trace.rows(kind), _stream_key, ("first_seq", "count", "t_us"))
        for key, (first, count, t_us) in failed.items():
            seqs = _ranges(first, count)
            streams[key].fate[seqs] = fate
            streams[key].failed_us[seqs] = np.repeat(t_us, count)
    if transactional:
        _fill_transactions(streams, trace)


def _fill_transactions(streams, trace) -> None:
    """Each ended transaction decides its records' fates (TxnEnded), by its result."""
    for result, fate in TXN_FATES.items():
        rows = [r for r in trace.rows(TxnEnded) if r.result == result]
        for key, (first, count, t_us) in _grouped(rows, _stream_key,
                                                  ("first_seq", "count", "t_us")).items():
            s = streams[key]
            seqs, times = _ranges(first, count), np.repeat(t_us, count)
            s.fate[seqs] = fate
            if fate == ACKED:
                s.ack_us[seqs] = times
            else:
                s.failed_us[seqs] = times


def _fill_presence(streams, world, audits) -> None:
    names = world.producer_names
    for a in audits:
        if a.leader < 0:
            for s in streams.values():
                if s.topic == a.topic and s.partition == a.partition:
                    s.offline = True
        mine = [b for b in readable(a.committed) if b.producer >= 0]
        copies = _grouped(mine, lambda b: b.producer, ("first_seq", "count", "base_offset"))
        for producer, (first, count, base) in copies.items():
            s = streams.get((names[producer], a.topic, a.partition))
            if s is None:
                continue
            seqs, offsets = _ranges(first, count), _ranges(base, count)
            s.copies += np.bincount(seqs, minlength=s.n).astype(s.copies.dtype)
            if len(seqs) < 2 or (seqs[1:] > seqs[:-1]).all():    # one copy each, in order
                unique, at = seqs, np.arange(len(seqs))
            else:
                unique, at = np.unique(seqs, return_index=True)   # first copy in log order
            take = s.first_offset[unique] == -1
            s.first_offset[unique[take]] = offsets[at[take]]
        _fill_committing(streams, names, a)
    for i, row in enumerate(world.trace.rows(CopiesRemoved)):
        s = streams.get((row.producer, row.topic, row.partition))
        if s is not None:
            s.removed_by[row.first_seq:row.first_seq + row.count] = i
