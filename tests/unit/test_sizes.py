"""Kafka's size limits, each driven to its error or its bound, with hosts alone.

Producer: `max.request.size` (KafkaProducer.ensureValidRecordSize: RECORD_TOO_LARGE at send;
RecordAccumulator.drainBatchesForOneNode: a request's bytes), `batch.size` (a larger record
gets a batch of its own), MESSAGE_TOO_LARGE (Sender.completeBatch -> splitAndReenqueue, or
the failure of a one-record batch), compression (CompressionRatioEstimator). Broker:
`message.max.bytes` / `max.message.bytes` (UnifiedLog.analyzeAndValidateRecords). Consumer
fetches: `fetch.max.bytes` and `max.partition.fetch.bytes` (KIP-74,
ReplicaManager.readFromLog), `fetch.min.bytes` and `fetch.max.wait.ms` (DelayedFetch).
"""

from sim.clients.compression import Compression
from sim.clients.producer import RECORD_TOO_LARGE, Producer
from sim.cluster.broker import Broker
from sim.cluster.log import BATCH_HEADER
from sim.cluster.protocol import (
    MESSAGE_TOO_LARGE,
    BatchData,
    FetchPartition,
    FetchRequest,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
    ProduceResponse,
)
from sim.core.records import BatchAcked, BatchFailed, ProduceRejected, SendFailed
from sim.core.units import MS, S
from tests.unit.hosts import Harness

TOPIC = {"orders": {"partitions": 1, "replication.factor": 1}}


def _producer_alone(producer_entry, answer, topics=TOPIC, until=2 * S):
    """One producer against a fake broker-0 that answers produce requests with answer()."""
    h = Harness({"cluster": {"brokers": 1}, "topics": topics,
                 "producers": {"app": dict({"topic": "orders"}, **producer_entry)}})

    def broker(request):
        if isinstance(request, ProduceRequest):
            return answer(request)
        if isinstance(request, MetadataRequest):
            n = len(h.topology.partitions)
            return MetadataResponse({p: (0, 0) for p in range(n)}, (0,))
        return None

    peer = h.peer("broker-0", broker)
    h.nodes.brokers.append(peer)
    producer = h.add(Producer(h.spec.producers["app"], 0, h.client_context()))
    h.contents.producers.append(producer)
    producer.boot({p: (0, 0) for p in range(len(h.topology.partitions))}, pid=1)
    h.run(until)
    return h, peer, producer


def _accept(request):
    return ProduceResponse({p: (None, 0) for p, _b in request.batches})


def _sent(peer):
    return [b for r in peer.requests(ProduceRequest) for _p, b in r.batches]


def _fates(h):
    """Per record sequence (one partition): how many acks and failures (a failed batch or a
    failed send) it got."""
    acked, failed = {}, {}
    for rows, into in ((h.trace.rows(BatchAcked), acked), (h.trace.rows(BatchFailed), failed),
                       (h.trace.rows(SendFailed), failed)):
        for r in rows:
            for seq in range(r.first_seq, r.first_seq + r.count):
                into[seq] = into.get(seq, 0) + 1
    return acked, failed


def test_a_record_larger_than_max_request_size_fails_at_send_and_is_never_sent():
    h, peer, producer = _producer_alone(
        {"rate": "100/s", "value_size": "2000B", "config": {"max.request.size": 2000}}, _accept)
    failed = h.trace.rows(SendFailed)
    assert failed and {r.error for r in failed} == {RECORD_TOO_LARGE}
    assert not peer.requests(ProduceRequest)
    assert not h.trace.rows(ProduceRejected) and not h.trace.rows(BatchFailed)
    handed = sum(producer.book.counts)
    assert sum(r.count for r in failed) == handed > 100


def test_a_record_larger_than_buffer_memory_fails_at_send_too():
    h, peer, _producer = _producer_alone(
        {"rate": "100/s", "value_size": "2000B", "config": {"buffer.memory": 2000}}, _accept)
    failed = h.trace.rows(SendFailed)
    assert failed and {r.error for r in failed} == {RECORD_TOO_LARGE}
    assert not peer.requests(ProduceRequest)


def test_max_request_size_counts_the_batch_header_and_only_too_large_records_fail():
    # keys "0".."10": one- and two-byte keys; 61 + 1 + 1000 + 10 fits 1072, a two-byte key not
    h, peer, producer = _producer_alone(
        {"rate": "200/s", "keys": 11, "value_size": "1000B",
         "config": {"max.request.size": BATCH_HEADER + 1 + 1000 + 10, "linger.ms": 0}}, _accept,
        topics={"orders": {"partitions": 1, "replication.factor": 1}})
    acked, failed = _fates(h)
    assert acked and failed
    assert set(acked).isdisjoint(failed)
    assert len(acked) + len(failed) == sum(producer.book.counts)
    assert all(b.size <= BATCH_HEADER + 1 + 1000 + 10 for b in _sent(peer))


def test_a_record_larger_than_batch_size_gets_a_batch_of_its_own():
    _h, peer, _p = _producer_alone(
        {"rate": "500/s", "value_size": "1000B", "config": {"batch.size": 500, "linger.ms": 50}},
        _accept)
    sent = _sent(peer)
    assert sent and all(b.count == 1 for b in sent)


def test_a_request_carries_batches_up_to_max_request_size_the_first_always():
    topics = {"orders": {"partitions": 8, "replication.factor": 1}}
    _h, peer, _p = _producer_alone(
        {"rate": "4000/s", "keys": 64, "value_size": "100B",
         "config": {"max.request.size": 3000, "batch.size": 2000, "linger.ms": 20,
                    "max.in.flight.requests.per.connection": 1, "acks": 1,
                    "enable.idempotence": False}},
        _accept, topics=topics)
    requests = peer.requests(ProduceRequest)
    sizes = [sum(b.size for _p, b in r.batches) for r in requests]
    assert requests and max(len(r.batches) for r in requests) >= 2
    assert all(size <= 3000 or len(r.batches) == 1 for size, r in zip(sizes, requests, strict=True))
    assert max(sizes) > 3000 - 2000        # the limit, not the batches, bounds the requests
    served = {p for r in requests for p, _b in r.batches}
    assert served == set(range(8))         # the drain resumes where it stopped


def _rejects_over(limit):
    def answer(request):
        return ProduceResponse({p: ((MESSAGE_TOO_LARGE, -1) if b.size > limit else (None, 0))
                                for p, b in request.batches})
    return answer


def test_message_too_large_splits_a_compressed_batch_and_every_record_is_acked_once():
    # gzip at 0.5: the estimate falls from 1.0 toward 0.5, batches outgrow 2500 bytes on the
    # wire, the broker refuses one, the split (estimate back to 1.0) halves it.
    h, peer, producer = _producer_alone(
        {"rate": "5000/s", "keys": 1, "value_size": "100B", "compression": 0.5,
         "config": {"compression.type": "gzip", "batch.size": 4000, "linger.ms": 100,
                    "acks": 1, "enable.idempotence": False}},
        _rejects_over(2500), until=3 * S)
    rejected = [r for r in h.trace.rows(ProduceRejected) if r.error == MESSAGE_TOO_LARGE]
    assert rejected
    acked, failed = _fates(h)
    assert not failed and all(n == 1 for n in acked.values())
    assert sum(producer.book.counts) - len(acked) < 5000 * 0.2   # all but the last batches
    sent = _sent(peer)
    refused_big = rejected[0]
    parts = [b for b in sent if refused_big.first_seq <= b.first_seq
             < refused_big.first_seq + refused_big.count]
    assert len(parts) >= 2 and all(b.size <= 2500 for b in parts[1:])


def test_message_too_large_on_a_one_record_batch_fails_it():
    h, _peer, _p = _producer_alone(
        {"rate": "50/s", "value_size": "3000B", "config": {"acks": 1,
                                                          "enable.idempotence": False}},
        _rejects_over(2500))
    failed = h.trace.rows(BatchFailed)
    assert failed and {r.error for r in failed} == {MESSAGE_TOO_LARGE}
    assert all(r.count == 1 for r in failed)


def test_an_idempotent_split_shares_out_the_big_batch_sequences_in_order():
    h, peer, _p = _producer_alone(
        {"rate": "5000/s", "keys": 1, "value_size": "100B", "compression": 0.5,
         "config": {"compression.type": "zstd", "batch.size": 4000, "linger.ms": 100}},
        _rejects_over(2500), until=3 * S)
    assert any(r.error == MESSAGE_TOO_LARGE for r in h.trace.rows(ProduceRejected))
    accepted = [b for b in _sent(peer) if b.size <= 2500]
    firsts = {}
    for b in accepted:
        firsts.setdefault(b.first_seq, b)
    ordered = [firsts[k] for k in sorted(firsts)]
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert after.first_seq == before.first_seq + before.count
        assert after.base_sequence == before.base_sequence + before.count


def test_the_compression_estimate_starts_at_one_and_moves_by_kafkas_steps():
    c = Compression(0.4, 16384)
    assert c.estimate == 1.0
    assert c.cap() == BATCH_HEADER + int((16384 - BATCH_HEADER) / 1.05)
    wire = c.compressed(10_061)
    assert wire == BATCH_HEADER + 4000
    c.observe(10_061, wire)
    assert abs(c.estimate - 0.995) < 1e-12           # improving: at most 0.005 a batch
    c.estimate = 0.3
    c.observe(10_061, wire)
    assert abs(c.estimate - 0.40610) < 1e-4          # deteriorating: to the observed ratio
    c.reset_for_split(10_061, wire)
    assert c.estimate == 1.0


# -- the broker ----------------------------------------------------------------------------


def _broker_answers(cluster_config, topic_config, sizes, follower_fetch=False):
    h = Harness({"cluster": {"brokers": 1, "config": cluster_config},
                 "topics": {"orders": {"partitions": 1, "replication.factor": 1,
                                       "config": topic_config}},
                 "producers": {"app": {"topic": "orders", "rate": "1/s"}}})
    broker = Broker(0, h.broker_context(), h.disk())
    h.nodes.brokers.append(h.add(broker))
    h.nodes.controller = h.peer("controller")
    broker.boot(h.image(), broker_epoch=1)
    app = h.peer("app")
    for i, size in enumerate(sizes):
        request = ProduceRequest(1, 30 * S, ((0, BatchData(0, i, 1, size, -1, -1, -1)),))
        h.engine.at(10 * MS + i * MS, app.send, broker, request, size)
    h.run(1 * S)
    return {tag: r.results[0][0] for _t, tag, r in app.responses}


def test_the_broker_refuses_a_batch_over_message_max_bytes_with_message_too_large():
    got = _broker_answers({}, {}, [1_048_588, 1_048_589])
    assert got == {1_048_588: None, 1_048_589: MESSAGE_TOO_LARGE}


def test_the_topic_max_message_bytes_beats_the_broker_message_max_bytes():
    assert _broker_answers({"message.max.bytes": 100_000}, {"max.message.bytes": 500},
                           [500, 501]) == {500: None, 501: MESSAGE_TOO_LARGE}
    assert _broker_answers({"message.max.bytes": 500}, {"max.message.bytes": 100_000},
                           [501, 90_000]) == {501: None, 90_000: None}
    assert _broker_answers({"message.max.bytes": 500}, {}, [500, 501]) == \
        {500: None, 501: MESSAGE_TOO_LARGE}


def test_message_max_bytes_was_1000012_before_2_5():
    assert _broker_answers({}, {}, [1_000_012, 1_000_013]) == \
        {1_000_012: None, 1_000_013: None}
    h = Harness({"cluster": {"brokers": 1, "version": "2.4"},
                 "topics": {"orders": {"partitions": 1, "replication.factor": 1}}})
    assert h.topology.partitions[0].max_message_bytes == 1_000_012
    h = Harness({"cluster": {"brokers": 1, "version": "2.5"},
                 "topics": {"orders": {"partitions": 1, "replication.factor": 1}}})
    assert h.topology.partitions[0].max_message_bytes == 1_048_588


# -- consumer fetches ------------------------------------------------------------------------


def _consumer_fetch(min_bytes, response_max_bytes, partition_max=10_000, produce_more_at=None):
    """Two partitions of one broker, three 1000-byte batches each; a consumer fetches both from
    offset 0 (and, with produce_more_at, a fourth batch reaches partition 1 then)."""
    h = Harness({"cluster": {"brokers": 1},
                 "topics": {"orders": {"partitions": 2, "replication.factor": 1}},
                 "producers": {"app": {"topic": "orders", "rate": "1/s"}}})
    broker = Broker(0, h.broker_context(), h.disk())
    h.nodes.brokers.append(h.add(broker))
    h.nodes.controller = h.peer("controller")
    broker.boot(h.image(), broker_epoch=1)
    app, consumer = h.peer("app"), h.peer("consumer")
    for p in (0, 1):
        for i in range(3):
            request = ProduceRequest(1, 30 * S, ((p, BatchData(0, 3 * p + i, 1, 1000, -1, -1,
                                                               -1)),))
            h.engine.at(1 * MS + i * MS, app.send, broker, request)
    if produce_more_at is not None:
        request = ProduceRequest(1, 30 * S, ((1, BatchData(0, 9, 1, 1000, -1, -1, -1)),))
        h.engine.at(produce_more_at, app.send, broker, request)
    fetch = FetchRequest(-1, -1, {0: FetchPartition(0, -1, 0), 1: FetchPartition(0, -1, 0)},
                         500 * MS, partition_max, 0, min_bytes, response_max_bytes)
    h.engine.at(20 * MS, consumer.send, broker, fetch)
    h.run(2 * S)
    (t, _tag, response), = consumer.responses
    return t, {p: [b.size for b in d.batches] for p, d in response.partitions.items()}


def test_fetch_max_bytes_bounds_a_fetch_across_partitions():
    _t, got = _consumer_fetch(1, 2500)
    assert got == {0: [1000, 1000], 1: []}
    _t, got = _consumer_fetch(1, 52_428_800, partition_max=2000)
    assert got == {0: [1000, 1000], 1: [1000, 1000]}        # max.partition.fetch.bytes


def test_the_first_batch_goes_even_above_fetch_max_bytes_kip_74():
    _t, got = _consumer_fetch(1, 500, partition_max=300)
    assert got == {0: [1000], 1: []}


def test_fetch_min_bytes_parks_the_fetch_until_enough_bytes_are_there():
    t, got = _consumer_fetch(6500, 52_428_800, produce_more_at=100 * MS)
    assert 100 * MS < t < 110 * MS
    assert got == {0: [1000] * 3, 1: [1000] * 4}


def test_fetch_max_wait_answers_what_there_is_below_fetch_min_bytes():
    t, got = _consumer_fetch(100_000, 52_428_800, produce_more_at=100 * MS)
    assert 520 * MS <= t < 530 * MS                           # sent at 20 ms, 500 ms wait
    assert got == {0: [1000] * 3, 1: [1000] * 4}
    t, _got = _consumer_fetch(1, 52_428_800)
    assert t < 25 * MS                                        # fetch.min.bytes 1: at once


def test_a_compressed_batch_goes_out_at_its_header_plus_ratio_times_its_records():
    for keys in (None, 1):          # the sticky partitioner, and a keyed lane
        _h, peer, _p = _producer_alone(
            {"rate": "5000/s", "keys": keys, "value_size": "100B", "compression": 0.4,
             "config": {"compression.type": "snappy", "batch.size": 4000, "linger.ms": 100,
                        "acks": 1, "enable.idempotence": False}},
            _accept, until=1 * S)
        sent = _sent(peer)
        assert len(sent) > 10
        record = 100 + 10 + (1 if keys else 0)
        assert all(b.size == BATCH_HEADER + max(int(b.count * record * 0.4), 1) for b in sent)
        turn = (4000 - BATCH_HEADER) // record        # records in batch.size, uncompressed
        most = max(b.count for b in sent)
        if keys:        # the estimate learns toward 0.4: batches grow past batch.size raw
            assert turn < most and most * record * 0.4 <= 4000
        else:           # a sticky turn still ends at batch.size uncompressed (model.md)
            assert most <= turn
