"""Transaction verification of produce requests at the partition leader (KIP-890).

ReplicaManager.handleProduceAppend: before a transactional produce request is appended, each
partition this broker leads where the producer id has no transaction ongoing gets a
verification guard (producer_state.py), and the leader asks the transaction coordinator,
through the AddPartitionsToTxnManager (add_partitions_manager.py), whether those partitions
are in the producer's ongoing transaction at its producer epoch (part 1, 3.6+, while
`transaction.partition.verification.enable`), or, for a producer of transaction.version 2,
to add them to it (part 2, 4.0). The request is parked until the answer; the partitions the
coordinator refused are answered with its error, the others appended with their guards
(the append refuses a batch whose guard a marker cleared meanwhile: INVALID_TXN_STATE).
A partition not in the transaction is answered INVALID_TXN_STATE before 3.8 and
TRANSACTION_ABORTABLE from 3.8 (the protocol switch `txn.verification.error`); the
coordinator's retriable answers (CONCURRENT_TRANSACTIONS, NETWORK_EXCEPTION,
COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) become
NOT_ENOUGH_REPLICAS, which every producer retries without a metadata refresh. An add
(transaction.version 2) answered CONCURRENT_TRANSACTIONS, as the next transaction's first
write is while the previous one's markers are written, is sent again by the leader every
`add.partitions.to.txn.retry.backoff.ms` (20 ms) until
`add.partitions.to.txn.retry.backoff.max.ms` (100 ms) have passed (KAFKA-18654, 4.0).
"""

from sim.cluster.add_partitions_manager import AddPartitionsToTxnManager
from sim.cluster.protocol import (
    CONCURRENT_TRANSACTIONS,
    COORDINATOR_LOAD_IN_PROGRESS,
    COORDINATOR_NOT_AVAILABLE,
    NOT_COORDINATOR,
    NOT_ENOUGH_REPLICAS,
    AddPartitionsToTxn,
)
from sim.cluster.rpc import NETWORK_EXCEPTION
from sim.core.units import MS

ADD_RETRY_BACKOFF_US = 20 * MS     # add.partitions.to.txn.retry.backoff.ms (4.0)
ADD_RETRY_MAX_US = 100 * MS        # add.partitions.to.txn.retry.backoff.max.ms
RETRIABLE = frozenset((CONCURRENT_TRANSACTIONS, NETWORK_EXCEPTION, COORDINATOR_LOAD_IN_PROGRESS,
                       COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR))


def verification_for(broker):
    """The broker's verification, or None when no produce request can need one (no
    transactional producer, or neither part of KIP-890 in force)."""
    s = broker.settings
    if not broker.ctx.topology.has_transactions or not (
            s.txn_verification or s.transaction_version >= 2):
        return None
    return TxnVerification(broker)


class TxnVerification:
    """One broker's checks of transactional writes before they are appended."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.enabled = broker.settings.txn_verification     # the append checks the guard
        self.manager = AddPartitionsToTxnManager(broker)

    def reset(self) -> None:
        self.manager.reset()

    def start(self, request, then) -> bool:
        """maybeStartTransactionVerificationForPartitions: start the checks request needs;
        then(errors, guards) once the coordinator answered. False when none is needed."""
        adding = request.transaction_version >= 2
        if request.transactional_id is None or not (self.enabled or adding):
            return False
        replicas = self.broker.replicas
        guards, producer = {}, None
        for pidx, data in request.batches:
            replica = replicas.get(pidx)
            if not data.transactional or replica is None or not replica.is_leader:
                continue
            guard = replica.producers.start_verification(data.pid, data.base_sequence,
                                                          data.producer_epoch)
            if guard is not None:
                guards[pidx] = guard
                producer = data
        if not guards:
            return False
        check = AddPartitionsToTxn(request.transactional_id, producer.pid,
                                   producer.producer_epoch, tuple(guards), not adding)
        self._send(check, guards, then, self.broker.engine.now + ADD_RETRY_MAX_US)
        return True

    def _send(self, check, guards: dict, then, give_up_us: int) -> None:
        def answered(errors: dict) -> None:
            now = self.broker.engine.now
            if not check.verify_only and CONCURRENT_TRANSACTIONS in errors.values() \
                    and now + ADD_RETRY_BACKOFF_US <= give_up_us:
                self.broker.timer(ADD_RETRY_BACKOFF_US, self._send, check, guards, then,
                                  give_up_us)
                return
            then(_translated(errors), guards)
        self.manager.verify(check, answered)

    def verified(self, replica, data, guard) -> bool:
        """May this batch be appended (UnifiedLog.analyzeAndValidateProducerState)?"""
        return not (self.enabled and data.transactional) or \
            replica.producers.verified(data.pid, guard)


def _translated(errors: dict) -> dict:
    """handleProduceAppend's postVerificationCallback: the coordinator's retriable errors as
    NOT_ENOUGH_REPLICAS."""
    return {pidx: NOT_ENOUGH_REPLICAS if error in RETRIABLE else error
            for pidx, error in errors.items()}
