"""Idempotent and transactional producer state of one partition replica (ProducerStateEntry,
ProducerStateManager, ProducerAppendInfo).

Per producer id the broker remembers the producer epoch and the last five
batches (NUM_BATCHES_TO_RETAIN): their first and last sequence and offsets. A
client append is checked against it (ProducerAppendInfo.checkSequence):
- the same epoch and exactly the sequences of a remembered batch: a duplicate;
  nothing is appended and the original offset is returned;
- the same epoch: the first sequence must follow the last one remembered;
- a higher epoch: the first sequence must be 0;
- a lower epoch: INVALID_PRODUCER_EPOCH;
- no state for the producer id: any sequence is accepted (KIP-360, from 2.5); before 2.5
  a first sequence other than 0 gets UNKNOWN_PRODUCER_ID (ProducerStateManager.checkSequence,
  until KAFKA-8710);
- a non-transactional batch while the producer id has a transaction open here:
  INVALID_TXN_STATE (ProducerAppendInfo.appendDataBatch).
A batch without a sequence (NO_SEQUENCE: the group coordinator's transactional offset commit,
origin COORDINATOR) has only its epoch checked: a lower epoch is INVALID_PRODUCER_EPOCH
(ProducerAppendInfo.maybeValidateDataBatch checks sequences for client appends only).

Transactions (KIP-98): a producer id's first transactional batch opens its
transaction at that offset (`currentTxnFirstOffset`); its COMMIT or ABORT control
batch ends it (appendEndTxnMarker), setting the producer epoch and the
coordinator epoch; a marker from an older producer epoch gets
INVALID_PRODUCER_EPOCH, one from an older coordinator epoch
TRANSACTION_COORDINATOR_FENCED. A transaction is undecided until its marker, then
unreplicated until the high watermark passes the marker; the first offset of
either kind is the first unstable offset, and the last stable offset (LSO) is
min(first unstable offset, HW), never below the log start
(UnifiedLog.lastStableOffset). An aborted non-empty transaction enters the
replica's aborted-transaction index (txn_index.py).

Transaction verification (KIP-890 part 1, 3.6+): before a transactional batch from a
producer id with no transaction ongoing here is appended, the leader asks the transaction
coordinator whether the partition is in the producer's transaction; the verification guard
created when the check starts (VerificationStateEntry's VerificationGuard) must still be the
producer id's when the batch is appended. Any transactional batch or marker of the producer
id clears it (UnifiedLog.updateProducers), so an answer that a marker overtook appends
nothing (INVALID_TXN_STATE). The entry also keeps the lowest sequence a verification started
with (for the newest epoch): a batch with a higher first sequence gets
OUT_OF_ORDER_SEQUENCE_NUMBER until the entry is cleared, so a later batch verified first
cannot land before the earlier one (VerificationStateEntry.maybeUpdateLowestSequenceAndEpoch,
ProducerAppendInfo.checkSequence). Left out: the expiry of guards never used.

Replicated appends are not checked, only remembered, so a new leader already
holds the state that its log implies; the state is rebuilt from the log after
truncation and on log recovery. Sequence wrap-around at 2^31 and
producer-id expiry (`producer.id.expiration.ms`) are not modeled: a run is far
shorter than a day of idleness. Simplified: state is kept, not snapshotted, so
a rebuild after retention deleted a transaction's first batch no longer sees it
open (Kafka reloads it from a producer snapshot).
"""

from collections import deque

from sim.cluster.protocol import ABORT
from sim.cluster.txn_index import TransactionIndex

NUM_BATCHES_TO_RETAIN = 5
NO_OFFSET = -1
NO_SEQUENCE = -1

DUPLICATE = "DUPLICATE"
OUT_OF_ORDER_SEQUENCE_NUMBER = "OUT_OF_ORDER_SEQUENCE_NUMBER"
INVALID_PRODUCER_EPOCH = "INVALID_PRODUCER_EPOCH"
UNKNOWN_PRODUCER_ID = "UNKNOWN_PRODUCER_ID"
INVALID_TXN_STATE = "INVALID_TXN_STATE"
TRANSACTION_COORDINATOR_FENCED = "TRANSACTION_COORDINATOR_FENCED"

EPOCH, BATCHES, COORDINATOR_EPOCH, TXN_FIRST = 0, 1, 2, 3      # the fields of an entry


class VerificationGuard:
    """A transaction verification in progress (VerificationStateEntry): its identity is the
    guard; it keeps the lowest sequence seen at the newest epoch."""

    __slots__ = ("lowest", "epoch")

    def __init__(self, sequence: int, epoch: int) -> None:
        self.lowest, self.epoch = sequence, epoch

    def update(self, sequence: int, epoch: int) -> None:
        """maybeUpdateLowestSequenceAndEpoch."""
        if epoch > self.epoch:
            self.lowest, self.epoch = sequence, epoch
        elif epoch == self.epoch and sequence < self.lowest:
            self.lowest = sequence


class ProducerStates:
    """pid -> [epoch, the last five batches as (first_seq, last_seq, base_offset),
    coordinator epoch, first offset of its open transaction or -1]; the open and the
    unreplicated transactions; the aborted-transaction index."""

    __slots__ = ("entries", "ongoing", "unreplicated", "aborted", "transactional", "verifying")

    def __init__(self) -> None:
        self.entries: dict[int, list] = {}
        self.ongoing: dict[int, int] = {}           # first offset -> pid, in offset order
        self.unreplicated: dict[int, tuple[int, int]] = {}  # first offset -> (pid, marker)
        self.aborted = TransactionIndex()
        self.transactional = False                  # has the log held a transaction's batch?
        self.verifying: dict[int, VerificationGuard] = {}   # pid -> its verification guard

    def check(self, pid: int, epoch: int, first: int, last: int, kip_360: bool = True,
              transactional: bool = False):
        """Validate a client append: None (accept), DUPLICATE with its offset, or an error."""
        entry = self.entries.get(pid)
        if first == NO_SEQUENCE:
            stale = entry is not None and epoch < entry[EPOCH]
            return (INVALID_PRODUCER_EPOCH if stale else None), -1
        beyond = self.verifying and self._beyond_lowest(pid, first)
        if entry is None:
            if beyond:
                return OUT_OF_ORDER_SEQUENCE_NUMBER, -1
            return (None, -1) if kip_360 or first == 0 else (UNKNOWN_PRODUCER_ID, -1)
        cur_epoch, batches = entry[EPOCH], entry[BATCHES]
        if epoch < cur_epoch:
            return INVALID_PRODUCER_EPOCH, -1
        if beyond:
            return OUT_OF_ORDER_SEQUENCE_NUMBER, -1
        if epoch > cur_epoch:
            return self._txn_state(entry, transactional) if first == 0 else (
                OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
        for b_first, b_last, offset in batches:
            if b_first == first and b_last == last:
                return DUPLICATE, offset
        if first != (batches[-1][1] + 1 if batches else 0):     # a marker left no batches
            return OUT_OF_ORDER_SEQUENCE_NUMBER, -1
        return self._txn_state(entry, transactional)

    def _beyond_lowest(self, pid: int, first: int) -> bool:
        """A first sequence above the lowest one a verification of pid started with."""
        guard = self.verifying.get(pid)
        return guard is not None and first > guard.lowest

    @staticmethod
    def _txn_state(entry, transactional: bool):
        if entry[TXN_FIRST] != NO_OFFSET and not transactional:
            return INVALID_TXN_STATE, -1
        return None, -1

    def check_marker(self, pid: int, epoch: int, coordinator_epoch: int) -> str | None:
        """Validate a marker from the coordinator (appendEndTxnMarker's checks)."""
        entry = self.entries.get(pid)
        if entry is None:
            return None
        if epoch < entry[EPOCH]:
            return INVALID_PRODUCER_EPOCH
        if coordinator_epoch < entry[COORDINATOR_EPOCH]:
            return TRANSACTION_COORDINATOR_FENCED
        return None

    def has_ongoing(self, pid: int) -> bool:
        """Has the producer id a transaction open in this partition (hasOngoingTransaction)?"""
        entry = self.entries.get(pid)
        return entry is not None and entry[TXN_FIRST] != NO_OFFSET

    def start_verification(self, pid: int, sequence: int, epoch: int) -> VerificationGuard | None:
        """maybeStartTransactionVerification: None when the producer id's transaction is
        ongoing here (nothing to verify), else its guard (one per producer id until used)."""
        if self.has_ongoing(pid):
            return None
        guard = self.verifying.get(pid)
        if guard is None:
            guard = self.verifying[pid] = VerificationGuard(sequence, epoch)
        else:
            guard.update(sequence, epoch)
        return guard

    def verified(self, pid: int, guard: VerificationGuard | None) -> bool:
        """May a transactional batch of pid be appended: its transaction is ongoing here, or
        the verification that guard started is still current (batchMissingRequiredVerification)."""
        return self.has_ongoing(pid) or (guard is not None and self.verifying.get(pid) is guard)

    def record(self, batch) -> None:
        """Remember an appended batch (leader or follower)."""
        if batch.pid < 0:
            return
        if self.verifying and (batch.transactional or batch.control is not None):
            self.verifying.pop(batch.pid, None)
        if batch.control is not None:
            self._end_txn(batch)
            return
        entry = self.entries.get(batch.pid)
        if entry is None or batch.producer_epoch > entry[EPOCH]:
            coordinator_epoch, txn_first = (-1, NO_OFFSET) if entry is None else (
                entry[COORDINATOR_EPOCH], entry[TXN_FIRST])
            entry = self.entries[batch.pid] = [batch.producer_epoch,
                                               deque(maxlen=NUM_BATCHES_TO_RETAIN),
                                               coordinator_epoch, txn_first]
        entry[BATCHES].append((batch.base_sequence, batch.base_sequence + batch.count - 1,
                               batch.base_offset))
        if batch.transactional and entry[TXN_FIRST] == NO_OFFSET:
            self.transactional = True
            entry[TXN_FIRST] = batch.base_offset
            self.ongoing[batch.base_offset] = batch.pid

    def _end_txn(self, marker) -> None:
        """A COMMIT or ABORT marker ends the producer id's open transaction, if any
        (appendEndTxnMarker, completeTxn), and sets its epochs."""
        self.transactional = True
        entry = self.entries.get(marker.pid)
        if entry is None or entry[EPOCH] != marker.producer_epoch:
            txn_first = NO_OFFSET if entry is None else entry[TXN_FIRST]
            entry = self.entries[marker.pid] = [marker.producer_epoch,
                                                deque(maxlen=NUM_BATCHES_TO_RETAIN), -1,
                                                txn_first]
        entry[COORDINATOR_EPOCH] = marker.coordinator_epoch
        first = entry[TXN_FIRST]
        if first == NO_OFFSET:
            return
        entry[TXN_FIRST] = NO_OFFSET
        del self.ongoing[first]
        self.unreplicated[first] = (marker.pid, marker.base_offset)
        if marker.control == ABORT:
            self.aborted.append(marker.pid, first, marker.base_offset)

    # -- the last stable offset ----------------------------------------------

    def first_unstable_offset(self, hw: int) -> int:
        """The first offset of an undecided transaction or of a decided one whose marker the
        HW has not passed, -1 for none (firstUnstableOffset, after onHighWatermarkUpdated)."""
        unreplicated = self.unreplicated
        for first in [f for f, (_pid, last) in unreplicated.items() if last < hw]:
            del unreplicated[first]
        candidates = [f for f in (next(iter(self.ongoing), None),
                                  min(unreplicated, default=None)) if f is not None]
        return min(candidates) if candidates else NO_OFFSET

    def last_stable_offset(self, log) -> int:
        """min(first unstable offset, HW), never below the log start (UnifiedLog)."""
        first = self.first_unstable_offset(log.hw)
        if first == NO_OFFSET or first >= log.hw:
            return log.hw
        return max(first, log.log_start)

    def log_start_advanced(self, log_start: int) -> None:
        """Deleted segments take their aborted transactions' index entries along."""
        self.aborted.drop_below(log_start)

    @classmethod
    def rebuild(cls, batches) -> "ProducerStates":
        """Rebuild from a log, as after truncation or log recovery."""
        states = cls()
        for batch in batches:
            states.record(batch)
        return states

