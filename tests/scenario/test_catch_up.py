"""Catch-up emerges from bandwidth (issue 17, "Done means"): a follower that returns with a
backlog S rejoins the ISR about S ÷ (B − r) after its return, B the NIC bandwidth and r the
rate the leader keeps taking in, and later the larger S is.

scenarios/follower-catch-up-bandwidth.yaml: broker-1 crashes at 10 s and restarts at `back`;
here the producer writes r = 250 records/s of 8 KiB (8182-byte values + 10 bytes of record
overhead) = 2,048,000 bytes/s (fewer, larger records than the file's, for speed) to the
partitions broker-0 leads. The backlog is what it wrote while broker-1 was down. The
catch-up time is read from the trace: from broker-1's HostChanged(running) to the last
IsrChanged(expand) that takes it back (its last partition rejoining).

A follower back within `replica.lag.time.max.ms` (30 s) of its last caught-up fetch still
counts as caught up, so the leader holds its high watermark for it
(Partition.maybeIncrementLeaderHW, shouldWaitForReplicaToJoinIsr): it then needs only reach
the high watermark of its return, S ÷ B.
"""

from functools import lru_cache

import pytest

import sim
from tests.scenario.catch_up import catch_up_s as catch_up

MIB = 1 << 20
FILE = "scenarios/follower-catch-up-bandwidth.yaml"
RATE = 250 * (8182 + 10)
DOWN_AT_S = 10


@lru_cache
def catch_up_s(back_s: int, *sets: str) -> float:
    spec = sim.load(FILE, overrides=[f"timeline.1.at={back_s}s", f"duration={back_s + 20}s",
                                     "producers.writer.rate=250/s",
                                     "producers.writer.value_size=8182B", *sets])
    trace = sim.run(spec).trace
    return catch_up(trace)


def backlog(back_s: int) -> int:
    return RATE * (back_s - DOWN_AT_S)


@pytest.mark.parametrize(("back_s", "bandwidth_mib"), [(45, 10), (70, 10), (45, 20)])
def test_catch_up_takes_the_backlog_over_the_spare_bandwidth(back_s, bandwidth_mib):
    got = catch_up_s(back_s, f"cluster.network.bandwidth={bandwidth_mib}MiB/s")
    want = backlog(back_s) / (bandwidth_mib * MIB - RATE)
    assert want <= got <= 1.1 * want + 0.5, (got, want)


def test_catch_up_grows_with_the_backlog_and_is_quick_without_a_bandwidth():
    short = catch_up_s(45, "cluster.network.bandwidth=10MiB/s")
    long = catch_up_s(70, "cluster.network.bandwidth=10MiB/s")
    assert long > 1.5 * short
    assert catch_up_s(45, "cluster.network={latency: 1ms}") < 1.0


def test_a_follower_back_within_the_lag_time_only_needs_the_high_watermark_of_its_return():
    got = catch_up_s(25, "cluster.network.bandwidth=10MiB/s")
    want = backlog(25) / (10 * MIB)
    assert want <= got <= 1.1 * want + 0.5, (got, want)
    assert got < backlog(25) / (10 * MIB - RATE)


def test_a_degrade_bandwidth_caps_the_pairs_link_for_its_lifetime():
    """No NIC limit, but the pair's link is capped at 5 MiB/s from before the return until
    after the catch-up: the follower gains on the leader at 5 MiB/s − r."""
    got = catch_up_s(45, "cluster.network={latency: 1ms}", "duration=80s",
                     "timeline=[{at: 10s, crash: broker-1}, {at: 45s, restart: broker-1}, "
                     "{at: 40s, for: 50s, degrade: {between: [broker-0, broker-1], "
                     "bandwidth: 5MiB/s}}]")
    want = backlog(45) / (5 * MIB - RATE)
    assert want <= got <= 1.1 * want + 0.5, (got, want)
