"""Which fetched batches a consumer hands to the application (CompletedFetch, KIP-98).

Control batches (transaction markers) are never handed over, whatever the isolation level.
A read_committed consumer also drops the batches of aborted transactions: the fetch
response lists the aborted transactions overlapping it as (producer id, first offset);
going through the batches in offset order, a transaction's producer id counts as aborting
from the first batch that reaches its first offset (consumeAbortedTransactionsUpTo, by the
batch's last offset) until that producer id's ABORT marker, and a transactional batch of an
aborting producer id is skipped (isBatchAborted). Skipped batches still move the position
past them (nextFetchOffset). One step per batch, never per record.
"""

from sim.cluster.protocol import ABORT


def delivered(batches, aborted: tuple | None) -> list:
    """The batches to hand over: no control batches and, with `aborted` (read_committed:
    the response's aborted transactions), none of an aborted transaction."""
    if aborted is None:
        return [b for b in batches if b.control is None]
    pending = sorted(aborted, key=lambda txn: txn[1])
    aborting: set[int] = set()
    out = []
    for b in batches:
        last = b.base_offset + b.count - 1
        while pending and pending[0][1] <= last:
            aborting.add(pending.pop(0)[0])
        if b.control is not None:
            if b.control == ABORT:
                aborting.discard(b.pid)
        elif not (b.transactional and b.pid in aborting):
            out.append(b)
    return out


def has_control(batches) -> bool:
    return any(b.control is not None for b in batches)
