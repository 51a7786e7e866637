"""ReplicaLog under arbitrary operation sequences, and KIP-279 log convergence.

1. Any sequence of appends, truncations, epoch assignments and HW moves keeps the log's
   invariants (LEO, epoch cache, HW and recovery point).
2. Divergence resolution (KIP-101, KIP-279): a leader log and a follower log share a
   prefix and then diverge in different leader epochs. The fetch loop, driven by the
   model's own decisions (`replication.fetch_decision` on the leader,
   `replication.truncation_offset` on the follower, as ReplicaManager and ReplicaFetcher
   call them), must stop within a bounded number of rounds with the follower's log a
   prefix of the leader's -- truncated to exactly the divergence point, no committed prefix
   lost (KIP-279: logs converge).
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.cluster.log import UNDEFINED, Batch, ReplicaLog
from sim.cluster.protocol import OFFSET_OUT_OF_RANGE, FetchPartition
from sim.cluster.replication import (
    READ,
    fetch_decision,
    out_of_range_truncation,
    truncation_offset,
)


def batch(base, count, epoch, tag=0):
    """A batch; `tag` tells apart batches written by different leaders at the same offsets."""
    return Batch(base, count, epoch, tag, base, -1, -1, -1, 61 + count, 0)


# -- 1. invariants under any operation sequence ---------------------------------------------

operations = st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(1, 5), st.integers(0, 2)),     # count, epoch bump
    st.tuples(st.just("truncate"), st.floats(0, 1.3)),                       # offset / LEO
    st.tuples(st.just("assign"), st.integers(1, 2)),                         # epoch bump
    st.tuples(st.just("hw"), st.floats(0, 1), st.floats(0, 1)),              # hw, stable / LEO
), max_size=40)


def check_invariants(log):
    assert log.leo == (log.batches[-1].end_offset if log.batches else log.log_start)
    assert log.bases == [b.base_offset for b in log.batches]
    for a, b in zip(log.batches, log.batches[1:], strict=False):
        assert a.end_offset == b.base_offset
    epochs = [e for e, _ in log.epochs]
    starts = [s for _, s in log.epochs]
    assert epochs == sorted(set(epochs))                                   # strictly increasing
    assert starts == sorted(starts)                                         # non-decreasing
    boundaries = set(log.bases) | {log.leo}
    assert all(s in boundaries for s in starts)
    assert all(b.leader_epoch <= log.latest_epoch for b in log.batches)
    assert 0 <= log.hw <= log.leo and 0 <= log.stable <= log.leo


def check_epoch_lookups(log):
    """end_offset_for_epoch of an epoch with batches is the end of its last batch."""
    for e in {b.leader_epoch for b in log.batches}:
        last = max(b.end_offset for b in log.batches if b.leader_epoch == e)
        expected = log.leo if e == log.latest_epoch else last
        assert log.end_offset_for_epoch(e) == (e, expected)
    assert log.end_offset_for_epoch(log.latest_epoch + 1) == (UNDEFINED, UNDEFINED)


@settings(deadline=None)
@given(operations)
def test_any_sequence_of_operations_keeps_the_log_invariants(ops):
    log = ReplicaLog()
    for op in ops:
        before = list(log.batches)
        if op[0] == "append":
            epoch = max(log.latest_epoch, 0) + op[2]
            log.append(batch(log.leo, op[1], epoch))
            assert log.batches == before + [log.batches[-1]]
        elif op[0] == "truncate":
            offset = int(op[1] * log.leo)
            removed = log.truncate_to(offset)
            assert log.batches + removed == before
            assert log.leo <= max(offset, 0) or not removed
            assert all(b.end_offset <= offset for b in log.batches) or offset >= log.leo
        elif op[0] == "assign":
            log.assign_epoch(max(log.latest_epoch, 0) + op[1])
            assert log.epochs[-1][1] == log.leo
        else:
            log.hw, log.stable = int(op[1] * log.leo), int(op[2] * log.leo)
        check_invariants(log)
    check_epoch_lookups(log)


# -- 2. divergence resolution converges (KIP-101 / KIP-279) ---------------------------------

counts = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@st.composite
def divergences(draw, follower_may_end_in_an_empty_epoch=False):
    """Two histories that share a prefix and then diverge, as plain data.

    Each run is (epoch, batch counts); counts () is an epoch the replica led without
    appending (its epoch cache has the entry, its log has no batch). Epochs strictly
    increase along each log; after the prefix, the two sides never share an epoch (one
    leader per epoch), except that at most one side continues the prefix's last epoch.
    The leader's current epoch is the largest of all.
    """
    epoch = draw(st.integers(0, 2))
    prefix = []
    for _ in range(draw(st.integers(0, 3))):
        prefix.append((epoch, draw(counts)))
        epoch += draw(st.integers(1, 2))
    last = prefix[-1][0] if prefix else -1
    leader, follower = [], []
    if prefix:
        continuing = draw(st.sampled_from(["none", "leader", "follower"]))
        if continuing != "none":
            (leader if continuing == "leader" else follower).append((last, draw(counts)))
    for e in sorted(draw(st.sets(st.integers(last + 1, last + 10), max_size=6))):
        side = leader if draw(st.booleans()) else follower
        side.append((e, () if draw(st.integers(0, 3)) == 0 else draw(counts)))
    while follower and follower[-1][1] == () and not follower_may_end_in_an_empty_epoch:
        follower.pop()
    top = max([e for e, _ in prefix + leader + follower], default=0)
    current = top if leader and leader[-1][0] == top else top + 1
    return {"prefix": prefix, "leader": leader, "follower": follower, "current": current}


def build(runs, tag):
    log = ReplicaLog()
    for epoch, batch_counts in runs:
        if not batch_counts:
            log.assign_epoch(epoch)
        for count in batch_counts:
            log.append(batch(log.leo, count, epoch, tag))
    return log


def logs_of(d):
    leader = build(d["prefix"] + d["leader"], tag=1)
    follower = build(d["prefix"] + d["follower"], tag=2)
    shared = build(d["prefix"], tag=0)
    # the prefix is the same batches on both sides
    leader.batches[:len(shared.batches)] = shared.batches
    follower.batches[:len(shared.batches)] = shared.batches
    leader.assign_epoch(d["current"])                # Partition.makeLeader
    return leader, follower, shared.leo


def resolve(leader, follower, max_rounds):
    """Fetch (FetchPartition(log.leo, log.latest_epoch)) until the leader sends records."""
    for rounds in range(1, max_rounds + 1):
        fp = FetchPartition(follower.leo, follower.latest_epoch, leader.latest_epoch)
        answer = fetch_decision(leader, leader.latest_epoch, fp, "kip-279")
        if answer == READ:
            return rounds
        error, diverging = answer
        if diverging is not None:
            follower.truncate_to(truncation_offset(follower, diverging))
        elif error == OFFSET_OUT_OF_RANGE:
            target = out_of_range_truncation(follower, leader.leo, leader.log_start)
            if target is not None:
                follower.truncate_to(target)
    return None


def converge(d):
    leader, follower, divergence_point = logs_of(d)
    bound = len(follower.epochs) + 2
    rounds = resolve(leader, follower, max_rounds=bound)
    assert rounds is not None, f"no convergence within {bound} rounds: {follower.epochs}"
    assert follower.batches == leader.batches[:len(follower.batches)]
    assert follower.leo == divergence_point or (
        not d["follower"] and follower.leo == leader.leo)          # a follower already caught up
    assert follower.leo >= divergence_point                         # nothing shared was lost
    for b in leader.read_range(follower.leo, leader.leo):           # then it catches up
        follower.append(b)
    assert follower.batches == leader.batches


@settings(deadline=None)
@given(divergences())
def test_a_diverged_follower_converges_to_a_prefix_of_the_leader_log(d):
    converge(d)


FOLLOWER_LED_AN_EMPTY_EPOCH = {
    # Broker F led epoch 1 after epoch 0 and appended nothing; the old leader leads epoch 2.
    "prefix": [(0, [5])], "leader": [], "follower": [(1, ())], "current": 2,
}


@settings(deadline=None)
@example(FOLLOWER_LED_AN_EMPTY_EPOCH)
@given(divergences(follower_may_end_in_an_empty_epoch=True))
def test_a_follower_that_led_an_epoch_without_appending_converges_too(d):
    converge(d)


def test_a_broker_that_led_an_epoch_without_writes_rejoins_the_isr_after_a_restart(tmp_path):
    import sim
    from sim.core.records import IsrChanged

    path = tmp_path / "s.yaml"
    path.write_text("""
name: empty-epoch
description: the leader bounces while no records are written
seed: 1
duration: 60s
drain: 10s
cluster: {brokers: 3}
topics:
  t: {partitions: 1, replication.factor: 3, config: {min.insync.replicas: 1}}
producers:
  p: {topic: t, rate: 100/s}
timeline:
  - {at: 10s, set_rate: {producer: p, rate: 0/s}}
  - {at: 15s, crash: "leader(t/0)"}
  - {at: 25s, crash: "leader(t/0)"}
  - {at: 35s, restart: all-brokers}
""")
    result = sim.run(sim.load(path), seed=1)
    assert result.trace.rows(IsrChanged)[-1].isr == (0, 1, 2)
