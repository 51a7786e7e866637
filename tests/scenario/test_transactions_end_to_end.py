"""The transaction scenarios of the library, end to end (producer, coordinator, partitions,
read_committed group): what their expect: blocks cannot say."""

from collections import Counter

from sim.core.records import (
    MarkerAppended,
    ProducerFatal,
    TxnBatchAppended,
    TxnDecided,
    TxnEnded,
)
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
