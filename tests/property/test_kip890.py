"""KIP-890's promise, as a property of whole runs: a transactional producer's request is held
by a one-way cut to its leader past its delivery timeout (its transaction aborts meanwhile)
and the cut heals at a time Hypothesis draws; on 3.6 (part 1) and 4.0 (part 1 and 2) no
transactional record is appended to a partition after its transaction ended, so nothing
hangs; on 3.5 the same schedule appends the late request after the abort marker: a hanging
transaction, then the late-write anomaly."""

from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.transactions import late_appends, transactions
from sim.core.units import S
from sim.scenario import from_dict
from tests.conftest import examples


def delayed_write(version: str, cut_at_ms: int, cut_ms: int, seed: int) -> dict:
    """ledger writes payments/0 (led by broker-1; its coordinator is broker-0) and goes idle
    when its request meets the cut; events keeps writing the partition."""
    return {
        "name": "kip890-delayed-write", "seed": seed, "duration": "70s", "drain": "20s",
        "cluster": {"brokers": 3, "version": version},
        "topics": {"payments": {"partitions": 1, "replication.factor": 3,
                                "assignment": [[1, 2, 0]],
                                "config": {"min.insync.replicas": 2}}},
        "producers": {
            "ledger": {"topic": "payments", "rate": "200/s", "transactional": {"records": 50},
                       "config": {"linger.ms": 5, "request.timeout.ms": 10000,
                                  "delivery.timeout.ms": 10005}},
            "events": {"topic": "payments", "rate": "100/s"}},
        "consumers": {"audit": {"topic": "payments", "processing": "1ms",
                                "config": {"isolation.level": "read_committed",
                                           "auto.offset.reset": "earliest"}}},
        "timeline": [
            {"at": f"{cut_at_ms}ms", "one_way": {"from": "ledger", "to": "leader(payments/0)"},
             "for": f"{cut_ms}ms"},
            {"at": f"{cut_at_ms}ms", "set_rate": {"producer": "ledger", "rate": "0/s"}},
            {"at": "55s", "set_rate": {"producer": "ledger", "rate": "200/s"}}],
    }


def run(version: str, cut_at_ms: int, cut_ms: int, seed: int = 7):
    return sim.run(from_dict(delayed_write(version, cut_at_ms, cut_ms, seed)))


@settings(max_examples=examples(6), deadline=None)
@given(version=st.sampled_from(("3.6", "4.0")), cut_at_ms=st.integers(5_000, 12_000),
       cut_ms=st.integers(11_000, 25_000), seed=st.integers(1, 50))
def test_from_3_6_no_transactional_record_lands_outside_its_transaction(version, cut_at_ms,
                                                                      cut_ms, seed):
    result = run(version, cut_at_ms, cut_ms, seed)
    assert late_appends(result.trace) == {}
    assert result.summary["txn_hanging"] == 0
    assert result.summary["final_lag"] == 0


def test_on_3_5_the_delayed_write_hangs_and_is_committed_by_the_next_transaction():
    result = run("3.5", 10_000, 13_000)
    assert late_appends(result.trace) == {"COMMIT": 1}     # appended at 35.4 s, after the abort
    assert result.summary["aborted"] == 1
    [late] = [txn for txn in transactions(result.trace)[("payments", 0)]
              if txn.open_us > 30 * S and txn.open_us < 40 * S]
    assert late.close_us - late.open_us > 19 * S     # the LSO stuck until ledger's next commit
    assert late.result == "COMMIT"
