"""A broker's log maintenance: the retention check and the log cleaner.

Retention runs every `log.retention.check.interval.ms`, first 30 s after the
process starts (LogManager's initial task delay), and deletes segments of
every replica, leader or follower, by the rules of retention.py. The log
cleaner checks every `log.cleaner.backoff.ms` the replicas of compacted
topics and cleans one whose dirty ratio (bytes written since its last
cleaning over the bytes of its cleanable part) exceeds
`min.cleanable.dirty.ratio` (0.5, Kafka's default): the cleanable part is
the closed segments below the high watermark; the active segment is never
cleaned. Each broker cleans its own replicas independently, as in Kafka.
Every removed record is traced as RecordsExpired (one row per run of a
producer's records), so analysis can tell retention from loss.

The cleaner checkpoint (the first dirty offset) and the tombstones' delete
horizons belong to the disk and survive restarts. Internal topics are
neither deleted nor compacted. Left out: `min.compaction.lag.ms`,
`max.compaction.lag.ms`, cleaner I/O throttling and buffer limits.

See docs/model.md#retention-and-compaction.
"""

from bisect import bisect_left, bisect_right

import numpy as np

from sim.cluster import retention
from sim.cluster.compaction import compact
from sim.core.records import RecordsExpired, SegmentsDeleted
from sim.core.units import S

INITIAL_TASK_DELAY_US = 30 * S
MIN_CLEANABLE_DIRTY_RATIO = 0.5


class LogCleaner:
    """Retention and compaction for the replicas of one broker."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.replicas = [r for r in broker.replicas.values() if not r.info.internal]
        self.compacted = [r for r in self.replicas if r.info.log.compact]
        self.checkpoints: dict[int, int] = {}                   # pidx -> first dirty offset
        self.horizons: dict[int, list[tuple[int, int]]] = {}    # pidx -> [(end, horizon_us)]

    def start_loops(self) -> None:
        b = self.broker
        if self.replicas:
            b.timer(INITIAL_TASK_DELAY_US, self._retention)
        if self.compacted:
            b.timer(b.settings.cleaner_backoff_us, self._clean)

    # -- retention -------------------------------------------------------------------------

    def _retention(self) -> None:
        now = self.broker.engine.now
        for replica in self.replicas:
            self.apply_retention(replica, now)
        self.broker.timer(self.broker.settings.retention_check_interval_us, self._retention)

    def apply_retention(self, replica, now: int) -> None:
        """Delete what the retention rules allow, rule by rule (deleteOldSegments)."""
        log, info = replica.log, replica.info
        while (step := retention.next_deletion(log, info.log, now)) is not None:
            count, rule = step
            if count == len(log.segments):
                log.roll()
            old_start = log.log_start
            replica.wake_idle()             # the log start moves
            removed = log.delete_segments(count)
            replica.producers.log_start_advanced(log.log_start)
            b = self.broker
            b.trace.emit(SegmentsDeleted(now, b.id, info.topic, info.partition, count,
                                         old_start, log.log_start, rule))
            self._trace_removed(info, [(batch, 0, batch.count) for batch in removed],
                                "retention", now)

    # -- compaction ------------------------------------------------------------------------

    def _clean(self) -> None:
        now = self.broker.engine.now
        for replica in self.compacted:
            self.maybe_clean(replica, now)
        self.broker.timer(self.broker.settings.cleaner_backoff_us, self._clean)

    @staticmethod
    def cleanable_end(log) -> tuple[int, int]:
        """(batch index, offset) where the cleanable part ends: closed segments below the HW."""
        bound = min(log.hw, log.segments[-1])
        end_offset = log.segments[bisect_right(log.segments, bound) - 1]
        return bisect_left(log.bases, end_offset), end_offset

    def maybe_clean(self, replica, now: int) -> bool:
        """Clean the replica if its dirty ratio is high enough; return whether it did."""
        log, pidx = replica.log, replica.info.pidx
        end, end_offset = self.cleanable_end(log)
        if end == 0:
            return False
        first_dirty = min(self.checkpoints.get(pidx, 0), log.leo)
        batches = log.batches[:end]
        total = sum(b.size for b in batches)
        dirty = sum(b.size for b in batches if b.base_offset >= first_dirty)
        if dirty <= MIN_CLEANABLE_DIRTY_RATIO * total:
            return False
        self.clean(replica, end, end_offset, now)
        return True

    def clean(self, replica, end: int, end_offset: int, now: int) -> None:
        """One cleaning pass over batches [0, end), which end at end_offset."""
        log, info = replica.log, replica.info
        horizons = self.horizons.setdefault(info.pidx, [])
        batches, removed = compact(log.batches[:end], lambda b: self._facts(info, b),
                                   lambda offsets: _expired(horizons, offsets, now))
        if removed:
            log.replace_batches(end, batches)
        self.checkpoints[info.pidx] = end_offset
        if not horizons or horizons[-1][0] < end_offset:
            horizons.append((end_offset, now + info.log.delete_retention_us))
        self._trace_removed(info, removed, "compaction", now)

    def _facts(self, info, batch):
        """Key ids and tombstone flags of a workload batch's records."""
        contents = self.broker.ctx.contents
        book, _ = contents.book(batch.producer)
        keys = book.key_range(info.partition, batch.first_seq, batch.count)
        ids = contents.key_ids(batch.producer)
        return (np.where(keys >= 0, ids[np.maximum(keys, 0)], -1),
                book.tombstone_range(info.partition, batch.first_seq, batch.count))

    # -- tracing ---------------------------------------------------------------------------

    def _trace_removed(self, info, pieces, cause: str, now: int) -> None:
        """One RecordsExpired per run of a producer's consecutive records."""
        run = None
        for batch, rel, count in pieces:
            if batch.producer < 0:
                continue
            seq, offset = batch.first_seq + rel, batch.base_offset + rel
            if run and run[0] == batch.producer and run[1] + run[2] == seq \
                    and run[3] + run[2] == offset:
                run[2] += count
                continue
            if run:
                self._emit(info, run, cause, now)
            run = [batch.producer, seq, count, offset]
        if run:
            self._emit(info, run, cause, now)

    def _emit(self, info, run, cause: str, now: int) -> None:
        b = self.broker
        b.trace.emit(RecordsExpired(now, b.id, info.topic, info.partition,
                                    b.producer_name(run[0]), run[1], run[2], run[3], cause))


def _expired(horizons, offsets: np.ndarray, now: int) -> np.ndarray:
    """Which offsets lie in a pass whose delete horizon has passed by now."""
    if not horizons:
        return np.zeros(len(offsets), bool)
    ends = np.fromiter((e for e, _ in horizons), np.int64, len(horizons))
    until = np.fromiter((h for _, h in horizons), np.int64, len(horizons))
    i = np.searchsorted(ends, offsets, side="right")
    return (i < len(ends)) & (until[np.minimum(i, len(ends) - 1)] <= now)
