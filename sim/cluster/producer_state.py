"""Idempotent-producer state of one partition replica (ProducerStateEntry).

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
  until KAFKA-8710).
Replicated appends are not checked, only remembered, so a new leader already
holds the state that its log implies. Sequence wrap-around at 2^31 and
producer-id expiry (`producer.id.expiration.ms`) are not modeled: a run is far
shorter than a day of idleness.
"""

from collections import deque

NUM_BATCHES_TO_RETAIN = 5

DUPLICATE = "DUPLICATE"
OUT_OF_ORDER_SEQUENCE_NUMBER = "OUT_OF_ORDER_SEQUENCE_NUMBER"
INVALID_PRODUCER_EPOCH = "INVALID_PRODUCER_EPOCH"
UNKNOWN_PRODUCER_ID = "UNKNOWN_PRODUCER_ID"


class ProducerStates:
    """pid -> (epoch, the last five batches as (first_seq, last_seq, base_offset))."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: dict[int, list] = {}

    def check(self, pid: int, epoch: int, first: int, last: int, kip_360: bool = True):
        """Validate a client append: None (accept), DUPLICATE with its offset, or an error."""
        entry = self.entries.get(pid)
        if entry is None:
            return (None, -1) if kip_360 or first == 0 else (UNKNOWN_PRODUCER_ID, -1)
        cur_epoch, batches = entry
        if epoch < cur_epoch:
            return INVALID_PRODUCER_EPOCH, -1
        if epoch > cur_epoch:
            return (None, -1) if first == 0 else (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
        for b_first, b_last, offset in batches:
            if b_first == first and b_last == last:
                return DUPLICATE, offset
        if batches and first != batches[-1][1] + 1:
            return OUT_OF_ORDER_SEQUENCE_NUMBER, -1
        return None, -1

    def record(self, batch) -> None:
        """Remember an appended batch (leader or follower)."""
        if batch.pid < 0:
            return
        entry = self.entries.get(batch.pid)
        if entry is None or batch.producer_epoch > entry[0]:
            entry = self.entries[batch.pid] = [batch.producer_epoch,
                                               deque(maxlen=NUM_BATCHES_TO_RETAIN)]
        entry[1].append((batch.base_sequence, batch.base_sequence + batch.count - 1,
                         batch.base_offset))

    @classmethod
    def rebuild(cls, batches) -> "ProducerStates":
        """Rebuild from a log, as after truncation or log recovery."""
        states = cls()
        for batch in batches:
            states.record(batch)
        return states
