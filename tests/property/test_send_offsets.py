"""sendOffsetsToTransaction (sim/clients/txn_offsets.py) against a scripted broker that
answers AddOffsetsToTxn and TxnOffsetCommit with errors drawn by Hypothesis: a transaction
commits only after its offsets were both added and committed at the group coordinator (so
a rebalance's ILLEGAL_GENERATION never lets it commit), every transaction the loop began
ends (COMMIT, ABORT) or the producer failed fatally, and EndTxn always follows the offsets'
requests, never precedes them."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.protocol import (
    AddOffsetsToTxn,
    AddOffsetsToTxnResponse,
    EndTxn,
    TxnOffsetCommit,
    TxnOffsetCommitResponse,
)
from sim.core.units import MS
from tests.conftest import examples
from tests.unit.test_send_offsets import Loop
from tests.unit.txn_fakes import TxnProducer

ADD_ERRORS = (None, None, None, "NOT_COORDINATOR", "CONCURRENT_TRANSACTIONS",
              "COORDINATOR_LOAD_IN_PROGRESS", "TRANSACTION_ABORTABLE", "PRODUCER_FENCED")
COMMIT_ERRORS = (None, None, None, "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS",
                 "REQUEST_TIMED_OUT", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID",
                 "FENCED_INSTANCE_ID", "PRODUCER_FENCED")


def scripted(draws):
    left = iter(draws)
    return lambda: next(left, None)


@settings(max_examples=examples(40), deadline=None)
@given(add=st.lists(st.sampled_from(ADD_ERRORS), max_size=8),
       commit=st.lists(st.sampled_from(COMMIT_ERRORS), max_size=8),
       version=st.sampled_from(("2.4", "3.9")))
def test_a_transaction_commits_only_with_its_offsets_committed(add, commit, version):
    t = TxnProducer(records=10, version=version)
    add_next, commit_next = scripted(add), scripted(commit)
    t.broker.always(AddOffsetsToTxn, lambda r: AddOffsetsToTxnResponse(add_next()))
    t.broker.always(TxnOffsetCommit, lambda r: TxnOffsetCommitResponse(commit_next()))
    loop = Loop(t, rounds=4)
    t.start()
    t.run(5_000 * MS)
    since_end: list = []
    for _at, r in t.broker.peer.got:
        if isinstance(r, (AddOffsetsToTxn, TxnOffsetCommit)):
            since_end.append(r)
        elif isinstance(r, EndTxn):
            if r.committed:
                assert any(isinstance(x, AddOffsetsToTxn) for x in since_end)
                assert any(isinstance(x, TxnOffsetCommit) for x in since_end)
            since_end = []
    results = loop.results[1:]
    assert all(result in ("COMMIT", "ABORT") for result in results)
    if loop.fatal:
        assert len(results) < 4
    else:
        assert len(results) == 4
    committed = [r for r in t.got(EndTxn) if r.committed]
    assert results.count("COMMIT") == len(committed)
