"""A member's processing of the records one poll returned (docs/scenario.md#consumer-groups).

Records are processed one by one, each taking a draw from the group's
`processing` distribution; a run of good records is one timed step. A
record's time is decided when its processing starts: when a `slow` window
begins or ends during a step, the step's records not yet started are drawn
again from the new distribution (the step keeps one timer, moved). A
poison record (poison.py) fails each attempt: with `on_poison` it is
retried `retries` times, `backoff` apart, then dead-lettered (written to the
dead-letter topic with acks=all, retried until written, as a synchronous
send), skipped, or retried forever (`block`, which stalls the member's poll
loop); without `on_poison` the exception ends the application (the member's
process crashes). A crash in the middle of a step completes exactly the
records whose cumulative time came before it.

With `virtual_partitions: N` each partition's records of a step are spread
over N workers by key (key index mod N; keyless records by offset), so all
records of a key stay in order on one worker; the workers run in parallel
and the step lasts as long as its slowest worker. A crash then leaves done
records that are not a prefix of the batch.

Dead letters go to the partition with the same number (modulo the
dead-letter topic's partitions), as Spring Kafka's DeadLetterPublishingRecoverer
does by default.
"""

import numpy as np

from sim.cluster.log import BATCH_HEADER
from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import BatchData, MetadataRequest, ProduceRequest
from sim.cluster.rpc import Failure
from sim.core.records import DeadLettered, PoisonSkipped, ProcessingTimes, RecordsProcessed

DLQ_RECORD_BYTES = 100


class Processor:
    """Works through one poll's records at a time for one consumer member."""

    def __init__(self, consumer) -> None:
        self.c = consumer
        self.policy = consumer.spec.on_poison
        self.workers = consumer.spec.virtual_partitions or 0
        self.segments = None
        self.on_done = None
        self.poison = None          # bool array over the batch's records, or None
        self.done = 0               # records finished or handled
        self.block = None           # (first index, start time, ends, workers) of the step
        self.step = 0               # numbers the step's timer, so a redrawn step drops it
        self.dlq_leaders: dict[int, int] = {}

    @property
    def busy(self) -> bool:
        return self.segments is not None

    def start(self, segments, on_done) -> None:
        self.segments, self.on_done, self.done = segments, on_done, 0
        self.total = sum(s.end - s.start for s in segments)
        self.poison = self._poison_mask(segments)
        self._next()

    def _poison_mask(self, segments):
        windows = self.c.ctx.poison
        if not windows.windows:
            return None
        parts, any_hit = [], False
        topo = self.c.topology
        for seg in segments:
            topic = topo.partitions[seg.pidx].topic
            mask = np.zeros(seg.end - seg.start, bool)
            for b in seg.batches:
                lo, hi = max(seg.start, b.base_offset), min(seg.end, b.base_offset + b.count)
                hits = windows.mask(topic, b, lo, hi) if lo < hi else None
                if hits is not None:
                    mask[lo - seg.start:hi - seg.start] = hits
                    any_hit = any_hit or bool(hits.any())
            parts.append(mask)
        return np.concatenate(parts) if any_hit else None

    def _next(self) -> None:
        start = self.done
        if start >= self.total:
            self._finish()
            return
        end = self.total
        if self.poison is not None:
            bad = np.flatnonzero(self.poison[start:])
            if bad.size:
                end = start + int(bad[0])
        if end == start:
            self._poisoned(start, 1)
            return
        if self.workers:
            ids = self._worker_ids(start, end)
            ends = _parallel_ends(self.c.sampler.many(end - start), ids)
        else:
            ids, ends = None, self.c.sampler.cumulative(end - start)
        self._time_step(start, self.c.engine.now, ends, ids)

    def _time_step(self, first: int, t0: int, ends: np.ndarray, ids,
                   redrawn: bool = False) -> None:
        """Records [first, first + len(ends)) started at t0 finish at t0 + ends."""
        if self.c.output is not None:
            self._schedule_outputs(first, t0 + ends, redrawn)
        self.block = (first, t0, ends, ids)
        self.step += 1
        self.c.timer(t0 + self._last(ends) - self.c.engine.now, self._step_done, self.step)

    def _last(self, ends: np.ndarray) -> int:
        """The latest of these finish times (the last one, unless workers run in parallel)."""
        return int(ends.max() if self.workers else ends[-1])

    def _step_done(self, step: int) -> None:
        if step != self.step or self.block is None:
            return
        first, t0, ends, _ids = self.block
        self.block = None
        self._record_run(first, len(ends), t0 + ends)
        self.done = first + len(ends)
        self._next()

    def redraw(self) -> None:
        """The member's processing time changed (a `slow` window began or ended).

        A record's time is decided when its processing starts: the records of the
        step in hand that started before now keep theirs, the others (on each worker,
        those after the one it is busy with) take draws of the new time. The step
        stays one timed step, with its finish moved.
        """
        if self.block is None:
            return
        first, t0, ends, worker_ids = self.block
        ids = np.zeros(len(ends), np.int64) if worker_ids is None else worker_ids
        waiting = _starts(ends, ids) >= self.c.engine.now - t0
        if not waiting.any():
            return
        workers, index = np.unique(ids, return_inverse=True)
        busy_until = np.zeros(len(workers), np.int64)
        np.maximum.at(busy_until, index[~waiting], ends[~waiting])
        later = _parallel_ends(self.c.sampler.many(int(waiting.sum())), ids[waiting])
        ends = ends.copy()
        ends[waiting] = busy_until[index[waiting]] + later
        self._time_step(first, t0, ends, worker_ids, redrawn=True)

    def _schedule_outputs(self, first: int, finished: np.ndarray, redrawn: bool) -> None:
        """Each record of the step is handed to the member's output producer as its
        processing finishes (output.py); a redrawn step's records not finished by now are
        handed at their new times instead."""
        out, now = self.c.output, self.c.engine.now
        if redrawn:
            out.retract(now)
        else:
            out.new_step()
        runs, index = [], 0
        for seg in self.segments:
            n = seg.end - seg.start
            lo, hi = max(first, index), min(first + len(finished), index + n)
            if lo < hi:
                runs.append((seg, seg.start + lo - index, finished[lo - first:hi - first]))
            index += n
        out.schedule(runs, now if redrawn else now - 1)

    def _worker_ids(self, start: int, end: int) -> np.ndarray:
        """(partition, worker) of each record [start, end) of the poll, as one int."""
        ids, index = [], 0
        contents = self.c.ctx.contents
        for seg in self.segments:
            n = seg.end - seg.start
            lo, hi = max(start, index), min(end, index + n)
            for b in seg.batches if lo < hi else ():
                a = max(seg.start + lo - index, b.base_offset)
                z = min(seg.start + hi - index, b.base_offset + b.count)
                if a >= z:
                    continue
                if b.producer >= 0:
                    book, pidxs = contents.book(b.producer)
                    keys = book.key_range(pidxs.index(seg.pidx),
                                                   b.first_seq + a - b.base_offset, z - a)
                    keys = np.where(keys >= 0, keys, np.arange(a, z))
                else:
                    keys = np.arange(a, z)
                ids.append(seg.pidx * self.workers + keys % self.workers)
            index += n
        return np.concatenate(ids)

    def _finish(self) -> None:
        on_done = self.on_done
        self.segments = self.on_done = self.poison = None
        on_done()

    def interrupt(self) -> None:
        """The process dies: the records of the current step finished by now count."""
        if self.block is not None:
            first, t0, ends, _ids = self.block
            self._record(first, t0, ends, ends <= self.c.engine.now - t0)
        self.block = None
        self.segments = self.on_done = self.poison = None

    # -- poison --------------------------------------------------------------------------

    def _poisoned(self, i: int, attempt: int) -> None:
        """Record i failed its attempt-th processing."""
        policy = self.policy
        if policy is None:
            self.c.fail("poison record")
            return
        took = int(self.c.sampler.many(1)[0])
        if attempt <= policy.retries or policy.then == "block":
            self.c.timer(took + policy.backoff_us, self._poisoned, i, attempt + 1)
            return
        if policy.then == "skip":
            self.c.timer(took, self._skipped, i)
        else:
            self.c.timer(took, self._dead_letter, i)

    def _locate(self, i: int):
        """(segment, offset) of the i-th record of the poll."""
        for seg in self.segments:
            n = seg.end - seg.start
            if i < n:
                return seg, seg.start + i
            i -= n
        raise IndexError(i)

    def _skipped(self, i: int) -> None:
        seg, offset = self._locate(i)
        info = self.c.topology.partitions[seg.pidx]
        self.c.trace.emit(PoisonSkipped(self.c.engine.now, self.c.group, self.c.name,
                                        info.topic, info.partition, offset))
        self.done = i + 1
        self._next()

    def _dead_letter(self, i: int) -> None:
        seg, offset = self._locate(i)
        topo = self.c.topology
        dlq = topo.by_topic[self.policy.dlq_topic]
        pidx = dlq[topo.partitions[seg.pidx].partition % len(dlq)]
        leader = self.dlq_leaders.get(pidx, NO_LEADER)
        if leader == NO_LEADER:
            self._refresh(lambda: self._dead_letter(i))
            return
        data = BatchData(-1, self.c.ctx.ids.next_dead_letter(), 1,
                         DLQ_RECORD_BYTES + BATCH_HEADER, -1, -1, -1)
        request = ProduceRequest(-1, self.c.settings.request_timeout_us, ((pidx, data),))
        self.c.request_to(leader, request, lambda r: self._dead_lettered(i, seg, offset, pidx, r),
                          self.c.settings.request_timeout_us)

    def _dead_lettered(self, i: int, seg, offset: int, pidx: int, response) -> None:
        if self.segments is None:
            return
        error = response.error if isinstance(response, Failure) else response.results[pidx][0]
        if error is not None:
            self.dlq_leaders.pop(pidx, None)
            self.c.timer(self.c.settings.retry_backoff_us, self._dead_letter, i)
            return
        topo = self.c.topology
        info, dlq = topo.partitions[seg.pidx], topo.partitions[pidx]
        self.c.trace.emit(DeadLettered(self.c.engine.now, self.c.group, self.c.name, info.topic,
                                       info.partition, offset, dlq.topic, dlq.partition,
                                       response.results[pidx][1]))
        self.done = i + 1
        self._next()

    def _refresh(self, then) -> None:
        def got(response):
            if not isinstance(response, Failure):
                for pidx, (leader, _epoch) in response.partitions.items():
                    self.dlq_leaders[pidx] = leader
            self.c.timer(self.c.settings.retry_backoff_us, then)
        self.c.request_any(MetadataRequest((self.policy.dlq_topic,)), got)

    # -- bookkeeping ---------------------------------------------------------------------

    def _record(self, first: int, t0: int, ends: np.ndarray, done: np.ndarray) -> None:
        """Trace the step's records from `first` that `done` marks as processed."""
        indexes = np.arange(first, first + len(ends))[done]
        if indexes.size == 0:
            return
        breaks = np.flatnonzero(np.diff(indexes) != 1) + 1
        for run in np.split(indexes, breaks):
            self._record_run(int(run[0]), len(run), t0 + ends[run - first])

    def _record_run(self, first: int, count: int, finished: np.ndarray) -> None:
        c = self.c
        topo = c.topology
        index = k = 0
        for seg in self.segments:
            n = seg.end - seg.start
            lo, hi = max(first, index), min(first + count, index + n)
            if lo < hi:
                info = topo.partitions[seg.pidx]
                times = finished[k:k + hi - lo]
                start, last = seg.start + lo - index, self._last(times)
                c.trace.emit(RecordsProcessed(last, c.group, c.name, info.topic,
                                              info.partition, start, hi - lo))
                c.trace.emit(ProcessingTimes(last, c.group, info.topic, info.partition, start,
                                             hi - lo, seg.batches, times))
                k += hi - lo
            index += n


def _starts(ends: np.ndarray, workers: np.ndarray) -> np.ndarray:
    """Each record's start time: when the record before it on its worker finished."""
    order = np.argsort(workers, kind="stable")
    ids, previous = workers[order], np.r_[0, ends[order][:-1]]
    previous[np.r_[True, ids[1:] != ids[:-1]]] = 0
    starts = np.empty_like(ends)
    starts[order] = previous
    return starts


def _parallel_ends(draws: np.ndarray, workers: np.ndarray) -> np.ndarray:
    """Each record's finish time when every worker runs its records in order, in parallel."""
    order = np.argsort(workers, kind="stable")
    cum = np.cumsum(draws[order])
    ids = workers[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    base = np.repeat(cum[starts] - draws[order][starts], np.diff(np.r_[starts, len(ids)]))
    ends = np.empty_like(cum)
    ends[order] = cum - base
    return ends
