"""Replica agreement at the end of a run, and offsets seen holding different records.

A record's identity is (producer index, sequence). `replica_divergence`
counts offsets in [highest log start, lowest LEO) of a partition's live
replicas at which two replicas hold different records (a gap compaction
left on one replica is no disagreement: replicas compact independently).
`inconsistent_offsets` counts offsets observed holding different records.
Every record a consumer fetch returned is an observation of its offset
(`FetchBook` watches the RecordsFetched probes during the run), and so is a
producer's acknowledgement (the base offset the leader returned, plus the
record's place in its batch) and the final committed log.
"""

import numpy as np

from sim.core.records import RecordsFetched

SHIFT = 40


def _arrays(batches):
    if not batches:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    bases = np.fromiter((b.base_offset for b in batches), np.int64, len(batches))
    ends = np.fromiter((b.base_offset + b.count for b in batches), np.int64, len(batches))
    first_ids = np.fromiter(((b.producer << SHIFT) + b.first_seq for b in batches), np.int64,
                            len(batches))
    return bases, ends, first_ids


def identities_at(batches, offsets: np.ndarray) -> np.ndarray:
    """The record identity at each offset, or -1 where the log holds none."""
    bases, ends, first_ids = _arrays(batches)
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


class FetchBook:
    """Every distinct (base offset, count, first record) a consumer fetch returned, per
    partition, in the order first seen."""

    def __init__(self) -> None:
        self.batches: dict[tuple[str, int], dict] = {}

    def watch(self, trace) -> None:
        trace.subscribe(RecordsFetched, self.add)

    def add(self, r: RecordsFetched) -> None:
        seen = self.batches.setdefault((r.topic, r.partition), {})
        for b in r.batches:
            if b.producer >= 0:
                seen[(b.base_offset, b.count, (b.producer << SHIFT) + b.first_seq)] = None

    def observations(self) -> dict:
        """(topic, partition) -> (offsets, record identities) of every fetched record."""
        out = {}
        for key, seen in self.batches.items():
            bases, counts, first_ids = np.array(list(seen), np.int64).reshape(-1, 3).T
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
        if not observed:
            continue
        offsets = np.concatenate([o for o, _ in observed])
        ids = np.concatenate([i for _, i in observed])
        final = identities_at(a.committed, offsets)
        has = final >= 0
        if len(offsets) < 2 or (offsets[1:] > offsets[:-1]).all():  # one observation each
            total += int((has & (final != ids)).sum())
            continue
        offsets = np.concatenate((offsets, offsets[has]))
        ids = np.concatenate((ids, final[has]))
        order = np.lexsort((ids, offsets))
        offsets, ids = offsets[order], ids[order]
        clash = (offsets[1:] == offsets[:-1]) & (ids[1:] != ids[:-1])
        total += int(np.unique(offsets[1:][clash]).size)
    return total
