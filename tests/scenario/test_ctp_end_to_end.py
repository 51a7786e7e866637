"""Consume-transform-produce end to end (a group's `output:`): each processed input becomes
one output with the input's key, partitioned as Kafka's producer would, and traced with its
input's identity; `eos_duplicates` agrees with a per-record count of the same trace."""

from collections import Counter

import numpy as np

import sim
from sim.clients.partitioner import partition_for_key
from sim.core.records import FaultFired, OutputSources, TxnBatchAppended, TxnDecided, TxnEnded
from sim.scenario import from_dict
from tests.conftest import run_scenario


def ctp(keys, output: dict | None = None, timeline=(), duration: str = "5s") -> sim.Result:
    producer = {"topic": "orders", "rate": "200/s"}
    if keys is not None:
        producer["keys"] = keys
    output = output or {"topic": "out"}
    group = {"topic": "orders", "members": 2, "processing": "1ms", "output": output,
             "config": {"auto.offset.reset": "earliest"}}
    if not output.get("transactional"):
        group["commit"] = "after-processing"
    return sim.run(from_dict({
        "name": "ctp", "duration": duration, "drain": "5s", "seed": 1,
        "cluster": {"brokers": 3},
        "topics": {"orders": {"partitions": 2, "replication.factor": 3},
                   "out": {"partitions": 3, "replication.factor": 3}},
        "producers": {"checkout": producer},
        "consumers": {"billing": group}, "timeline": list(timeline)}))


def outputs(result) -> list:
    """(output producer, partition, sequence, input partition index, producer, sequence)."""
    rows = []
    for r in result.trace.rows(OutputSources):
        src = np.frombuffer(r.sources, np.int64).reshape(-1, 3)
        for i, (pidx, producer, seq) in enumerate(src.tolist()):
            rows.append((r.producer, r.partition, r.first_seq + i, pidx, producer, seq))
    return rows


def test_every_input_has_one_output_with_its_key_where_the_keyed_partitioner_puts_it():
    result = ctp(keys=20)
    rows = outputs(result)
    inputs = {(p.partition, seq): p.key[seq] for p in result.streams.values()
              if p.producer == "checkout" for seq in range(p.n)}
    assert Counter((pidx, seq) for _o, _p, _s, pidx, _pr, seq in rows).most_common(1)[0][1] == 1
    assert len(rows) == len(inputs) > 800
    for out, part, seq, pidx, producer, in_seq in rows:
        assert producer == 0
        key = inputs[(pidx, in_seq)]            # the input topic's partitions are 0 and 1
        stream = result.streams[(out, "out", part)]
        assert stream.key[seq] == key
        assert part == partition_for_key(str(key).encode(), 3)
    assert result.summary["eos_duplicates"] == 0 and result.summary["lost"] == 0


def test_a_slow_window_and_a_pause_keep_one_output_per_input():
    """A redrawn step hands its unfinished outputs at their new times, a paused member's at
    the resume; none is lost or doubled (no rebalance: the pause is below the session)."""
    result = ctp(keys=20, duration="12s", timeline=[
        {"at": "6600ms", "slow": "billing-0", "processing": "3ms", "for": "300ms"},
        {"at": "6700ms", "pause": "billing-1", "for": "2s"}])
    rows = outputs(result)
    inputs = sum(s.n for s in result.streams.values() if s.producer == "checkout")
    assert len({(pidx, seq) for _o, _p, _s, pidx, _pr, seq in rows}) == len(rows) == inputs
    assert result.summary["rebalances"] == 0


def test_a_keyless_input_goes_to_the_partition_with_its_number():
    result = ctp(keys=None)
    rows = outputs(result)
    assert rows and all(part == pidx for _o, part, _s, pidx, _p, _q in rows)


def test_eos_duplicates_is_the_per_record_count_of_readable_outputs_per_input():
    result = run_scenario("ctp-consumer-crash-duplicates-without-eos")
    copies = Counter()
    for out, part, seq, pidx, producer, in_seq in outputs(result):
        copies[(pidx, producer, in_seq)] += int(result.streams[(out, "ledger-out", part)]
                                                .copies[seq])
    expected = sum(n - 1 for n in copies.values() if n > 1)
    assert result.summary["eos_duplicates"] == expected > 0


def test_a_transactional_output_traces_its_transactions_per_partition():
    result = ctp(keys=20, output={"topic": "out", "transactional": True})
    ended = result.trace.rows(TxnEnded)
    assert ended and {r.producer for r in ended} == {"billing-0.out", "billing-1.out"}
    assert {r.result for r in ended} == {"COMMIT"}
    assert result.summary["txn_committed"] > 0


def test_the_crash_hits_an_open_transaction_that_the_coordinator_aborts():
    trace = run_scenario("ctp-consumer-crash-exactly-once").trace
    aborted = [r for r in trace.rows(TxnDecided) if r.result == "ABORT"]
    assert [(r.transactional_id, r.reason) for r in aborted] == [("ledger-0", "timeout")]
    (crash,) = trace.rows(FaultFired)
    crash_us = crash.t_us
    open_batches = [r for r in trace.rows(TxnBatchAppended) if r.producer == "ledger-0.out"
                    and r.t_us < crash_us and not any(
                        e.producer == r.producer and e.partition == r.partition
                        and e.first_seq <= r.first_seq < e.first_seq + e.count
                        for e in trace.rows(TxnEnded))]
    assert open_batches                  # appended in the transaction the crash left open


def test_with_exactly_once_the_audit_reads_each_input_once():
    result = run_scenario("ctp-consumer-crash-exactly-once")
    inputs = sum(s.n for s in result.streams.values() if s.producer == "checkout")
    read = result.processing
    audit = read[read.group == "audit"]
    assert len(audit) == len(audit.drop_duplicates(["producer", "partition", "sequence"]))
    by_output = {}
    for out, part, seq, pidx, producer, in_seq in outputs(result):
        by_output[(out, part, seq)] = (pidx, producer, in_seq)
    sources = [by_output[(p, part, seq)] for p, part, seq in
               zip(audit.producer, audit.partition, audit.sequence, strict=True)]
    assert len(sources) == len(set(sources)) == inputs


def test_kip_447_fences_the_zombie_member_on_2_5_and_not_on_2_4():
    """The woken member's commit: on 2.5 its old generation fails TxnOffsetCommit and the
    member's own abort reaches the coordinator; on 2.4 nothing checks it and it commits."""
    fenced = run_scenario("ctp-zombie-member-2-5-fenced").trace
    aborts = [(r.transactional_id, r.reason) for r in fenced.rows(TxnDecided)
              if r.result == "ABORT"]
    assert aborts == [("ledger-0", "client")]
    old = run_scenario("ctp-zombie-member-2-4-duplicates").trace
    assert not [r for r in old.rows(TxnDecided) if r.result == "ABORT"]
