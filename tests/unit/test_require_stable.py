"""A consumer's committed-offset lookup with KIP-447's requireStable, driven by hand-written
OffsetFetch answers (as Kafka's ConsumerCoordinatorTest.testFetchCommittedOffsets* and
testRefreshOffsetRetriableErrorCoordinatorLookup do): a read_committed member of 2.5+ asks
for stable offsets and waits out UNSTABLE_OFFSET_COMMIT, keeping its coordinator."""

from sim.clients.fetcher import Fetcher
from sim.clients.settings import ConsumerSettings
from sim.cluster.protocol import UNSTABLE_OFFSET_COMMIT, OffsetFetch, OffsetFetchResponse
from sim.core.records import OffsetFetchUnstable
from sim.core.units import MS
from tests.unit.hosts import Harness


class Membership:
    """The coordinator side of a member: records what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list = []
        self.lost = 0

    def send(self, request, on_done) -> None:
        self.sent.append((request, on_done))

    def coordinator_lost(self) -> None:
        self.lost += 1


class Member:
    """The consumer a Fetcher belongs to, for one release and isolation level."""

    def __init__(self, h, settings) -> None:
        self.settings = settings
        self.engine, self.trace, self.topology = h.engine, h.trace, h.topology
        self.ctx = h.client_context()
        self.group, self.name = "readers", "readers-0"
        self.membership = Membership()
        self.polls: list = []

    def timer(self, delay_us, fn, *args) -> None:
        self.engine.later(delay_us, fn, *args)

    def wake_poll(self) -> None:
        self.polls.append(self.engine.now)


def member(isolation: str = "read_committed", version: str = "4.1"):
    h = Harness({"cluster": {"brokers": 3, "version": version},
                 "topics": {"orders": {"partitions": 2, "replication.factor": 1}},
                 "consumers": {"readers": {"topic": "orders",
                                           "config": {"isolation.level": isolation}}}})
    m = Member(h, ConsumerSettings.from_config(h.spec.consumers["readers"].config))
    f = Fetcher(m)
    f.assign([0, 1])
    return h, m, f


def test_read_committed_asks_for_stable_offsets_and_waits_out_unstable_ones():
    h, m, f = member()
    f.resolve()
    (request, on_done), = m.membership.sent
    assert request == OffsetFetch("readers", (0, 1), True)
    on_done(OffsetFetchResponse(UNSTABLE_OFFSET_COMMIT, {}))
    assert m.membership.lost == 0 and not f.resolving            # the coordinator is kept
    (unstable,) = h.trace.rows(OffsetFetchUnstable)
    assert (unstable.member, unstable.partitions) == ("readers-0", (("orders", 0), ("orders", 1)))
    h.engine.run(99 * MS)
    assert m.polls == []
    h.engine.run(101 * MS)
    assert m.polls == [100 * MS]                                 # retry.backoff.ms, 100 ms
    f.resolve()
    (_again, on_done), = m.membership.sent[1:]
    on_done(OffsetFetchResponse(None, {0: 5, 1: 9}))
    assert f.positions == {0: 5, 1: 9}


def test_read_uncommitted_and_releases_before_2_5_do_not_ask():
    for isolation, version in (("read_uncommitted", "4.1"), ("read_committed", "2.4")):
        _h, m, f = member(isolation, version)
        f.resolve()
        (request, _on_done), = m.membership.sent
        assert request.require_stable is False
