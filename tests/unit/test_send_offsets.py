"""sendOffsetsToTransaction on the client (sim/clients/txn_offsets.py): a transactional
producer driven by a consume-transform-produce loop, built alone against a scripted broker
that leads every partition and coordinates both its transactions and the group
(txn_fakes.py), as Kafka's TransactionManagerTest drives sendOffsetsToTransaction."""

from sim.cluster.protocol import (
    GROUP,
    AddOffsetsToTxn,
    AddOffsetsToTxnResponse,
    EndTxn,
    FindCoordinator,
    TxnOffsetCommit,
    TxnOffsetCommitResponse,
)
from sim.core.units import MS
from tests.unit.txn_fakes import PID, TxnProducer

OFFSETS = ((0, 42), (1, 7))


class Loop:
    """A member's loop as the TransactionManager sees it: it begins a transaction when the
    producer is ready and commits it with OFFSETS `hold_us` later, `rounds` times."""

    def __init__(self, t: TxnProducer, rounds: int = 1, hold_us: int = 50 * MS) -> None:
        self.t, self.rounds, self.hold_us = t, rounds, hold_us
        self.results: list = []
        self.fatal: list = []
        t.producer.txn.drive(self, "grp", t.h.spec.cluster.protocol[
            "txn.offset.commit.fencing"] == "kip-447")

    def txn_ready(self, result) -> None:
        self.results.append(result)
        if self.rounds:
            self.rounds -= 1
            txn = self.t.producer.txn
            txn.begin()
            self.t.h.engine.at(self.t.h.engine.now + self.hold_us, txn.commit_with, OFFSETS,
                               5, "member-a", None)

    def txn_fatal(self, error) -> None:
        self.fatal.append(error)


def harness(version: str | None = None) -> tuple[TxnProducer, Loop]:
    t = TxnProducer(records=10, version=version)
    t.broker.always(AddOffsetsToTxn, AddOffsetsToTxnResponse(None))
    t.broker.always(TxnOffsetCommit, TxnOffsetCommitResponse(None))
    return t, Loop(t)


def order(t: TxnProducer) -> list:
    wanted = (AddOffsetsToTxn, TxnOffsetCommit, EndTxn)
    out = []
    for _t, r in t.broker.peer.got:
        if isinstance(r, FindCoordinator) and r.key_type == GROUP:
            out.append("FindCoordinator(GROUP)")
        elif isinstance(r, wanted):
            out.append(type(r).__name__)
    return out


def test_offsets_join_the_transaction_then_commit_at_the_group_coordinator_then_end_txn():
    t, loop = harness()
    t.start()
    t.run(500 * MS)
    assert order(t) == ["AddOffsetsToTxn", "FindCoordinator(GROUP)", "TxnOffsetCommit",
                        "EndTxn"]
    add = t.got(AddOffsetsToTxn)[0]
    assert (add.transactional_id, add.pid, add.group) == ("app", PID, "grp")
    commit = t.got(TxnOffsetCommit)[0]
    assert (commit.group, commit.offsets, commit.generation, commit.member_id) == \
        ("grp", OFFSETS, 5, "member-a")
    assert t.got(EndTxn)[0].committed
    assert loop.results == [None, "COMMIT"]


def test_before_2_5_the_commit_carries_no_group_metadata():
    t, loop = harness(version="2.4")
    t.start()
    t.run(500 * MS)
    commit = t.got(TxnOffsetCommit)[0]
    assert (commit.generation, commit.member_id, commit.group_instance_id) == (-1, "", None)
    assert loop.results == [None, "COMMIT"]


def test_a_group_metadata_mismatch_aborts_the_transaction():
    """TxnOffsetCommitHandler: ILLEGAL_GENERATION is a CommitFailedException, abortable."""
    t, loop = harness()
    t.broker.prepare(TxnOffsetCommit, TxnOffsetCommitResponse("ILLEGAL_GENERATION"))
    t.start()
    t.run(500 * MS)
    ends = t.got(EndTxn)
    assert len(ends) == 1 and not ends[0].committed
    assert loop.results == [None, "ABORT"]
    assert not loop.fatal


def test_a_moved_group_coordinator_is_looked_up_again_and_the_commit_retried():
    t, loop = harness()
    t.broker.prepare(TxnOffsetCommit, TxnOffsetCommitResponse("NOT_COORDINATOR"))
    t.start()
    t.run(500 * MS)
    assert order(t) == ["AddOffsetsToTxn", "FindCoordinator(GROUP)", "TxnOffsetCommit",
                        "FindCoordinator(GROUP)", "TxnOffsetCommit", "EndTxn"]
    assert loop.results == [None, "COMMIT"]


def test_a_fenced_producer_fails_fatally_and_tells_the_loop():
    t, loop = harness()
    t.broker.prepare(AddOffsetsToTxn, AddOffsetsToTxnResponse("PRODUCER_FENCED"))
    t.start()
    t.run(500 * MS)
    assert loop.fatal == ["PRODUCER_FENCED"]
    assert not t.got(TxnOffsetCommit) and not t.got(EndTxn)
    assert [r.error for r in t.fatal()] == ["PRODUCER_FENCED"]


def test_empty_offsets_send_nothing_but_the_transaction_still_ends():
    t, loop = harness()
    loop.rounds = 0
    t.start()
    t.run(10 * MS)
    txn = t.producer.txn
    txn.begin()
    t.h.engine.at(60 * MS, txn.commit_with, (), 1, "m", None)
    t.run(500 * MS)
    assert not t.got(AddOffsetsToTxn) and not t.got(TxnOffsetCommit)
    assert loop.results[-1] == "COMMIT"
