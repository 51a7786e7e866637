"""What consumer groups did with the records: processed, duplicated, skipped, and when.

During the run, `ProcessingBook` observes the trace's ProcessingTimes probes
(the runner registers it) and keeps each processed range as a record
identity range (producer, topic, partition, first sequence, count) with the
completion time of every record in it (one numpy slice per batch). At the
end, per group and per (producer, partition) stream, counts of completed
processings give `processed` (distinct records) and `processed_duplicates`
(extra completions); the first completion gives the end-to-end latency.

A record is skipped by a group when the group's final committed offset (as
the final log of its `__consumer_offsets` partition says) has passed the
record's offset in the final committed log but the group never finished
processing it, unless it dead-lettered it. Its cause is `poison_skip` when
the group gave up on it as poison, `offset_reset` when a position or
committed offset jumped over it (`auto.offset.reset`, an operator's
reset), else `committed_before_processing`. A record retention deleted
(absent from the final log) is skipped when the final committed offset
passed the offset it had and the group never processed it: with cause
`offset_reset` if a reset jumped over it before it was deleted, else
`retention`. A record once below a leader's high watermark (CommitBook,
from the RecordsCommitted probe) that no replica kept and retention did not
remove is skipped with cause `truncated` when the final committed offset
passed the offset it had there and the group never processed it. Records
compaction removed are never skipped (a compacted topic promises only the
latest value per key).

A read_committed group never skips the records of aborted transactions (transactions.py):
it must not process them, and its committed offset passes them.

A causal step order violation (`out_of_order`) is an event whose later step
a group finished processing before the step just before it (or without ever
processing that one), among the steps whose topics the group reads; a
step's record is matched to its event by key and event time (its send time
minus the step's delay).
"""

from array import array
from collections import Counter, defaultdict

import numpy as np

from sim.analysis.fates import EXPIRED_BY
from sim.analysis.transactions import never_delivered, read_committed_groups
from sim.core.records import (
    DeadLettered,
    GroupGeneration,
    GroupStable,
    OffsetsReset,
    PoisonSkipped,
    PositionReset,
    ProcessingTimes,
    RecordsCommitted,
)

NOT_DONE = np.iinfo(np.int64).max


class CommitBook:
    """Every workload batch a leader's high watermark passed, per partition, as flat
    (producer, first sequence, count, base offset) quadruples (32 bytes a batch; a batch
    two leaders committed appears twice): what was ever committed, including what a later
    leader truncated away. Watches only runs with consumer groups."""

    def __init__(self, groups: bool) -> None:
        self.groups = groups
        self.batches: dict[tuple[str, int], array] = defaultdict(lambda: array("q"))

    def watch(self, trace) -> None:
        if self.groups:
            trace.subscribe(RecordsCommitted, self.add)

    def add(self, r: RecordsCommitted) -> None:
        book = self.batches[(r.topic, r.partition)]
        for b in r.batches:
            if b.producer >= 0:
                book.extend((b.producer, b.first_seq, b.count, b.base_offset))

    def committed(self, topic: str, partition: int) -> np.ndarray:
        """The partition's quadruples as rows of an (n, 4) array."""
        return np.frombuffer(self.batches.get((topic, partition), array("q")),
                             np.int64).reshape(-1, 4)


class ProcessingBook:
    """Processed identity ranges per group, with completion times."""

    def __init__(self, producer_names) -> None:
        self.names = producer_names
        self.rows: dict[str, list] = defaultdict(list)

    def watch(self, trace) -> None:
        """Book every processed range of this trace."""
        trace.subscribe(ProcessingTimes, self.add)

    def add(self, r: ProcessingTimes) -> None:
        """Records [start, start + count) of a partition, from these batches, done at done_us."""
        lo, hi = r.start_offset, r.start_offset + r.count
        for b in r.batches:
            a, z = max(lo, b.base_offset), min(hi, b.base_offset + b.count)
            if a < z and b.producer >= 0:
                self.rows[r.group].append((self.names[b.producer], r.topic, r.partition,
                                           b.first_seq + a - b.base_offset, z - a, a,
                                           r.done_us[a - lo:z - lo]))


def _per_stream(rows, streams):
    """(stream key) -> (completion counts, first completion times) for one group."""
    ranges: dict = defaultdict(list)
    for producer, topic, partition, seq, count, _offset, done in rows:
        ranges[(producer, topic, partition)].append((seq, count, done))
    out = {}
    for key, parts in ranges.items():
        n = streams[key].n
        seqs, counts = np.array([(seq, count) for seq, count, _ in parts], np.int64).T
        index = np.repeat(seqs - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        first = np.full(n, NOT_DONE, np.int64)
        np.minimum.at(first, index, np.concatenate([done for _, _, done in parts]))
        out[key] = (np.bincount(index, minlength=n).astype(np.int32), first)
    return out


def consumer_summary(world, streams, audits, book: ProcessingBook, lag,
                     commits: CommitBook) -> dict:
    """The consumer keys of docs/summary.md, from the run's processing book, lag tracker and
    book of committed batches."""
    processed = duplicates = disorder = 0
    e2e, sent = [], []
    skipped: Counter = Counter()
    read_committed = read_committed_groups(world.spec)
    hidden = never_delivered(world, streams) if read_committed else {}
    for group in world.spec.consumers:
        done = _per_stream(book.rows.get(group, []), streams)
        for key, (counts, first) in done.items():
            processed += int((counts > 0).sum())
            duplicates += int(np.maximum(counts - 1, 0).sum())
            finished = first < NOT_DONE
            e2e.append(first[finished] - streams[key].send_us[finished])
            sent.append(streams[key].send_us[finished])
        jumps = _jumps(world.trace, group)
        disorder += out_of_order(world, group, done, streams)
        if hidden and group in read_committed:
            done = _as_handled(done, hidden, streams)
        skipped.update(_skipped(world, group, done, audits, jumps))
        skipped.update(_skipped_by_retention(world, group, done, streams, audits, jumps))
        skipped.update(_skipped_by_truncation(world, group, done, streams, audits, commits))
    empty = np.empty(0, np.int64)
    values = np.concatenate(e2e) if e2e else empty
    return {
        "processed": processed, "processed_duplicates": duplicates,
        "skipped": sum(skipped.values()), "skipped_by_cause": dict(sorted(skipped.items())),
        "max_lag": lag.max_lag, "final_lag": lag.final_lag(),
        "rebalances": rebalances(world.trace), "e2e_us": values,
        "e2e_sent_us": np.concatenate(sent) if sent else empty,
        "dead_lettered": len(world.trace.rows(DeadLettered)),
        "out_of_order": disorder,
    }


def _as_handled(done: dict, hidden: dict, streams) -> dict:
    """done, with the records a read_committed group must never process (aborted
    transactions') counted as processed once: they are never skipped."""
    out = dict(done)
    for key, mask in hidden.items():
        n = streams[key].n
        counts, first = out.get(key, (np.zeros(n, np.int32), np.full(n, NOT_DONE, np.int64)))
        out[key] = (counts + mask, first)
    return out


def final_committed(world, group: str, audits) -> dict:
    """The group's committed offsets as the final log of its offsets partition holds them."""
    pidx = world.topology.coordinator_pidx(group)
    info = world.topology.partitions[pidx]
    audit = next(a for a in audits if a.topic == info.topic and a.partition == info.partition)
    state = world.group_records.replay(audit.committed, 0).get(group)
    return state.committed if state is not None else {}


def _jumps(trace, group: str) -> dict:
    """(topic, partition) -> [(from, to, when)] of the group's forward position jumps."""
    jumps: dict = defaultdict(list)
    for r in (*trace.rows(PositionReset), *trace.rows(OffsetsReset)):
        if r.group == group and r.offset > r.previous:
            jumps[(r.topic, r.partition)].append((max(r.previous, 0), r.offset, r.t_us))
    return jumps


def _skipped(world, group: str, done: dict, audits, jumps) -> Counter:
    committed = final_committed(world, group, audits)
    topo = world.topology
    handled: dict = defaultdict(lambda: (set(), set()))     # (poison skipped, dead-lettered)
    for r in world.trace.rows(PoisonSkipped):
        if r.group == group:
            handled[(r.topic, r.partition)][0].add(r.offset)
    for r in world.trace.rows(DeadLettered):
        if r.group == group:
            handled[(r.topic, r.partition)][1].add(r.offset)
    by_partition = {(a.topic, a.partition): a for a in audits}
    out: Counter = Counter()
    names = world.producer_names
    for pidx, offset in sorted(committed.items()):
        info = topo.partitions[pidx]
        audit = by_partition[(info.topic, info.partition)]
        ranges = jumps.get((info.topic, info.partition), [])
        poisoned, dead = handled.get((info.topic, info.partition), (set(), set()))
        poisoned, dead = np.array(sorted(poisoned), np.int64), np.array(sorted(dead), np.int64)
        missed = _unprocessed(audit.committed, offset, done, names, info)
        missed = missed[~np.isin(missed, dead)]
        if missed.size:
            by_poison = np.isin(missed, poisoned)
            jumped = np.zeros(missed.size, bool)
            for lo, hi, _t in ranges:
                jumped |= (missed >= lo) & (missed < hi)
            jumped &= ~by_poison
            out["poison_skip"] += int(by_poison.sum())
            out["offset_reset"] += int(jumped.sum())
            out["committed_before_processing"] += int((~by_poison & ~jumped).sum())
    return +out


def _skipped_by_retention(world, group: str, done: dict, streams, audits, jumps) -> Counter:
    """Records retention deleted below the group's final committed offset, never processed:
    jumped over by a reset before their deletion, or deleted first."""
    committed = final_committed(world, group, audits)
    by_partition: dict = defaultdict(list)
    for key, s in streams.items():
        by_partition[(s.topic, s.partition)].append((key, s))
    out: Counter = Counter()
    for pidx, offset in sorted(committed.items()):
        info = world.topology.partitions[pidx]
        for key, s in by_partition.get((info.topic, info.partition), ()):
            deleted = (s.expired == EXPIRED_BY["retention"]) & (s.copies == 0) \
                & (s.expired_offset < offset)
            if not deleted.any():
                continue
            counts = done.get(key)
            if counts is not None:
                deleted &= counts[0] == 0
            jumped = np.zeros(s.n, bool)
            for lo, hi, when in jumps.get((info.topic, info.partition), ()):
                jumped |= (s.expired_offset >= lo) & (s.expired_offset < hi) \
                    & (when < s.expired_us)
            out["offset_reset"] += int((deleted & jumped).sum())
            out["retention"] += int((deleted & ~jumped).sum())
    return +out


def _skipped_by_truncation(world, group: str, done: dict, streams, audits,
                           commits: CommitBook) -> Counter:
    """Records once below a leader's high watermark that no replica kept (an unclean
    election, a power loss, a pre-KIP-101 truncation) and that retention or compaction did
    not remove, at offsets the group's final committed offset passed, never processed."""
    committed = final_committed(world, group, audits)
    names = world.producer_names
    count = 0
    for pidx, offset in sorted(committed.items()):
        info = world.topology.partitions[pidx]
        rows = commits.committed(info.topic, info.partition)
        rows = rows[rows[:, 3] < offset]
        for producer in np.unique(rows[:, 0]).tolist():
            key = (names[producer], info.topic, info.partition)
            s = streams[key]
            gone = (s.copies == 0) & (s.expired == 0) & ~s.committing
            if not gone.any():
                continue
            mine = rows[rows[:, 0] == producer]
            n = np.minimum(mine[:, 2], offset - mine[:, 3])
            step = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
            committed_once = np.zeros(s.n, bool)
            committed_once[np.repeat(mine[:, 1], n) + step] = True
            gone &= committed_once
            counts = done.get(key)
            if counts is not None:
                gone &= counts[0] == 0
            count += int(gone.sum())
    return +Counter(truncated=count)


def _unprocessed(batches, offset: int, done: dict, names, info) -> np.ndarray:
    """Offsets below `offset` of the workload records in these batches the group never finished."""
    rows = [(b.producer, b.base_offset, b.first_seq, min(b.count, offset - b.base_offset))
            for b in batches if b.producer >= 0 and b.base_offset < offset]
    if not rows:
        return np.empty(0, np.int64)
    producer, base, seq, n = np.array(rows, np.int64).T
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    offsets, seqs = np.repeat(base, n) + within, np.repeat(seq, n) + within
    producers = np.repeat(producer, n)
    seen = np.zeros(offsets.size, np.int32)
    for p in np.unique(producer):
        counts = done.get((names[p], info.topic, info.partition))
        if counts is not None:
            mine = producers == p
            seen[mine] = counts[0][seqs[mine]]
    return offsets[seen == 0]


def rebalances(trace) -> int:
    """Generations begun after each group's first generation that completed SyncGroup."""
    first_stable: dict = {}
    for r in trace.rows(GroupStable):
        first_stable.setdefault(r.group, r.generation)
    return sum(1 for r in trace.rows(GroupGeneration)
               if r.group in first_stable and r.generation > first_stable[r.group])


def out_of_order(world, group: str, done: dict, streams) -> int:
    """Events whose consecutive steps this group finished in the wrong order."""
    reads = set(world.spec.consumers[group].topics)
    count = 0
    for spec in world.spec.producers.values():
        delay, previous = 0, None
        for step in spec.steps or ():
            delay += step.after_us
            current = None
            if step.topic in reads:
                current = _step_records(f"{spec.name}.{step.event}", step.topic, delay,
                                        done, streams)
            if previous is not None and current is not None:
                count += _violations(previous, current)
            previous = current
    return count


def _step_records(producer: str, topic: str, delay: int, done: dict, streams):
    """(event ids, first completion times) of one step's records over its topic."""
    ids, first = [], []
    for (name, t, partition), stream in streams.items():
        if name != producer or t != topic:
            continue
        ids.append((stream.key.astype(np.int64) << 40) + (stream.send_us - delay))
        got = done.get((name, t, partition))
        first.append(got[1] if got is not None else np.full(stream.n, NOT_DONE, np.int64))
    if not ids:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(ids), np.concatenate(first)


def _violations(earlier, later) -> int:
    _, i, j = np.intersect1d(earlier[0], later[0], return_indices=True)
    before, after = earlier[1][i], later[1][j]
    return int(((after < NOT_DONE) & ((before == NOT_DONE) | (after < before))).sum())
