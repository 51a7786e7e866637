"""The transaction keys (sim/analysis/transactions.py) and read_committed lag on synthetic
traces: leaders' TxnBatchAppended and MarkerAppended records, a processing book written by
hand, StableOffset records."""

from types import SimpleNamespace

import numpy as np

from sim.analysis.consumption import ProcessingBook
from sim.analysis.lag import LagTracker
from sim.analysis.transactions import (
    committing,
    never_delivered,
    readable,
    transactions,
    txn_summary,
)
from sim.cluster.audit import owed_markers
from sim.cluster.log import Batch
from sim.cluster.txn_metadata import (
    COMPLETE_COMMIT,
    ONGOING,
    PREPARE_ABORT,
    PREPARE_COMMIT,
    TxnTransit,
)
from sim.core.records import HighWatermark, MarkerAppended, StableOffset, TxnBatchAppended
from sim.core.trace import Trace
from sim.core.units import S
from sim.scenario import from_dict

PID = 7


def world(isolation="read_committed"):
    spec = from_dict({
        "name": "t", "duration": "100s", "cluster": {"brokers": 3},
        "topics": {"t": {"partitions": 2, "replication.factor": 3}},
        "producers": {"p": {"topic": "t", "rate": "10/s"}},
        "consumers": {"g": {"topic": "t", "config": {"isolation.level": isolation}}}})
    return SimpleNamespace(trace=Trace(), spec=spec)


def txn_batch(w, t_us, offset, seq, count, partition=0, pid=PID):
    w.trace.emit(TxnBatchAppended(t_us, 0, "t", partition, offset, "p", seq, count, pid))


def end(w, t_us, offset, result, partition=0, pid=PID):
    w.trace.emit(MarkerAppended(t_us, 0, "t", partition, offset, 0, pid, 0, result))


def processed(book, offset, seq, count, done_us, partition=0, group="g"):
    book.rows[group].append(("p", "t", partition, seq, count, offset,
                             np.full(count, done_us, np.int64)))


def test_transactions_open_at_the_first_batch_and_close_at_the_marker():
    w = world()
    txn_batch(w, 10, 0, 0, 3)
    txn_batch(w, 20, 3, 3, 2)
    end(w, 30, 5, "ABORT")
    txn_batch(w, 40, 6, 5, 1)
    (first, second), = transactions(w.trace).values()
    assert (first.open_us, first.close_us, first.result, first.batches) == \
        (10, 30, "ABORT", [(0, 0, 3), (3, 3, 2)])
    assert (second.open_us, second.close_us, second.batches) == (40, None, [(6, 5, 1)])


def test_aborted_and_uncommitted_reads_count_distinct_records_of_read_committed_groups():
    w = world()
    book = ProcessingBook(["p"])
    txn_batch(w, 10, 0, 0, 3)                 # aborted at 30
    end(w, 30, 3, "ABORT")
    txn_batch(w, 40, 4, 3, 2)                 # committed at 50
    end(w, 50, 6, "COMMIT")
    processed(book, 0, 0, 2, 60)              # two aborted records
    processed(book, 0, 0, 2, 70)              # the same two again: still two
    processed(book, 4, 3, 2, 45)              # committed records, before their marker
    processed(book, 1, 1, 2, 60, partition=1)     # the same identities elsewhere: not them
    assert txn_summary(w, book, 100) == {"aborted_read": 2, "uncommitted_read": 2,
                                         "txn_hanging": 0}


def test_a_late_write_committed_by_the_next_transaction_is_an_aborted_read():
    w = world()
    book = ProcessingBook(["p"])
    end(w, 20, 0, "ABORT")                    # the application's abort: its marker first,
    txn_batch(w, 35, 1, 0, 1)                 # then the delayed write of that transaction
    txn_batch(w, 40, 2, 1, 2)                 # the next transaction's records
    end(w, 50, 4, "COMMIT")                   # commit both (before KIP-890)
    processed(book, 1, 0, 3, 60)
    abandoned = {("p", "t", 0): np.array([True, False, False])}    # the fates
    assert txn_summary(w, book, 100, abandoned)["aborted_read"] == 1
    assert txn_summary(w, book, 100)["aborted_read"] == 0          # by the markers alone


def test_a_read_uncommitted_group_reads_aborted_records_freely():
    w = world("read_uncommitted")
    book = ProcessingBook(["p"])
    txn_batch(w, 10, 0, 0, 3)
    end(w, 30, 3, "ABORT")
    processed(book, 0, 0, 3, 20)
    assert txn_summary(w, book, 100)["aborted_read"] == 0


def test_no_transaction_all_zero():
    assert txn_summary(world(), ProcessingBook(["p"]), 100) == \
        {"aborted_read": 0, "uncommitted_read": 0, "txn_hanging": 0}


def test_a_transaction_open_past_the_timeout_and_abort_interval_hangs():
    w = world()
    txn_batch(w, 0, 0, 0, 1)                  # closed after 70 s: no (60 s + 10 s is the limit)
    end(w, 70 * S, 1, "COMMIT")
    txn_batch(w, 0, 0, 0, 1, partition=1)     # closed after 71 s: hangs
    end(w, 71 * S, 1, "ABORT", partition=1)
    txn_batch(w, 10 * S, 2, 1, 1, pid=PID + 1)     # never closed, 90 s at the end: hangs
    assert txn_summary(w, ProcessingBook(["p"]), 100 * S)["txn_hanging"] == 2


def test_records_only_aborted_are_never_delivered_unless_a_commit_holds_them_too():
    w = world()
    txn_batch(w, 10, 0, 0, 3)
    end(w, 20, 3, "ABORT")
    txn_batch(w, 30, 4, 2, 2)                 # sequences 2-3 again, committed
    end(w, 40, 6, "COMMIT")
    streams = {("p", "t", 0): SimpleNamespace(n=5)}
    (key, mask), = never_delivered(w, streams).items()
    assert key == ("p", "t", 0) and mask.tolist() == [True, True, False, False, False]


def test_read_committed_lag_is_measured_from_the_lso():
    trace = Trace()
    lag = LagTracker({"g": [0], "h": [0]}, [("t", 0)], frozenset({"g"}))
    lag.watch(trace)
    trace.emit(HighWatermark(1, 0, "t", 0, 0, 10, 10))
    trace.emit(StableOffset(1, 0, "t", 0, 4))
    trace.emit(HighWatermark(2, 0, "t", 0, 0, 12, 12))
    assert lag.rows == [(1, "g", 0, 10), (1, "h", 0, 10), (1, "g", 0, 4), (2, "h", 0, 12)]
    trace.emit(StableOffset(2, 0, "t", 0, 12))
    assert lag.final_lag() == 12 + 12


def _batch(offset, count, pid=-1, transactional=False, control=None):
    return Batch(offset, count, 0, 0 if control is None else -1, offset, pid, 0, 0, 100, 0,
                 transactional, control)


def test_a_read_committed_consumer_reads_committed_transactions_and_plain_batches_only():
    log = [_batch(0, 5, pid=1, transactional=True),         # pid 1's first transaction...
           _batch(5, 3),                                     # plain
           _batch(8, 4, pid=2, transactional=True),          # pid 2: aborted below
           _batch(12, 1, pid=1, control="COMMIT"),           # ...committed
           _batch(13, 1, pid=2, control="ABORT"),
           _batch(14, 2, pid=1, transactional=True),         # pid 1, still open at the end
           _batch(16, 6, pid=2, transactional=True),         # pid 2's next, committed
           _batch(22, 1, pid=2, control="COMMIT")]
    assert [b.base_offset for b in readable(log)] == [0, 5, 16]
    plain = [_batch(0, 5), _batch(5, 3)]
    assert readable(plain) == plain


def test_an_open_transaction_owed_a_commit_marker_is_committing():
    log = [_batch(0, 5, pid=1, transactional=True),          # pid 1: committed below
           _batch(5, 1, pid=1, control="COMMIT"),
           _batch(6, 2, pid=1, transactional=True),          # pid 1, open: owed COMMIT
           _batch(8, 3, pid=2, transactional=True),          # pid 2, open: owed ABORT
           _batch(11, 4, pid=3, transactional=True),         # pid 3, open: owed nothing
           _batch(15, 2, pid=1, transactional=True)]         # pid 1's open transaction goes on
    owed = ((1, "COMMIT", 10), (2, "ABORT", 10), (4, "COMMIT", 10))
    assert [b.base_offset for b in committing(log, owed)] == [6, 15]
    assert committing(log, ()) == []
    assert [b.base_offset for b in readable(log)] == [0]     # committing is not yet readable


def test_a_write_after_the_owed_marker_was_written_is_not_committing():
    """The decided transaction's COMMIT is already in the log (appended at 20, after the
    decision at 10, its answer not yet back at the coordinator); a batch after it (a late
    write) opens a transaction no coordinator knows of."""
    log = [_batch(0, 5, pid=1, transactional=True),
           _batch(5, 1, pid=1, control="COMMIT")._replace(append_us=20),
           _batch(6, 2, pid=1, transactional=True)]
    assert committing(log, ((1, "COMMIT", 10),)) == []
    assert [b.base_offset for b in committing(log, ((1, "COMMIT", 30),))] == [6]


def test_the_markers_a_partition_is_owed_come_from_decided_transactions_in_the_txn_log():
    """audit.owed_markers replays each txn partition's final committed log, as a coordinator
    loading it does: the newest record of each id wins, and only PrepareCommit and
    PrepareAbort owe markers."""
    rows = (("a", 10, ONGOING, (0, 1)), ("a", 10, PREPARE_COMMIT, (0, 1)),
            ("b", 11, PREPARE_ABORT, (1,)), ("c", 12, PREPARE_COMMIT, (2,)),
            ("c", 12, COMPLETE_COMMIT, ()))
    store = SimpleNamespace(records=[      # each decided at its index in the log (update_us)
        TxnTransit(txn_id, pid, -1, 0, -1, 60 * S, state, pidxs, 0, at)
        for at, (txn_id, pid, state, pidxs) in enumerate(rows)])
    log = tuple(Batch(i, 1, 0, -1, i, -1, -1, -1, 100, 0) for i in range(5))
    txn_partition = SimpleNamespace(committed=log)
    assert owed_markers(store, [txn_partition]) == {0: [(10, "COMMIT", 1)],
                                                     1: [(10, "COMMIT", 1), (11, "ABORT", 2)]}
    decided_not_replicated = SimpleNamespace(committed=log[:1])
    assert owed_markers(store, [decided_not_replicated]) == {}
