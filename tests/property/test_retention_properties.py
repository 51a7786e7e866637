"""Retention over arbitrary logs: never at or above the high watermark; the log start only grows."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.log import Batch, ReplicaLog
from sim.cluster.retention import next_deletion
from sim.cluster.topology import LogConfig

steps = st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(1, 4), st.integers(0, 30)),   # count, time step
    st.tuples(st.just("hw"), st.floats(0, 1)),                               # HW / LEO
    st.tuples(st.just("retain"), st.integers(0, 100), st.integers(-1, 2000)),  # ms, bytes
), max_size=40)


@settings(deadline=None)
@given(steps=steps, segment_bytes=st.integers(100, 600), segment_us=st.integers(1, 40))
def test_retention_never_deletes_at_or_above_the_hw_and_the_log_start_only_grows(
        steps, segment_bytes, segment_us):
    log, now = ReplicaLog(segment_bytes, segment_us), 0
    for step in steps:
        if step[0] == "append":
            now += step[2]
            log.append(Batch(log.leo, step[1], 0, 0, log.leo, -1, -1, -1, 61 + 40 * step[1],
                             now))
        elif step[0] == "hw":
            log.hw = max(log.hw, int(step[1] * log.leo))
        else:
            config = LogConfig(delete=True, retention_us=step[1], retention_bytes=step[2])
            while (found := next_deletion(log, config, now)) is not None:
                before, hw = log.log_start, log.hw
                if found[0] == len(log.segments):
                    log.roll()
                removed = log.delete_segments(found[0])
                assert log.log_start > before or not removed
                assert all(b.end_offset <= hw for b in removed)
                assert log.log_start <= hw
        assert log.segments[0] <= log.log_start or not log.batches
        assert log.segments == sorted(log.segments)
        assert log.leo == (log.batches[-1].end_offset if log.batches else log.log_start)
