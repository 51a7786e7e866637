"""Segments of a replica log: rolling on append, what retention may delete.

See docs/model.md#retention-and-compaction.
"""

from sim.cluster.log import BATCH_HEADER, Batch, ReplicaLog
from sim.cluster.retention import next_deletion
from sim.cluster.topology import LogConfig
from sim.core.units import NEVER


def batch(base, count, at_us, size=100):
    return Batch(base, count, 0, 0, base, -1, -1, -1, size, at_us)


def log_of(*specs, segment_bytes=10**9, segment_us=10**9):
    """A log from (count, append time) pairs, appended back to back."""
    log = ReplicaLog(segment_bytes, segment_us)
    for count, at_us in specs:
        log.append(batch(log.leo, count, at_us))
    return log


def test_a_segment_rolls_when_the_next_batch_would_pass_segment_bytes():
    log = log_of((1, 0), (1, 0), (1, 0), (1, 0), (1, 0), segment_bytes=250)
    assert log.segments == [0, 2, 4]
    assert log.active_bytes == 100


def test_a_segment_rolls_when_a_batch_is_more_than_segment_ms_after_its_first():
    log = log_of((2, 0), (2, 5), (2, 6), (2, 11), (2, 12), segment_us=5)
    assert log.segments == [0, 4, 8]       # 5 - 0 is not more than 5; 6 - 0 is
    assert log.active_first_us == 12


def test_truncation_forgets_the_segments_beyond_the_new_end():
    log = log_of((2, 0), (2, 10), (2, 20), segment_us=5)
    assert log.segments == [0, 2, 4]
    log.truncate_to(3)
    assert log.segments == [0, 2] and log.leo == 2       # whole batches: [2, 4) goes
    assert log.active_bytes == 0
    log.append(batch(2, 1, 21))
    assert log.segments == [0, 2] and log.active_first_us == 21


def retention(ms=NEVER, size=-1, delete=True):
    return LogConfig(delete=delete, retention_us=ms, retention_bytes=size)


def test_time_retention_deletes_old_closed_segments_below_the_high_watermark():
    log = log_of((2, 0), (2, 10), (2, 20), (2, 30), segment_us=5)
    log.hw = 8
    assert next_deletion(log, retention(ms=15), now=40) == (3, "retention_ms")  # not 30 > 15
    log.delete_segments(3)
    assert (log.log_start, log.segments, [b.base_offset for b in log.batches]) == \
        (6, [6], [6])
    assert next_deletion(log, retention(ms=15), now=40) is None


def test_retention_never_deletes_a_segment_holding_offsets_at_or_past_the_high_watermark():
    log = log_of((2, 0), (2, 10), (2, 20), segment_us=5)
    log.hw = 3                 # inside the second segment
    assert next_deletion(log, retention(ms=1), now=100) == (1, "retention_ms")
    log.hw = 1
    assert next_deletion(log, retention(ms=1), now=100) is None


def test_when_every_segment_is_deletable_the_active_one_counts_and_the_log_rolls_first():
    log = log_of((2, 0), (2, 10), segment_us=5)
    log.hw = 4
    assert next_deletion(log, retention(ms=1), now=100) == (2, "retention_ms")
    log.roll()
    log.delete_segments(2)
    assert (log.log_start, log.leo, log.segments, log.batches) == (4, 4, [4], [])
    assert next_deletion(log, retention(ms=1), now=200) is None    # an empty active segment
    log.append(batch(4, 1, 300))
    assert log.segments == [4] and log.leo == 5


def test_size_retention_deletes_oldest_segments_while_the_rest_stays_at_least_the_limit():
    log = log_of((1, 0), (1, 10), (1, 20), (1, 30), segment_us=5)     # 4 segments of 100 B
    log.hw = 4
    assert next_deletion(log, retention(size=250), now=31) == (1, "retention_bytes")
    assert next_deletion(log, retention(size=200), now=31) == (2, "retention_bytes")
    assert next_deletion(log, retention(size=0), now=31) == (4, "retention_bytes")


def test_without_the_delete_policy_only_segments_below_the_log_start_go():
    log = log_of((2, 0), (2, 10), (2, 20), segment_us=5)
    log.hw = 6
    compact_only = retention(ms=1, delete=False)
    assert next_deletion(log, compact_only, now=100) is None
    log.log_start = 4                   # a follower learned the leader's log start
    assert next_deletion(log, compact_only, now=100) == (2, "log_start")


def test_deleting_segments_moves_the_epoch_cache_start_to_the_log_start():
    log = ReplicaLog(10**9, 5)
    for base, epoch, at in ((0, 0, 0), (2, 1, 10), (4, 2, 20)):
        log.append(Batch(base, 2, epoch, 0, base, -1, -1, -1, BATCH_HEADER, at))
    log.hw = 6
    log.delete_segments(1)
    assert log.epochs == [(1, 2), (2, 4)]
    log.delete_segments(1)
    assert log.epochs == [(2, 4)] and log.stable == 4


def test_a_read_inside_a_gap_starts_at_the_next_batch():
    log = ReplicaLog()
    for base in (0, 5, 9):
        log.append(batch(base, 2, 0))
    assert [b.base_offset for b in log.read(3, 10**6)] == [5, 9]
    assert [b.base_offset for b in log.read(0, 10**6)] == [0, 5, 9]
    assert log.leo == 11
