"""buffer.memory and max.block.ms: a full accumulator blocks the application's send, and a send
that finds no room within max.block.ms fails with BUFFER_EXHAUSTED (BufferPool.allocate).

A producer alone against fake brokers (tests/unit/hosts.py): one that never answers keeps
every batch it got, so the pool fills and stays full; one that answers after a delay frees
it again.
"""

from sim.clients.buffer_pool import BufferPool
from sim.clients.producer import Producer
from sim.cluster.protocol import MetadataRequest, MetadataResponse, ProduceRequest, ProduceResponse
from sim.core.records import BatchAcked, RecordsHanded, SendFailed
from sim.core.units import MS, S
from tests.unit.hosts import Harness

TOPIC = {"orders": {"partitions": 1, "replication.factor": 1}}
RECORD = 110                    # value 100 + 10 bytes of record overhead


def producer(config: dict, answer_after_us: int | None, rate: str = "1000/s"):
    """A producer at `rate` of 100-byte records to orders-0, led by a fake broker-0 that
    acknowledges produce requests after answer_after_us (None: never)."""
    h = Harness({"cluster": {"brokers": 1}, "topics": TOPIC,
                 "producers": {"app": {"topic": "orders", "rate": rate, "value_size": "100B",
                                       "config": dict({"acks": 1, "enable.idempotence": False,
                                                       "linger.ms": 0}, **config)}}})

    def answer(request):
        if isinstance(request, ProduceRequest) and answer_after_us is not None:
            return ProduceResponse({p: (None, 0) for p, _b in request.batches})
        if isinstance(request, MetadataRequest):
            return MetadataResponse({0: (0, 0)}, (0,))
        return None

    broker = h.peer("broker-0", answer, delay_us=answer_after_us or 0)
    h.nodes.brokers.append(broker)
    p = h.add(Producer(h.spec.producers["app"], 0, h.client_context()))
    h.contents.producers.append(p)
    p.boot({0: (0, 0)}, pid=-1)
    return h, p


def handed(h) -> int:
    return sum(r.count for r in h.trace.rows(RecordsHanded)) if RecordsHanded.KEEP else 0


def test_a_full_pool_fails_one_blocked_send_per_max_block_ms_and_queues_the_rest():
    # 3 batches of at most 1000 bytes fill the pool; the silent broker never frees them
    h, p = producer({"batch.size": 1000, "buffer.memory": 3000, "max.block.ms": 500,
                     "max.in.flight.requests.per.connection": 5}, answer_after_us=None)
    h.run(2 * S)
    failed = h.trace.rows(SendFailed)
    assert [r.error for r in failed] == ["BUFFER_EXHAUSTED"] * 3
    assert all(r.count == 1 for r in failed)
    gaps = [b.t_us - a.t_us for a, b in zip(failed, failed[1:], strict=False)]
    assert gaps == [500 * MS, 500 * MS]          # each queued call blocks a whole max.block.ms
    assert p.acc.pool.used == 3000
    assert p.acc.pool.blocked_at < 30 * MS       # the 25th record is still the blocked one


def test_room_freed_within_max_block_ms_unblocks_the_send_and_nothing_fails():
    h, p = producer({"batch.size": 1000, "buffer.memory": 3000, "max.block.ms": 500,
                     "max.in.flight.requests.per.connection": 5}, answer_after_us=200 * MS)
    h.run(3 * S)
    assert not h.trace.rows(SendFailed)          # each blocked call waits at most 200 ms
    acked = h.trace.rows(BatchAcked)
    # three batches of 8 per 200 ms round trip: the pool, not the workload, sets the pace
    assert 300 < sum(r.count for r in acked) < 400
    first_blocked = 24
    late = [r for r in acked if r.first_seq >= first_blocked]
    assert late and late[0].t_us >= 400 * MS     # queued behind the blocked send


def test_an_unbounded_pool_never_blocks():
    h, p = producer({"batch.size": 1000, "buffer.memory": 1 << 40, "max.block.ms": 0},
                    answer_after_us=None)
    h.run(S)
    assert not h.trace.rows(SendFailed)
    assert p.acc.pool.blocked_at < 0


def test_max_block_ms_zero_fails_a_send_at_once_when_the_pool_is_full():
    h, p = producer({"batch.size": 1000, "buffer.memory": 1000, "max.block.ms": 0},
                    answer_after_us=None, rate="100/s")
    h.run(S)
    failed = h.trace.rows(SendFailed)
    # linger.ms 0: the first record's batch leaves at once and holds the whole pool; every
    # later send fails at its own arrival, 10 ms apart
    assert len(failed) == 99
    assert [(r.first_seq, r.t_us) for r in failed] == [(i, i * 10 * MS) for i in range(1, 100)]


def test_the_pool_counts_batch_size_per_batch_and_a_dead_producers_batches_give_nothing_back():
    pool = BufferPool(2 * 16_384, 16_384, 60_000 * MS)
    assert pool.room()
    pool.take()
    pool.take()
    assert not pool.room()
    pool.block(0, 5)
    assert pool.deadline() == 5 + 60_000 * MS
    pool.timed_out(7)
    pool.block(0, 6)                             # queued behind the failed call: starts at 7
    assert pool.deadline() == 7 + 60_000 * MS
    generation = pool.generation
    pool.reset()
    assert pool.used == 0 and pool.generation == generation + 1 and pool.blocked_at < 0


def test_a_crash_drops_the_calls_queued_behind_a_blocked_send_and_the_restart_starts_afresh():
    h, p = producer({"batch.size": 1000, "buffer.memory": 3000, "max.block.ms": 60_000},
                    answer_after_us=None)
    h.run(500 * MS)
    assert p.acc.pool.blocked_at >= 0
    handed = sum(p.book.counts)
    p.crash()
    assert all(lane.waiting() == 0 for lane in p.lanes.lanes)
    assert p.acc.pool.used == 0 and p.acc.pool.blocked_at < 0
    p.restart()
    h.run(520 * MS)
    sends = sorted(int(t) for pos in range(len(p.pidxs)) for t in p.book.send_times(pos))
    assert [t for t in sends[handed:] if t < 500 * MS] == []     # nothing from before the crash


def test_a_send_still_blocked_when_the_workload_ends_does_not_wake_the_producer_every_us():
    # the blocked send's deadline passes after the workload ended: nothing fails it any more,
    # so it must not be a due time (it made the producer wake every microsecond)
    h, p = producer({"batch.size": 1000, "buffer.memory": 3000, "max.block.ms": 500},
                    answer_after_us=None)
    h.run(100 * MS)
    assert p.acc.pool.blocked_at >= 0
    p.stop_generating()
    before = h.engine.events_processed()
    h.run(2 * S)
    assert h.engine.events_processed() - before < 1000
    assert h.trace.rows(SendFailed) == []
