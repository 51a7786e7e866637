"""under_replicated_s, under_min_isr_s, max_catch_up_s and throttle_s, on hand-made records."""

from types import SimpleNamespace

from sim.analysis.isr_time import CatchUp, isr_seconds
from sim.analysis.throttle import throttle_s
from sim.core.records import (
    ClientThrottled,
    FaultEnded,
    HostChanged,
    IsrChanged,
    OutOfSyncFetch,
)
from sim.core.trace import Trace

S = 1_000_000
ORDERS = [SimpleNamespace(topic="orders", partition=0, replicas=(0, 1, 2), min_isr=2),
          SimpleNamespace(topic="orders", partition=1, replicas=(0, 1, 2), min_isr=5)]


def isr(trace, t_s, partition, members, topic="orders"):
    trace.emit(IsrChanged(int(t_s * S), topic, partition, members, (), 0, "shrink"))


def test_a_partition_counts_while_its_isr_is_below_the_replication_factor_and_min_isr():
    trace = Trace()
    isr(trace, 0, 0, (0, 1, 2))
    isr(trace, 10, 0, (0, 1))          # under-replicated from 10 s
    isr(trace, 20, 0, (0,))            # under min ISR from 20 s
    isr(trace, 25, 0, (0, 1, 2))       # whole again at 25 s
    assert isr_seconds(trace, ORDERS, 60 * S, set()) == (15.0, 5.0)


def test_an_isr_that_never_recovers_counts_until_the_end_and_min_isr_is_capped_at_rf():
    trace = Trace()
    isr(trace, 0, 1, (0, 1, 2))        # min ISR 5 counts as 3: not under min ISR while whole
    isr(trace, 50, 1, (1, 2))
    assert isr_seconds(trace, ORDERS, 60 * S, set()) == (10.0, 10.0)


def test_internal_topics_are_left_out():
    trace = Trace()
    isr(trace, 0, 0, (0,), topic="__consumer_offsets")
    parts = [SimpleNamespace(topic="__consumer_offsets", partition=0, replicas=(0, 1, 2),
                             min_isr=2)]
    assert isr_seconds(trace, parts, 60 * S, {"__consumer_offsets"}) == (0.0, 0.0)


def watched():
    trace, catch_up = Trace(), CatchUp()
    catch_up.watch(trace)
    return trace, catch_up


def test_catch_up_runs_from_the_first_out_of_sync_fetch_after_a_restart_to_the_rejoin():
    trace, catch_up = watched()
    trace.emit(HostChanged(0, "broker-2", "running"))
    trace.emit(HostChanged(5 * S, "broker-2", "crashed"))
    trace.emit(OutOfSyncFetch(6 * S, 0, 2, "orders", 0))        # before the return: ignored
    trace.emit(HostChanged(10 * S, "broker-2", "running"))
    trace.emit(OutOfSyncFetch(11 * S, 0, 2, "orders", 0))       # its return
    trace.emit(OutOfSyncFetch(12 * S, 0, 2, "orders", 0))
    isr(trace, 14.5, 0, (0, 1, 2))
    assert catch_up.max_catch_up_s(set()) == 3.5


def test_a_heal_is_a_return_and_the_longest_catch_up_wins():
    trace, catch_up = watched()
    trace.emit(FaultEnded(10 * S, 0, "partition", ("broker-1", "broker-0")))
    trace.emit(OutOfSyncFetch(10 * S + 100, 0, 1, "orders", 0))
    trace.emit(OutOfSyncFetch(10 * S + 100, 2, 1, "orders", 1))
    isr(trace, 11, 0, (0, 1, 2))
    isr(trace, 17, 1, (1, 2))
    assert catch_up.max_catch_up_s(set()) == round((7 * S - 100) / S, 3)


def test_no_return_no_catch_up_and_a_follower_that_never_rejoins_counts_nothing():
    trace, catch_up = watched()
    trace.emit(OutOfSyncFetch(S, 0, 1, "orders", 0))            # a slow follower, never gone
    isr(trace, 2, 0, (0, 1, 2))
    trace.emit(HostChanged(3 * S, "broker-2", "paused"))
    trace.emit(HostChanged(4 * S, "broker-2", "running"))
    trace.emit(OutOfSyncFetch(5 * S, 0, 2, "orders", 0))
    assert catch_up.max_catch_up_s(set()) == 0


def test_throttle_s_is_each_clients_union_of_throttles_summed_over_clients():
    trace = Trace()
    trace.emit(ClientThrottled(0, "p", 0, "producer_byte_rate", 2 * S))
    trace.emit(ClientThrottled(S, "p", 1, "producer_byte_rate", 2 * S))      # overlaps: 3 s
    trace.emit(ClientThrottled(0, "g-0", 0, "consumer_byte_rate", S // 2))
    trace.emit(ClientThrottled(59 * S, "g-0", 0, "consumer_byte_rate", 5 * S))   # cut at end
    assert throttle_s(trace, 60 * S) == 4.5


def test_a_crashed_follower_is_under_replicated_until_it_catches_up_after_its_restart():
    import sim
    from sim.scenario import from_dict
    spec = from_dict({"name": "catch-up", "duration": "30s", "drain": "5s",
                      "cluster": {"brokers": 3},
                      "topics": {"t": {"partitions": 1, "replication.factor": 3,
                                       "config": {"min.insync.replicas": 3}}},
                      "producers": {"p": {"topic": "t", "rate": "200/s"}},
                      "timeline": [{"at": "5s", "crash": "follower(t/0)", "for": "10s"}]})
    s = sim.run(spec).summary
    # the controller fences it broker.session.timeout.ms (9 s) after its last heartbeat,
    # about 13 s; it restarts at 15 s and rejoins once its first fetches caught it up
    assert 0 < s["max_catch_up_s"] < 2
    assert 0 < s["under_replicated_s"] == s["under_min_isr_s"] < 10
