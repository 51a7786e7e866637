"""What a consumer hands over from fetched batches (CompletedFetch; Kafka's FetcherTest
testReadCommittedWithCommittedAndAbortedTransactions, testReadCommittedAbortMarkerWith-
NoData, testReturnCommittedTransactions, testSkippingAbortedTransactions)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.clients.isolation import delivered
from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.protocol import ABORT, COMMIT


def data(offset, pid, count=3, transactional=True):
    return Batch(offset, count, 0, 0, offset, pid, 0, offset, 100, 0, transactional)


def marker(offset, pid, result):
    return Batch(offset, 1, 0, -1, -1, pid, 0, -1, CONTROL_BATCH_SIZE, 0, False, result)


def test_committed_records_are_returned_and_markers_never():
    batches = [data(0, 1), marker(3, 1, COMMIT)]
    assert delivered(batches, ()) == [batches[0]]
    assert delivered(batches, None) == [batches[0]]


def test_interleaved_aborted_and_committed_transactions():
    # pid 1 aborts [0, 3) and [7, 10); pid 2 commits [3, 6); a plain batch at 11
    batches = [data(0, 1), data(3, 2), marker(6, 1, ABORT), data(7, 1), marker(10, 1, ABORT),
               data(11, 3, transactional=False), marker(14, 2, COMMIT)]
    kept = delivered(batches, ((1, 0), (1, 7)))
    assert [b.base_offset for b in kept] == [3, 11]
    assert [b.base_offset for b in delivered(batches, None)] == [0, 3, 7, 11]


def test_an_abort_marker_without_data_in_the_fetch_skips_nothing_else():
    batches = [marker(0, 1, ABORT), data(1, 1)]
    assert delivered(batches, ((1, 0),)) == [batches[1]]


def test_an_aborted_transaction_listed_before_its_first_batch_starts_aborting_there():
    batches = [data(0, 1), data(3, 1)]
    assert delivered(batches, ((1, 3),)) == [batches[0]]


@st.composite
def logs(draw):
    """A log of transactions of up to 3 producer ids, each ended or not, interleaved."""
    offset, out, aborted, open_, truth = 0, [], [], {}, {}
    for _ in range(draw(st.integers(1, 25))):
        pid = draw(st.integers(1, 3))
        if pid in open_ and draw(st.booleans()):
            result = draw(st.sampled_from([COMMIT, ABORT]))
            out.append(marker(offset, pid, result))
            first = open_.pop(pid)
            if result == ABORT:
                aborted.append((pid, first))
            for b in out:
                if b.pid == pid and b.control is None and b.base_offset >= first:
                    truth[b.base_offset] = result
            offset += 1
        else:
            count = draw(st.integers(1, 4))
            out.append(data(offset, pid, count))
            open_.setdefault(pid, offset)
            offset += count
    return out, tuple(aborted), truth


@settings(deadline=None)
@given(logs())
def test_a_read_committed_reader_never_returns_an_aborted_record(log):
    batches, aborted, truth = log
    kept = delivered(batches, aborted)
    assert all(truth.get(b.base_offset) != ABORT for b in kept)
    assert all(b.control is None for b in kept)
    # every committed batch is returned
    assert {b.base_offset for b in kept} >= {o for o, r in truth.items() if r == COMMIT}
