"""What the report plots of a run with a bandwidth: each broker NIC's bytes out and in, and
each follower's lag in bytes, sampled every second of simulated time.

It runs only when the scenario sets a bandwidth (on the cluster, a host or a `degrade`), so
other runs have no sampling events; its records are kept probes (NicBytes,
FollowerLagBytes), outside the digest. A follower's lag is the bytes of the batches its
leader holds from the follower's log end to the leader's; a follower whose leader is down,
or that is ahead of it (about to truncate), counts 0.
"""

from bisect import bisect_right

from sim.core.records import FollowerLagBytes, NicBytes
from sim.core.units import S

EVERY_US = 1 * S


def wants_sampler(spec) -> bool:
    """Does the scenario set a bandwidth anywhere?"""
    cluster = spec.cluster
    return bool(cluster.network.bandwidth
                or any(limit.bandwidth for limit in cluster.hosts.values())
                or any(a.kind == "degrade" and a.params.get("bandwidth") for a in spec.timeline))


class WireSampler:
    """Samples the brokers' NICs and their followers' lag every EVERY_US."""

    def __init__(self, world) -> None:
        self.world = world

    def start(self) -> None:
        self.world.engine.later(EVERY_US, self._sample)

    def _sample(self) -> None:
        world = self.world
        now, trace, net = world.engine.now, world.trace, world.net
        for broker in world.brokers:
            nic = net.nic(broker.name)
            trace.emit(NicBytes(now, broker.name, nic.sent_bytes, nic.received_bytes))
        leaders = {replica.info.pidx: replica for broker in world.brokers
                   if not broker.down for replica in broker.replicas.values() if replica.is_leader}
        for broker in world.brokers:
            for pidx, replica in broker.replicas.items():
                leader = leaders.get(pidx)
                if leader is None or leader is replica:
                    continue
                info = replica.info
                trace.emit(FollowerLagBytes(now, broker.id, info.topic, info.partition,
                                            _behind(leader.log, replica.log.leo)))
        world.engine.later(EVERY_US, self._sample)


def _behind(log, offset: int) -> int:
    """Bytes of log's batches from offset to its end."""
    if offset >= log.leo or not log.batches:
        return 0
    i = max(bisect_right(log.bases, offset) - 1, 0)
    return sum(batch.size for batch in log.batches[i:])
