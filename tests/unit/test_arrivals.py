"""A producer's future records (sim/clients/arrivals.py): times, keys and sizes, drawn in blocks.

The accumulator's fill prediction relies on one promise: once `ensure(h)` returns, every
arrival before h is known and never changes. Even arrivals put record i of a segment at
start + floor(i / rate); Poisson arrivals have exponential gaps at the given rate.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.clients.arrivals import BLOCK_US, RECORD_OVERHEAD, Arrivals
from sim.core.units import S

NONE = np.empty(0, dtype=np.int64)


def keyless(rate, even=True, value_size=90, seed=0, start_us=0):
    return Arrivals(rate, even, NONE, NONE, value_size, np.random.default_rng(seed), start_us)


def test_even_arrivals_are_spaced_by_the_inverse_rate_from_the_segment_start():
    a = keyless(4.0, start_us=1_000)
    times, keys, sizes, parts = a.take(1_000_000)
    assert times.tolist() == [1_000, 251_000, 501_000, 751_000]
    assert keys.tolist() == parts.tolist() == [-1] * 4
    assert sizes.tolist() == [90 + RECORD_OVERHEAD] * 4


def test_fractions_of_a_microsecond_carry_from_one_record_to_the_next():
    times, *_ = keyless(3.0).take(2 * S)
    assert times.tolist() == [0, 333_333, 666_666, 1_000_000, 1_333_333, 1_666_666, 2_000_000]


def test_take_removes_exactly_the_records_that_arrived_by_now():
    a = keyless(1_000.0)
    assert a.take(2_500)[0].tolist() == [0, 1_000, 2_000]
    assert a.take(2_500)[0].tolist() == []
    assert a.take(4_000)[0].tolist() == [3_000, 4_000]
    assert a.drawn_until > 4_000


def test_keyed_records_carry_their_key_its_partition_and_its_size():
    key_parts = np.array([2, 0, 1], dtype=np.int64)
    key_sizes = np.array([5, 7, 11], dtype=np.int64)
    a = Arrivals(10_000.0, True, key_parts, key_sizes, 100, np.random.default_rng(3))
    times, keys, sizes, parts = a.take(10_000)
    assert len(times) == 101
    assert set(keys.tolist()) == {0, 1, 2}
    assert (parts == key_parts[keys]).all()
    assert (sizes == key_sizes[keys] + 100 + RECORD_OVERHEAD).all()


def test_a_rate_change_discards_what_was_drawn_beyond_now_and_starts_a_new_segment():
    a = keyless(1_000.0)
    a.ensure(10_000)
    a.set_rate(2_000.0, 2_500)
    assert a.times.tolist() == [0, 1_000, 2_000]
    assert a.drawn_until == 2_500
    assert a.take(4_000)[0].tolist() == [0, 1_000, 2_000, 2_500, 3_000, 3_500, 4_000]


def test_rate_zero_draws_nothing_but_time_still_passes():
    a = keyless(0.0)
    a.ensure(3 * BLOCK_US)
    assert len(a.times) == 0 and a.drawn_until >= 3 * BLOCK_US


def test_discard_after_keeps_the_records_up_to_now():
    a = keyless(1_000.0)
    a.ensure(10_000)
    a.discard_after(3_000)
    assert a.times.tolist() == [0, 1_000, 2_000, 3_000]
    assert a.drawn_until == 3_000


@settings(deadline=None)
@given(rate=st.sampled_from([0.5, 3.0, 7.0, 1_000.0, 123_456.0]),
       steps=st.lists(st.integers(1, 3 * BLOCK_US), min_size=1, max_size=30))
def test_even_arrivals_drawn_block_by_block_equal_one_draw(rate, steps):
    a, b = keyless(rate), keyless(rate)
    horizon = 0
    for step in steps:
        horizon += step
        a.ensure(horizon)
    b.ensure(horizon)
    n = int(np.searchsorted(b.times, horizon))
    assert a.times[:n].tolist() == b.times[:n].tolist()


# Regression: floor(idx / (rate / 1e6)) put record 1 at 99999 us at 10/s.
@pytest.mark.parametrize("rate", [5.0, 10.0, 33.0, 80.0])
def test_even_arrivals_land_exactly_on_start_plus_floor_i_over_rate(rate):
    times, *_ = keyless(rate).take(5 * S)
    n = int(rate) * 5 + 1
    assert times.tolist() == [i * S // int(rate) for i in range(n)]


def poisson_count(rate, seconds, step_us, seed=0):
    """Draw the way the producer does (ensure a little ahead, take) and count the records."""
    a = keyless(rate, even=False, seed=seed)
    count, now = 0, 0
    while now < seconds * S:
        now += step_us
        count += len(a.take(now)[0])
    return count


def test_poisson_arrivals_drawn_at_once_keep_their_rate():
    a = keyless(10.0, even=False, seed=1)
    a.ensure(1_000 * S)
    assert abs(len(a.times) - 10_000) < 5 * 100             # 5 sigma


# Regressions: each Poisson block restarted at the last arrival inside the previous block,
# not at its end, so the already-drawn empty stretch got a second chance at arrivals
# (2.3x the rate at 10/s) and records appeared before an earlier drawn_until.
def test_poisson_arrivals_drawn_block_by_block_keep_their_rate():
    count = poisson_count(10.0, 200, step_us=5_000)
    assert abs(count - 2_000) < 5 * 45                       # 5 sigma


def test_a_drawn_poisson_arrival_is_never_redrawn():
    a = keyless(1.0, even=False, seed=1)
    for step in range(1, 200):
        drawn, known = a.drawn_until, a.times.copy()
        a.ensure(step * 10_000)
        assert a.times[a.times < drawn].tolist() == known.tolist(), step
