"""Kafka's AbstractCoordinatorTest (the client's group membership: coordinator lookup,
JoinGroup, SyncGroup, heartbeats, leaving) against kafkasim's consumer membership
(sim/clients/membership.py), one member built alone against a scripted broker
(tests/conformance/member.py). Kafka's DummyCoordinator is a generic member; ours is a
consumer, with the same timeouts. Not ported: metrics, wake-ups and the Java API's timers
and threads (internal), authentication, group.max.size, protocol types and KIP-800 reasons
(not modeled)."""

from itertools import pairwise

from sim.cluster.protocol import (
    COORDINATOR_LOAD_IN_PROGRESS,
    COORDINATOR_NOT_AVAILABLE,
    FENCED_INSTANCE_ID,
    ILLEGAL_GENERATION,
    MEMBER_ID_REQUIRED,
    REBALANCE_IN_PROGRESS,
    UNKNOWN_MEMBER_ID,
    FindCoordinator,
    FindCoordinatorResponse,
    Heartbeat,
    HeartbeatResponse,
    JoinGroup,
    LeaveGroup,
    LeaveGroupResponse,
    SyncGroup,
)
from sim.core.units import MS, S
from tests.conformance.member import Member, joined, synced
from tests.conformance.scripted import Later

KAFKA_CLASS = "AbstractCoordinatorTest"

HEARTBEAT_US = 3 * S
REQUEST_TIMEOUT_MS = 40000
CONFIG = {"session.timeout.ms": 10000, "heartbeat.interval.ms": 3000,
          "max.poll.interval.ms": 60000, "retry.backoff.ms": 100,
          "request.timeout.ms": REQUEST_TIMEOUT_MS}

NOT_PORTED = {
    "testMetrics": "internal: metrics",
    "testTimeoutAndRetryJoinGroupIfNeeded": "internal: the timer of a blocking Java call",
    "testReturnUponRetriableErrorAndExpiredTimer": "internal: the timer of a blocking Java call",
    "testGroupMaxSizeExceptionIsFatal": "not modeled: group.max.size",
    "testJoinGroupRequestMaxTimeout": "internal: Integer.MAX_VALUE timeouts without overflow",
    "testJoinGroupProtocolTypeAndName": "not modeled: protocol types and the client's check of "
                                        "the protocol type and name in the answers",
    "testNoGenerationWillNotTriggerProtocolNameCheck": "not modeled: the client's check of the "
                                                       "protocol name in SyncGroup answers",
    "testRejoinReason": "not modeled: KIP-800 reasons in JoinGroup",
    "testUncaughtExceptionInHeartbeatThread": "internal: the heartbeat thread's exception "
                                              "handling",
    "testPollHeartbeatAwakesHeartbeatThread": "internal: waking the heartbeat thread",
    "testAuthenticationErrorInEnsureCoordinatorReady": "not modeled: authentication",
}
NOT_PORTED_LIKE = [
    (r"^testWakeup", "internal: WakeupException, the Java API's interruption of a blocking "
                     "call"),
    (r"^test(Join|Sync)Group.*WithOldGeneration$", "internal: a generation replaced under an "
                                                   "in-flight JoinGroup or SyncGroup, a state "
                                                   "only the test hook setNewGeneration makes"),
    (r"LeaveGroupResponse", "internal: reading the LeaveGroup answer, which changes nothing for "
                            "a member that has already left"),
]


def member(**config) -> Member:
    return Member(dict(CONFIG, **config))


def joined_member(generation: int = 1, member_id: str = "memberId", **config) -> Member:
    m = member(**config)
    m.join(generation, member_id, 0)
    return m


def _join_times_out_after(rebalance_ms: int, expected_us: int) -> None:
    """An unanswered JoinGroup fails (a disconnect) expected_us after it was sent, not
    earlier: the member then marks the coordinator unknown and looks it up again."""
    m = member(**{"max.poll.interval.ms": rebalance_ms})
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.start()
    m.run(5 * MS)
    (arrived, _), = m.broker.got(JoinGroup)
    m.run(arrived - 1 * MS + expected_us - 1 - m.now)     # sent 1 ms before it arrived
    assert m.m.coordinator == 0 and len(m.requests(JoinGroup)) == 1
    m.run(2)                                              # the engine runs up to, not at
    assert m.m.coordinator == -1
    m.run(200 * MS)
    assert len(m.requests(FindCoordinator)) == 2 and len(m.requests(JoinGroup)) == 2


def test_AbstractCoordinatorTest_testJoinGroupRequestTimeout():
    """A JoinGroup waits for the rebalance timeout plus 5 s (JOIN_GROUP_TIMEOUT_LAPSE)."""
    _join_times_out_after(60000, 65 * S)


def test_AbstractCoordinatorTest_testJoinGroupRequestTimeoutLowerBoundedByDefaultRequestTimeout():
    """... but at least request.timeout.ms."""
    _join_times_out_after(REQUEST_TIMEOUT_MS - 10000, REQUEST_TIMEOUT_MS * MS)


def _fatal(m: Member) -> None:
    m.start()
    m.run(100 * MS)
    assert m.consumer.down                      # the fatal error ends the application


def test_AbstractCoordinatorTest_testJoinGroupRequestWithFencedInstanceIdException():
    m = member()
    m.broker.prepare(JoinGroup, joined(-1, error=FENCED_INSTANCE_ID))
    _fatal(m)
    assert len(m.requests(JoinGroup)) == 1      # not retried


def test_AbstractCoordinatorTest_testSyncGroupRequestWithFencedInstanceIdException():
    m = member()
    m.broker.prepare(JoinGroup, joined(1))
    m.broker.prepare(SyncGroup, synced(error=FENCED_INSTANCE_ID))
    _fatal(m)


def test_AbstractCoordinatorTest_testHeartbeatRequestWithFencedInstanceIdException():
    m = member()
    m.broker.prepare(JoinGroup, joined(1))
    m.broker.prepare(SyncGroup, synced(0))
    m.broker.prepare(Heartbeat, HeartbeatResponse(FENCED_INSTANCE_ID))
    m.start()
    m.run(HEARTBEAT_US + 100 * MS)
    assert m.consumer.down


def _retains_member_id(lose: type) -> None:
    """A forced rejoin whose `lose` request (JoinGroup or SyncGroup) is cut by a disconnect:
    the member finds the coordinator again and rejoins under its member id."""
    m = joined_member(5, "memberId")
    if lose is JoinGroup:
        m.broker.prepare(JoinGroup, lambda _r: m.consumer.conns[0].reset(),
                         joined(10, "memberId"))
    else:
        m.broker.prepare(JoinGroup, joined(10, "memberId"), joined(10, "memberId"))
        m.broker.prepare(SyncGroup, lambda _r: m.consumer.conns[0].reset())
    m.broker.prepare(SyncGroup, synced(0))
    m.m.request_rejoin()
    m.run(500 * MS)
    assert [j.member_id for j in m.requests(JoinGroup)] == ["", "memberId", "memberId"]
    assert len(m.requests(FindCoordinator)) == 2
    assert m.m.stable and (m.m.generation, m.m.member_id) == (10, "memberId")


def test_AbstractCoordinatorTest_testRetainMemberIdAfterJoinGroupDisconnect():
    _retains_member_id(JoinGroup)


def test_AbstractCoordinatorTest_testRetainMemberIdAfterSyncGroupDisconnect():
    _retains_member_id(SyncGroup)


def test_AbstractCoordinatorTest_testHeartbeatSentWhenCompletingRebalance():
    """Heartbeats go on while the member awaits its SyncGroup answer; REBALANCE_IN_PROGRESS
    then leaves the generation as it is."""
    m = member()
    m.broker.prepare(JoinGroup, joined(1))
    m.broker.prepare(SyncGroup, lambda _r: None)
    m.broker.prepare(Heartbeat, HeartbeatResponse(REBALANCE_IN_PROGRESS))
    m.start()
    m.run(HEARTBEAT_US + 10 * MS)
    beat, = m.requests(Heartbeat)
    assert (beat.generation, beat.member_id) == (1, "memberId")
    assert (m.m.generation, m.m.member_id) == (1, "memberId")


def _stale_heartbeat_answer(error: str) -> None:
    """A heartbeat of generation 1 answered with error only after the member rejoined at
    generation 2: the answer is ignored and the new generation kept."""
    m = joined_member(1, "memberId")
    m.broker.prepare(Heartbeat, Later(1 * S, HeartbeatResponse(error)))
    m.broker.prepare(JoinGroup, joined(2, "memberId"))
    m.broker.prepare(SyncGroup, synced(0))
    m.run(HEARTBEAT_US)
    (t, beat), = m.broker.got(Heartbeat)
    m.m.request_rejoin()
    m.run(2 * S)
    assert beat.generation == 1 and m.requests(JoinGroup)[-1].member_id == "memberId"
    assert m.m.stable and (m.m.generation, m.m.member_id) == (2, "memberId")
    assert not m.consumer.down


def test_AbstractCoordinatorTest_testHeartbeatIllegalGenerationResponseWithOldGeneration():
    _stale_heartbeat_answer(ILLEGAL_GENERATION)


def test_AbstractCoordinatorTest_testHeartbeatUnknownMemberResponseWithOldGeneration():
    _stale_heartbeat_answer(UNKNOWN_MEMBER_ID)


def test_AbstractCoordinatorTest_testHeartbeatInstanceFencedResponseWithOldGeneration():
    _stale_heartbeat_answer(FENCED_INSTANCE_ID)


def test_AbstractCoordinatorTest_testHeartbeatRebalanceInProgressResponseDuringRebalancing():
    """REBALANCE_IN_PROGRESS asks for a rejoin without resetting the generation; the rejoin
    keeps the member id."""
    m = joined_member(1, "memberId")
    m.broker.prepare(Heartbeat, HeartbeatResponse(REBALANCE_IN_PROGRESS))
    m.broker.prepare(JoinGroup, joined(1, "memberId"))
    m.broker.prepare(SyncGroup, synced(0))
    m.run(HEARTBEAT_US + 10 * MS)
    assert m.requests(JoinGroup)[-1].member_id == "memberId"
    assert m.m.stable and (m.m.generation, m.m.member_id) == (1, "memberId")


def test_AbstractCoordinatorTest_testJoinGroupRequestWithGroupInstanceIdNotFound():
    """UNKNOWN_MEMBER_ID on a JoinGroup: the member rejoins with no member id."""
    m = member()
    m.broker.prepare(JoinGroup, joined(-1, error=UNKNOWN_MEMBER_ID), lambda _r: None)
    m.start()
    m.run(500 * MS)
    assert m.m.generation == -1 and [j.member_id for j in m.requests(JoinGroup)] == ["", ""]


def test_AbstractCoordinatorTest_testJoinGroupRequestWithRebalanceInProgress():
    m = member()
    m.broker.prepare(JoinGroup, joined(-1, error=REBALANCE_IN_PROGRESS), joined(1))
    m.broker.prepare(SyncGroup, synced(0))
    m.start()
    m.run(500 * MS)
    assert len(m.requests(JoinGroup)) == 2 and m.m.stable


def test_AbstractCoordinatorTest_testLeaveGroupSentWithGroupInstanceIdUnSet():
    """A dynamic member sends LeaveGroup when it leaves; a static one does not."""
    for instance, sent in ((None, 1), ("groupInstanceId", 0)):
        m = joined_member(**{"group.instance.id": instance})
        m.broker.always(LeaveGroup, LeaveGroupResponse(None))
        m.m.leave("test")
        m.run()
        assert len(m.requests(LeaveGroup)) == sent


def test_AbstractCoordinatorTest_testLookupCoordinator():
    """Callers that need the coordinator while a lookup is in flight wait on that lookup
    (one FindCoordinator); a lookup after it completed sends a new one."""
    m = member()
    m.broker.prepare(FindCoordinator, Later(50 * MS, m.broker.standing[FindCoordinator]))
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.start()
    m.run(5 * MS)
    m.m.send(Heartbeat("dummy-group", -1, ""), lambda _r: None)
    m.run(100 * MS)
    assert len(m.requests(FindCoordinator)) == 1
    assert len(m.requests(JoinGroup)) == 1 and len(m.requests(Heartbeat)) == 1
    m.m.coordinator_lost()
    m.m.send(Heartbeat("dummy-group", -1, ""), lambda _r: None)
    m.run()
    assert len(m.requests(FindCoordinator)) == 2


def test_AbstractCoordinatorTest_testBackoffAndRetryUponRetriableError():
    """A JoinGroup failing with COORDINATOR_LOAD_IN_PROGRESS is retried after retry.backoff.ms
    (100 ms, within its 20 % jitter)."""
    m = member()
    m.broker.prepare(JoinGroup, joined(-1, error=COORDINATOR_LOAD_IN_PROGRESS), joined(1))
    m.broker.prepare(SyncGroup, synced(0))
    m.start()
    m.run(500 * MS)
    (first, _), (second, _) = m.broker.got(JoinGroup)[:2]
    assert m.m.stable
    assert 80 * MS <= second - first - 4 * MS <= 120 * MS


def test_AbstractCoordinatorTest_testCoordinatorDiscoveryExponentialBackoff():
    """Failed lookups are retried after 10, 20, 40, 80 ms (retry.backoff.ms 10 doubled, at
    most retry.backoff.max.ms 100), each within 20 % jitter."""
    m = member(**{"retry.backoff.ms": 10, "retry.backoff.max.ms": 100})
    m.broker.prepare(FindCoordinator, *[FindCoordinatorResponse(COORDINATOR_NOT_AVAILABLE, -1)]
                     * 4)
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.start()
    m.run(500 * MS)
    times = [t for t, _r in m.broker.got(FindCoordinator)]
    assert len(times) == 5 and m.m.coordinator == 0
    for (a, b), base in zip(pairwise(times), (10, 20, 40, 80), strict=True):
        assert 0.8 * base * MS <= b - a - 2 * MS <= 1.2 * base * MS


def test_AbstractCoordinatorTest_testJoinGroupRequestWithMemberIdRequired():
    """MEMBER_ID_REQUIRED (KIP-394) carries the member id to join with: the member keeps it,
    still without a generation, and joins again with it at once (no backoff)."""
    m = member()
    m.broker.prepare(JoinGroup, joined(-1, "memberId", "", error=MEMBER_ID_REQUIRED),
                     lambda _r: None)
    m.start()
    m.run()
    (t1, first), (t2, second) = m.broker.got(JoinGroup)
    assert (first.member_id, second.member_id) == ("", "memberId") and t2 - t1 == 2 * MS
    assert (m.m.member_id, m.m.generation) == ("memberId", -1) and m.m.joining
