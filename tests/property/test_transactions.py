"""The transactional producer (sim/clients/transactions.py) against a scripted coordinator
that answers each request with an error drawn by Hypothesis: whatever the errors, the
records of one transaction all end the same way (committed, aborted or failed), every
record the application sent is in exactly one ended transaction, a partition's batches go
out only after it joined the current transaction, and a producer that hit a fatal error
sends nothing after it."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.cluster.protocol import (
    AddPartitionsToTxn,
    AddPartitionsToTxnResponse,
    EndTxn,
    EndTxnResponse,
    ProduceRequest,
)
from sim.core.units import MS
from tests.conformance.sending import produced
from tests.conftest import examples
from tests.unit.hosts import ONE_MS
from tests.unit.txn_fakes import TxnProducer, sends_only_to_added

PRODUCE_ERRORS = (None, None, None, "NOT_LEADER_OR_FOLLOWER", "INVALID_RECORD",
                  "INVALID_PRODUCER_EPOCH")
COORDINATOR_ERRORS = (None, None, None, "NOT_COORDINATOR", "CONCURRENT_TRANSACTIONS",
                      "COORDINATOR_NOT_AVAILABLE", "PRODUCER_FENCED")


def scripted(draws):
    """Answers that take the next drawn error each time (None once the draws run out)."""
    left = iter(draws)
    return lambda: next(left, None)


def run(produce_errors, add_errors, end_errors, abort: float, version: str) -> TxnProducer:
    t = TxnProducer(records=7, abort=abort, partitions=3, version=version)
    produce_next, add_next, end_next = (scripted(e) for e in (produce_errors, add_errors,
                                                               end_errors))
    t.broker.always(ProduceRequest, lambda r: produced(produce_next())(r))
    t.broker.always(AddPartitionsToTxn, lambda r: AddPartitionsToTxnResponse(
        {p: add_next() for p in r.pidxs}))
    t.broker.always(EndTxn, lambda r: EndTxnResponse(end_next()))
    t.start(stop_after_us=400 * MS)
    t.run(5_000 * MS)
    return t


@settings(max_examples=examples(40), deadline=None)
@given(produce=st.lists(st.sampled_from(PRODUCE_ERRORS), max_size=30),
       add=st.lists(st.sampled_from(COORDINATOR_ERRORS), max_size=10),
       end=st.lists(st.sampled_from(COORDINATOR_ERRORS), max_size=6),
       abort=st.sampled_from((0.0, 0.3)), version=st.sampled_from(("2.4", "2.6", "3.9")))
@example(produce=["INVALID_PRODUCER_EPOCH"], add=["CONCURRENT_TRANSACTIONS"], end=[], abort=0.0,
         version="2.4")                        # a produce in flight as the producer is fenced
@example(produce=[], add=["NOT_COORDINATOR", "PRODUCER_FENCED"], end=[], abort=0.3,
         version="2.4")                        # a record handed just before the fencing
def test_transactions_end_whole_and_fenced_producers_send_nothing_more(produce, add, end,
                                                                       abort, version):
    t = run(produce, add, end, abort, version)
    ended = t.ended()
    by_time: dict = {}
    for r in ended:
        by_time.setdefault(r.t_us, set()).add(r.result)
    assert all(len(results) == 1 for results in by_time.values())   # all or nothing
    covered = {pos: [] for pos in range(3)}
    for r in ended:
        covered[r.partition].append((r.first_seq, r.count))
    book = t.producer.book.counts
    for pos, ranges in covered.items():
        ranges.sort()
        at = 0
        for first, count in ranges:
            assert first == at         # contiguous, no record in two transactions
            at += count
        assert at == book[pos]          # every record sent is in an ended transaction
    fatal = t.fatal()
    assert len(fatal) <= 1
    if fatal:
        # sent (arrived less the links' latency) no later than the fatal error: a request
        # already in flight then still arrives
        sent = [at - ONE_MS.value_us for at, _r in t.broker.got(ProduceRequest)]
        assert all(at <= fatal[0].t_us for at in sent)
        assert all(r.t_us <= fatal[0].t_us for r in ended)     # nothing ends after it
    sends_only_to_added(t.broker.peer.got)

