"""A consumer's Fetcher with isolation.level read_committed and read_uncommitted, driven by
hand-written fetch responses (as Kafka's FetcherTest does): what it asks for, what it hands
over, and where its position goes past markers and aborted transactions."""

from sim.clients.fetcher import Fetcher
from sim.clients.settings import ConsumerSettings
from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.protocol import (
    ABORT,
    COMMIT,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    FetchData,
    FetchResponse,
)
from tests.unit.hosts import Harness

TOPIC = {"orders": {"partitions": 1, "replication.factor": 1}}
PID = 9


class Member:
    """The consumer side a Fetcher talks to, recording what it sends."""

    def __init__(self, h, settings) -> None:
        self.settings = settings
        self.engine, self.trace, self.topology = h.engine, h.trace, h.topology
        self.group, self.name, self.topics = "readers", "readers-0", ("orders",)
        self.sent: list = []

    def request_to(self, node, request, on_done, timeout_us) -> None:
        self.sent.append((node, request, on_done))

    def request_any(self, request, on_done) -> None:
        self.sent.append((None, request, on_done))

    def timer(self, delay_us, fn, *args) -> None:
        self.engine.later(delay_us, fn, *args)

    def wake_poll(self) -> None:
        pass


def fetcher(isolation: str):
    h = Harness({"cluster": {"brokers": 3}, "topics": TOPIC,
                 "consumers": {"readers": {"topic": "orders",
                                           "config": {"isolation.level": isolation}}}})
    member = Member(h, ConsumerSettings.from_config(h.spec.consumers["readers"].config))
    f = Fetcher(member)
    f.leaders = {0: (0, 0)}
    f.assign([0])
    f.positions = {0: 0}
    return member, f


def data(offset, count=3, transactional=True):
    return Batch(offset, count, 0, 0, offset, PID, 0, offset, 100, 0, transactional)


def marker(offset, result):
    return Batch(offset, 1, 0, -1, -1, PID, 0, -1, CONTROL_BATCH_SIZE, 0, False, result)


def answer(member, f, batches, aborted=(), lso=-1):
    f.send_fetches()
    _node, request, on_done = member.sent[-1]
    on_done(FetchResponse({0: FetchData(None, 100, 0, tuple(batches), None, 100,
                                        last_stable_offset=lso, aborted=aborted)}))
    return request


def test_read_committed_asks_for_committed_reads_and_skips_aborted_records_and_markers():
    member, f = fetcher("read_committed")
    request = answer(member, f, [data(0), marker(3, ABORT), data(4), marker(7, COMMIT)],
                     aborted=((PID, 0),), lso=8)
    assert request.isolation_level == READ_COMMITTED
    segments = f.take(100)
    assert [(s.start, s.end) for s in segments] == [(4, 7)]
    assert f.positions[0] == 8                       # past the trailing marker


def test_a_fetch_of_only_an_aborted_transaction_moves_the_position_past_it():
    member, f = fetcher("read_committed")
    answer(member, f, [data(0), marker(3, ABORT)], aborted=((PID, 0),), lso=4)
    assert not f.has_records() and f.positions[0] == 4
    assert f.take(100) == []


def test_the_position_passes_skipped_batches_only_once_the_records_before_them_are_taken():
    member, f = fetcher("read_committed")
    answer(member, f, [data(0, 5, transactional=False), data(5), marker(8, ABORT)],
           aborted=((PID, 5),), lso=9)
    assert [(s.start, s.end) for s in f.take(2)] == [(0, 2)]
    assert f.positions[0] == 2
    assert [(s.start, s.end) for s in f.take(100)] == [(2, 5)]
    assert f.positions[0] == 9


def test_read_uncommitted_hands_over_aborted_records_but_never_markers():
    member, f = fetcher("read_uncommitted")
    request = answer(member, f, [data(0), marker(3, ABORT), data(4)])
    assert request.isolation_level == READ_UNCOMMITTED
    assert [(s.start, s.end) for s in f.take(100)] == [(0, 3), (4, 7)]
    assert f.positions[0] == 7
