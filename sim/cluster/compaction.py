"""Log compaction: keep the latest record of each key (Kafka design §4.8, LogCleaner).

A pass cleans a prefix of the log (closed segments below the high
watermark, cleaner.py decides which). Within it a record survives if it is
the latest of its key there; keyless records and the coordinator's own
records always survive. A tombstone (null value) that is the latest of its
key survives until its delete horizon: `delete.retention.ms` after the pass
that first cleaned it (KIP-534). Offsets never change: a batch whose records
all survive stays as it is; otherwise it becomes one batch descriptor per
run of surviving records (same producer, sequences and leader epoch; size
pro rata), and the removed records leave gaps. Vectorized over the records
of the prefix; a Python step per batch and per run, never per record.
"""

import numpy as np

from sim.cluster.log import BATCH_HEADER, Batch


def _runs(mask: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of each run of True in mask that stays within one batch."""
    edge = np.r_[True, (mask[1:] != mask[:-1]) | (which[1:] != which[:-1])]
    starts = np.flatnonzero(edge)
    ends = np.r_[starts[1:], len(mask)]
    chosen = mask[starts]
    return starts[chosen], ends[chosen]


def part(b: Batch, rel: int, count: int) -> Batch:
    """Records [rel, rel + count) of batch b as a batch of their own."""
    return b._replace(base_offset=b.base_offset + rel, count=count, first_seq=b.first_seq + rel,
                      base_sequence=b.base_sequence + rel if b.base_sequence >= 0 else -1,
                      size=BATCH_HEADER + (b.size - BATCH_HEADER) * count // b.count)


def survivors(keys: np.ndarray, tombstones: np.ndarray, expired: np.ndarray) -> np.ndarray:
    """Which records survive: the latest of each key (keyless ones too), minus expired
    tombstones. keys are in offset order, -1 for keyless records."""
    keep = keys < 0
    keyed = np.flatnonzero(~keep)
    if keyed.size:
        _, from_end = np.unique(keys[keyed][::-1], return_index=True)
        keep[keyed[keyed.size - 1 - from_end]] = True
    return keep & ~(tombstones & expired)


def compact(batches, facts, expired_at):
    """Clean batches; return (new batches, removed runs as (batch, first index, count)).

    facts(batch) gives the key ids and tombstone flags of a workload batch's
    records; expired_at(offsets) says which offsets' delete horizons have passed.
    """
    keyed = [b for b in batches if b.producer >= 0]
    if not keyed:
        return batches, []
    counts = np.fromiter((b.count for b in keyed), np.int64, len(keyed))
    bases = np.fromiter((b.base_offset for b in keyed), np.int64, len(keyed))
    cum = np.r_[0, np.cumsum(counts)]
    offsets = np.repeat(bases - cum[:-1], counts) + np.arange(int(cum[-1]))
    keys, tombs = zip(*(facts(b) for b in keyed), strict=True)
    keep = survivors(np.concatenate(keys), np.concatenate(tombs), expired_at(offsets))
    if keep.all():
        return batches, []
    which = np.repeat(np.arange(len(keyed)), counts)
    kept = np.add.reduceat(keep, cum[:-1])
    runs = _by_batch(*_runs(keep, which), which, cum)
    removed = [(keyed[j], rel, n) for j, pieces in _by_batch(*_runs(~keep, which), which,
                                                             cum).items() for rel, n in pieces]
    out, j = [], 0
    for b in batches:
        if b.producer < 0:
            out.append(b)
            continue
        if kept[j] == b.count:
            out.append(b)
        else:
            out.extend(part(b, rel, n) for rel, n in runs.get(j, ()))
        j += 1
    return out, removed


def _by_batch(starts, ends, which, cum) -> dict:
    runs: dict = {}
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        j = int(which[s])
        runs.setdefault(j, []).append((s - int(cum[j]), e - s))
    return runs
