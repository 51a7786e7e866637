"""The transaction scenarios of the library, end to end (producer, coordinator, partitions,
read_committed group): what their expect: blocks cannot say."""

from collections import Counter

import sim
from sim.core.records import (
    COMMIT,
    MarkerAppended,
    ProducerFatal,
    TxnBatchAppended,
    TxnDecided,
    TxnEnded,
)
from sim.core.units import S
from sim.scenario import from_dict
from tests.conftest import run_scenario


def test_a_fenced_zombie_appends_nothing_after_the_fence():
    trace = run_scenario("txn-zombie-producer-fenced").trace
    fenced = [r for r in trace.rows(TxnDecided) if r.reason == "fenced"]
    assert len(fenced) == 1
    fence_us = fenced[0].t_us
    assert [r.producer for r in trace.rows(ProducerFatal)] == ["ledger-a"]
    zombie = [r for r in trace.rows(TxnBatchAppended) if r.producer == "ledger-a"]
    assert zombie and all(r.t_us < fence_us for r in zombie)
    assert any(r.producer == "ledger-b" and r.t_us > fence_us
               for r in trace.rows(TxnBatchAppended))


def test_every_transaction_the_application_committed_has_its_markers():
    trace = run_scenario("txn-broker-crash-mid-transaction").trace
    committed = {r.t_us for r in trace.rows(TxnEnded) if r.result == "COMMIT"}
    decided = Counter(r.result for r in trace.rows(TxnDecided))
    assert decided["COMMIT"] == len(committed)
    markers = Counter(r.result for r in trace.rows(MarkerAppended))
    assert markers["COMMIT"] >= len(committed)      # one per partition of each, at least


def test_a_transaction_is_all_committed_or_all_aborted():
    result = run_scenario("txn-coordinator-failover")
    by_end: dict = {}
    for r in result.trace.rows(TxnEnded):
        by_end.setdefault((r.producer, r.t_us), set()).add(r.result)
    assert by_end and all(len(results) == 1 for results in by_end.values())
    s = result.summary
    assert s["acked"] + s["aborted"] == s["produced"]


def _busy_transactions(drain: str) -> dict:
    """A transactional producer offered more than it commits (5 records a transaction), so it
    still commits in the drain."""
    return {"name": "cut", "seed": 1, "duration": "2s", "drain": drain,
            "cluster": {"brokers": 3},
            "topics": {"t": {"partitions": 2, "replication.factor": 3,
                             "config": {"min.insync.replicas": 2}}},
            "producers": {"p": {"topic": "t", "rate": "200/s", "transactional": {"records": 5},
                                "config": {"acks": "all"}}}}


def test_a_run_ending_between_a_commit_and_its_markers_loses_nothing():
    """TransactionCoordinator.endTransaction answers the producer once PrepareCommit is
    replicated and writes the markers after: a run cut 1 us after a commit returned ends with
    that transaction open in its partitions and its COMMIT markers owed. Its records are
    committing_at_end, not lost."""
    full = sim.run(from_dict(_busy_transactions("2s")))
    commit = min(r.t_us for r in full.trace.rows(TxnEnded)
                 if r.result == COMMIT and r.t_us > 2 * S)
    records = sum(r.count for r in full.trace.rows(TxnEnded) if r.t_us == commit)
    cut = sim.run(from_dict(_busy_transactions(f"{commit - 2 * S + 1}us")))
    s = cut.summary
    assert (s["lost"], s["lost_by_cause"]) == (0, {})
    assert s["committing_at_end"] == records > 0
    rows = cut.records
    assert (rows[rows.committing].ack_us == commit).all()
    assert full.summary["committing_at_end"] == 0       # once the markers are in: readable
