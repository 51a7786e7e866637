"""A consumer's positions and fetches (KafkaConsumer's Fetcher and SubscriptionState).

Each assigned partition has a position: the committed offset when the
group has one (OffsetFetch), else `auto.offset.reset` asked of the leader
(ListOffsets: earliest = log start, latest = high watermark); `none`
fails the consumer. A fetch goes to each leader with partitions that have a
position, nothing buffered and no fetch in flight to that leader; it is
answered with whole batches below the high watermark and the consumer
buffers them. poll() takes at most `max.poll.records` records from the
buffer, advancing the positions; it hands them over as segments of
consecutive offsets, so the gaps compaction leaves split a partition's
records into several segments (and count for nothing). OFFSET_OUT_OF_RANGE resets the position
by the policy; leadership errors refresh the metadata.

A fetch carries `max.partition.fetch.bytes`, `fetch.max.bytes`, `fetch.min.bytes`
and `fetch.max.wait.ms`; the leader applies them (cluster/consumer_reads.py).

Isolation (KIP-98): with `isolation.level` read_committed the fetches and the ListOffsets of
`auto.offset.reset` latest ask for READ_COMMITTED, so the leader answers up to the last stable
offset. Control batches are never handed over, nor, read_committed, the batches of aborted
transactions (isolation.py); the position still moves past them: at once when nothing else
was fetched, else once the records before them are taken.

Committed offsets and transactions (KIP-447, 2.5+): a read_committed member's OffsetFetch
asks for stable offsets (requireStable), and one answered UNSTABLE_OFFSET_COMMIT (a
transaction's offsets for those partitions are not yet committed or aborted) is sent again
after `retry.backoff.ms`, the coordinator kept (ConsumerCoordinator.fetchCommittedOffsets
retries the retriable UnstableOffsetCommitException); each such answer is traced
(OffsetFetchUnstable). Before 2.5 the fetch does not ask, and gets whatever is committed.

Fetch from followers (KIP-392): a consumer with `client.rack` sends it with every fetch.
A leader may answer a partition with a preferred read replica and no records; the consumer
then fetches that partition from the replica (SubscriptionState.updatePreferredReadReplica)
for a lease of `metadata.max.age.ms` from when it was first named, after which it asks the
leader again (preferredReadReplica's expiry). It goes back to the leader at once when the
replica is not online in its metadata (AbstractFetch.selectReadReplica), when a fetch to it
fails or times out (handleFetchFailure), on a partition error other than
UNKNOWN_LEADER_EPOCH (FetchUtils.requestMetadataUpdate), and on OFFSET_OUT_OF_RANGE, which
from a read replica only clears it, without resetting the position (FetchCollector.
handleInitializeErrors): a follower's LEO may be behind the leader's. A consumer without a
rack always reads from the leader.

Left out: fetch sessions (KIP-227), pre-fetch limits beyond one fetch per
node, the reconnect backoff before a failed node is tried again.
"""

from sim.clients.isolation import delivered, has_control
from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    EARLIEST,
    LATEST,
    OFFSET_OUT_OF_RANGE,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    UNKNOWN_LEADER_EPOCH,
    UNSTABLE_OFFSET_COMMIT,
    FetchPartition,
    FetchRequest,
    ListOffsets,
    MetadataRequest,
    OffsetFetch,
)
from sim.cluster.rpc import Failure
from sim.core.records import OffsetFetchUnstable, PositionReset, RecordsFetched
from sim.core.units import MS

RESET_TO = {"earliest": EARLIEST, "latest": LATEST}


class Segment:
    """Records [start, end) of one partition handed to the application, with their batches.

    Every offset in [start, end) holds a record (no compaction gap inside).
    """

    __slots__ = ("pidx", "start", "end", "batches")

    def __init__(self, pidx: int, start: int, end: int, batches: tuple) -> None:
        self.pidx, self.start, self.end, self.batches = pidx, start, end, batches


class Fetcher:
    """Positions, buffered batches and fetch requests of one consumer member."""

    def __init__(self, consumer) -> None:
        self.c = consumer
        self.s = consumer.settings
        self.leaders: dict[int, tuple[int, int]] = {}
        self.assigned: tuple[int, ...] = ()
        self.positions: dict[int, int] = {}
        self.buffered: dict[int, list] = {}
        self.inflight: set[int] = set()
        self.resolving = False
        self.metadata_inflight = False
        self.metadata_after = 0
        self.throttled: dict[int, int] = {}     # broker -> until when a quota throttles it
        self.rack = self.s.client_rack or None  # client.rack, sent with every fetch (KIP-392)
        self.preferred: dict[int, tuple[int, int]] = {}     # pidx -> (read replica, lease end)
        self.live: tuple | None = None          # brokers online in the last metadata
        self.isolation = READ_COMMITTED if self.s.read_committed else READ_UNCOMMITTED
        self.skip_to: dict[int, int] = {}       # pidx -> past the skipped batches buffered last

    def reset(self) -> None:
        leaders = self.leaders
        self.__init__(self.c)
        self.leaders = leaders

    def assign(self, pidxs) -> None:
        """The partitions this member owns now; positions of retained ones are kept."""
        self.assigned = tuple(sorted(pidxs))
        keep = set(self.assigned)
        self.positions = {p: o for p, o in self.positions.items() if p in keep}
        self.buffered = {p: b for p, b in self.buffered.items() if p in keep}
        if self.skip_to:
            self.skip_to = {p: o for p, o in self.skip_to.items() if p in keep}
        if self.preferred:
            self.preferred = {p: r for p, r in self.preferred.items() if p in keep}

    # -- positions -----------------------------------------------------------------------

    def positions_ready(self) -> bool:
        return all(p in self.positions for p in self.assigned)

    def resolve(self) -> None:
        """Find positions for partitions without one: committed offsets, else the reset policy."""
        if self.resolving:
            return
        missing = tuple(p for p in self.assigned if p not in self.positions)
        self.resolving = True
        request = OffsetFetch(self.c.group, missing, self._require_stable())
        self.c.membership.send(request, lambda r: self._committed(r, missing))

    def _require_stable(self) -> bool:
        """KIP-447: a read_committed consumer of 2.5+ asks for stable offsets."""
        return self.s.read_committed \
            and self.c.ctx.protocol["txn.offset.commit.fencing"] == "kip-447"

    def _unstable(self, missing) -> None:
        """UNSTABLE_OFFSET_COMMIT: ask again after retry.backoff.ms."""
        c = self.c
        parts = self.c.topology.partitions
        c.trace.emit(OffsetFetchUnstable(c.engine.now, c.group, c.name, tuple(
            (parts[p].topic, parts[p].partition) for p in missing)))
        self.resolving = False
        c.timer(self.s.retry_backoff_us, c.wake_poll)

    def _committed(self, response, missing) -> None:
        if not isinstance(response, Failure) and response.error == UNSTABLE_OFFSET_COMMIT:
            self._unstable(missing)
            return
        if isinstance(response, Failure) or response.error is not None:
            self.c.membership.coordinator_lost()
            self.resolving = False
            self.c.timer(self.s.retry_backoff_us, self.c.wake_poll)
            return
        unknown = []
        for pidx in missing:
            offset = response.offsets.get(pidx, -1)
            if pidx not in self.assigned:
                continue
            if offset >= 0:
                self.positions[pidx] = offset
            else:
                unknown.append(pidx)
        self.resolving = False
        if unknown:
            self.reset_positions({p: -1 for p in unknown}, "no_committed_offset")
        else:
            self.c.wake_poll()

    def reset_positions(self, previous: dict, reason: str) -> None:
        """auto.offset.reset for these partitions, from their previous positions (ListOffsets)."""
        policy = self.s.auto_offset_reset
        if policy not in RESET_TO:
            self.c.fail("NO_OFFSET_FOR_PARTITION")
            return
        by_leader: dict[int, dict] = {}
        for pidx in previous:
            leader = self.leaders.get(pidx, (NO_LEADER, -1))[0]
            by_leader.setdefault(leader, {})[pidx] = RESET_TO[policy]
        self.resolving = True
        pending = [len(by_leader)]
        for leader, parts in sorted(by_leader.items()):
            if leader == NO_LEADER:
                self._listed(None, parts, previous, reason, pending)
            else:
                self.c.request_to(leader, ListOffsets(parts, self.isolation),
                                  lambda r, p=parts: self._listed(r, p, previous, reason,
                                                                  pending),
                                  self.s.request_timeout_us)

    def _listed(self, response, parts, previous, reason, pending) -> None:
        ok = response is not None and not isinstance(response, Failure)
        for pidx in parts:
            error, offset = response.partitions[pidx] if ok else ("UNKNOWN", -1)
            if error is None and pidx in self.assigned and pidx not in self.positions:
                self.positions[pidx] = offset
                info = self.c.topology.partitions[pidx]
                self.c.trace.emit(PositionReset(self.c.engine.now, self.c.group, self.c.name,
                                                info.topic, info.partition, previous[pidx],
                                                offset, reason))
            elif error is not None:
                self.refresh_metadata()
        pending[0] -= 1
        if pending[0] == 0:
            self.resolving = False
            if not self.positions_ready():
                self.c.timer(self.s.retry_backoff_us, self.c.wake_poll)
            else:
                self.c.wake_poll()

    # -- fetching ------------------------------------------------------------------------

    def has_records(self) -> bool:
        return any(self.buffered.get(p) for p in self.assigned)

    def send_fetches(self) -> None:
        """One fetch to each node with partitions to read and no fetch in flight: the leader,
        or a partition's preferred read replica (AbstractFetch.prepareFetchRequests)."""
        by_node: dict[int, dict] = {}
        for pidx in self.assigned:
            if pidx not in self.positions or self.buffered.get(pidx):
                continue
            leader, epoch = self.leaders.get(pidx, (NO_LEADER, -1))
            if leader == NO_LEADER:
                self.refresh_metadata()
                continue
            node = self._read_replica(pidx, leader) if self.preferred else leader
            if node not in self.inflight and not self._throttled(node):
                by_node.setdefault(node, {})[pidx] = FetchPartition(
                    self.positions[pidx], -1, epoch)
        for node, parts in sorted(by_node.items()):
            self.inflight.add(node)
            request = FetchRequest(-1, -1, parts, self.s.fetch_max_wait_us,
                                   self.s.max_partition_fetch_bytes, 0, self.s.fetch_min_bytes,
                                   self.s.fetch_max_bytes, self.rack, self.isolation)
            self.c.request_to(node, request, lambda r, b=node: self._fetched(b, r),
                              self.s.request_timeout_us + self.s.fetch_max_wait_us)

    def _read_replica(self, pidx: int, leader: int) -> int:
        """AbstractFetch.selectReadReplica: the preferred read replica while its lease lasts
        and the metadata shows it online, else the leader (an offline one is forgotten and
        the metadata refreshed, FetchUtils.requestMetadataUpdate)."""
        entry = self.preferred.get(pidx)
        if entry is None:
            return leader
        node, lease_end = entry
        if self.c.engine.now > lease_end:
            del self.preferred[pidx]
            return leader
        if self.live is not None and node not in self.live:
            del self.preferred[pidx]
            self.refresh_metadata()
            return leader
        return node

    def _prefer(self, pidx: int, node: int) -> None:
        """A leader named a preferred read replica: read there for metadata.max.age.ms from
        now, unless it is the one already in use (SubscriptionState.updatePreferredReadReplica
        keeps the lease of an unchanged replica)."""
        entry = self.preferred.get(pidx)
        if entry is None or entry[0] != node:
            self.preferred[pidx] = (node, self.c.engine.now + self.s.metadata_max_age_us)

    def _throttled(self, leader: int) -> bool:
        """KIP-219: no fetch to a broker until the throttle it sent has passed."""
        return bool(self.throttled) and self.throttled.get(leader, 0) > self.c.engine.now

    def _fetched(self, node: int, response) -> None:
        self.inflight.discard(node)
        if isinstance(response, Failure):
            if self.preferred:      # AbstractFetch.handleFetchFailure: back to the leader
                self.preferred = {p: r for p, r in self.preferred.items() if r[0] != node}
            self.refresh_metadata()
            self.c.wake_poll()
            return
        if response.throttle_time_ms:
            wait = response.throttle_time_ms * MS
            self.throttled[node] = self.c.engine.now + wait
            self.c.timer(wait, self.c.wake_poll)
        out_of_range = {}
        for pidx, data in response.partitions.items():
            if pidx not in self.assigned or pidx not in self.positions:
                continue
            if data.error == OFFSET_OUT_OF_RANGE:
                if self.preferred and self.preferred.pop(pidx, None) is not None:
                    continue        # KIP-392: out of range on a read replica is no reset
                out_of_range[pidx] = self.positions.pop(pidx)
                self.buffered.pop(pidx, None)
            elif data.error is not None:
                self.refresh_metadata()
                if self.preferred and data.error != UNKNOWN_LEADER_EPOCH:
                    self.preferred.pop(pidx, None)
            elif data.batches:
                position = self.positions[pidx]
                batches = data.batches
                info = self.c.topology.partitions[pidx]
                self.c.trace.emit(RecordsFetched(self.c.engine.now, self.c.group, info.topic,
                                                 info.partition, batches))
                if batches[0].base_offset + batches[0].count <= position:
                    batches = [b for b in batches if b.base_offset + b.count > position]
                if batches and (self.isolation == READ_COMMITTED or has_control(batches)):
                    batches = self._deliverable(pidx, batches, data.aborted)
                if batches and not self.buffered.get(pidx):
                    self.buffered[pidx] = batches
            elif data.preferred_read_replica >= 0:
                self._prefer(pidx, data.preferred_read_replica)
        if out_of_range:
            self.reset_positions(out_of_range, "out_of_range")
        self.c.wake_poll()

    def _deliverable(self, pidx: int, batches, aborted: tuple) -> list:
        """The fetched batches the application gets (isolation.py); the position moves past
        the skipped ones after the last kept batch, at once when none is kept."""
        end = batches[-1].base_offset + batches[-1].count
        kept = delivered(batches, aborted if self.isolation == READ_COMMITTED else None)
        if self.buffered.get(pidx):
            return kept
        if not kept:
            self.positions[pidx] = end
        elif kept[-1].base_offset + kept[-1].count < end:
            self.skip_to[pidx] = end
        return kept

    def take(self, max_records: int) -> list[Segment]:
        """Hand up to max_records buffered records to the application, advancing positions."""
        out, left = [], max_records
        for pidx in self.assigned:
            batches = self.buffered.get(pidx)
            if not batches or left == 0:
                continue
            end = self.positions[pidx]
            for start, stop, used in runs(batches, end, left):
                out.append(Segment(pidx, start, stop, used))
                left -= stop - start
                end = stop
            rest = [b for b in batches if b.base_offset + b.count > end]
            if rest:
                self.buffered[pidx] = rest
            else:
                del self.buffered[pidx]
                if self.skip_to:
                    end = max(end, self.skip_to.pop(pidx, end))
            self.positions[pidx] = end
        return out

    # -- metadata ------------------------------------------------------------------------

    def refresh_metadata(self) -> None:
        """Ask a broker for metadata, at most once per retry.backoff.ms."""
        if self.metadata_inflight:
            return
        self.metadata_inflight = True
        wait = self.metadata_after - self.c.engine.now
        if wait > 0:
            self.c.timer(wait, self._request_metadata)
        else:
            self._request_metadata()

    def _request_metadata(self) -> None:
        self.metadata_after = self.c.engine.now + self.s.retry_backoff_us
        self.c.request_any(MetadataRequest(self.c.topics), self._on_metadata)

    def _on_metadata(self, response) -> None:
        self.metadata_inflight = False
        if isinstance(response, Failure):
            self.refresh_metadata()
            return
        for pidx, (leader, epoch) in response.partitions.items():
            if epoch >= self.leaders.get(pidx, (NO_LEADER, -1))[1]:
                self.leaders[pidx] = (leader, epoch)
        self.live = response.brokers
        self.c.metadata_updated()


def runs(batches, position: int, limit: int) -> list[tuple[int, int, tuple]]:
    """(start, end, batches) of each run of consecutive offsets from position on, limit
    records in all; a compaction gap between two batches ends a run."""
    out, start, end, used = [], position, position, []
    for b in batches:
        lo = max(position, b.base_offset)
        hi = min(b.base_offset + b.count, lo + limit)
        if limit == 0:
            break
        if hi <= lo:
            continue
        if lo != end and used:
            out.append((start, end, tuple(used)))
            used = []
        if not used:
            start = lo
        used.append(b)
        end, limit = hi, limit - (hi - lo)
    if used:
        out.append((start, end, tuple(used)))
    return out
