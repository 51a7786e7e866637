"""Consume-transform-produce: output records produced more than once for one input record
(docs/summary.md#transactions: `eos_duplicates`).

Each output record carries the identity of its input record (OutputSources: input
partition, producer and sequence). An output record counts when a read_committed consumer
of the output topic reads it in the final committed log: the record's copies there, which
for a transactional producer are only those in a committed transaction (fates.py counts
copies that way: transactions.readable). Per group, the count of such copies minus the
number of distinct inputs they come from. numpy per stream, no step per record.
"""

import numpy as np

from sim.core.records import OutputSources


def eos_duplicates(world, streams) -> int:
    """Output records beyond the first for one input record, summed over groups."""
    rows = world.trace.rows(OutputSources)
    if not rows:
        return 0
    groups = {c.output.name: c.group for c in world.consumers if c.output is not None}
    sources = _sources(rows, streams)
    by_group: dict = {}
    for key, src in sources.items():
        s = streams[key]
        copies = s.copies.astype(np.int64)
        known = src[:, 0] >= 0
        by_group.setdefault(groups[key[0]], []).append((src[known], copies[known]))
    total = 0
    for parts in by_group.values():
        ids = np.concatenate([p[0] for p in parts])
        weights = np.concatenate([p[1] for p in parts])
        read = weights > 0
        total += int(weights.sum()) - len(np.unique(ids[read], axis=0))
    return total


def _sources(rows, streams) -> dict:
    """(producer, topic, partition) -> the input identity of each sequence (-1 rows: none)."""
    out: dict = {}
    for r in rows:
        key = (r.producer, r.topic, r.partition)
        src = out.get(key)
        if src is None:
            src = out[key] = np.full((streams[key].n, 3), -1, np.int64)
        src[r.first_seq:r.first_seq + r.count] = np.frombuffer(r.sources, np.int64).reshape(-1, 3)
    return out

