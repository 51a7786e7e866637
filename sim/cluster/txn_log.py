"""What a transaction coordinator writes to `__transaction_state`, and how it reads it back.

One record per state transition (TransactionLog: key the transactional id, value its
producer id and epochs, timeout, state, partitions and timestamps), here the `TxnTransit`
itself. As with the group coordinator's records (group_log.py), the content lives in the
run-wide record store and a batch of the partition refers to it by `first_seq` (its
`producer` is -1), so replicas copy, truncate and lose these records like any others. A
coordinator that takes over a partition replays its log (TransactionStateManager.
loadTransactionsForTxnTopicPartition): the newest record of each transactional id wins.

Left out: compaction of the topic and the expiration of idle ids (tombstones), whose
horizons (`transactional.id.expiration.ms`, 7 days) are beyond a run.
"""

from sim.cluster.log import BATCH_HEADER
from sim.cluster.txn_metadata import TxnMetadata

RECORD_BYTES = 120              # a transaction-log record with a few partitions, roughly


def record_size(pidxs: tuple) -> int:
    """A record's bytes: its fixed part plus a topic-partition per partition, roughly."""
    return RECORD_BYTES + 8 * len(pidxs) + BATCH_HEADER


def replay(store, batches) -> dict[str, TxnMetadata]:
    """The transactional ids a partition's log describes, each in its newest state."""
    txns: dict[str, TxnMetadata] = {}
    for batch in batches:
        if batch.producer >= 0:
            continue
        record = store.records[batch.first_seq]
        txns[record.transactional_id] = TxnMetadata.from_record(record)
    return txns
