"""Replication throttles (KIP-73, sim/cluster/replication_quota.py, rate.py), driven to their
outcomes on a broker built alone: the leader leaves a throttled partition's records out of a
fetch from a follower outside the ISR while its quota is exceeded, the follower leaves a
throttled partition that is not in sync out of its fetch, in-sync replicas are never
throttled, and the rate a throttled follower gets stays near the quota."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.log import UNDEFINED, Batch
from sim.cluster.protocol import FetchData, FetchPartition, FetchRequest, FetchResponse
from sim.cluster.rate import SampledRate
from sim.cluster.replication_quota import ALL, throttled_brokers
from sim.core.units import MS, S
from sim.scenario import ScenarioError, from_dict
from tests.conformance.partition_leader import LeaderAlone

BATCH = 1_000


def batches(start, count):
    return tuple(Batch(start + i, 1, 5, 0, start + i, -1, -1, -1, BATCH, 0) for i in range(count))


# -- the rate ---------------------------------------------------------------------------------

def test_a_simple_rate_counts_at_least_one_window():
    rate = SampledRate(S, 11)
    rate.record(1_000, 0)
    assert rate.measure(0)[0] == 1_000                  # 1,000 bytes over one whole window
    rate.record(1_000, S // 2)
    assert rate.measure(S // 2)[0] == 2_000
    assert rate.measure(4 * S)[0] == 500                # 2,000 bytes over the 4 s since the first


def test_a_sample_idle_for_all_the_windows_is_dropped():
    rate = SampledRate(S, 11)
    rate.record(5_000, 0)
    assert rate.measure(11 * S - 1)[0] == pytest.approx(5_000 / 11, rel=1e-6)
    assert rate.measure(11 * S)[0] == 0


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_999_999), st.integers(0, 1 << 20)), min_size=1),
       st.integers(0, 10_999_999))
def test_within_the_windows_the_rate_is_every_byte_over_the_time_since_the_first(records, wait):
    """A law of SampledStat + SimpleRate: while nothing is older than window.num windows, no
    sample is recycled or purged, and the rate is the sum over max(now - first, window)."""
    records.sort()
    first = records[0][0]
    rate = SampledRate(S, 11)
    for t, size in records:
        rate.record(size, t)
    now = min(records[-1][0] + wait, first + 11 * S - 1)
    total = sum(size for _t, size in records)
    assert rate.measure(now)[0] == pytest.approx(total * S / max(now - first, S))


# -- the lists --------------------------------------------------------------------------------

def test_a_list_names_each_partitions_brokers_or_all():
    assert throttled_brokers(("0:1", "1:2", "0:3"), 0) == (1, 3)
    assert throttled_brokers(("0:1", "1:2"), 2) == ()
    assert throttled_brokers(("*",), 7) == ALL


def scenario(topic_config=None, config=None):
    return {"name": "t", "duration": "1s",
            "cluster": {"brokers": 2, "config": config or {}},
            "topics": {"t": {"partitions": 2, "replication.factor": 2,
                             "config": topic_config or {}}}}


@pytest.mark.parametrize("value", ["*", " * ", "", "0:1,1:0", "0:1, 1:0,", ["0:1", "1:0"]])
def test_kafkas_list_formats_are_accepted(value):
    spec = from_dict(scenario({"follower.replication.throttled.replicas": value}))
    assert spec.topics["t"].config["leader.replication.throttled.replicas"] == ()


@pytest.mark.parametrize(("value", "found"), [
    ("0:1,2", "'2' in '0:1,2'"), ("0 :1", "'0 :1'"), ("*,0:1", "'*' in '*,0:1'"),
    (62, "62"), ({"0": 1}, "a mapping")])
def test_a_malformed_list_names_its_path(value, found):
    with pytest.raises(ScenarioError) as error:
        from_dict(scenario({"leader.replication.throttled.replicas": value}))
    text = str(error.value)
    assert "topics.t.config.leader.replication.throttled.replicas" in text
    assert "'*' or a list of replicas as [partitionId]:[brokerId]" in text
    assert f"found {found}" in text


def test_yaml_reads_an_unquoted_pair_as_a_number_and_the_error_says_so():
    with pytest.raises(ScenarioError, match="Quote it"):
        from_dict(scenario({"leader.replication.throttled.replicas": 62}))


def test_a_negative_rate_is_refused():
    with pytest.raises(ScenarioError, match="leader.replication.throttled.rate: expected an "
                                            "integer >= 0, found -1"):
        from_dict(scenario(config={"leader.replication.throttled.rate": -1}))


# -- the leader -------------------------------------------------------------------------------

def leader(rate=1_000, replicas="*", logged=20):
    """broker-0 leading partition 0 of brokers 0, 1, 2 with 1 and 0 in the ISR, 2 out; its
    log holds `logged` batches of 1,000 bytes."""
    p = LeaderAlone(replicas=(0, 1, 2), isr=(0, 1),
                    config={"leader.replication.throttled.rate": rate},
                    topic_config={"leader.replication.throttled.replicas": replicas})
    for b in batches(0, logged):
        p.log.append(b)
    return p


def records(p, follower, offset):
    return len(p.fetch(follower, offset).batches)


def test_the_leader_leaves_a_throttled_partition_out_while_its_quota_is_exceeded():
    p = leader()
    assert records(p, 2, 0) == 20               # nothing measured yet: 20,000 bytes go
    assert records(p, 2, 0) == 0                # 20,000 B/s > 1,000 B/s: no records
    p.at(10_000)
    assert records(p, 2, 0) == 0                # 20,000 bytes over 10 s: still above
    p.at(11_100)
    assert records(p, 2, 0) == 20               # the sample is 11 windows old: dropped


def test_the_leader_never_throttles_a_follower_in_the_isr_and_counts_its_bytes():
    p = leader()
    assert records(p, 1, 0) == 20
    assert records(p, 1, 0) == 20               # in sync: never throttled
    assert records(p, 2, 0) == 0                # its 40,000 bytes exceed the quota


@pytest.mark.parametrize("replicas", ["0:1,0:2", "1:0", ""])
def test_the_leader_throttles_only_partitions_listed_with_its_own_id(replicas):
    """`partition:broker` pairs name the leader's id on the leader side: 0:1 and 0:2 throttle
    partition 0 on brokers 1 and 2 (when they lead it), not on broker-0."""
    p = leader(replicas=replicas)
    assert [records(p, 2, 0) for _ in range(3)] == [20, 20, 20]
    assert p.broker.manager.quota is None


def test_without_a_rate_nothing_is_throttled():
    p = LeaderAlone(replicas=(0, 1, 2), isr=(0, 1),
                    topic_config={"leader.replication.throttled.replicas": "*"})
    assert p.broker.manager.quota is None


def test_a_throttled_fetch_waits_for_replica_fetch_wait_max_ms_not_for_the_next_append():
    """DelayedFetch counts no bytes of a throttled partition: new records do not wake it."""
    p = leader(logged=5)
    records(p, 2, 0)
    tag = ("fetch", p.h.engine.now)
    request = FetchRequest(2, p.brokers[2].broker_epoch,
                           {0: _fp(p, 5)}, 400 * MS, 1 << 20)
    p.followers[2].send(p.broker, request, tag)
    p.step()
    p.produce(3)
    assert p.answer(2, tag) is None
    p.step(400)
    assert p.answer(2, tag).batches == ()


def _fp(p, offset):
    return FetchPartition(offset, UNDEFINED, p.replica.leader_epoch)


def fetched_bytes(rate, chunk, seconds):
    """Bytes follower 2 (out of the ISR) gets fetching at most `chunk` batches
    (replica.fetch.max.bytes) every 100 ms for `seconds` from a leader throttled at `rate`."""
    p = LeaderAlone(replicas=(0, 1, 2), isr=(0, 1),
                    config={"leader.replication.throttled.rate": rate},
                    topic_config={"leader.replication.throttled.replicas": "*"})
    for b in batches(0, rate * seconds // BATCH + 2 * chunk):
        p.log.append(b)
    start, offset = p.h.engine.now, 0
    while p.h.engine.now < start + seconds * S:
        tag = ("fetch", p.h.engine.now)
        request = FetchRequest(2, p.brokers[2].broker_epoch, {0: _fp(p, offset)}, 0,
                               chunk * BATCH)
        p.followers[2].send(p.broker, request, tag)
        p.step(100)
        offset += len(p.answer(2, tag).batches)
    return offset * BATCH


def test_a_throttled_follower_gets_about_the_quota_over_a_run():
    """40 s at 2,000 B/s, 5,000 bytes a fetch: the quota's bytes, give or take a fetch, also
    once the first samples are dropped (11 s)."""
    got = fetched_bytes(2_000, 5, 40)
    assert 2_000 * 40 <= got <= 2_000 * 40 + 2 * 5 * BATCH, got


@settings(deadline=None)
@given(st.integers(1, 10), st.integers(1, 100), st.integers(2, 10))
def test_within_the_windows_a_throttled_follower_gets_the_quota_give_or_take_a_fetch(
        chunk, tenths, seconds):
    """A law (before any sample is dropped): the leader lets a response go while the bytes
    sent are at most rate x max(time since the first, a window), so a follower that keeps up
    (a fetch every 100 ms can carry more than the rate) gets rate x seconds, within one
    fetch of either side."""
    rate = tenths * chunk * 100                   # at most chunk x 1,000 bytes every 100 ms
    got = fetched_bytes(rate, chunk, seconds)
    assert rate * seconds - chunk * BATCH <= got <= rate * seconds + chunk * BATCH, got


# -- the follower -----------------------------------------------------------------------------

def follower(hw_ahead=100, rate=1_000, replicas="*"):
    """broker-0 following partition 0 from a fake broker-1 that answers every fetch with 5
    batches of 1,000 bytes and a high watermark hw_ahead records past them."""
    def answer(request):
        if not isinstance(request, FetchRequest):
            return None
        fp = request.partitions.get(0)
        if fp is None:
            return FetchResponse({})
        got = batches(fp.fetch_offset, 5)
        end = fp.fetch_offset + 5
        return FetchResponse({0: FetchData(None, end + hw_ahead, 0, got, None, end + hw_ahead)})
    return LeaderAlone(leader=1, answer=answer,
                       config={"follower.replication.throttled.rate": rate},
                       topic_config={"follower.replication.throttled.replicas": replicas})


def fetch_times(p):
    return [t for t, r in p.followers[1].got if isinstance(r, FetchRequest)]


def test_the_follower_leaves_a_throttled_partition_out_while_its_quota_is_exceeded():
    """5,000 bytes in the first answer: above 1,000 B/s until 5 s have passed. With nothing
    left to ask, the fetcher waits replica.fetch.backoff.ms (1 s) and looks again."""
    p = follower()
    p.step(7_000)
    times = fetch_times(p)
    first = times[0]
    assert times[1] - first > 4 * S
    assert times[1] - first <= 6 * S
    assert (times[1] - first) % S < 10 * MS        # on a backoff of 1 s


def test_the_follower_never_throttles_a_partition_in_sync():
    """Each answer reaches the leader's high watermark: lag 0, never left out."""
    p = follower(hw_ahead=0)
    p.step(1_000)
    assert len(fetch_times(p)) > 100
    assert p.broker.fetchers[1].lag[0] == 0


@pytest.mark.parametrize("replicas", ["0:1", ""])
def test_the_follower_throttles_only_partitions_listed_with_its_own_id(replicas):
    p = follower(replicas=replicas)
    p.step(1_000)
    assert len(fetch_times(p)) > 100
    assert p.broker.follower_quota is None
