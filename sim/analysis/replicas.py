"""Replica agreement at the end of a run, and offsets seen holding different records.

A record's identity is (producer index, sequence); a transaction marker's is its producer
id and result, so replicas holding different markers, or a marker and a record, at an
offset disagree there. `replica_divergence`
counts offsets in [highest log start, lowest LEO) of a partition's live
replicas at which two replicas hold different records (a gap compaction
left on one replica is no disagreement: replicas compact independently).
`inconsistent_offsets` counts offsets observed holding different records.
Every record a consumer fetch returned is an observation of its offset
(`FetchBook` watches the RecordsFetched probes during the run), and so is a
producer's acknowledgement (the base offset the leader returned, plus the
record's place in its batch) and the final committed log.
"""

from array import array

import numpy as np

from sim.core.records import ABORT, RecordsFetched

SHIFT = 40
MARKERS = 1 << 61                   # marker identities start here, above any record's


def _arrays(batches):
    if not batches:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    bases = np.fromiter((b.base_offset for b in batches), np.int64, len(batches))
    ends = np.fromiter((b.base_offset + b.count for b in batches), np.int64, len(batches))
    first_ids = np.fromiter(((b.producer << SHIFT) + b.first_seq if b.control is None
                             else marker_identity(b) for b in batches), np.int64, len(batches))
    return bases, ends, first_ids


def marker_identity(b) -> int:
    """A transaction marker's identity: its producer id and result, apart from every
    workload record's (a marker is no workload record, but replicas may disagree on it)."""
    return MARKERS + (b.pid << 1) + (b.control == ABORT)


def identities_at(batches, offsets: np.ndarray) -> np.ndarray:
    """The record identity at each offset, or -1 where the log holds none."""
    return _identities(_arrays(batches), offsets)


def _identities(arrays, offsets: np.ndarray) -> np.ndarray:
    bases, ends, first_ids = arrays
    if not bases.size:
        return np.full(offsets.shape, -1, np.int64)
    i = np.searchsorted(bases, offsets, side="right") - 1
    ok = (i >= 0) & (offsets < ends[np.maximum(i, 0)])
    ids = first_ids[np.maximum(i, 0)] + offsets - bases[np.maximum(i, 0)]
    return np.where(ok, ids, -1)


def replica_divergence(audits) -> int:
    total = 0
    for a in audits:
        logs = list(a.replica_logs.values())
        if len(logs) < 2:
            continue
        lo = max(a.log_starts.values())
        hi = min((log[-1].base_offset + log[-1].count) if log else 0 for log in logs)
        if hi <= lo:
            continue
        if all(log == logs[0] for log in logs[1:]):
            continue
        offsets = np.arange(lo, hi, dtype=np.int64)
        ids = np.stack([identities_at(log, offsets) for log in logs])
        held = ids >= 0
        high = np.where(held, ids, -1).max(axis=0)
        low = np.where(held, ids, np.iinfo(np.int64).max).min(axis=0)
        total += int((held.any(axis=0) & (high != low)).sum())
    return total


def _clashes(final_arrays, observed) -> int:
    """Offsets at which the observations, or an observation and the final log, differ: an
    offset the final log holds clashes if any observation there names another record; the
    rest (offsets no longer in the final log) clash if two observations there differ."""
    wrong, gone_offsets, gone_ids = [], [], []
    for offsets, ids in observed:
        final = _identities(final_arrays, offsets)
        has = final >= 0
        wrong.append(offsets[has & (final != ids)])
        gone_offsets.append(offsets[~has])
        gone_ids.append(ids[~has])
    offsets, ids = np.concatenate(gone_offsets), np.concatenate(gone_ids)
    order = np.lexsort((ids, offsets))
    offsets, ids = offsets[order], ids[order]
    clash = (offsets[1:] == offsets[:-1]) & (ids[1:] != ids[:-1])
    return int(np.unique(np.concatenate(wrong)).size + np.unique(offsets[1:][clash]).size)


class FetchBook:
    """Every (base offset, count, first record) a consumer fetch returned, per partition, as
    flat triples (24 bytes a fetched batch; repeated fetches are merged at the end)."""

    def __init__(self) -> None:
        self.batches: dict[tuple[str, int], array] = {}

    def watch(self, trace) -> None:
        trace.subscribe(RecordsFetched, self.add)

    def add(self, r: RecordsFetched) -> None:
        book = self.batches.get((r.topic, r.partition))
        if book is None:
            book = self.batches[(r.topic, r.partition)] = array("q")
        for b in r.batches:
            if b.producer >= 0:
                book.extend((b.base_offset, b.count, (b.producer << SHIFT) + b.first_seq))

    def observations(self) -> dict:
        """(topic, partition) -> (offsets, record identities) of every fetched record, each
        distinct batch once, by offset."""
        out = {}
        for key, book in self.batches.items():
            rows = np.unique(np.frombuffer(book, np.int64).reshape(-1, 3), axis=0)
            bases, counts, first_ids = rows.T
            step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            out[key] = (np.repeat(bases, counts) + step, np.repeat(first_ids, counts) + step)
        return out


def inconsistent_offsets(streams, audits, names, fetched: dict) -> int:
    """Offsets of the audited partitions observed holding two different records: by a
    producer's acknowledgement, a consumer's fetch (`fetched`, from FetchBook) or the final
    committed log."""
    index = {name: i for i, name in enumerate(names)}
    by_partition: dict = {key: [obs] for key, obs in fetched.items()}
    for s in streams.values():
        seen = s.ack_offset >= 0
        if seen.any():
            seqs = np.flatnonzero(seen)
            ids = (index[s.producer] << SHIFT) + seqs
            by_partition.setdefault((s.topic, s.partition), []).append((s.ack_offset[seen], ids))
    total = 0
    for a in audits:
        observed = by_partition.get((a.topic, a.partition))
        if observed:
            total += _clashes(_arrays(a.committed), observed)
    return total
