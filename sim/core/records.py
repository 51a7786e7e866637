"""The typed records of the trace, one NamedTuple per observable fact.

`t_us` comes first. `KEEP = True` marks the records analysis reads back; the
others feed only the digest (and `trace_text`). `PROBE = True` marks the
probes at the end of this module: records for the observers of a run only,
outside the digest (sim/core/trace.py). Partitions are named by topic
and partition number; records by (producer, topic, partition, sequence), where
the sequence numbers a producer's records to one partition from 0, for the
whole run (idempotence sequences are separate and per producer session).
"""

from typing import NamedTuple

# the states of a host process, as HostChanged names them (sim/cluster/host.py)
RUNNING, PAUSED = "running", "paused"
CRASHED, STOPPED, POWERED_OFF = "crashed", "stopped", "powered_off"
DOWN = (CRASHED, STOPPED, POWERED_OFF)

# how a transaction ended, as TxnEnded, TxnDecided and MarkerAppended name it: a marker's
# ControlRecordType (COMMIT, ABORT), or FATAL for a producer closed by a fatal error
COMMIT, ABORT, FATAL = "COMMIT", "ABORT", "FATAL"


class HostChanged(NamedTuple):
    t_us: int
    host: str
    state: str              # running | crashed | stopped | powered_off | paused
    KEEP = True


class ControllerActive(NamedTuple):
    t_us: int
    controller: str         # the quorum's active controller from now, "" for none
    KEEP = True


class FaultFired(NamedTuple):
    t_us: int
    index: int
    kind: str
    hosts: tuple
    KEEP = True


class FaultEnded(NamedTuple):
    t_us: int
    index: int
    kind: str
    hosts: tuple
    KEEP = True


class FaultSkipped(NamedTuple):
    t_us: int
    index: int
    kind: str
    reason: str
    KEEP = True


class RecordsHanded(NamedTuple):
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    KEEP = False


class OutputSources(NamedTuple):
    """Consume-transform-produce: the input records behind a consumer member's output records
    [first_seq, first_seq + count) of one partition, one each in order, as int64 triples
    (input partition index in the topology, input producer index or -1, input sequence or,
    without a producer, offset), packed as bytes (numpy tobytes)."""
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    sources: bytes
    KEEP = True


class BatchSent(NamedTuple):
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    broker: int
    attempt: int
    KEEP = False


class BatchAppended(NamedTuple):
    t_us: int
    broker: int
    topic: str
    partition: int
    base_offset: int
    leader_epoch: int
    producer: str
    first_seq: int
    count: int
    KEEP = True


class ProduceRejected(NamedTuple):
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    error: str
    KEEP = True


class BatchAcked(NamedTuple):
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    base_offset: int        # -1 with acks=0
    KEEP = True


class BatchFailed(NamedTuple):
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    error: str
    KEEP = True


class TxnEnded(NamedTuple):
    """A transactional producer's application ended a transaction: its records
    [first_seq, first_seq + count) of one partition are committed (commitTransaction
    returned), aborted (abortTransaction returned), or FATAL (the producer failed with a
    fatal error, e.g. fenced, before the transaction completed)."""
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    result: str             # COMMIT | ABORT | FATAL
    KEEP = True


class ProducerFatal(NamedTuple):
    """A transactional producer entered its fatal error state (TransactionManager
    transitionToFatalError, e.g. PRODUCER_FENCED): the application closes it."""
    t_us: int
    producer: str
    transactional_id: str
    error: str
    KEEP = True


class SendFailed(NamedTuple):
    """The application's send of these records failed before they joined a batch (a full
    buffer.memory past max.block.ms: BUFFER_EXHAUSTED; larger than max.request.size:
    RECORD_TOO_LARGE)."""
    t_us: int
    producer: str
    topic: str
    partition: int
    first_seq: int
    count: int
    error: str
    KEEP = True


class ClientThrottled(NamedTuple):
    """A client quota's throttle: the broker answered with throttle_time_ms and muted the
    client's channel, and the client sends it nothing until throttle_us has passed."""
    t_us: int
    client: str
    broker: int
    quota: str              # producer_byte_rate | consumer_byte_rate
    throttle_us: int
    KEEP = True


class CopiesRemoved(NamedTuple):
    """A replica dropped a batch's records: truncation or power loss."""
    t_us: int
    broker: int
    topic: str
    partition: int
    producer: str
    first_seq: int
    count: int
    cause: str
    batch_epoch: int        # the leader epoch the batch was appended in
    leader_epoch: int       # the epoch the replica was following (or leading) then
    KEEP = True


class SegmentsDeleted(NamedTuple):
    """A replica deleted its oldest segments (retention, or below the leader's log start)."""
    t_us: int
    broker: int
    topic: str
    partition: int
    segments: int
    old_log_start: int
    new_log_start: int
    reason: str             # retention_ms | retention_bytes | log_start
    KEEP = True


class RecordsExpired(NamedTuple):
    """A replica removed a run of one producer's records as the topic's policy says.

    Records [first_seq, first_seq + count) sat at offsets [base_offset, base_offset + count).
    """
    t_us: int
    broker: int
    topic: str
    partition: int
    producer: str
    first_seq: int
    count: int
    base_offset: int
    cause: str              # retention | compaction
    KEEP = True


class Truncated(NamedTuple):
    t_us: int
    broker: int
    topic: str
    partition: int
    old_leo: int
    new_leo: int
    cause: str              # diverging_epoch | out_of_range | power_loss | high_watermark
    KEEP = True


class LeaderChanged(NamedTuple):
    """The controller committed a new leader (or none) for a partition."""
    t_us: int
    topic: str
    partition: int
    leader: int             # -1: offline
    leader_epoch: int
    isr: tuple
    election: str           # initial | clean | elr | last_known_elr | unclean | preferred
                            # | none
    KEEP = True


class IsrChanged(NamedTuple):
    t_us: int
    topic: str
    partition: int
    isr: tuple
    elr: tuple
    partition_epoch: int
    reason: str             # shrink | expand | fenced | shutdown | election
    KEEP = True


class ReassignmentChanged(NamedTuple):
    """The controller committed a step of a partition reassignment (KIP-455)."""
    t_us: int
    topic: str
    partition: int
    phase: str              # started | completed
    replicas: tuple         # the replicas it committed (target first, then the removing ones)
    adding: tuple
    removing: tuple
    KEEP = True


class ReplicaDeleted(NamedTuple):
    """A broker no longer among a partition's replicas stopped it and deleted its log
    (StopReplica with deletion; in KRaft, the metadata delta removing it)."""
    t_us: int
    broker: int
    topic: str
    partition: int
    leo: int                # the log end offset it had
    KEEP = True


class BrokerRegistered(NamedTuple):
    t_us: int
    broker: int
    broker_epoch: int
    clean_shutdown: bool
    KEEP = True


class BrokerFenced(NamedTuple):
    t_us: int
    broker: int
    reason: str             # session_timeout | controlled_shutdown
    KEEP = True


class BrokerUnfenced(NamedTuple):
    t_us: int
    broker: int
    KEEP = True


class HighWatermark(NamedTuple):
    """A leader's high watermark moved."""
    t_us: int
    broker: int
    topic: str
    partition: int
    leader_epoch: int
    hw: int
    leo: int
    KEEP = True


class TxnBatchAppended(NamedTuple):
    """A leader appended a data batch written inside a transaction (besides its
    BatchAppended): which producer id's transaction its records belong to."""
    t_us: int
    broker: int
    topic: str
    partition: int
    base_offset: int
    producer: str
    first_seq: int
    count: int
    pid: int
    KEEP = True


class MarkerAppended(NamedTuple):
    """A leader appended a transaction marker (a COMMIT or ABORT control batch) for a
    producer id, on the coordinator's WriteTxnMarkers."""
    t_us: int
    broker: int
    topic: str
    partition: int
    offset: int
    leader_epoch: int
    pid: int
    producer_epoch: int
    result: str             # COMMIT | ABORT
    KEEP = True


class StableOffset(NamedTuple):
    """A leader's last stable offset after its high watermark moved, for a partition that
    has seen transactions (KIP-98); the lag of read_committed groups is measured to it.
    Kept: the distance from the high watermark is what read_committed cannot read yet."""
    t_us: int
    broker: int
    topic: str
    partition: int
    lso: int
    KEEP = True


class InvariantExempted(NamedTuple):
    t_us: int
    topic: str
    partition: int
    invariant: str
    reason: str
    KEEP = True


# -- consumer groups -------------------------------------------------------------------------

class GroupRebalancing(NamedTuple):
    """The coordinator started a rebalance (PreparingRebalance)."""
    t_us: int
    group: str
    generation: int
    reason: str             # member_joined | member_left | session_timeout | ...
    KEEP = True


class GroupGeneration(NamedTuple):
    """A join completed: a new generation with its leader and members (clients)."""
    t_us: int
    group: str
    generation: int
    protocol: str
    leader: str
    members: tuple
    KEEP = True


class GroupStable(NamedTuple):
    """The generation's assignment is written and handed out."""
    t_us: int
    group: str
    generation: int
    KEEP = True


class MemberRemoved(NamedTuple):
    t_us: int
    group: str
    member: str             # the member's client (host) name
    reason: str             # leave_group | session_timeout | not_rejoined | fenced
    KEEP = True


class OffsetsCommitted(NamedTuple):
    """A commit is durable at the coordinator: the group's committed offset moved."""
    t_us: int
    group: str
    member: str
    topic: str
    partition: int
    offset: int
    KEEP = True


class CommitFailed(NamedTuple):
    t_us: int
    group: str
    member: str
    error: str
    KEEP = True


class PartitionsAssigned(NamedTuple):
    """A member got its assignment for a generation (SyncGroup answered)."""
    t_us: int
    group: str
    member: str
    generation: int
    partitions: tuple       # ((topic, partition), ...)
    KEEP = True


class PositionReset(NamedTuple):
    """A member's position was set by auto.offset.reset (from `previous`, -1: none)."""
    t_us: int
    group: str
    member: str
    topic: str
    partition: int
    previous: int
    offset: int
    reason: str             # no_committed_offset | out_of_range
    KEEP = True


class OffsetFetchUnstable(NamedTuple):
    """A read_committed member's OffsetFetch (require_stable, KIP-447) was answered
    UNSTABLE_OFFSET_COMMIT: a transaction's offsets for these partitions are pending at the
    coordinator; it asks again after retry.backoff.ms."""
    t_us: int
    group: str
    member: str
    partitions: tuple       # ((topic, partition), ...) it asked for
    KEEP = True


class OffsetsReset(NamedTuple):
    """An operator reset a group's committed offset (kafka-consumer-groups --reset-offsets)."""
    t_us: int
    group: str
    topic: str
    partition: int
    previous: int           # -1: none committed
    offset: int
    KEEP = True


class OffsetsResetRefused(NamedTuple):
    """The reset was refused: the group has active members."""
    t_us: int
    group: str
    state: str
    members: int
    KEEP = True


class LeadersElected(NamedTuple):
    """The answer to an operator's ElectLeaders for one partition (kafka-leader-election.sh)."""
    t_us: int
    election_type: str      # PREFERRED | UNCLEAN
    topic: str
    partition: int
    error: str | None       # None: elected; ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
                            # ELIGIBLE_LEADERS_NOT_AVAILABLE, or why the request failed
    KEEP = True


class TxnDecided(NamedTuple):
    """A transaction coordinator decided a transaction: its PrepareCommit or PrepareAbort
    is committed in `__transaction_state` (the client asked, or the transaction timed out)."""
    t_us: int
    transactional_id: str
    pid: int
    producer_epoch: int
    result: str             # COMMIT | ABORT
    reason: str             # "client" (EndTxn), "timeout", "fenced" (a new InitProducerId),
    #                         "loaded" (a new coordinator found it decided: may repeat a row)
    KEEP = True


class RecordsProcessed(NamedTuple):
    """A member finished processing records [start_offset, start_offset + count)."""
    t_us: int
    group: str
    member: str
    topic: str
    partition: int
    start_offset: int
    count: int
    KEEP = True


class PoisonSkipped(NamedTuple):
    """A poison record was given up on and skipped (on_poison then: skip)."""
    t_us: int
    group: str
    member: str
    topic: str
    partition: int
    offset: int
    KEEP = True


class DeadLettered(NamedTuple):
    """A poison record was written to the dead-letter topic."""
    t_us: int
    group: str
    member: str
    topic: str
    partition: int
    offset: int
    dlq_topic: str
    dlq_partition: int
    dlq_offset: int
    KEEP = True


# -- probes: for the observers of the run (lag, processing, invariants), outside the digest --

class HwAdvanced(NamedTuple):
    """A leader's high watermark moved from old_hw (the invariants read its log)."""
    t_us: int
    broker: int
    pidx: int
    leader_epoch: int
    old_hw: int
    hw: int
    leo: int
    KEEP = False
    PROBE = True


class PartitionChanged(NamedTuple):
    """The controller committed a partition state `new` in place of `old` (None at boot)."""
    t_us: int
    old: object             # PartitionState | None
    new: object             # PartitionState
    election: str | None    # initial | clean | elr | last_known_elr | unclean | preferred
                            # | none;
                            # None: the leader did not change
    unclean_requested: bool = False     # an operator's ElectLeaders UNCLEAN asked for it
    KEEP = False
    PROBE = True


class RecordsFetched(NamedTuple):
    """A consumer fetch returned these batches of a partition (what it saw at their offsets)."""
    t_us: int
    group: str
    topic: str
    partition: int
    batches: tuple          # the fetched batches (LogBatch)
    KEEP = False
    PROBE = True


class RecordsCommitted(NamedTuple):
    """A leader's high watermark passed these batches of a partition (emitted only when
    observed: `Trace.observed`)."""
    t_us: int
    topic: str
    partition: int
    batches: list           # the leader's batches from the old HW up to the new (LogBatch)
    KEEP = False
    PROBE = True


class ProcessingTimes(NamedTuple):
    """The batches behind a RecordsProcessed and each of its records' completion time."""
    t_us: int
    group: str
    topic: str
    partition: int
    start_offset: int
    count: int
    batches: tuple          # the fetched batches holding them (LogBatch)
    done_us: object         # numpy int64 array, one completion time per record
    KEEP = False
    PROBE = True


class OutOfSyncFetch(NamedTuple):
    """A leader read a fetch of one of its partitions from a follower outside its ISR (emitted
    only when observed: `Trace.observed`)."""
    t_us: int
    broker: int             # the leader
    follower: int
    topic: str
    partition: int
    KEEP = False
    PROBE = True


class FaultSides(NamedTuple):
    """The hosts of each side of a `partition` entry as it fired, for the report's labels.

    A kept probe: the report reads it, the digest never sees it (FaultFired already
    names every host the cut took)."""
    t_us: int
    index: int
    sides: tuple            # one tuple of host names per side
    KEEP = True
    PROBE = True


class NicBytes(NamedTuple):
    """A broker NIC's bytes so far, out and in, sampled every second of a run with a
    bandwidth (sim/cluster/wire_sampler.py), for the report. A kept probe, never digested."""
    t_us: int
    host: str
    sent: int
    received: int
    KEEP = True
    PROBE = True


class FollowerLagBytes(NamedTuple):
    """A follower's lag behind its leader in bytes (the leader's batches from the follower's
    log end to its own), sampled with NicBytes. A kept probe, never digested."""
    t_us: int
    broker: int
    topic: str
    partition: int
    lag_bytes: int
    KEEP = True
    PROBE = True
