"""The consume-transform-produce loop with exactly-once (Kafka's ExactlyOnceMessageProcessor).

Per poll batch: beginTransaction, one output per input record (handed as processing
finishes, output.py), sendOffsetsToTransaction(the member's positions, its group metadata),
commitTransaction; the next poll's records are processed only once the commit returned.
The member polls only while its producer is ready (initTransactions done, no transaction
open). An abortable error (the commit failing the group metadata check after a rebalance,
CommitFailedException; a failed send) aborts the transaction and the member rewinds to
its group's committed offsets (OffsetFetch, as the example's resetToLastCommittedPositions);
a fatal error (fenced) closes the producer, and the member closes too (the application exits).
"""

from sim.cluster.protocol import ABORT

READY = "READY"


class EosLoop:
    """One member's transactional loop around its output producer's TransactionManager."""

    def __init__(self, member, txn) -> None:
        self.m = member
        self.txn = txn

    def ready(self) -> bool:
        """May the member take the next poll's records (no transaction open)?"""
        return self.txn.state == READY and not self.m.committing

    def begin(self) -> None:
        self.txn.begin()

    def commit(self) -> None:
        """The batch is processed: send its offsets with the transaction and commit it."""
        m = self.m
        if self.txn.state != "IN_TRANSACTION":
            m.go_on()                   # the producer failed meanwhile: the member closes
            return
        m.committing = True             # commitTransaction blocks the loop (and a stop)
        ms = m.membership
        self.txn.commit_with(m.positions(), ms.generation, ms.member_id,
                             m.settings.instance_id)

    def txn_ready(self, result: str | None) -> None:
        """The producer is ready again: initTransactions done, or the transaction ended."""
        m = self.m
        if result == ABORT:
            m.rewind()
        if m.committing:
            m.committing = False
            m.go_on()
        else:
            m.wake_poll()

    def txn_fatal(self, error: str) -> None:
        """The producer failed fatally and was closed: the application closes the member."""
        self.m.committing = False
        self.m.stop()
