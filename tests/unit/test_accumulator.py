"""The producer's RecordAccumulator: batches, linger, the sticky partitioner, fill prediction.

docs/model.md#producer (batch.size, linger.ms, KIP-794 uniform sticky partitioner). The
accumulator is driven here the way the producer drives it, but eagerly and with a sender
that is never held back: at every record's arrival and at every due time, take what
arrived, `absorb` it, then `drain` every ready batch. A
brute-force reference handles the same records one at a time; both must form the same
batches, closed at the same instants, and the accumulator's look-ahead fill prediction must
equal the arrival time of the first record the reference could not fit.
"""

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.clients.accumulator import BATCH_HEADER, INF, Accumulator
from sim.clients.arrivals import RECORD_OVERHEAD, Arrivals
from sim.clients.lanes import Lanes
from sim.core.records import BatchAcked
from tests.unit.hand_arrivals import HandArrivals

PIDXS = [10, 11, 12, 13]


class FakeBook:
    """Records every `add` call: the accumulator hands each record to the book once."""

    def __init__(self, n):
        self.times = [[] for _ in range(n)]

    def add(self, pos, times, keys):
        self.times[pos].extend(int(t) for t in times)




class ScriptedRng:
    """integers(lo, hi) returns the scripted draws in turn."""

    def __init__(self, draws):
        self.draws = list(draws)

    def integers(self, lo, hi):
        value = self.draws.pop(0)
        assert lo <= value < hi
        return value


def accumulator(arrivals, n, batch_size, linger_us, book=None, rng=None):
    """An accumulator over arrivals split into lanes (keyed when the records carry partitions)."""
    keyed = arrivals.keyed if isinstance(arrivals, HandArrivals) else bool(arrivals.key_sizes.size)
    return Accumulator(PIDXS[:n], batch_size, linger_us, book or FakeBook(n), rng,
                       Lanes(arrivals, n, keyed))


def next_arrival(lanes, horizon):
    while not any(lane.waiting() for lane in lanes.lanes) and lanes.drawn_until <= horizon:
        lanes.ensure(lanes.drawn_until + 1)
    return min((lane.first_us() for lane in lanes.lanes if lane.waiting()), default=INF)


def drain_all(acc, now, closed):
    """A sender that is never held back: it drains every ready batch at once."""
    for pos in range(len(acc.open)):
        while (b := acc.drain(pos, now)) is not None:
            closed[(b.pos, b.first_seq)] = (now, b.count, b.size, b.created_us, b.full)


def drive(acc, horizon, available=lambda: []):
    """Run the accumulator eagerly up to horizon; return (closed, predictions).

    closed: (pos, first_seq) -> (drained at, count, size, created, full)
    predictions: (pos, first_seq) -> fill_us when the batch opened
    """
    closed, predictions, now = {}, {}, -1
    while True:
        now = min(next_arrival(acc.lanes, horizon), acc.next_due_us(now))
        if now > horizon:
            return closed, predictions
        before = list(acc.open)
        acc.absorb(now, available)
        assert all(not lane.waiting() or lane.first_us() > now       # eager: all taken
                   for lane in acc.lanes.lanes)
        for pos, batch in enumerate(acc.open):
            if batch is not None and batch is not before[pos]:
                predictions[(pos, batch.first_seq)] = acc.fill_us[pos]
        drain_all(acc, now, closed)


def reference(records, batch_size, linger_us, n, draw, horizon):
    """One record at a time: the batches (closed by horizon) and the ones still open."""
    batch_size = max(batch_size, 1)
    open_, closed, next_seq = {}, {}, [0] * n
    sticky, stint = -1, BATCH_HEADER

    def close(pos, t, full):
        b = open_.pop(pos)
        closed[(pos, b["first"])] = (t, b["count"], b["size"], b["created"], full)

    for t, size, part in records:
        for pos in sorted(open_):
            if open_[pos]["created"] + linger_us < t:
                close(pos, open_[pos]["created"] + linger_us, False)
        if part < 0:
            if sticky < 0:
                sticky = draw()
            if stint > BATCH_HEADER and stint + size > batch_size:
                if sticky in open_:
                    close(sticky, t, True)
                sticky, stint = draw(), BATCH_HEADER
            stint += size
            pos = sticky
        else:
            pos = part
        b = open_.get(pos)
        if b is not None and b["size"] + size > batch_size:
            close(pos, t, True)
            b = None
        if b is None:
            b = open_[pos] = {"first": next_seq[pos], "count": 0, "size": BATCH_HEADER,
                              "created": t}
        b["count"] += 1
        b["size"] += size
        next_seq[pos] += 1
        if b["size"] >= batch_size:                   # isFull: ready at once
            close(pos, t, True)
    for pos in sorted(open_):
        if open_[pos]["created"] + linger_us <= horizon:
            close(pos, open_[pos]["created"] + linger_us, False)
    return closed, {(pos, b["first"]): (b["count"], b["size"], b["created"])
                    for pos, b in open_.items()}


# -- exact small traces ----------------------------------------------------------------------

REC = 100                                         # bytes per record in the hand-made cases
THREE = BATCH_HEADER + 3 * REC                     # a batch.size that holds exactly 3 records


def test_a_batch_is_ready_as_soon_as_it_is_exactly_full():
    arrivals = HandArrivals([(t, REC, 0) for t in (0, 1000, 2000, 3000, 9000)])
    acc = accumulator(arrivals, 1, THREE, 50_000, FakeBook(1), None)
    closed, predictions = drive(acc, horizon=10_000)
    assert predictions[(0, 0)] == 3000                # the 4th record does not fit
    assert closed == {(0, 0): (2000, 3, THREE, 0, True)}      # isFull: ready with the 3rd
    assert predictions[(0, 3)] == INF                 # nothing more is coming: linger decides
    assert (acc.open[0].first_seq, acc.open[0].count, acc.open[0].size) == \
        (3, 2, BATCH_HEADER + 2 * REC)


def test_linger_closes_a_batch_at_its_creation_plus_linger():
    arrivals = HandArrivals([(1000, REC, 0), (4000, REC, 0), (6000, REC, 0), (6001, REC, 0)])
    acc = accumulator(arrivals, 1, 10_000, 5_000, FakeBook(1), None)
    closed, _ = drive(acc, horizon=20_000)
    assert closed == {(0, 0): (6000, 3, BATCH_HEADER + 3 * REC, 1000, False),
                      (0, 3): (11_001, 1, BATCH_HEADER + REC, 6001, False)}


def test_a_lingered_batch_keeps_taking_records_until_the_sender_drains_it():
    arrivals = HandArrivals([(0, REC, 0), (6000, REC, 0), (7000, REC, 0)])
    acc = accumulator(arrivals, 1, THREE, 5_000, FakeBook(1), None)
    acc.absorb(0, lambda: [])
    assert acc.next_due_us(0) == 5_000 and not acc.records_due(4_999)
    batch = acc.open[0]
    assert acc.records_due(5_000) and acc.peek(0, 5_000) is batch      # ready, still open
    acc.absorb(6_000, lambda: [])    # the sender was held back
    assert acc.open[0] is batch and batch.count == 2
    assert acc.drain(0, 6_500) is batch and acc.open[0] is None
    assert (batch.count, batch.full) == (2, False)
    acc.absorb(7_000, lambda: [])
    assert acc.drain(0, 7_000) is None                                # new batch, not lingered


def test_full_batches_are_drained_before_the_open_one_in_order():
    arrivals = HandArrivals([(0, REC, 0)] * 7)
    acc = accumulator(arrivals, 1, THREE, 0, FakeBook(1), None)
    acc.absorb(0, lambda: [])
    assert [b.first_seq for b in acc.ready[0]] == [0, 3] and acc.open[0].first_seq == 6
    drained = [acc.drain(0, 0) for _ in range(4)]
    assert [(b.first_seq, b.count, b.full) for b in drained[:3]] == \
        [(0, 3, True), (3, 3, True), (6, 1, False)]
    assert drained[3] is None


def test_a_record_larger_than_batch_size_travels_alone():
    arrivals = HandArrivals([(0, REC, 0), (10, 5 * REC, 0), (20, REC, 0)])
    acc = accumulator(arrivals, 1, THREE, 1_000, FakeBook(1), None)
    closed, _ = drive(acc, horizon=5_000)
    assert closed == {(0, 0): (10, 1, BATCH_HEADER + REC, 0, True),
                      (0, 1): (10, 1, BATCH_HEADER + 5 * REC, 10, True),
                      (0, 2): (1020, 1, BATCH_HEADER + REC, 20, False)}


def test_batch_size_zero_puts_every_record_in_its_own_batch():
    arrivals = HandArrivals([(0, REC, 0), (0, REC, 0), (5, REC, 0)])
    acc = accumulator(arrivals, 1, 0, 1_000, FakeBook(1), None)
    closed, _ = drive(acc, horizon=5_000)
    assert sorted((k, v[1]) for k, v in closed.items()) == [((0, 0), 1), ((0, 1), 1), ((0, 2), 1)]


def test_keyed_records_fill_their_own_partitions_batches():
    arrivals = HandArrivals([(0, REC, 1), (0, REC, 0), (100, REC, 1), (200, REC, 1),
                             (300, REC, 1), (300, REC, 0)])
    book = FakeBook(2)
    acc = accumulator(arrivals, 2, THREE, 1_000, book, None)
    closed, _ = drive(acc, horizon=5_000)
    assert closed == {(1, 0): (200, 3, THREE, 0, True),
                      (0, 0): (1000, 2, BATCH_HEADER + 2 * REC, 0, False),
                      (1, 3): (1300, 1, BATCH_HEADER + REC, 300, False)}
    assert book.times == [[0, 300], [0, 100, 200, 300]]
    assert acc.next_seq == [2, 4]


def test_keyless_records_stick_to_one_partition_for_a_batchs_worth_of_bytes():
    arrivals = HandArrivals([(t * 10, REC, -1) for t in range(7)])
    book = FakeBook(3)
    acc = accumulator(arrivals, 3, THREE, 1_000, book, ScriptedRng([2, 0, 0]))
    closed, predictions = drive(acc, horizon=5_000, available=lambda: [0, 1, 2])
    assert predictions[(2, 0)] == 30 and predictions[(0, 0)] == 60
    assert closed == {(2, 0): (20, 3, THREE, 0, True),
                      (0, 0): (50, 3, THREE, 30, True),
                      (0, 3): (1060, 1, BATCH_HEADER + REC, 60, False)}
    assert book.times == [[30, 40, 50, 60], [], [0, 10, 20]]


def test_the_sticky_partition_is_drawn_among_the_available_ones():
    arrivals = HandArrivals([(0, THREE - BATCH_HEADER, -1), (1, REC, -1)])
    acc = accumulator(arrivals, 4, THREE, 1_000, FakeBook(4), ScriptedRng([1, 0]))
    closed, _ = drive(acc, horizon=10, available=lambda: [3, 1])
    assert set(closed) == {(1, 0)}                    # choices[1] = 1, then choices[0] = 3
    assert acc.sticky == 3 and acc.open[3].count == 1


def test_a_stint_continues_after_linger_closes_its_batch():
    arrivals = HandArrivals([(0, REC, -1), (2000, REC, -1), (2001, REC, -1), (2002, REC, -1)])
    acc = accumulator(arrivals, 2, THREE, 1_000, FakeBook(2), ScriptedRng([1, 0]))
    closed, _ = drive(acc, horizon=10_000, available=lambda: [0, 1])
    assert closed == {(1, 0): (1000, 1, BATCH_HEADER + REC, 0, False),
                      (1, 1): (2002, 2, BATCH_HEADER + 2 * REC, 2000, True),
                      (0, 0): (3002, 1, BATCH_HEADER + REC, 2002, False)}


def test_flush_makes_every_open_batch_ready_and_abandon_drops_everything():
    arrivals = HandArrivals([(0, REC, 0), (0, REC, 1)])
    acc = accumulator(arrivals, 2, THREE, 10_000, FakeBook(2), None)
    drive(acc, horizon=0)
    acc.flush()
    assert [len(q) for q in acc.ready] == [1, 1] and acc.open == [None, None]
    assert acc.next_due_us(0) == INF
    assert len(acc.abandon()) == 2 and [len(q) for q in acc.ready] == [0, 0]


# -- properties against the brute-force reference --------------------------------------------


@st.composite
def workloads(draw):
    n = draw(st.integers(1, 4))
    keyed = draw(st.booleans())
    nkeys = draw(st.integers(1, 6)) if keyed else 0
    return {
        "n": n,
        "rate": draw(st.sampled_from([50.0, 700.0, 5_000.0, 40_000.0, 250_000.0])),
        # even, poisson: the real Arrivals; bursty: Poisson drawn here, on a 1 us or 1 ms grid
        "arrivals": draw(st.sampled_from(["even", "poisson", "bursty"])),
        "grid_us": draw(st.sampled_from([1, 1_000])),
        "key_parts": np.array(draw(st.lists(st.integers(0, n - 1), min_size=nkeys,
                                            max_size=nkeys)), dtype=np.int64),
        "key_sizes": np.array(draw(st.lists(st.integers(0, 40), min_size=nkeys,
                                            max_size=nkeys)), dtype=np.int64),
        "value_size": draw(st.sampled_from([0, 1, 90, 500, 3_000, 20_000])),
        "batch_size": draw(st.sampled_from([0, 100, 1_000, 16_384, 65_536])),
        "linger_us": draw(st.sampled_from([0, 1, 1_000, 5_000, 100_000])),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def horizon_for(rate):
    """Long enough for a few thousand records, at most 300 ms."""
    return int(min(300_000, 4_000 / rate * 1_000_000))


def bursty(w, horizon):
    """Poisson arrivals up to horizon, snapped to a grid, as a fixed list."""
    rng = np.random.default_rng(w["seed"])
    gaps = rng.exponential(1_000_000 / w["rate"], int(w["rate"] * horizon / 1e6 * 2) + 16)
    times = np.floor(np.cumsum(gaps)).astype(np.int64) // w["grid_us"] * w["grid_us"]
    times = times[times <= horizon]
    if w["key_sizes"].size:
        keys = rng.integers(0, w["key_sizes"].size, len(times))
        sizes = w["key_sizes"][keys] + w["value_size"] + RECORD_OVERHEAD
        parts = w["key_parts"][keys]
    else:
        sizes = np.full(len(times), w["value_size"] + RECORD_OVERHEAD)
        parts = np.full(len(times), -1)
    return HandArrivals(list(zip(times.tolist(), sizes.tolist(), parts.tolist(), strict=True)))


def simulate(w):
    """Drive an arrival stream through the accumulator and through the reference."""
    horizon = horizon_for(w["rate"])
    if w["arrivals"] in ("even", "poisson"):
        arrivals = Arrivals(w["rate"], w["arrivals"] == "even", w["key_parts"], w["key_sizes"],
                            w["value_size"], np.random.default_rng(w["seed"]))
    else:
        arrivals = bursty(w, horizon)
    taken = []                                   # every record the lanes take from arrivals
    take = arrivals.take
    arrivals.take = lambda now: taken.append(take(now)) or taken[-1]
    book = FakeBook(w["n"])
    acc = accumulator(arrivals, w["n"], w["batch_size"], w["linger_us"], book,
                      np.random.default_rng(w["seed"] + 1))
    available = lambda: list(range(w["n"]))[::-1]          # noqa: E731
    closed, predictions = drive(acc, horizon, available)
    records = [(int(t), int(s), int(p)) for chunk in taken for t, s, p in
               zip(chunk[0], chunk[2], chunk[3], strict=True) if t <= horizon]
    ref_rng = np.random.default_rng(w["seed"] + 1)
    choices = available()
    draw = lambda: choices[int(ref_rng.integers(0, len(choices)))]   # noqa: E731
    ref_closed, ref_open = reference(records, w["batch_size"], w["linger_us"], w["n"], draw,
                                     horizon)
    return acc, book, records, closed, predictions, ref_closed, ref_open, horizon


@settings(deadline=None)
@given(workloads())
def test_the_accumulator_forms_the_batches_a_record_by_record_simulation_forms(w):
    acc, _, _, closed, _, ref_closed, ref_open, _ = simulate(w)
    assert closed == ref_closed
    still_open = {(b.pos, b.first_seq): (b.count, b.size, b.created_us)
                  for b in acc.open if b is not None}
    assert still_open == ref_open


@settings(deadline=None)
@given(workloads())
def test_the_predicted_fill_time_is_the_arrival_of_the_first_record_that_does_not_fit(w):
    _, _, _, _, predictions, ref_closed, _, horizon = simulate(w)
    assert predictions or all(full for *_, full in ref_closed.values())   # all full at once
    for key, predicted in predictions.items():
        if key in ref_closed:
            t, _, size, created, full = ref_closed[key]
            if full and size < max(w["batch_size"], 1):
                assert predicted == t, key           # closed by the record that did not fit
            elif full:
                assert predicted >= t, key           # exactly full: ready before that record
            else:
                assert predicted > created + w["linger_us"], key
        else:
            assert predicted > horizon, key


@settings(deadline=None)
@given(workloads())
def test_every_record_lands_in_exactly_one_batch_in_order_within_batch_size(w):
    acc, book, records, closed, _, _, _, _ = simulate(w)
    batches = [(pos, first, count, size) for (pos, first), (_, count, size, _, _)
               in closed.items()]
    batches += [(b.pos, b.first_seq, b.count, b.size) for b in acc.open if b is not None]
    limit = max(w["batch_size"], 1)
    for _, _, count, size in batches:
        assert count >= 1
        assert size <= limit or count == 1
        assert size >= BATCH_HEADER + count * RECORD_OVERHEAD
    for pos in range(w["n"]):
        mine = sorted((first, count) for p, first, count, _ in batches if p == pos)
        expected_first = 0
        for first, count in mine:
            assert first == expected_first
            expected_first += count
        assert expected_first == acc.next_seq[pos] == len(book.times[pos])
        assert book.times[pos] == sorted(book.times[pos])
    assert sum(acc.next_seq) == len(records)
    if w["key_sizes"].size:
        for pos in range(w["n"]):
            assert book.times[pos] == [t for t, _, p in records if p == pos]
    else:
        merged = sorted(t for pos in range(w["n"]) for t in book.times[pos])
        assert merged == [t for t, _, _ in records]


@settings(deadline=None)
@given(workloads())
def test_a_keyless_stint_ends_after_a_batchs_worth_of_bytes(w):
    # keyless, equal record sizes, linger beyond the horizon: one batch per stint
    w = dict(w, key_parts=np.empty(0, dtype=np.int64), key_sizes=np.empty(0, dtype=np.int64),
             linger_us=horizon_for(w["rate"]) + 1)
    acc, book, _, closed, _, _, _, _ = simulate(w)
    size = w["value_size"] + RECORD_OVERHEAD
    per_batch = max(1, (max(w["batch_size"], 1) - BATCH_HEADER) // size)
    assert all(full for _, _, _, _, full in closed.values())
    assert all(count == per_batch for _, count, _, _, _ in closed.values())
    open_counts = [b.count for b in acc.open if b is not None]
    assert len(open_counts) <= 1 and all(c <= per_batch for c in open_counts)


# -- known defects -----------------------------------------------------------------------------


def test_a_rate_change_does_not_make_an_open_batch_ready_at_the_old_fill_prediction():
    rec = 90 + RECORD_OVERHEAD
    arrivals = Arrivals(1_000.0, True, np.empty(0, np.int64), np.empty(0, np.int64), 90,
                        np.random.default_rng(0))
    acc = accumulator(arrivals, 1, BATCH_HEADER + 10 * rec, 1_000_000, rng=ScriptedRng([0]))
    acc.absorb(0, lambda: [0])
    assert acc.fill_us[0] == 10_000                  # the 11th record, at 1000/s
    acc.lanes.set_rate(1.0, 500)                     # from now on one record per second
    acc.repredict(500)                               # what Producer.set_rate does next
    assert not acc.records_due(10_000)                # 1 record, linger 1 s: not ready
    assert acc.peek(0, 10_000) is None


def run_yaml(tmp_path: Path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return sim.run(sim.load(path), seed=1)


# Regressions: records arriving while a batch lingers (or before it fills) must join it
# before the sender takes it (found while writing these tests; fixed in Producer.run).


def test_a_producer_fills_every_batch_to_batch_size_at_high_rate(tmp_path):
    result = run_yaml(tmp_path, """
name: fill
description: full batches at a high rate
seed: 1
duration: 1s
drain: 5s
cluster: {brokers: 3}
topics:
  t: {partitions: 1, replication.factor: 3}
producers:
  p: {topic: t, rate: 20000/s, value_size: 90B, config: {linger.ms: 1000}}
""")
    counts = [r.count for r in sorted(result.trace.rows(BatchAcked), key=lambda r: r.first_seq)]
    per_batch = (16384 - BATCH_HEADER) // (90 + RECORD_OVERHEAD)            # 163
    assert counts[:-1] == [per_batch] * (len(counts) - 1)


def test_a_producer_batches_every_record_that_arrives_within_linger(tmp_path):
    result = run_yaml(tmp_path, """
name: linger
description: linger batching
seed: 1
duration: 1s
drain: 5s
cluster: {brokers: 3}
topics:
  t: {partitions: 1, replication.factor: 3}
producers:
  p: {topic: t, rate: 100/s, config: {linger.ms: 100}}
""")
    first = min(result.trace.rows(BatchAcked), key=lambda r: r.first_seq)
    assert first.count >= 10                        # records at 0, 10, ..., 90 (and 100) ms


def test_positions_are_the_partitions_holding_a_batch_in_order():
    arrivals = HandArrivals([(0, REC, 3), (0, REC, 1), (10, REC, 1)])
    acc = accumulator(arrivals, 4, THREE, 1_000, FakeBook(4), None)
    assert acc.positions() == []
    acc.absorb(10, lambda: [])
    assert acc.positions() == [1, 3]
    batch = acc.drain(3, 1_000)
    assert batch is not None and acc.positions() == [1]
    acc.put_back(batch)                              # a retry returns it to its queue
    assert acc.positions() == [1, 3] and acc.peek(3, 1_000) is batch
    assert acc.drain(3, 1_000) is batch and acc.drain(1, 1_000) is not None
    assert acc.positions() == []
