"""A Kafka broker: lifecycle, metadata, disk, and the roles of its replicas.

The broker registers with the controller and heartbeats (lifecycle.py), and
long-polls the controller's metadata log;
each partition record it applies makes its replica a leader or a follower
(ReplicaManager serves the leader side, ReplicaFetcher the follower side).
Leaders propose ISR shrinks every `replica.lag.time.max.ms / 2` and
expansions on fetch, by AlterPartition, one at a time per partition; a lost or
failed one is resent, one refused as stale waits for the partition's next metadata.
A partition record whose replicas name this broker for the first time makes it a follower
from an empty log (a reassignment adding it); one that no longer names it stops the replica
and deletes its log (ReplicaManager.applyDelta: stopPartitions with deletion).

Lifecycle (docs/faults.md#the-actions): a crash keeps the page cache and resets every
connection; a power loss drops each log's unstable suffix and is silent to
peers; a clean stop is a controlled shutdown (leaderships move away first, and
a follower taken out of the ISR meanwhile stops fetching),
then an fsync of every log and a clean-shutdown marker. A restart recovers
the logs, reloads the checkpointed HW, and registers again, which the
controller refuses while the previous incarnation's session is still valid.
The next incarnation asks to be unfenced as soon as it has caught up with the
metadata (a few heartbeats 10 ms apart, lifecycle.py).
"""

from sim.cluster.cleaner import LogCleaner
from sim.cluster.consumer_reads import ConsumerReads
from sim.cluster.context import BrokerContext
from sim.cluster.coordinator import GROUP_REQUESTS, GroupCoordinator
from sim.cluster.fetcher import ReplicaFetcher
from sim.cluster.host import CRASHED, POWERED_OFF, STOPPED, Host
from sim.cluster.lifecycle import BrokerLifecycleManager
from sim.cluster.metadata import NO_LEADER, Image, assigned
from sim.cluster.protocol import (
    FENCED_LEADER_EPOCH,
    INELIGIBLE_REPLICA,
    INVALID_REQUEST,
    INVALID_UPDATE_VERSION,
    NOT_LEADER_OR_FOLLOWER,
    AlterPartition,
    ControlledShutdown,
    FetchRequest,
    InitProducerId,
    InitProducerIdResponse,
    ListOffsets,
    MetadataFetch,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
    WriteTxnMarkers,
)
from sim.cluster.quotas import client_quotas
from sim.cluster.replica import Replica
from sim.cluster.replica_manager import ReplicaManager
from sim.cluster.replication_quota import follower_quota
from sim.cluster.rpc import Connection, Connections, Failure
from sim.cluster.settings import (
    ALTER_PARTITION_RETRY_US,
    CONTROLLER_REQUEST_TIMEOUT_US,
    METADATA_FETCH_WAIT_US,
)
from sim.cluster.storage import LogStorage
from sim.cluster.topology import TXN_TOPIC
from sim.cluster.txn_coordinator import TransactionCoordinator, is_txn_request
from sim.cluster.txn_markers import TxnMarkerWriter
from sim.core.records import ReplicaDeleted

# AlterPartition errors after which the proposal stays pending, not retried, until metadata
# for the partition replaces it: the controller may have moved on (Partition.
# handleAlterPartitionError). An ineligible replica reverts to the committed ISR; any other
# error or a lost request is retried (AlterPartitionManager retries until answered).
AWAIT_METADATA = frozenset((FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INVALID_REQUEST,
                            "NEW_LEADER_ELECTED", "UNKNOWN_TOPIC_OR_PARTITION"))


def _itself(host):
    return host


class Broker(Host):
    """One broker process and the disk it keeps across restarts."""

    def __init__(self, broker_id: int, ctx: BrokerContext, disk) -> None:
        runtime = ctx.runtime
        super().__init__(f"broker-{broker_id}", runtime.engine, runtime.trace)
        self.id = broker_id
        self.ctx = ctx
        self.net = runtime.net
        self.nodes = runtime.nodes
        self.settings = ctx.settings
        self.topology = ctx.topology
        self.producer_names = ctx.producer_names
        self.replicas = {info.pidx: Replica(info, broker_id)
                         for info in ctx.topology.partitions if broker_id in info.hosts}
        self.storage = LogStorage(self, disk)
        self.cleaner = LogCleaner(self)
        self.clean_marker = -1
        self.broker_epoch = -1
        self.in_controlled_shutdown = False
        self.image = Image()
        self.manager = ReplicaManager(self)
        self.reads = ConsumerReads(self)
        self.quotas = client_quotas(self)
        self.coordinator = GroupCoordinator(self)
        self.txn_coordinator = TransactionCoordinator(self)
        self.follower_quota = follower_quota(self)      # KIP-73; None: nothing throttled
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self.conns = Connections(self.net, self, _itself)     # by server host
        self.lifecycle = BrokerLifecycleManager(self)
        self.markers = TxnMarkerWriter(self)

    # -- wiring --------------------------------------------------------------

    def producer_name(self, producer: int) -> str:
        """A workload producer's name; "" for the coordinator's own records."""
        return self.producer_names[producer] if producer >= 0 else ""

    def connection_to(self, target) -> Connection:
        host = self.nodes.brokers[target] if isinstance(target, int) else target
        return self.conns.to(host)

    def handle(self, conn, rid, payload) -> None:
        kind = type(payload)
        if kind is ProduceRequest:
            self.manager.produce(conn, rid, payload)
        elif kind is FetchRequest:
            if payload.replica < 0:
                self.reads.fetch(conn, rid, payload)
            else:
                self.manager.fetch(conn, rid, payload)
        elif kind is MetadataRequest:
            conn.respond(rid, self._metadata_response(payload))
        elif is_txn_request(payload):
            self.txn_coordinator.handle(conn, rid, payload)
        elif kind is InitProducerId:
            conn.respond(rid, InitProducerIdResponse(None, self.ctx.ids.next_pid(), 0))
        elif kind is ListOffsets:
            conn.respond(rid, self.reads.list_offsets(payload))
        elif kind in GROUP_REQUESTS:
            self.coordinator.handle(conn, rid, payload)
        elif kind is WriteTxnMarkers:
            self.markers.write(conn, rid, payload)

    def _metadata_response(self, request) -> MetadataResponse:
        topo = self.topology
        parts = {}
        for topic in request.topics:
            for pidx in topo.by_topic[topic]:
                state = self.image.partitions.get(pidx)
                if state is None and pidx is not None and topo.partitions[pidx].added_by >= 0:
                    continue        # CreatePartitions has not reached this broker's image
                parts[pidx] = (state.leader, state.leader_epoch) if state else (NO_LEADER, -1)
        live = tuple(b for b, s in sorted(self.image.brokers.items()) if not s.fenced)
        return MetadataResponse(parts, live)

    # -- start and stop ------------------------------------------------------

    def boot(self, image: Image, broker_epoch: int) -> None:
        """Start of the run: registered, unfenced, holding the initial metadata."""
        self.broker_epoch = broker_epoch
        self._start_loops()
        self.lifecycle.boot()
        self._install(image)
        self._fetch_metadata(image.offset)

    def _start_loops(self) -> None:
        s = self.settings
        self.timer(s.replica_lag_time_max_us // 2, self._isr_check)
        self.storage.start_loops()
        self.cleaner.start_loops()
        self.txn_coordinator.start_loops()

    def restart(self) -> None:
        """Start a new process on the same disk."""
        if not self.down:
            return
        self.start()
        self.in_controlled_shutdown = False
        self.image = Image()
        self.manager = ReplicaManager(self)
        self.reads = ConsumerReads(self)
        self.quotas = client_quotas(self)
        self.coordinator = GroupCoordinator(self)
        self.txn_coordinator = TransactionCoordinator(self)
        self.follower_quota = follower_quota(self)
        self.fetchers = {}
        self.conns.clear()
        self.storage.recover()
        self.lifecycle = BrokerLifecycleManager(self)
        self.lifecycle.start()

    def crash(self) -> None:
        """SIGKILL: the page cache survives; peers see the connections drop."""
        if self.down:
            return
        self._die(CRASHED)
        self._reset_connections()

    def power_loss(self) -> None:
        """The machine loses power: unstable data is gone; peers hear silence."""
        if self.state == CRASHED:
            self._set_state(POWERED_OFF)
        elif not self.down:
            self._die(POWERED_OFF)
        self.storage.lose_power()

    def stop(self) -> None:
        """SIGTERM: controlled shutdown, then flush and write the clean-shutdown marker."""
        if self.down or self.state != "running":
            return
        if not self.settings.controlled_shutdown:
            self._finish_stop(None)
            return
        self.in_controlled_shutdown = True
        request = ControlledShutdown(self.id, self.broker_epoch)
        self.connection_to(self.nodes.controller).request(
            request, self._finish_stop, CONTROLLER_REQUEST_TIMEOUT_US * 15)

    def _finish_stop(self, _response) -> None:
        self.storage.flush_all()
        self.clean_marker = self.broker_epoch
        self._die(STOPPED)
        self._reset_connections()

    def _die(self, state: str) -> None:
        self.kill(state)
        self.manager.reset()
        self.reads.reset()
        self.coordinator.unload_all()
        self.txn_coordinator.unload_all()
        self.fetchers = {}
        if state != STOPPED:
            self.clean_marker = -1

    def _reset_connections(self) -> None:
        for conn in list(self.connections):
            conn.reset()

    # -- registration, metadata ----------------------------------------------

    def on_registered(self, broker_epoch: int) -> None:
        """The controller registered this process: start its loops and fetch the metadata."""
        self.clean_marker = -1
        self.broker_epoch = broker_epoch
        self._start_loops()
        self._fetch_metadata(-1)

    def _fetch_metadata(self, offset: int) -> None:
        self.connection_to(self.nodes.controller).request(
            MetadataFetch(self.id, offset), self._on_metadata,
            METADATA_FETCH_WAIT_US + CONTROLLER_REQUEST_TIMEOUT_US)

    def _on_metadata(self, response) -> None:
        if isinstance(response, Failure):
            self.timer(self.settings.replica_fetch_backoff_us // 10,
                       self._fetch_metadata, self.image.offset if self.image.offset else -1)
            return
        if response.snapshot is not None:
            self._install(response.snapshot)
        elif response.offset == self.image.offset:
            for record in response.records:
                self.image.apply(record)
                self._on_record(record)
            self._start_fetchers()
        self._fetch_metadata(self.image.offset)

    def _install(self, image: Image) -> None:
        self.image = image.copy()
        for pidx in self.replicas:
            state = image.partitions.get(pidx)
            if state is not None:
                self._on_record(state)
        self._start_fetchers()

    def _start_fetchers(self) -> None:
        """The partitions a metadata update made this broker follow are fetched together, once
        it is applied (ReplicaManager.applyDelta, then addFetcherForPartitions)."""
        for fetcher in self.fetchers.values():
            fetcher.start()

    def _on_record(self, record) -> None:
        replica = self.replicas.get(getattr(record, "pidx", -1))
        if replica is None:
            return
        if (record.replicas or not replica.hosted) and not self._hosts(replica, record):
            return
        if record.leader == self.id:
            if not replica.is_leader or replica.leader_epoch != record.leader_epoch:
                self._become_leader(replica, record)
            elif record.partition_epoch > replica.partition_epoch:
                self.apply_isr(replica, record)
        elif (replica.is_leader or replica.leader != record.leader
              or replica.leader_epoch != record.leader_epoch):
            self._become_follower(replica, record)
        elif record.partition_epoch > replica.partition_epoch:
            replica.update_isr(record)
            if self._stops_fetching(record):
                self._unfollow(replica)

    def _hosts(self, replica, state) -> bool:
        """Does this broker host the partition in this (reassigned) state? A replica a
        reassignment removed stops and deletes its log (ReplicaManager.applyDelta's
        deleted partitions: stopPartitions with deletion)."""
        if self.id in assigned(state, replica.info):
            replica.hosted = True
            return True
        if replica.hosted:
            was_leader = replica.is_leader
            self._unfollow(replica)
            replica.make_follower(state)
            if was_leader:
                self._lose_leadership(replica)
            info, leo = replica.info, replica.log.leo
            replica.delete()
            self.storage.hw_checkpoint[info.pidx] = 0
            self.trace.emit(ReplicaDeleted(self.engine.now, self.id, info.topic, info.partition,
                                           leo))
        return False

    def _stops_fetching(self, state) -> bool:
        """In a controlled shutdown, a follower the controller took out of the ISR stops
        fetching, whether or not the leader epoch changed (ReplicaManager.
        applyLocalFollowersDelta)."""
        return self.in_controlled_shutdown and self.id not in state.isr

    def apply_isr(self, replica, state) -> None:
        replica.update_isr(state)
        self.manager.maybe_increment_hw(replica)
        self.manager.try_complete(replica)

    def _become_leader(self, replica, state) -> None:
        self._unfollow(replica)
        replica.make_leader(state, self.engine.now)
        self.manager.maybe_increment_hw(replica)
        if replica.info.internal:
            self._coordinator_of(replica.info).load(replica.info.pidx)

    def _become_follower(self, replica, state) -> None:
        was_leader = replica.is_leader
        self._unfollow(replica)
        replica.make_follower(state)
        if was_leader:
            self._lose_leadership(replica)
        if state.leader not in (NO_LEADER, self.id) and not self._stops_fetching(state):
            if self.settings.truncation == "high-watermark" and replica.log.leo > replica.log.hw:
                self.storage.truncate(replica, replica.log.hw, "high_watermark")
            fetcher = self.fetchers.get(state.leader)
            if fetcher is None:
                fetcher = self.fetchers[state.leader] = ReplicaFetcher(self, state.leader)
            fetcher.add(replica.info.pidx)

    def _lose_leadership(self, replica) -> None:
        """What waited on this broker's leadership fails or moves on."""
        if replica.info.internal:
            self._coordinator_of(replica.info).unload(replica.info.pidx)
        self.reads.leadership_lost(replica.info.pidx)
        self.manager.fail_waiting(replica, NOT_LEADER_OR_FOLLOWER)
        self.manager.wake_all_parked()

    def _coordinator_of(self, info):
        """The coordinator an internal partition's leadership belongs to."""
        return self.txn_coordinator if info.topic == TXN_TOPIC else self.coordinator

    def _unfollow(self, replica) -> None:
        """Stop fetching the partition; a fetcher left with none shuts down and closes its
        connection (ReplicaFetcherManager.shutdownIdleFetcherThreads)."""
        fetcher = self.fetchers.get(replica.leader)
        if fetcher is not None:
            fetcher.remove(replica.info.pidx)
            if not fetcher.partitions:
                del self.fetchers[replica.leader]
                fetcher.conn.reset()

    # -- ISR changes -----------------------------------------------------------

    def _isr_check(self) -> None:
        s = self.settings
        now = self.engine.now
        for replica in self.replicas.values():
            if replica.is_leader and replica.pending_isr is None:
                out = replica.out_of_sync(now, s.replica_lag_time_max_us)
                if out:
                    self.alter_isr(replica, tuple(r for r in replica.isr if r not in out))
        self.timer(s.replica_lag_time_max_us // 2, self._isr_check)

    def alter_isr(self, replica, isr) -> None:
        """Propose an ISR to the controller; count the larger one until it answers."""
        replica.pending_isr = isr
        request = AlterPartition(self.id, self.broker_epoch, replica.info.pidx,
                                 replica.leader_epoch, replica.partition_epoch, isr)
        self.connection_to(self.nodes.controller).request(
            request, lambda resp: self._on_altered(replica, isr, resp),
            CONTROLLER_REQUEST_TIMEOUT_US)

    def _retry_alter(self, replica, isr) -> None:
        if replica.pending_isr == isr and replica.is_leader:
            self.alter_isr(replica, isr)

    def _on_altered(self, replica, isr, response) -> None:
        if replica.pending_isr != isr:
            return
        error = "lost" if isinstance(response, Failure) else response.error
        if error == INELIGIBLE_REPLICA:
            replica.pending_isr = None
            self.manager.maybe_increment_hw(replica)
            return
        if error in AWAIT_METADATA:
            return
        if error is not None:
            self.timer(ALTER_PARTITION_RETRY_US, self._retry_alter, replica, isr)
            return
        state = response.state
        if replica.is_leader and state.leader_epoch == replica.leader_epoch \
                and state.partition_epoch > replica.partition_epoch:
            self.apply_isr(replica, state)
