"""The producer's record book answers key ranges across its (coalesced) chunks."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.clients.book import RecordBook


@settings(deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=700), data=st.data())
def test_a_key_range_is_the_slice_of_every_key_added(sizes, data):
    book, added = RecordBook(1), []
    for i, n in enumerate(sizes):
        keys = np.arange(n, dtype=np.int64) + 10 * i
        book.add(0, np.zeros(n, np.int64), keys)
        added.extend(keys)
    added = np.array(added)
    first = data.draw(st.integers(0, len(added) - 1))
    count = data.draw(st.integers(1, len(added) - first))
    assert (book.key_range(0, first, count) == added[first:first + count]).all()
    assert (book.keys(0) == added).all()
