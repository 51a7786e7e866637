"""A replication throttle sets a returning follower's catch-up (KIP-73): with a leader quota
Q below the spare bandwidth, a follower back with a backlog S rejoins the ISR about
S ÷ (Q − r) after its return, r the rate the leader keeps taking in; a follower quota gives a
little less than Q (the fetcher looks again only after `replica.fetch.backoff.ms`).

scenarios/follower-catch-up-throttled.yaml: broker-1 crashes at 10 s and restarts at 40 s;
here the producer writes r = 125 records/s of 16 KiB (16,374-byte values + 10 bytes of
record overhead) = 2,048,000 bytes/s (fewer, larger records than the file's, for speed). The
catch-up time is read from the trace: from broker-1's HostChanged(running) to the last
IsrChanged(expand) that takes it back.
"""

import pytest

import sim
from tests.scenario.catch_up import catch_up_s as catch_up

MIB = 1 << 20
FILE = "scenarios/follower-catch-up-throttled.yaml"
RATE = 125 * (16_374 + 10)
BACKLOG = RATE * (40 - 10)
FEWER_LARGER = ("producers.writer.rate=125/s", "producers.writer.value_size=16374B")


def catch_up_s(end_s: int, *sets: str) -> float:
    """The catch-up time of a run that ends at end_s (soon after it, for speed)."""
    trace = sim.run(sim.load(FILE, overrides=[*FEWER_LARGER, f"duration={end_s}s", "drain=0s",
                                              *sets])).trace
    return catch_up(trace)


@pytest.mark.parametrize("quota_mib", [4, 6])
def test_a_leader_throttle_sets_the_catch_up_at_the_backlog_over_quota_minus_r(quota_mib):
    want = BACKLOG / (quota_mib * MIB - RATE)
    got = catch_up_s(int(40 + 1.1 * want) + 1,
                     f"cluster.config.leader.replication.throttled.rate={quota_mib * MIB}")
    assert want <= got <= 1.05 * want + 0.5, (got, want)


def test_a_follower_throttle_catches_up_a_little_slower_than_its_rate():
    want = BACKLOG / (4 * MIB - RATE)
    got = catch_up_s(int(40 + 1.25 * want) + 1,
                     "cluster.config.leader.replication.throttled.rate=9223372036854775807",
                     f"cluster.config.follower.replication.throttled.rate={4 * MIB}",
                     "topics.events.config.follower.replication.throttled.replicas='*'")
    assert want <= got <= 1.25 * want, (got, want)
