"""Partition-seconds of reduced replication, and how long returning followers take to catch up.

`under_replicated_s` and `under_min_isr_s` integrate the controller's committed ISR
(IsrChanged, one at t = 0 for every partition) over the run: a partition counts while its
ISR is smaller than its replication factor (Kafka's UnderReplicatedPartitions,
`Partition.isUnderReplicated`), and while it is smaller than its effective min ISR, the
topic's `min.insync.replicas` capped at the replication factor (UnderMinIsrPartitionCount,
`Partition.isUnderMinIsr` and `effectiveMinIsr`). Kafka's gauges count at the leader; here a
partition with no leader counts by its committed ISR all the same.

`CatchUp` measures `max_catch_up_s`: a broker returns when its process runs again (a
restart or a resume: HostChanged from another state) or a network fault that named it
ends (FaultEnded of a cut, an isolation, a one-way drop or a degraded link). Per partition
it follows, its catch-up starts at the first fetch of it that a leader reads from it
outside the ISR after that return (the OutOfSyncFetch probe) and ends when a committed
ISR holds it again. A follower that never left the ISR, or never rejoins it, has no
catch-up time.
"""

from sim.core.records import RUNNING, FaultEnded, HostChanged, IsrChanged, OutOfSyncFetch
from sim.core.units import S

BROKER = "broker-"
NETWORK_FAULTS = frozenset({"partition", "isolate", "one_way", "degrade"})


def _limits(partitions) -> dict:
    """(topic, partition) -> (replication factor, effective min ISR)."""
    return {(p.topic, p.partition): (len(p.replicas), min(p.min_isr, len(p.replicas)))
            for p in partitions}


def isr_seconds(trace, partitions, end_us: int, internal) -> tuple[float, float]:
    """(under_replicated_s, under_min_isr_s) up to end_us, topics in `internal` aside."""
    limits = _limits(partitions)
    last: dict = {}                         # (topic, partition) -> (since, ISR size)
    under = [0, 0]
    for r in trace.rows(IsrChanged):
        if r.topic in internal or r.t_us > end_us:
            continue
        key = (r.topic, r.partition)
        if key in last:
            _add(under, limits[key], *last[key], r.t_us)
        last[key] = (r.t_us, len(r.isr))
    for key, (since, size) in last.items():
        _add(under, limits[key], since, size, end_us)
    return round(under[0] / S, 3), round(under[1] / S, 3)


def _add(under: list, limits: tuple, since: int, size: int, until: int) -> None:
    replication_factor, min_isr = limits
    if size < replication_factor:
        under[0] += until - since
    if size < min_isr:
        under[1] += until - since


def _broker(host: str) -> int | None:
    return int(host[len(BROKER):]) if host.startswith(BROKER) else None


class CatchUp:
    """Returns of brokers, their first out-of-sync fetches, and their ISR rejoins."""

    def __init__(self) -> None:
        self.state: dict[int, str] = {}         # broker -> its process state
        self.returned: dict[int, int] = {}      # broker -> time of its latest return
        self.started: dict[tuple, int] = {}     # (broker, topic, partition) -> catch-up start
        self.used: dict[tuple, int] = {}        # (broker, topic, partition) -> return it began
        self.longest: dict[str, int] = {}       # topic -> longest catch-up, microseconds

    def watch(self, trace) -> None:
        trace.subscribe(HostChanged, self.host_changed)
        trace.subscribe(FaultEnded, self.fault_ended)
        trace.subscribe(OutOfSyncFetch, self.fetched)
        trace.subscribe(IsrChanged, self.isr_changed)

    def host_changed(self, r: HostChanged) -> None:
        broker = _broker(r.host)
        if broker is None:
            return
        if r.state == RUNNING and self.state.get(broker, RUNNING) != RUNNING:
            self._returned(r.t_us, broker)
        self.state[broker] = r.state

    def fault_ended(self, r: FaultEnded) -> None:
        if r.kind in NETWORK_FAULTS:
            for host in r.hosts:
                broker = _broker(host)
                if broker is not None:
                    self._returned(r.t_us, broker)

    def _returned(self, t_us: int, broker: int) -> None:
        self.returned[broker] = t_us
        for key in [k for k in self.started if k[0] == broker]:
            del self.started[key]

    def fetched(self, r: OutOfSyncFetch) -> None:
        back = self.returned.get(r.follower)
        key = (r.follower, r.topic, r.partition)
        if back is None or key in self.started or self.used.get(key) == back:
            return
        self.started[key] = r.t_us
        self.used[key] = back

    def isr_changed(self, r: IsrChanged) -> None:
        for broker in r.isr:
            start = self.started.pop((broker, r.topic, r.partition), None)
            if start is not None:
                self.longest[r.topic] = max(self.longest.get(r.topic, 0), r.t_us - start)

    def max_catch_up_s(self, internal) -> float:
        """The longest catch-up over the partitions of topics not in `internal` (0: none)."""
        return round(max((t for topic, t in self.longest.items() if topic not in internal),
                         default=0) / S, 3)
