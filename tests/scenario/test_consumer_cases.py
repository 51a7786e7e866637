"""docs/model.md#published-failure-cases: consumer groups reproduce their documented outcomes."""

from sim.core.records import (
    CommitFailed,
    DeadLettered,
    GroupGeneration,
    HostChanged,
    MemberRemoved,
    OffsetsCommitted,
    OffsetsReset,
    OffsetsResetRefused,
    PartitionsAssigned,
    RecordsProcessed,
)
from tests.conftest import run_scenario


def _crash_time(result, member):
    return next(r.t_us for r in result.trace.rows(HostChanged)
                if r.host == member and r.state == "crashed")


def _last_commit_before(result, member, partition, t_us):
    return max(r.offset for r in result.trace.rows(OffsetsCommitted)
               if r.member == member and r.partition == partition and r.t_us <= t_us)


def test_a_crash_after_processing_reprocesses_exactly_what_was_done_since_the_last_commit():
    result = run_scenario("consumer-crash-after-processing-duplicates")
    crash = _crash_time(result, "billing-0")
    rows = [r for r in result.trace.rows(RecordsProcessed)
            if r.member == "billing-0" and r.t_us <= crash]
    partition = rows[-1].partition
    committed = _last_commit_before(result, "billing-0", partition, crash)
    finished_after_commit = sum(r.start_offset + r.count - max(r.start_offset, committed)
                                for r in rows if r.partition == partition
                                and r.start_offset + r.count > committed)
    assert finished_after_commit > 0
    assert result.summary["processed_duplicates"] == finished_after_commit
    removed = [r for r in result.trace.rows(MemberRemoved) if r.member == "billing-0"]
    assert removed[0].reason == "session_timeout"
    assert removed[0].t_us - crash <= 45_000_000


def test_a_crash_after_committing_before_processing_skips_the_unfinished_rest_of_the_batch():
    result = run_scenario("consumer-commit-before-processing-skips")
    s = result.summary
    crash = _crash_time(result, "billing-0")
    last = [r for r in result.trace.rows(RecordsProcessed)
            if r.member == "billing-0" and r.t_us <= crash][-1]
    committed = _last_commit_before(result, "billing-0", last.partition, crash)
    # the batch in hand was [last.start_offset, committed): n records, k of them finished
    n, k = committed - last.start_offset, last.count
    assert 0 < k < n
    assert s["skipped"] == n - k
    assert s["skipped_by_cause"] == {"committed_before_processing": n - k}
    assert s["processed_duplicates"] == 0


def test_a_pause_beyond_the_session_timeout_rebalances_twice_and_fails_the_zombie_commit():
    result = run_scenario("consumer-gc-pause-beyond-session-timeout")
    generations = result.trace.rows(GroupGeneration)
    assert [len(g.members) for g in generations] == [2, 1, 2]
    assert [r.reason for r in result.trace.rows(MemberRemoved)] == ["session_timeout"]
    failed = result.trace.rows(CommitFailed)
    assert failed and failed[0].member == "billing-0"
    assert failed[0].error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION")
    assert result.summary["skipped"] == 0


def test_a_pause_within_the_session_timeout_only_shows_as_lag():
    short = run_scenario("consumer-gc-pause-within-session-timeout").summary
    assert short["rebalances"] == 0 and short["processed_duplicates"] == 0
    assert short["processed"] == short["acked"]
    assert short["max_lag"] >= 30 * 200 * 0.9     # 30 s of one partition's 200 records/s


def test_losing_the_coordinator_moves_the_group_without_a_rebalance():
    result = run_scenario("consumer-coordinator-crash-no-rebalance")
    s = result.summary
    assert len(result.trace.rows(GroupGeneration)) == 1
    assert s["processed"] == s["acked"] and s["processed_duplicates"] == 0
    commits = result.trace.rows(OffsetsCommitted)
    crash = next(r.t_us for r in result.trace.rows(HostChanged) if r.state == "crashed")
    assert any(r.t_us > crash + 5_000_000 for r in commits), "commits go on at the new coordinator"


def test_static_members_get_their_partitions_back_and_dynamic_ones_rebalance():
    static = run_scenario("consumer-static-members-bounce")
    dynamic = run_scenario("consumer-dynamic-members-bounce")
    assigned = {}
    for r in static.trace.rows(PartitionsAssigned):
        assigned.setdefault(r.member, set()).add(r.partitions)
    assert all(len(parts) == 1 for parts in assigned.values())
    assert static.summary["rebalances"] == 0
    assert dynamic.summary["rebalances"] >= 2
    assert [r.reason for r in dynamic.trace.rows(MemberRemoved)] == ["consumer_closed"] * 2


def test_one_member_per_partition_at_most_and_the_sixth_member_idles():
    result = run_scenario("consumer-group-scales-to-five-and-a-sixth-idles")
    by_generation = {}
    for r in result.trace.rows(PartitionsAssigned):
        by_generation.setdefault(r.generation, {})[r.member] = r.partitions
    assert len(by_generation[1]["billing-0"]) == 5
    assert sorted(len(p) for p in by_generation[2].values()) == [1] * 5
    assert by_generation[3]["billing-5"] == ()
    for members in by_generation.values():
        owned = [tp for parts in members.values() for tp in parts]
        assert len(owned) == len(set(owned)) == 5
    assert result.summary["processed"] == result.summary["acked"]


def test_a_reset_is_refused_while_the_group_runs_and_replays_everything_once_it_is_idle():
    result = run_scenario("consumer-replay-by-resetting-offsets")
    refused = result.trace.rows(OffsetsResetRefused)
    assert [(r.state, r.members) for r in refused] == [("Stable", 2)]
    resets = result.trace.rows(OffsetsReset)
    replayed = sum(r.previous - r.offset for r in resets)
    assert all(r.offset == 0 for r in resets)
    # every record read before the reset is read again, and nothing more twice
    assert result.summary["processed_duplicates"] == replayed
    assert result.summary["skipped"] == 0


def test_resetting_to_latest_skips_exactly_the_backlog_it_jumps():
    result = run_scenario("consumer-skip-a-flood-by-resetting-to-latest")
    jumped = sum(r.offset - r.previous for r in result.trace.rows(OffsetsReset))
    assert jumped > 10_000
    assert result.summary["skipped"] == jumped
    assert result.summary["skipped_by_cause"] == {"offset_reset": jumped}


def test_a_blocked_poison_record_stalls_one_group_while_the_other_dead_letters_it():
    result = run_scenario("consumer-poison-blocks-until-dead-lettered")
    letters = result.trace.rows(DeadLettered)
    assert letters and {r.group for r in letters} == {"billing"}
    assert all(r.dlq_topic == "orders.dlq" for r in letters)
    # the stalled members overstay max.poll.interval.ms one after the other
    removed = [(r.group, r.reason) for r in result.trace.rows(MemberRemoved)]
    assert removed == [("fulfilment", "max_poll_interval")] * 2
    processed = {}
    for r in result.trace.rows(RecordsProcessed):
        processed[r.group] = processed.get(r.group, 0) + r.count
    s = result.summary
    assert processed["billing"] == s["acked"] - len(letters)
    assert processed["fulfilment"] < processed["billing"]
    assert s["skipped"] == 0


def test_virtual_partitions_and_long_running_jobs_avoid_the_plain_loops_rebalances():
    plain = run_scenario("consumer-slow-work-plain-loop").summary
    virtual = run_scenario("consumer-slow-work-virtual-partitions").summary
    long_running = run_scenario("consumer-slow-work-long-running").summary
    assert plain["rebalances"] > 0 and plain["processed_duplicates"] > 0
    for s in (virtual, long_running):
        assert s["rebalances"] == 0 and s["processed_duplicates"] == 0 and s["skipped"] == 0
    # parallel workers keep up; a long-running job is as slow as the plain loop, minus the thrash
    assert virtual["processed"] == virtual["acked"] and virtual["final_lag"] == 0
    assert plain["processed"] < long_running["processed"] < virtual["processed"]
    assert virtual["max_lag"] * 10 < long_running["max_lag"]


def test_virtual_partitions_keep_each_keys_records_in_offset_order():
    result = run_scenario("consumer-slow-work-virtual-partitions")
    records = result.records.set_index(["partition", "sequence"]).key
    done = result.processing
    assert len(done) == result.summary["processed"]
    index = list(zip(done.partition, done.sequence, strict=True))
    done = done.assign(key=records.reindex(index).to_numpy())
    for _, per_key in done.sort_values("offset").groupby(["partition", "key"]):
        assert per_key.done_us.is_monotonic_increasing
    # and the workers really overlap: some record finishes before an earlier offset does
    first = done.sort_values("offset").groupby("partition").done_us
    assert any(not series.is_monotonic_increasing for _, series in first)


def test_cooperative_members_keep_consuming_what_they_keep_during_the_rebalance():
    result = run_scenario("consumer-cooperative-scale-out")
    generations = result.trace.rows(GroupGeneration)
    start, end = generations[1].t_us, generations[2].t_us
    assigned = [r for r in result.trace.rows(PartitionsAssigned) if r.generation >= 2]
    newcomer = {r.generation: r.partitions for r in assigned if r.member == "billing-2"}
    assert newcomer[2] == () and len(newcomer[3]) == 2
    kept = {tp for r in assigned if r.generation == 2 for tp in r.partitions}
    busy = {(r.topic, r.partition) for r in result.trace.rows(RecordsProcessed)
            if start < r.t_us < end and r.member != "billing-2"}
    assert kept <= busy, "the partitions that stay are processed between the two rebalances"


def test_the_lag_table_holds_every_evaluation_behind_max_and_final_lag():
    result = run_scenario("consumer-gc-pause-within-session-timeout")
    lag = result.lag
    s = result.summary
    assert lag.lag.max() == s["max_lag"]
    last = lag.sort_values("t_us", kind="stable").groupby(["group", "partition"]).lag.last()
    assert max(int(last.sum()), 0) == s["final_lag"]
    paused = lag[(lag.t_us > 20_000_000) & (lag.t_us < 50_000_000)]
    worst = paused.groupby("partition").lag.max()
    assert worst.max() > 20 * worst.min(), "only the paused member's partition falls behind"


def test_causal_steps_keep_their_order_in_one_partition_and_lose_it_across_topics():
    kept = run_scenario("payments-order-kept-within-a-partition")
    lost = run_scenario("payments-order-lost-across-topics")
    assert kept.summary["out_of_order"] == 0 and lost.summary["out_of_order"] > 0
    records = kept.records
    created = records[records.producer == "checkout.payment_created"]
    paid = records[records.producer == "checkout.payment_paid"]
    # every paid record follows its created record in the same partition
    pairs = created.assign(event=created.send_us).merge(
        paid.assign(event=paid.send_us - 50_000), on=["key", "event"], suffixes=("_c", "_p"))
    assert len(pairs) > 0.99 * len(paid)
    assert (pairs.partition_c == pairs.partition_p).all()
    assert (pairs.offset_c < pairs.offset_p).all()


def test_two_groups_keep_their_own_offsets_and_lag():
    result = run_scenario("two-groups-read-one-topic-independently")
    lag = result.lag
    worst = lag[lag.t_us > 10_000_000].groupby("group").lag.max()   # both groups formed by 6 s
    assert worst["business-intelligence"] > 20 * 100      # 20 s stopped, 100 records/s each
    assert worst["payments"] * 10 < worst["business-intelligence"]
    processed = result.processing.groupby("group").size()
    assert processed["payments"] == processed["business-intelligence"] == result.summary["acked"]


def test_a_member_that_overstays_max_poll_interval_leaves_and_its_zombie_commit_fails():
    result = run_scenario("consumer-slow-work-plain-loop")
    removed = result.trace.rows(MemberRemoved)
    assert removed and all(r.reason == "max_poll_interval" for r in removed)
    zombie = removed[0].member
    failed = [r for r in result.trace.rows(CommitFailed) if r.member == zombie]
    assert failed and failed[0].t_us > removed[0].t_us
    assert failed[0].error == "COMMIT_FAILED_NOT_IN_GROUP"


def test_the_slow_action_slows_one_member_for_its_duration():
    import sim
    raw = {"name": "slow-member", "seed": 4, "duration": "30s", "drain": "20s",
           "cluster": {"brokers": 3},
           "topics": {"t": {"partitions": 2, "replication.factor": 3}},
           "producers": {"p": {"topic": "t", "rate": "200/s", "keys": 20}},
           "consumers": {"g": {"topic": "t", "members": 2, "processing": "1ms",
                               "commit": "after-processing",
                               "config": {"auto.offset.reset": "earliest"}}},
           "timeline": [{"at": "10s", "slow": "g-0", "processing": "20ms", "for": "10s"}]}
    result = sim.run(sim.scenario.from_dict(raw))
    lag = result.lag
    during = lag[(lag.t_us > 12_000_000) & (lag.t_us < 20_000_000)]
    worst = during.groupby("partition").lag.max()
    assert worst.max() > 500 and worst.min() < 100     # only the slowed member's partition
    assert result.summary["final_lag"] == 0 and result.summary["rebalances"] == 0
