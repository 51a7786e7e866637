"""Transactions on the partitions and what read_committed groups made of them
(docs/summary.md#transactions: `aborted_read`, `uncommitted_read`, `txn_hanging`).

From the leaders' appends in the trace: a producer id's transaction in a partition opens
with its first transactional batch there (TxnBatchAppended) and closes with that producer
id's marker there (MarkerAppended, COMMIT or ABORT). A transaction's records are the
identities (producer, sequence) of its batches at the offsets they were appended at; a
processed record counts as one of them when a group processed that identity at that offset
(the ProcessingBook's ranges carry both), so a retry appended elsewhere is another record.

- `aborted_read`: records of aborted transactions a read_committed group processed (distinct
  per group, summed over groups): under their partition's ABORT marker, or whose transaction
  the application saw aborted whatever marker closed them there (a late write committed by
  the producer's next transaction, before KIP-890); 0 when the broker and consumer keep
  KIP-98's promise.
- `uncommitted_read`: records of a transaction a read_committed group finished processing
  before the transaction's marker was appended (or with no marker by the end).
- `txn_hanging`: transactions open in a partition longer than the producer's
  `transaction.timeout.ms` plus the coordinator's abort check interval
  (`transaction.abort.timed.out.transaction.cleanup.interval.ms`), their marker's append
  time or the end of the run closing them: the partition's LSO was stuck behind them.

`late_appends` (for tests, not a summary key) counts the transactional records a leader
appended after their producer's application had ended their transaction (TxnEnded): writes
outside any ongoing transaction, KIP-890's hanging transactions and late writes; with the
result of the partition's marker that closed them, COMMIT for the late-write anomaly.

Records of a transaction only aborted (no committed transaction holds the same identity)
are never `skipped` by a read_committed group: it must not process them
(consumption.py asks `never_delivered`). Simplified: a transaction a truncation removed from
the leader still counts as open until its producer id's next marker there.
"""

from collections import defaultdict

import numpy as np

from sim.core.records import ABORT, COMMIT, MarkerAppended, TxnBatchAppended, TxnEnded

TRANSACTION_TIMEOUT_MS = 60_000     # transaction.timeout.ms, the producer's default
ABORT_CHECK_INTERVAL_MS = 10_000    # ...abort.timed.out.transaction.cleanup.interval.ms default


class Txn:
    """One transaction of a producer id in one partition."""

    __slots__ = ("producer", "batches", "open_us", "close_us", "result")

    def __init__(self, producer: str, open_us: int) -> None:
        self.producer = producer
        self.batches: list[tuple[int, int, int]] = []      # (base offset, first seq, count)
        self.open_us = open_us
        self.close_us: int | None = None
        self.result: str | None = None


def transactions(trace) -> dict:
    """(topic, partition) -> [Txn, ...] in the order they opened."""
    events = sorted([(r.t_us, 0, i, r) for i, r in enumerate(trace.rows(TxnBatchAppended))] +
                    [(r.t_us, 1, i, r) for i, r in enumerate(trace.rows(MarkerAppended))],
                    key=lambda e: e[:3])
    out: dict = defaultdict(list)
    open_: dict = {}
    for t_us, kind, _i, r in events:
        key = (r.topic, r.partition, r.pid)
        txn = open_.get(key)
        if kind == 1:
            if txn is not None:
                txn.close_us, txn.result = t_us, r.result
                del open_[key]
            continue
        if txn is None:
            txn = open_[key] = Txn(r.producer, t_us)
            out[(r.topic, r.partition)].append(txn)
        txn.batches.append((r.base_offset, r.first_seq, r.count))
    return out


def read_committed_groups(spec) -> list[str]:
    return [name for name, g in spec.consumers.items()
            if g.config.get("isolation.level") == "read_committed"]


def txn_summary(world, book, end_us: int, abandoned: dict | None = None) -> dict:
    """The transaction keys (all 0 when no transaction reached a partition). `abandoned`:
    (producer, topic, partition) -> bool per sequence, the records whose transaction the
    application saw aborted (their fate)."""
    txns = transactions(world.trace)
    aborted = uncommitted = 0
    for group in read_committed_groups(world.spec):
        rows = book.rows.get(group, [])
        hits = _read(rows, txns, lambda txn: txn.result == ABORT,
                     lambda txn, done: np.ones(done.size, bool))
        _read_abandoned(rows, abandoned or {}, hits)
        aborted += _count(hits)
        uncommitted += _count(_read(rows, txns, lambda txn: True,
                                    lambda txn, done: done < (end_us + 1 if txn.close_us is None
                                                              else txn.close_us)))
    return {"aborted_read": aborted, "uncommitted_read": uncommitted,
            "txn_hanging": _hanging(world.spec, txns, end_us)}


def _count(hits: dict) -> int:
    return sum(len(v) for v in hits.values())


def _read(rows, txns: dict, which, when) -> dict:
    """(topic, partition) -> the offsets of the distinct records of the transactions `which`
    selects that the group processed at the offsets they were appended at, at a completion
    time `when` accepts."""
    index = _index(txns, which)
    hits: dict = defaultdict(set)
    for producer, topic, partition, seq, count, offset, done in rows:
        for txn, base, n in index.get((producer, topic, partition, seq - offset), ()):
            lo, hi = max(offset, base), min(offset + count, base + n)
            if lo < hi:
                ok = np.flatnonzero(when(txn, done[lo - offset:hi - offset]))
                hits[(topic, partition)].update((ok + lo).tolist())
    return hits


def _read_abandoned(rows, abandoned: dict, hits: dict) -> None:
    """Add to `hits` the records the group processed whose transaction the application saw
    aborted, whatever marker closed them in the partition: a late write that the producer's
    next transaction committed (KIP-890's late-write anomaly) is one."""
    for producer, topic, partition, seq, count, offset, _done in rows:
        mask = abandoned.get((producer, topic, partition))
        if mask is not None:
            found = np.flatnonzero(mask[seq:seq + count])
            if found.size:
                hits[(topic, partition)].update((found + offset).tolist())


def _index(txns: dict, which) -> dict:
    """(producer, topic, partition, seq - offset) -> [(txn, base offset, count)]."""
    index: dict = defaultdict(list)
    for (topic, partition), found in txns.items():
        for txn in found:
            if which(txn):
                for base, first, n in txn.batches:
                    index[(txn.producer, topic, partition, first - base)].append((txn, base, n))
    return index


def _hanging(spec, txns: dict, end_us: int) -> int:
    interval_ms = spec.cluster.config.get(
        "transaction.abort.timed.out.transaction.cleanup.interval.ms", ABORT_CHECK_INTERVAL_MS)
    count = 0
    for found in txns.values():
        for txn in found:
            producer = spec.producers.get(txn.producer)
            timeout_ms = TRANSACTION_TIMEOUT_MS if producer is None else producer.config.get(
                "transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
            close = end_us if txn.close_us is None else txn.close_us
            count += close - txn.open_us > (timeout_ms + interval_ms) * 1_000
    return count


def readable(batches) -> list:
    """The data batches of a partition's log (in log order) that a read_committed consumer
    returns: the non-transactional ones, and the transactional ones whose producer id's next
    marker there is a COMMIT (none yet: the transaction is open, behind the LSO)."""
    return _closed(batches)[0]


def committing(batches, owed) -> list:
    """The data batches of transactions still open in a partition's log whose producer id is
    owed a COMMIT marker (audit.owed_markers) not yet written there: committed by their
    coordinator, readable once the marker is written. A batch after a marker the decision
    already wrote (a late write) is not in that transaction."""
    decided = {pid: decided_us for pid, result, decided_us in owed if result == COMMIT}
    if not decided:
        return []
    written = {b.pid for b in batches if b.control is not None and b.pid in decided
               and b.append_us >= decided[b.pid]}
    return [b for pid, held in _closed(batches)[1].items()
            if pid in decided and pid not in written for b in held]


def _closed(batches) -> tuple[list, dict]:
    """The batches a read_committed consumer returns, and producer id -> the batches of its
    transaction still open at the end of the log."""
    if not any(b.transactional for b in batches):
        return [b for b in batches if b.control is None], {}
    out, open_ = [], {}
    for b in batches:
        if b.control is not None:
            held = open_.pop(b.pid, [])
            if b.control == COMMIT:
                out += held
        elif b.transactional:
            open_.setdefault(b.pid, []).append(b)
        else:
            out.append(b)
    return sorted(out, key=lambda b: b.base_offset), open_


def never_delivered(world, streams) -> dict:
    """(producer, topic, partition) -> bool per sequence: records only in aborted
    transactions, which a read_committed group must never process."""
    aborted: dict = {}
    committed: dict = {}
    for (topic, partition), found in transactions(world.trace).items():
        for txn in found:
            key = (txn.producer, topic, partition)
            stream = streams.get(key)
            if stream is None:
                continue
            target = aborted if txn.result == ABORT else committed
            mask = target.setdefault(key, np.zeros(stream.n, bool))
            for _base, first, n in txn.batches:
                mask[first:first + n] = True
    return {key: mask & ~committed[key] if key in committed else mask
            for key, mask in aborted.items()}


def late_appends(trace) -> dict:
    """Records appended after their transaction ended on the client, by the result of the
    partition's marker that closed them (None: still open at the end)."""
    ended: dict = defaultdict(list)         # (producer, topic, partition) -> [(first, n, t)]
    for r in trace.rows(TxnEnded):
        ended[(r.producer, r.topic, r.partition)].append((r.first_seq, r.count, r.t_us))
    result = {(topic, partition, base): txn.result
              for (topic, partition), found in transactions(trace).items()
              for txn in found for base, _first, _n in txn.batches}
    late: dict = defaultdict(int)
    for r in trace.rows(TxnBatchAppended):
        for first, n, t_us in ended.get((r.producer, r.topic, r.partition), ()):
            overlap = min(first + n, r.first_seq + r.count) - max(first, r.first_seq)
            if overlap > 0 and r.t_us > t_us:
                late[result[(r.topic, r.partition, r.base_offset)]] += overlap
    return dict(late)
