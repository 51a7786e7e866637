"""Which segments retention deletes: pure rules over one replica log.

UnifiedLog.deleteOldSegments with `cleanup.policy` delete applies, in turn,
the time rule (a segment whose newest batch is more than `retention.ms` old),
the size rule (oldest first, while the log minus the segment stays at least
`retention.bytes`) and the log-start rule (a segment wholly below the log
start, which a follower learns from its leader); without delete only the
log-start rule. Each rule deletes segments from the oldest while they
qualify and stops at the first that does not (deletableSegments). A segment
holding offsets at or past the high watermark is never deleted; the active
segment is deleted only when every segment is, after rolling a new, empty
one; an empty active segment is never deleted. No simulated time passes.

See docs/model.md#retention-and-compaction.
"""


def _deletable(log, qualifies) -> int:
    """How many segments from the oldest qualify, all below the high watermark."""
    n, last = 0, len(log.segments) - 1
    for i in range(last + 1):
        first, end, upper = log.segment_bounds(i)
        if i == last and first == end:
            break
        if log.hw < upper or not qualifies(i, first, end, upper):
            break
        n += 1
    return n


def by_time(log, now: int, retention_us: int) -> int:
    """Segments whose newest batch is more than retention_us old (an empty one qualifies)."""
    batches = log.batches
    return _deletable(log, lambda _i, first, end, _u:
                      first == end or now - batches[end - 1].append_us > retention_us)


def by_size(log, retention_bytes: int) -> int:
    """Oldest segments, while the log without them is still at least retention_bytes."""
    batches = log.batches
    excess = [sum(b.size for b in batches) - retention_bytes]

    def qualifies(_i, first, end, _u) -> bool:
        size = sum(b.size for b in batches[first:end])
        if excess[0] - size < 0:
            return False
        excess[0] -= size
        return True
    return _deletable(log, qualifies)


def by_log_start(log) -> int:
    """Segments wholly below the log start (the next segment starts at or below it)."""
    last = len(log.segments) - 1
    return _deletable(log, lambda i, _f, _e, upper: i < last and upper <= log.log_start)


def next_deletion(log, config, now: int) -> tuple[int, str] | None:
    """(segments to delete, rule) for the first rule that deletes something, else None."""
    if config.delete:
        if config.retention_us < now:
            n = by_time(log, now, config.retention_us)
            if n:
                return n, "retention_ms"
        if config.retention_bytes >= 0:
            n = by_size(log, config.retention_bytes)
            if n:
                return n, "retention_bytes"
    n = by_log_start(log)
    return (n, "log_start") if n else None
