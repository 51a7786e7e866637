"""The transactional producer (sim/clients/transactions.py) built alone against a scripted
broker that leads every partition and coordinates its transactions (txn_fakes.py)."""

from sim.cluster.protocol import (
    AddPartitionsToTxn,
    AddPartitionsToTxnResponse,
    EndTxn,
    EndTxnResponse,
    FindCoordinator,
    InitProducerId,
    ProduceRequest,
)
from sim.core.records import BatchFailed
from sim.core.units import MS
from tests.conformance.scripted import Later
from tests.conformance.sending import produced
from tests.unit.txn_fakes import PID, TxnProducer, added, sends_only_to_added


def kinds(t: TxnProducer) -> list:
    """The coordinator and produce requests the broker got, by kind name, in order."""
    wanted = (FindCoordinator, InitProducerId, AddPartitionsToTxn, EndTxn, ProduceRequest)
    return [type(r).__name__ for _t, r in t.broker.peer.got if isinstance(r, wanted)]


def transactions(t: TxnProducer) -> list:
    """(end time, result, records) of every ended transaction, in order."""
    out: dict = {}
    for r in t.ended():
        end, result, count = out.get(r.t_us, (r.t_us, r.result, 0))
        assert result == r.result
        out[r.t_us] = (end, result, count + r.count)
    return list(out.values())


def produced_records(t: TxnProducer) -> int:
    return sum(t.producer.book.counts)


def test_init_transactions_then_partitions_added_before_their_first_batch():
    t = TxnProducer(records=10)
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    seen = kinds(t)
    assert seen[:3] == ["FindCoordinator", "InitProducerId", "AddPartitionsToTxn"]
    init = t.got(InitProducerId)[0]
    assert (init.transactional_id, init.transaction_timeout_ms) == ("app", 60_000)
    produces = sends_only_to_added(t.broker.peer.got)
    assert produces
    for r in produces:
        assert r.transactional_id == "app"
        assert all(batch.transactional and batch.pid == PID for _p, batch in r.batches)


def test_each_transaction_holds_its_records_and_none_is_lost():
    t = TxnProducer(records=10)
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    assert transactions(t) == [(94 * MS, "COMMIT", 10), (194 * MS, "COMMIT", 10),
                               (294 * MS, "COMMIT", 10)]
    assert produced_records(t) == 30
    assert all(e.committed for e in t.got(EndTxn))


def test_end_txn_waits_for_every_batch_and_later_records_wait_for_the_commit():
    t = TxnProducer(records=10)
    t.broker.prepare(EndTxn, Later(200 * MS, EndTxnResponse(None)))
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    got = t.broker.peer.got
    first_end = next(i for i, (_t, r) in enumerate(got) if isinstance(r, EndTxn))
    answered = got[first_end][0] + 200 * MS
    assert all(not isinstance(r, ProduceRequest) for _t, r in got[first_end + 1:]
               if _t < answered)
    assert [n for _e, _r, n in transactions(t)] == [10, 10, 10]
    assert produced_records(t) == 30


def test_the_application_aborts_what_the_abort_fraction_draws():
    t = TxnProducer(records=10, abort=1.0)
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    assert [r for _e, r, _n in transactions(t)] == ["ABORT"] * 3
    assert [e.committed for e in t.got(EndTxn)] == [False] * 3


def test_not_coordinator_finds_the_coordinator_again_and_retries():
    t = TxnProducer(records=10)
    t.broker.prepare(EndTxn, EndTxnResponse("NOT_COORDINATOR"))
    t.start(stop_after_us=100 * MS)
    t.run(1000 * MS)
    assert kinds(t).count("FindCoordinator") == 2
    ends = t.broker.got(EndTxn)
    assert len(ends) == 2 and ends[1][0] - ends[0][0] >= 100 * MS      # retry.backoff.ms
    assert transactions(t)[0][1:] == ("COMMIT", 10)


def test_concurrent_transactions_on_the_first_partition_retries_after_20ms():
    t = TxnProducer(records=10)
    t.broker.prepare(AddPartitionsToTxn, lambda r: AddPartitionsToTxnResponse(
        {p: "CONCURRENT_TRANSACTIONS" for p in r.pidxs}), added)
    t.start(stop_after_us=100 * MS)
    t.run(1000 * MS)
    adds = t.broker.got(AddPartitionsToTxn)
    assert adds[1][0] - adds[0][0] == 20 * MS + 2 * MS      # the backoff and a round trip
    assert transactions(t)[0][1:] == ("COMMIT", 10)


def test_fenced_on_end_txn_is_fatal_and_closes_the_producer():
    t = TxnProducer(records=10)
    t.broker.prepare(EndTxn, EndTxnResponse("PRODUCER_FENCED"))
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]
    assert transactions(t) == [(94 * MS, "FATAL", 10)]
    fenced_at = t.fatal()[0].t_us
    assert all(at < fenced_at for at, _r in t.broker.got(ProduceRequest))
    assert t.producer.state == "stopped"


def test_a_failed_batch_aborts_the_transaction_and_bumps_the_epoch():
    t = TxnProducer(records=10)
    t.broker.prepare(ProduceRequest, produced("INVALID_RECORD"))
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    first = transactions(t)[0]
    assert first[1] == "ABORT"
    inits = t.got(InitProducerId)
    assert [(i.producer_id, i.producer_epoch) for i in inits] == [(-1, -1), (PID, 0)]
    assert [r for _e, r, _n in transactions(t)[1:]] == ["COMMIT"] * 3
    assert sum(n for _e, _r, n in transactions(t)) == produced_records(t) == 30


def test_invalid_producer_epoch_on_produce_is_abortable_from_2_7():
    t = TxnProducer(records=10, version="2.7")
    t.broker.prepare(ProduceRequest, produced("INVALID_PRODUCER_EPOCH"))
    t.start(stop_after_us=100 * MS)
    t.run(1000 * MS)
    assert not t.fatal()
    assert transactions(t)[0][1] == "ABORT"


def test_invalid_producer_epoch_on_produce_is_fatal_before_2_7():
    t = TxnProducer(records=10, version="2.6")
    t.broker.prepare(ProduceRequest, produced("INVALID_PRODUCER_EPOCH"))
    t.start(stop_after_us=100 * MS)
    t.run(1000 * MS)
    assert [f.error for f in t.fatal()] == ["PRODUCER_FENCED"]
    assert t.producer.state == "stopped"


def test_a_sequence_error_in_a_transaction_is_fatal_before_2_5():
    t = TxnProducer(records=10, version="2.4")
    t.broker.prepare(ProduceRequest, produced("OUT_OF_ORDER_SEQUENCE_NUMBER"))
    t.start(stop_after_us=100 * MS)
    t.run(1000 * MS)
    assert [f.error for f in t.fatal()] == ["OUT_OF_ORDER_SEQUENCE_NUMBER"]


def test_abort_drops_the_batches_never_sent():
    t = TxnProducer(records=20, config={"linger.ms": 50})
    t.broker.prepare(ProduceRequest, Later(30 * MS, produced("INVALID_RECORD")))
    t.start(stop_after_us=300 * MS)
    t.run(1000 * MS)
    dropped = [r for r in t.h.trace.rows(BatchFailed) if r.error == "INVALID_RECORD"]
    assert len(dropped) >= 2        # the failed batch and the undrained one behind it
    assert transactions(t)[0][1] == "ABORT"


def test_a_transaction_ended_without_end_txn_lets_the_next_one_begin_at_once():
    """An abort before any partition was added ends without EndTxn (nextRequest: "Not
    sending EndTxn ... since no partitions or offsets were successfully added"); the
    application returns from abortTransaction and sends the next transaction, whose
    records, arrived while the producer was behind, go at once."""
    t = TxnProducer(records=10, abort=1.0)
    t.broker.prepare(EndTxn, Later(400 * MS, EndTxnResponse(None)))
    t.start(stop_after_us=900 * MS)
    t.run(2000 * MS)
    ended = transactions(t)
    assert sum(n for _e, _r, n in ended) == 90
    assert all(r == "ABORT" for _e, r, _n in ended)
    assert [e for e, _r, _n in ended if 500 * MS < e < 900 * MS]
