"""produce_stalled_s and the latency split by fault windows, on hand-made records."""

import numpy as np

import sim
from sim.analysis.fates import ACKED, FAILED, INDETERMINATE, Stream
from sim.analysis.stalls import produce_stalled_s, split_by_faults
from sim.core.records import FaultEnded, FaultFired, HostChanged
from sim.core.trace import Trace

S = 1_000_000


def stream(producer, partition, send_s, fate, done_s):
    """One (producer, partition) stream: send times, fates, and when each completed."""
    n = len(send_s)
    fate = np.array(fate, np.int8)
    done = np.array(done_s, np.float64) * S
    ack = np.where(fate == ACKED, done, -1).astype(np.int64)
    failed = np.where(fate == FAILED, done, -1).astype(np.int64)
    return Stream(producer, "orders", partition, (np.array(send_s) * S).astype(np.int64),
                  np.zeros(n, np.int64), fate, ack, np.full(n, -1, np.int64),
                  np.zeros(n, np.int32), np.full(n, -1, np.int64), np.full(n, -1, np.int32),
                  np.zeros(n, np.int8), np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                  failed, np.zeros(n, bool))


def streams(*items):
    return {(s.producer, s.topic, s.partition): s for s in items}


def test_a_partition_stalls_from_threshold_after_its_oldest_waiting_send_until_it_completes():
    # waits [0, 5) and [2, 4) overlap: stalled [1, 5); [10, 10.5) never passes 1 s
    one = stream("a", 0, [0, 2, 10], [ACKED, ACKED, ACKED], [5, 4, 10.5])
    assert produce_stalled_s(streams(one), Trace(), S, 60 * S) == 4.0


def test_producers_writing_one_partition_stall_it_once_and_partitions_add_up():
    a0 = stream("a", 0, [0], [ACKED], [5])             # stalled [1, 5)
    b0 = stream("b", 0, [3], [FAILED], [8])            # stalled [4, 8): union [1, 8) = 7 s
    a1 = stream("a", 1, [0], [ACKED], [3])             # another partition: 2 s
    assert produce_stalled_s(streams(a0, b0, a1), Trace(), S, 60 * S) == 9.0


def test_a_record_without_an_outcome_waits_until_its_producer_dies_or_the_run_ends():
    trace = Trace()
    trace.emit(HostChanged(20 * S, "a", "crashed"))
    pending_a = stream("a", 0, [10], [INDETERMINATE], [0])     # stalled [11, 20)
    pending_b = stream("b", 1, [10], [INDETERMINATE], [0])     # stalled [11, 30)
    assert produce_stalled_s(streams(pending_a, pending_b), trace, S, 30 * S) == 28.0


def test_a_larger_threshold_never_counts_more_stalled_time():
    rng = np.random.default_rng(3)
    send = np.sort(rng.uniform(0, 50, 200))
    done = send + rng.exponential(2.0, 200)
    s = streams(stream("a", 0, send, [ACKED] * 200, done))
    stalls = [produce_stalled_s(s, Trace(), t * S // 10, 60 * S) for t in range(1, 40)]
    assert all(later <= earlier for earlier, later in zip(stalls, stalls[1:], strict=False))
    assert stalls[0] > stalls[-1]


def test_latencies_split_by_when_the_record_was_sent():
    trace = Trace()
    trace.emit(FaultFired(10 * S, 0, "crash", ("broker-0",)))
    trace.emit(FaultFired(12 * S, 1, "set_rate", ("checkout",)))     # load, not a fault
    trace.emit(FaultEnded(20 * S, 0, "crash", ("broker-0",)))
    from sim.analysis.stalls import timeline_windows
    windows = timeline_windows(trace, 60 * S)
    sent = np.array([1, 6, 9, 10, 15, 19, 20, 30]) * S
    latency = np.arange(8)
    steady, faulty = split_by_faults(latency, sent, windows, warmup_us=5 * S)
    assert steady.tolist() == [1, 2, 6, 7] and faulty.tolist() == [3, 4, 5]


def test_a_producer_cut_off_from_a_live_leader_stalls_though_no_partition_is_unavailable():
    """The controller keeps the leader (it still reaches it), so unavailable_s is 0; the
    producer cannot reach it for 20 s, so its records wait: about 20 s less the 1 s
    threshold, plus the time the producer takes to get through again."""
    raw = {"name": "cut-producer", "seed": 1, "duration": "60s", "drain": "60s",
           "cluster": {"brokers": 3},
           "topics": {"orders": {"partitions": 1, "replication.factor": 3}},
           "producers": {"checkout": {"topic": "orders", "rate": "100/s",
                                      "config": {"acks": "all"}}},
           "timeline": [{"at": "20s", "partition": [["leader(orders/0)"], ["checkout"]],
                         "for": "20s"}]}
    summary = sim.run(sim.scenario.from_dict(raw)).summary
    assert summary["unavailable_s"] == 0
    assert 19 <= summary["produce_stalled_s"] <= 19 + 35
    assert summary["ack_p99_ms_in_faults"] > 1000 > summary["ack_p99_ms_steady"]
    longer = sim.run(sim.scenario.from_dict(dict(raw, analysis={"stall_threshold": "5s"})))
    assert longer.summary["produce_stalled_s"] <= summary["produce_stalled_s"] - 4


def test_the_analysis_block_is_checked_like_the_rest_of_the_file():
    base = {"name": "a", "duration": "10s", "cluster": {"brokers": 1}}
    for analysis, path, found in (({"warmup": "10s"}, "analysis.warmup", "10s"),
                                  ({"stall_threshold": "0s"}, "analysis.stall_threshold", "0s"),
                                  ({"stall_treshold": "2s"}, "analysis", "stall_treshold")):
        try:
            sim.scenario.from_dict(dict(base, analysis=analysis), "a.yaml")
        except sim.ScenarioError as err:
            assert path in str(err) and found in str(err), str(err)
        else:
            raise AssertionError(f"{analysis} was accepted")
    spec = sim.scenario.from_dict(dict(base, analysis={"warmup": "2s"}))
    assert (spec.analysis.warmup_us, spec.analysis.stall_threshold_us) == (2 * S, S)
