"""The idempotent producer's sequence bookkeeping (Kafka's TransactionManager, KIP-360).

A session is one producer id. Per partition the producer keeps the producer epoch its
sequences belong to,
the next sequence to assign, the end of the acknowledged sequences and how
many batches hold a sequence and are not yet done (`inflightBatchesBySequence`,
batches queued for retry included). A batch keeps its epoch and sequence on
every retry, so the broker recognises a retried batch it already wrote.

The epoch is bumped for a partition (`requestEpochBumpForPartition`) when a
batch fails with OUT_OF_ORDER_SEQUENCE_NUMBER or fails for good before its
retries run out, when a partition left unresolved by an expired batch
drains with a gap between its last acknowledged and its next sequence
(`maybeResolveSequences`), and when the batch right after the expired ones of
an unresolved partition gets a sequence error (`canRetry`:
isNextSequenceForUnresolvedPartition; the expired sequences were not
written). The bump renumbers only that partition's
unfinished batches from 0 under the new epoch (`startSequencesAtBeginning`);
the other partitions finish their sequenced batches under the old epoch and
start the new one at 0 once none is left. A partition with an unresolved
sequence sends no new batch. A batch keeps the producer id it was numbered under; once the
session changed (a new producer id) its success or failure no longer counts here.

Simplified: the bump waits until the bumped partitions have no request in
flight (Kafka renumbers batches whose request is still out); epoch overflow
to a new producer id is not modeled.
"""


class Sequences:
    """The per-partition sequence state of one idempotent producer session."""

    def __init__(self, n: int) -> None:
        self.producer_id = -1
        self.epoch = 0
        self.partition_epoch = [0] * n
        self.next_sequence = [0] * n
        self.acked_end = [0] * n
        self.open = [0] * n
        self.unresolved: set[int] = set()
        self.unresolved_next: dict[int, int] = {}   # the sequence after the expired ones
        self.to_bump: set[int] = set()

    def reset(self, producer_id: int, epoch: int) -> None:
        """A new producer id (-1: none yet): every partition starts at sequence 0."""
        n = len(self.open)
        self.__init__(n)
        self.producer_id, self.epoch = producer_id, epoch
        self.partition_epoch = [epoch] * n

    def current(self, batch) -> bool:
        """Was the batch numbered in this session (hasProducerIdAndEpoch, by producer id)?"""
        return batch.base_sequence >= 0 and batch.producer_id == self.producer_id

    def may_send_new(self, pos: int) -> bool:
        """May a batch without a sequence be sent to this partition now?"""
        if pos in self.unresolved or pos in self.to_bump:
            return False
        if self.partition_epoch[pos] != self.epoch:
            if self.open[pos]:
                return False
            self.partition_epoch[pos] = self.epoch
            self.next_sequence[pos] = 0
            self.acked_end[pos] = 0
        return True

    def assign(self, batch) -> None:
        """Give a batch its first sequence."""
        pos = batch.pos
        batch.producer_id = self.producer_id
        batch.base_sequence = self.next_sequence[pos]
        batch.producer_epoch = self.epoch
        self.next_sequence[pos] += batch.count
        self.open[pos] += 1

    def acked(self, batch) -> None:
        if not self.current(batch):
            return
        pos = batch.pos
        self.open[pos] -= 1
        if batch.producer_epoch == self.partition_epoch[pos]:
            self.acked_end[pos] = max(self.acked_end[pos], batch.base_sequence + batch.count)

    def gap_before(self, batch) -> bool:
        """Was everything before this batch acknowledged (so a sequence error means loss)?"""
        return batch.base_sequence == self.acked_end[batch.pos] and \
            batch.producer_epoch == self.partition_epoch[batch.pos]

    def failed(self, batch, *, bump: bool, unresolved: bool) -> None:
        """A sequenced batch failed: bump its partition's epoch, or mark it unresolved."""
        if not self.current(batch):
            return
        self.open[batch.pos] -= 1
        if bump:
            self.to_bump.add(batch.pos)
        elif unresolved:
            self.unresolved.add(batch.pos)
            end = batch.base_sequence + batch.count
            self.unresolved_next[batch.pos] = max(self.unresolved_next.get(batch.pos, 0), end)

    def split(self, big, parts) -> None:
        """ProducerBatch.split: the parts take big's producer id, epoch and sequences, in
        order (each starts where the one before ended); each is a batch in flight."""
        sequence = big.base_sequence
        for part in parts:
            part.producer_id, part.producer_epoch = big.producer_id, big.producer_epoch
            part.base_sequence = sequence
            sequence += part.count
        if self.current(big):
            self.open[big.pos] += len(parts) - 1

    def after_unresolved(self, batch) -> bool:
        """Is this the batch right after the expired ones of its unresolved partition?"""
        return batch.pos in self.unresolved and \
            batch.base_sequence == self.unresolved_next[batch.pos]

    def _resolved(self, pos: int) -> None:
        self.unresolved.discard(pos)
        self.unresolved_next.pop(pos, None)

    def resolve(self) -> None:
        """maybeResolveSequences: a drained unresolved partition with a gap needs a bump."""
        for pos in sorted(self.unresolved):
            if not self.open[pos]:
                self._resolved(pos)
                if self.next_sequence[pos] != self.acked_end[pos]:
                    self.to_bump.add(pos)

    def bump(self, queues, inflight) -> bool:
        """Bump the epoch once the partitions to bump have nothing in flight; renumber them."""
        if not self.to_bump or any(inflight[pos] for pos in self.to_bump):
            return False
        self.epoch += 1
        for pos in sorted(self.to_bump):
            sequence = 0
            for batch in queues[pos]:
                if self.current(batch):
                    batch.base_sequence, batch.producer_epoch = sequence, self.epoch
                    sequence += batch.count
            self.partition_epoch[pos] = self.epoch
            self.next_sequence[pos] = sequence
            self.acked_end[pos] = 0
            self._resolved(pos)
        self.to_bump.clear()
        return True
