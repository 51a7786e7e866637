"""The requests and responses hosts exchange, by Kafka's API names.

Plain slotted records; a request travels on a Connection and its response
comes back on the same one. Error codes are Kafka's names as strings (None
for NONE).
"""

from typing import NamedTuple

# a transaction marker's ControlRecordType, named once with the trace's results
from sim.core.records import ABORT as ABORT
from sim.core.records import COMMIT as COMMIT

NOT_LEADER_OR_FOLLOWER = "NOT_LEADER_OR_FOLLOWER"
NOT_ENOUGH_REPLICAS = "NOT_ENOUGH_REPLICAS"
NOT_ENOUGH_REPLICAS_AFTER_APPEND = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
REQUEST_TIMED_OUT = "REQUEST_TIMED_OUT"
MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
FENCED_LEADER_EPOCH = "FENCED_LEADER_EPOCH"
UNKNOWN_LEADER_EPOCH = "UNKNOWN_LEADER_EPOCH"
OFFSET_OUT_OF_RANGE = "OFFSET_OUT_OF_RANGE"
INVALID_UPDATE_VERSION = "INVALID_UPDATE_VERSION"
INELIGIBLE_REPLICA = "INELIGIBLE_REPLICA"
STALE_BROKER_EPOCH = "STALE_BROKER_EPOCH"
DUPLICATE_BROKER_REGISTRATION = "DUPLICATE_BROKER_REGISTRATION"
INVALID_REQUEST = "INVALID_REQUEST"
NOT_CONTROLLER = "NOT_CONTROLLER"
ELECTION_NOT_NEEDED = "ELECTION_NOT_NEEDED"
PREFERRED_LEADER_NOT_AVAILABLE = "PREFERRED_LEADER_NOT_AVAILABLE"
ELIGIBLE_LEADERS_NOT_AVAILABLE = "ELIGIBLE_LEADERS_NOT_AVAILABLE"
INVALID_REPLICATION_FACTOR = "INVALID_REPLICATION_FACTOR"
UNKNOWN_TOPIC_OR_PARTITION = "UNKNOWN_TOPIC_OR_PARTITION"
PREFERRED, UNCLEAN = "PREFERRED", "UNCLEAN"     # ElectionType


class BatchData(NamedTuple):
    """A producer batch as it travels in a ProduceRequest."""
    producer: int
    first_seq: int
    count: int
    size: int
    pid: int
    producer_epoch: int
    base_sequence: int
    transactional: bool = False     # written inside a transaction (KIP-98)


class ProduceRequest(NamedTuple):
    acks: int
    timeout_us: int
    batches: tuple          # ((pidx, BatchData), ...)
    transactional_id: str | None = None
    transaction_version: int = 0    # 2: the leader adds the partition to the transaction
                                    # (produce v12, KIP-890 part 2)


class ProduceResponse(NamedTuple):
    results: dict           # pidx -> (error or None, base_offset)
    throttle_time_ms: int = 0       # a client quota's throttle (KIP-219)


class FetchPartition(NamedTuple):
    fetch_offset: int
    last_fetched_epoch: int
    current_leader_epoch: int


class FetchRequest(NamedTuple):
    replica: int            # follower broker id, -1 for consumers
    broker_epoch: int
    partitions: dict        # pidx -> FetchPartition
    max_wait_us: int
    max_bytes: int          # per partition (max.partition.fetch.bytes)
    session: int = 0        # a follower's fetch session (fetch_session.py), 0 for none
    min_bytes: int = 1      # fetch.min.bytes (consumers)
    response_max_bytes: int = 1 << 62   # fetch.max.bytes across partitions (consumers)
    rack_id: str | None = None  # a consumer's client.rack (KIP-392), None when it has none
    isolation_level: int = 0    # READ_UNCOMMITTED, or READ_COMMITTED (KIP-98)


class FetchData(NamedTuple):
    error: str | None
    hw: int
    log_start: int
    batches: tuple
    diverging: tuple | None     # (epoch, end_offset)
    leader_leo: int
    preferred_read_replica: int = -1    # KIP-392: the replica to fetch from instead, -1: none
    last_stable_offset: int = -1        # the LSO (KIP-98), -1 when not asked for
    aborted: tuple = ()                 # READ_COMMITTED: ((pid, first_offset), ...) in range


class FetchResponse(NamedTuple):
    partitions: dict        # pidx -> FetchData
    throttle_time_ms: int = 0       # a client quota's throttle (KIP-219)


class AlterPartition(NamedTuple):
    broker: int
    broker_epoch: int
    pidx: int
    leader_epoch: int
    partition_epoch: int
    isr: tuple


class AlterPartitionResponse(NamedTuple):
    error: str | None
    state: object           # the committed PartitionState


class BrokerRegistration(NamedTuple):
    broker: int
    incarnation: int
    previous_broker_epoch: int      # from the clean-shutdown marker, -1 if none


class RegistrationResponse(NamedTuple):
    error: str | None
    broker_epoch: int


class BrokerHeartbeat(NamedTuple):
    broker: int
    broker_epoch: int
    metadata_offset: int
    want_fence: bool                # not yet ready to be unfenced


class BrokerHeartbeatResponse(NamedTuple):
    error: str | None
    fenced: bool
    caught_up: bool = False         # the broker has applied its registration record


class ControlledShutdown(NamedTuple):
    broker: int
    broker_epoch: int


class MetadataFetch(NamedTuple):
    broker: int
    offset: int             # -1: send a snapshot


class MetadataRecords(NamedTuple):
    offset: int             # offset of the first record (or of the snapshot's end)
    snapshot: object        # an Image, or None
    records: tuple


class MetadataRequest(NamedTuple):
    topics: tuple


class MetadataResponse(NamedTuple):
    partitions: dict        # pidx -> (leader, leader_epoch)
    brokers: tuple          # live broker ids known to the answering broker


class InitProducerId(NamedTuple):
    producer: str
    transactional_id: str | None = None     # to the transaction coordinator (KIP-98)
    transaction_timeout_ms: int = -1
    producer_id: int = -1                   # the current id and epoch, to bump (KIP-360)
    producer_epoch: int = -1


class InitProducerIdResponse(NamedTuple):
    error: str | None
    pid: int
    producer_epoch: int


# -- transactions (KIP-98): what the coordinator writes to the partitions ------------------

READ_UNCOMMITTED, READ_COMMITTED = 0, 1         # IsolationLevel


class TxnMarker(NamedTuple):
    """One transaction's outcome, to be written to each of its partitions on this broker."""
    pid: int
    producer_epoch: int
    result: str                 # COMMIT or ABORT
    coordinator_epoch: int
    pidxs: tuple


GROUP, TRANSACTION = 0, 1                       # FindCoordinator's key types
INVALID_PRODUCER_EPOCH = "INVALID_PRODUCER_EPOCH"
PRODUCER_FENCED = "PRODUCER_FENCED"
CONCURRENT_TRANSACTIONS = "CONCURRENT_TRANSACTIONS"
INVALID_TXN_STATE = "INVALID_TXN_STATE"
INVALID_PRODUCER_ID_MAPPING = "INVALID_PRODUCER_ID_MAPPING"
INVALID_TRANSACTION_TIMEOUT = "INVALID_TRANSACTION_TIMEOUT"
TRANSACTION_COORDINATOR_FENCED = "TRANSACTION_COORDINATOR_FENCED"
TRANSACTION_ABORTABLE = "TRANSACTION_ABORTABLE"                 # KIP-890
UNSTABLE_OFFSET_COMMIT = "UNSTABLE_OFFSET_COMMIT"               # KIP-447


class AddPartitionsToTxn(NamedTuple):
    transactional_id: str
    pid: int
    producer_epoch: int
    pidxs: tuple
    verify_only: bool = False   # a leader's check that the partitions joined (KIP-890 part 1)


class AddPartitionsToTxnResponse(NamedTuple):
    results: dict               # pidx -> error or None


class AddPartitionsToTxnBatch(NamedTuple):
    """AddPartitionsToTxn v4+ as a partition leader sends it (AddPartitionsToTxnManager,
    KIP-890): the transactions of several producers to one coordinator in one request."""
    transactions: tuple         # (AddPartitionsToTxn, ...), one per transactional id


class AddPartitionsToTxnBatchResponse(NamedTuple):
    results: dict               # transactional id -> {pidx: error or None}


class AddOffsetsToTxn(NamedTuple):
    """sendOffsetsToTransaction's first step: the group's `__consumer_offsets` partition joins
    the transaction (KIP-98), so the coordinator writes its marker there too."""
    transactional_id: str
    pid: int
    producer_epoch: int
    group: str


class AddOffsetsToTxnResponse(NamedTuple):
    error: str | None


class TxnOffsetCommit(NamedTuple):
    """sendOffsetsToTransaction's second step, to the group coordinator: offsets that become
    the group's committed offsets when the transaction commits. From 2.5 it carries the
    consumer's group metadata (generation, member id, instance id) and the coordinator fences
    a zombie member with it (KIP-447); before, generation is -1 and nothing is checked."""
    transactional_id: str
    group: str
    pid: int
    producer_epoch: int
    generation: int
    member_id: str
    group_instance_id: str | None
    offsets: tuple              # ((pidx, offset), ...)


class TxnOffsetCommitResponse(NamedTuple):
    error: str | None           # Kafka answers per partition; the errors here are per request


class EndTxn(NamedTuple):
    transactional_id: str
    pid: int
    producer_epoch: int
    committed: bool             # commit, or abort


class EndTxnResponse(NamedTuple):
    error: str | None
    pid: int = -1               # transaction.version 2: the producer id and the epoch
    producer_epoch: int = -1    # EndTxn bumped it to, for the next transaction (KIP-890)


class WriteTxnMarkers(NamedTuple):
    markers: tuple              # (TxnMarker, ...)


class WriteTxnMarkersResponse(NamedTuple):
    results: dict               # pid -> {pidx: error or None}


# -- consumer groups (classic protocol) and consumer reads ----------------------------------

NOT_COORDINATOR = "NOT_COORDINATOR"
COORDINATOR_NOT_AVAILABLE = "COORDINATOR_NOT_AVAILABLE"
COORDINATOR_LOAD_IN_PROGRESS = "COORDINATOR_LOAD_IN_PROGRESS"
UNKNOWN_MEMBER_ID = "UNKNOWN_MEMBER_ID"
MEMBER_ID_REQUIRED = "MEMBER_ID_REQUIRED"
ILLEGAL_GENERATION = "ILLEGAL_GENERATION"
REBALANCE_IN_PROGRESS = "REBALANCE_IN_PROGRESS"
FENCED_INSTANCE_ID = "FENCED_INSTANCE_ID"
INCONSISTENT_GROUP_PROTOCOL = "INCONSISTENT_GROUP_PROTOCOL"


class FindCoordinator(NamedTuple):
    group: str                  # the key: a group id, or a transactional id
    key_type: int = 0           # GROUP, or TRANSACTION


class FindCoordinatorResponse(NamedTuple):
    error: str | None
    broker: int


class JoinGroup(NamedTuple):
    group: str
    member_id: str              # "" for a new dynamic member
    instance_id: str | None     # group.instance.id
    client: str                 # the member's host name
    session_us: int
    rebalance_us: int           # max.poll.interval.ms
    protocols: tuple            # assignor names, in preference order
    topics: tuple
    owned: tuple                # ((topic, partition), ...) owned now (cooperative)


class JoinGroupResponse(NamedTuple):
    error: str | None
    generation: int
    protocol: str
    leader: str
    member_id: str
    members: tuple              # Subscriptions, for the leader only


class SyncGroup(NamedTuple):
    group: str
    generation: int
    member_id: str
    assignments: dict | None    # member id -> ((topic, partition), ...), from the leader


class SyncGroupResponse(NamedTuple):
    error: str | None
    assignment: tuple


class Heartbeat(NamedTuple):
    group: str
    generation: int
    member_id: str


class HeartbeatResponse(NamedTuple):
    error: str | None


class LeaveGroup(NamedTuple):
    group: str
    member_id: str
    reason: str                 # KIP-800


class LeaveGroupResponse(NamedTuple):
    error: str | None


class OffsetCommit(NamedTuple):
    group: str
    generation: int
    member_id: str
    offsets: tuple              # ((pidx, offset), ...)


class OffsetCommitResponse(NamedTuple):
    error: str | None


class OffsetFetch(NamedTuple):
    group: str
    pidxs: tuple
    require_stable: bool = False    # KIP-447 (2.5+): UNSTABLE_OFFSET_COMMIT while a
                                    # transaction's offsets for a partition are pending


class OffsetFetchResponse(NamedTuple):
    error: str | None
    offsets: dict               # pidx -> committed offset (-1: none)


EARLIEST, LATEST = -2, -1       # ListOffsets timestamps


class ListOffsets(NamedTuple):
    partitions: dict            # pidx -> EARLIEST | LATEST | a timestamp in us
    isolation_level: int = 0    # READ_COMMITTED: LATEST is the last stable offset (KIP-98)


class ListOffsetsResponse(NamedTuple):
    partitions: dict            # pidx -> (error or None, offset)


class DescribeGroup(NamedTuple):
    group: str


class DescribeGroupResponse(NamedTuple):
    error: str | None
    state: str
    members: int


class ElectLeaders(NamedTuple):
    """An admin's ElectLeadersRequest (KIP-460): PREFERRED or UNCLEAN, for these partitions."""
    election_type: str
    pidxs: tuple


class ElectLeadersResponse(NamedTuple):
    results: tuple          # ((pidx, error or None), ...)
