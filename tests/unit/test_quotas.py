"""Client byte-rate quotas (KIP-13, KIP-219): Kafka's sampled rate, the throttle time, the
mute, and what a throttled producer and consumer see (docs/model.md#quotas)."""

from types import SimpleNamespace

import pytest

import sim
from sim.cluster.quotas import ClientQuotas
from sim.cluster.rate import SampledRate
from sim.core.records import ClientThrottled
from sim.core.trace import Trace
from sim.core.units import MS, S
from sim.scenario import ScenarioError, from_dict


def test_a_young_rate_counts_samples_minus_one_whole_windows():
    rate = SampledRate(S, 11, padded=True)
    rate.record(1000, 0)
    assert rate.measure(0) == (100.0, 10 * S)          # 1000 B over 10 assumed windows
    rate.record(1000, 2500 * MS)                        # a second sample opens at 2.5 s
    assert rate.measure(2500 * MS) == (2000 / 10.5, 10_500 * MS)   # 2 whole windows + 8


def test_an_old_rate_counts_the_time_since_its_oldest_sample_and_forgets_stale_ones():
    rate = SampledRate(S, 11, padded=True)
    for t in range(0, 15):
        rate.record(100, t * S)
    # 12 samples are kept (3 s .. 14 s); the one last written at 3 s is 11 windows old at
    # 14 s and is reset (purgeObsoleteSamples), so 4 s .. 14 s remain
    assert rate.measure(14 * S) == (110.0, 10 * S)
    assert rate.measure(40 * S) == (0.0, 10 * S)        # every sample 11 windows old: reset


class Broker:
    def __init__(self):
        self.id, self.trace, self.timers = 0, Trace(), []

    def timer(self, delay, fn, *args):
        self.timers.append((delay, fn, args))


def conn(name):
    return SimpleNamespace(client=SimpleNamespace(name=name))


def test_the_throttle_is_the_overshoot_over_the_quota_times_the_window_and_mutes_the_channel():
    broker = Broker()
    quotas = ClientQuotas(broker, {"producer_byte_rate": 50}, S, 11, kip_219=True)
    # 1000 B at t = 0 measure 100 B/s over 10 s: (100 - 50) / 50 * 10 s = 10 s
    assert quotas.produce_throttle(conn("p"), 1000, 0) == (10_000, 0)
    assert broker.trace.rows(ClientThrottled) == [
        ClientThrottled(0, "p", 0, "producer_byte_rate", 10 * S)]
    handler = object()
    assert quotas.held(conn("p"), 5 * S, handler, 7, "request")      # muted until 10 s
    assert broker.timers == [(5 * S, handler, (conn("p"), 7, "request"))]
    assert not quotas.held(conn("p"), 10 * S, handler)
    assert not quotas.held(conn("other"), 5 * S, handler)
    assert quotas.produce_throttle(conn("q"), 10, 0) == (0, 0)      # within its own quota


def test_before_kip_219_the_broker_holds_the_response_and_mutes_nothing():
    broker = Broker()
    quotas = ClientQuotas(broker, {"producer_byte_rate": 50}, S, 11, kip_219=False)
    assert quotas.produce_throttle(conn("p"), 1000, 0, delay=3) == (0, 10 * S + 3)
    assert not quotas.held(conn("p"), S, object())


def test_a_throttled_fetch_takes_its_bytes_back_from_2_0():
    broker = Broker()
    quotas = ClientQuotas(broker, {"consumer_byte_rate": 50}, S, 11, kip_219=True)
    assert quotas.fetch_throttle(conn("g-0"), 1000, 0) == (10_000, 0)
    assert quotas.rates[("consumer_byte_rate", "g-0")].measure(0)[0] == 0.0
    assert quotas.produce_throttle(conn("g-0"), 10**6, 0) == (0, 0)   # no producer quota


def scenario(version: str, quotas: dict, consumers: bool = False) -> dict:
    raw = {"name": "q", "duration": "40s", "drain": "0s",
           "cluster": {"brokers": 1, "version": version, "quotas": quotas,
                       "config": {"offsets.topic.replication.factor": 1}},
           "topics": {"t": {"partitions": 1, "replication.factor": 1}},
           "producers": {"p": {"topic": "t", "rate": "1000/s", "value_size": "200B",
                               "config": {"acks": 1}}}}
    if consumers:
        raw["consumers"] = {"g": {"topic": "t", "config": {"auto.offset.reset": "earliest"}}}
    return from_dict(raw)


def acked_bytes_per_s(result, start_s: int, end_s: int) -> float:
    records = result.records
    acked = records[records.fate == "acked"]
    inside = (acked.ack_us >= start_s * S) & (acked.ack_us < end_s * S)
    return int(inside.sum()) * 210 / (end_s - start_s)


def test_a_producer_over_its_quota_is_held_near_it_and_throttled_most_of_the_time():
    quota = 64 * 1024                                    # the workload offers 210 000 B/s
    result = sim.run(scenario("4.1", {"producer_byte_rate": "64KiB/s"}))
    assert 0.9 * quota < acked_bytes_per_s(result, 20, 40) < 1.25 * quota
    assert result.summary["throttle_s"] > 30
    free = sim.run(scenario("4.1", {}))
    assert acked_bytes_per_s(free, 20, 40) > 200_000 and free.summary["throttle_s"] == 0


def test_a_consumer_over_its_quota_falls_behind_and_is_throttled():
    result = sim.run(scenario("4.1", {"consumer_byte_rate": "32KiB/s"}, consumers=True))
    s = result.summary
    assert s["throttle_s"] > 20 and s["max_lag"] > 10_000
    assert {r.quota for r in result.trace.rows(ClientThrottled)} == {"consumer_byte_rate"}


def test_quotas_must_be_byte_rates():
    with pytest.raises(ScenarioError, match=r"cluster\.quotas\.producer_byte_rate: expected a "
                                            r"byte rate such as 512KiB/s"):
        from_dict({"name": "q", "duration": "1s",
                   "cluster": {"brokers": 1, "quotas": {"producer_byte_rate": "1MiB"}}})
