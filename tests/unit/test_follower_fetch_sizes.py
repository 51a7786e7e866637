"""A follower fetch's sizes at the leader (sim/cluster/replica_manager.py): at most
`replica.fetch.max.bytes` per partition and `replica.fetch.response.max.bytes` in all, the
first batch of the first partition with data whatever its size (KIP-74,
ReplicaManager.readFromLog), and parked until `replica.fetch.min.bytes` are there or
`replica.fetch.wait.max.ms` passes (DelayedFetch)."""

from sim.cluster.log import UNDEFINED, Batch
from sim.cluster.metadata import PartitionState
from sim.cluster.protocol import BatchData, FetchPartition, FetchRequest, ProduceRequest
from sim.core.units import MS, S
from tests.conformance.partition_leader import LeaderAlone


def leader(partitions=3, batches=3, size=1_000, **config):
    """broker-0 leading `partitions` partitions, each holding `batches` batches of `size`."""
    states = [PartitionState(p, 0, 0, 1, (0, 1)) for p in range(partitions)]
    p = LeaderAlone(states=states, config=config)
    for replica in p.broker.replicas.values():
        for i in range(batches):
            replica.log.append(Batch(i, 1, 0, 0, i, -1, -1, -1, size, 0))
    return p


def fetch(p, offsets, max_wait_ms=0, max_bytes=1 << 20, step_ms=3):
    """Follower broker-1 fetches each partition from its offset: {partition: batch count}, or
    None while the fetch waits."""
    request = FetchRequest(1, p.brokers[1].broker_epoch,
                           {pidx: FetchPartition(o, UNDEFINED, 0) for pidx, o in offsets.items()},
                           max_wait_us=max_wait_ms * MS, max_bytes=max_bytes)
    tag = ("fetch", p.h.engine.now)
    p.followers[1].send(p.broker, request, tag)
    p.step(step_ms)
    return answered(p, tag)


def answered(p, tag):
    answers = [r.partitions for _t, t, r in p.followers[1].responses if t == tag]
    if not answers:
        return None
    return {pidx: len(data.batches) for pidx, data in answers[0].items()}


def test_the_response_stops_at_replica_fetch_response_max_bytes():
    p = leader(**{"replica.fetch.response.max.bytes": 2_500})
    assert fetch(p, {0: 0, 1: 0, 2: 0}) == {0: 2, 1: 0, 2: 0}


def test_each_partition_stops_at_replica_fetch_max_bytes():
    p = leader(**{"replica.fetch.response.max.bytes": 10_000})
    assert fetch(p, {0: 0, 1: 0, 2: 0}, max_bytes=2_000) == {0: 2, 1: 2, 2: 2}


def test_the_first_batch_of_the_first_partition_with_data_comes_whatever_its_size():
    p = leader(size=5_000, **{"replica.fetch.response.max.bytes": 1_000})
    assert fetch(p, {0: 3, 1: 0, 2: 0}, max_bytes=500) == {0: 0, 1: 1, 2: 0}


def test_the_default_limits_are_kafkas():
    """1 MiB per partition: one of two 600 KB batches each; 10 MiB in all: twenty 500 KB
    batches, two from each of the first ten partitions, none from the others."""
    p = leader(partitions=12, batches=2, size=600_000)
    assert fetch(p, dict.fromkeys(range(12), 0)) == dict.fromkeys(range(12), 1)
    p = leader(partitions=16, batches=2, size=500_000)
    got = fetch(p, dict.fromkeys(range(16), 0))
    assert got == {**dict.fromkeys(range(10), 2), **dict.fromkeys(range(10, 16), 0)}


def produce(p, size):
    data = BatchData(producer=0, first_seq=0, count=1, size=size, pid=-1, producer_epoch=-1,
                     base_sequence=-1)
    p.app.send(p.broker, ProduceRequest(1, 30 * S, ((0, data),)), ("produce", p.h.engine.now))
    p.step()


def test_a_fetch_waits_for_replica_fetch_min_bytes():
    p = leader(partitions=1, batches=0, **{"replica.fetch.min.bytes": 3_000})
    tag = ("fetch", p.h.engine.now)
    assert fetch(p, {0: 0}, max_wait_ms=400) is None
    produce(p, 2_000)
    assert answered(p, tag) is None                  # 2,000 bytes: not enough, it waits
    produce(p, 2_000)
    assert answered(p, tag) == {0: 2}


def test_a_fetch_short_of_replica_fetch_min_bytes_is_answered_at_its_wait():
    p = leader(partitions=1, batches=0, **{"replica.fetch.min.bytes": 3_000})
    tag = ("fetch", p.h.engine.now)
    sent = p.h.engine.now
    fetch(p, {0: 0}, max_wait_ms=400)
    produce(p, 100)
    p.step(500)
    (t, _tag, response), = [r for r in p.followers[1].responses if r[1] == tag]
    assert len(response.partitions[0].batches) == 1
    assert t == sent + 400 * MS + 2 * MS


def test_with_kafkas_default_one_byte_wakes_a_waiting_fetch():
    p = leader(partitions=1, batches=0)
    tag = ("fetch", p.h.engine.now)
    assert fetch(p, {0: 0}, max_wait_ms=400) is None
    produce(p, 100)
    assert answered(p, tag) == {0: 1}
