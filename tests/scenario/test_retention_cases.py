"""docs/model.md#published-failure-cases: retention under a lagging consumer, and log compaction."""

from sim.core.records import (
    PositionReset,
    RecordsExpired,
    RecordsProcessed,
    SegmentsDeleted,
)
from tests.conftest import run_scenario


def _resets(result):
    return list(result.trace.rows(PositionReset))


def _log_start_at(result, t_us: int) -> int:
    """The leader's log start just before t_us (broker 0 leads the single partition)."""
    rows = [r for r in result.trace.rows(SegmentsDeleted) if r.broker == 0 and r.t_us < t_us]
    return rows[-1].new_log_start


def test_a_consumer_back_after_retention_with_latest_skips_everything_from_x_to_the_end():
    result = run_scenario("consumer-lags-past-retention-latest")
    s = result.summary
    first, back = _resets(result)
    assert back.reason == "out_of_range"
    x, e = back.previous, back.offset
    skipped_at_start = first.offset           # latest at the group's birth skips [0, first)
    assert s["skipped"] == (e - x) + skipped_at_start
    low = _log_start_at(result, back.t_us)
    assert x < low < e
    assert s["skipped_by_cause"] == {"retention": low - x,
                                     "offset_reset": (e - low) + skipped_at_start}
    assert s["lost"] == 0 and s["expired"] > 0


def test_a_consumer_back_after_retention_with_earliest_misses_only_what_was_deleted():
    result = run_scenario("consumer-lags-past-retention-earliest")
    s = result.summary
    back = _resets(result)[-1]
    assert back.reason == "out_of_range"
    assert back.offset == _log_start_at(result, back.t_us)
    assert s["skipped"] == s["skipped_by_cause"]["retention"] == back.offset - back.previous
    assert s["lost"] == 0


def test_retention_deletes_every_replica_below_the_high_watermark_and_the_log_start_only_grows():
    result = run_scenario("consumer-lags-past-retention-latest")
    by_broker: dict = {}
    for r in result.trace.rows(SegmentsDeleted):
        assert r.new_log_start > r.old_log_start
        assert by_broker.get(r.broker, 0) == r.old_log_start
        by_broker[r.broker] = r.new_log_start
    assert sorted(by_broker) == [0, 1, 2]
    expired = [r for r in result.trace.rows(RecordsExpired) if r.broker == 0]
    assert sum(r.count for r in expired) == by_broker[0] == result.summary["expired"]


def test_compaction_keeps_the_latest_value_of_every_key_and_a_late_reader_sees_it():
    result = run_scenario("compaction-keeps-latest-per-key")
    s = result.summary
    assert s["lost"] == 0 and s["skipped"] == 0 and s["replica_divergence"] == 0
    records = result.records
    final = records[records.copies > 0]
    latest = records.sort_values("sequence").groupby("key").tail(1)
    written_late = latest[latest.send_us > 70_000_000]
    assert len(written_late) == 6
    assert set(written_late.sequence) <= set(final.sequence)    # each key's latest value is there
    assert s["expired"] == len(records) - len(final)
    assert len(final) < len(records) // 4
    # offsets never change: every surviving record sits where it was acknowledged
    assert (final.offset == final.ack_offset).all()
    # the late reader (from 80 s) processed exactly the final log's records before then
    late = [r for r in result.trace.rows(RecordsProcessed) if r.t_us >= 80_000_000]
    assert late and late[0].start_offset > 0
