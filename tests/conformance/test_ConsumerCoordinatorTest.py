"""Kafka's ConsumerCoordinatorTest (the consumer's side of the classic group protocol:
join, sync, heartbeat, leave, commits) against kafkasim's consumer (sim/clients/consumer.py
and membership.py), one member built alone against a scripted broker
(tests/conformance/member.py), the way the Kafka class drives a ConsumerCoordinator through
MockClient. Not ported: metrics, rebalance listeners and assignors written by the user,
pattern and manual subscriptions, subscription changes, racks and the Java API's
threading and wake-ups (none of which kafkasim models)."""

import pytest

from sim.clients.consumer import CLOSE_TIMEOUT_US
from sim.cluster.protocol import (
    COORDINATOR_LOAD_IN_PROGRESS,
    COORDINATOR_NOT_AVAILABLE,
    ILLEGAL_GENERATION,
    MEMBER_ID_REQUIRED,
    NOT_COORDINATOR,
    REBALANCE_IN_PROGRESS,
    UNKNOWN_MEMBER_ID,
    FindCoordinator,
    Heartbeat,
    HeartbeatResponse,
    JoinGroup,
    LeaveGroup,
    LeaveGroupResponse,
    ListOffsets,
    OffsetCommit,
    OffsetCommitResponse,
    OffsetFetch,
    OffsetFetchResponse,
    SyncGroup,
)
from sim.core.records import STOPPED, CommitFailed, HostChanged, PartitionsAssigned
from sim.core.units import MS, S
from tests.conformance.member import GROUP, TOPIC, Member, joined, synced
from tests.conformance.scripted import Later

KAFKA_CLASS = "ConsumerCoordinatorTest"

CONFIG = {"session.timeout.ms": 10000, "heartbeat.interval.ms": 5000,
          "max.poll.interval.ms": 60000, "retry.backoff.ms": 100}
HEARTBEAT_US = 5 * S

NOT_PORTED = {
    "testPerformAssignmentShouldUpdateGroupSubscriptionAfterAssignmentIfNeeded":
        "not modeled: user-written assignors that widen the group's subscription",
    "testPerformAssignmentShouldValidateCooperativeAssignment":
        "not modeled: user-written assignors (the check of their cooperative assignments)",
    "testPerformAssignmentShouldSkipValidateCooperativeAssignmentForBuiltInCooperativeSticky"
    "Assignor": "internal: skipping a check for the built-in assignor",
    "testJoinGroupInvalidGroupId": "not modeled: INVALID_GROUP_ID (group names are checked "
                                   "when the scenario is built)",
    "testUnexpectedErrorOnSyncGroup": "not modeled: UNKNOWN_SERVER_ERROR, which kafkasim's "
                                      "coordinator never returns",
    "testInvalidSessionTimeout": "not modeled: group.min.session.timeout.ms and "
                                 "group.max.session.timeout.ms (INVALID_SESSION_TIMEOUT)",
    "testRetryCommitUnknownTopicOrPartition": "not modeled: UNKNOWN_TOPIC_OR_PARTITION (topics "
                                              "exist for the whole run)",
    "testRefreshOffsetUnknownTopicOrPartition": "not modeled: UNKNOWN_TOPIC_OR_PARTITION "
                                                "(topics exist for the whole run)",
    "testCommitOffsetShouldNotSetInstanceIdIfMemberIdIsUnknown":
        "not modeled: group.instance.id in OffsetCommit",
    "testRefreshOffsetWithValidation": "simplification: consumers do not validate their "
                                       "position (OffsetsForLeaderEpoch, docs/model.md)",
    "testRefreshOffsetWithPendingTransactions": "not modeled: transactions",
    "testCloseNoWait": "internal: close(0), the Java API's zero timeout",
    "testHeartbeatThreadClose": "internal: stopping the heartbeat thread",
    "testGetGroupMetadata": "internal: the groupMetadata() accessor (for transactional "
                            "producers)",
    "shouldUpdateConsumerGroupMetadataBeforeCallbacks": "internal: the groupMetadata() accessor "
                                                        "and user callbacks",
    "testExcludeInternalTopicsConfigOption": "not modeled: subscribing to internal topics "
                                             "(exclude.internal.topics)",
    "testIncludeInternalTopicsConfigOption": "not modeled: subscribing to internal topics "
                                             "(exclude.internal.topics)",
    "testUnsubscribeWithValidGeneration": "not modeled: unsubscribe()",
    "testUnsubscribeWithInvalidGeneration": "not modeled: unsubscribe()",
    "testRejoinGroup": "not modeled: subscription changes (a group's topics are fixed)",
    "testOutdatedCoordinatorAssignment": "not modeled: subscription changes (a group's topics "
                                         "are fixed), here one while the SyncGroup is in flight",
    "testMetadataTopicsDuringSubscriptionChange": "not modeled: subscription changes (a "
                                                  "group's topics are fixed)",
    "testThrowOnUnsupportedStableFlag": "internal: API version negotiation; a run's clients "
                                        "and brokers share a release, whose switch "
                                        "txn.offset.commit.fencing decides whether a "
                                        "read_committed consumer asks for stable offsets",
    "testNoThrowWhenStableFlagIsSupported": "internal: API version negotiation; a run's "
                                            "clients and brokers share a release, whose switch "
                                            "txn.offset.commit.fencing decides whether a "
                                            "read_committed consumer asks for stable offsets",
    "testOnJoinPrepareWithOffsetCommitShouldSuccessAfterRetry":
        "not modeled: UNKNOWN_TOPIC_OR_PARTITION (topics exist for the whole run)",
    "testCoordinatorDisconnectAfterNotCoordinatorError":
        "simplification: group requests share the member's connection to the broker, which "
        "marking the coordinator unknown does not break, so other requests in flight to it "
        "are answered rather than failed",
    "testCoordinatorDisconnectAfterCoordinatorNotAvailableError":
        "simplification: group requests share the member's connection to the broker, which "
        "marking the coordinator unknown does not break",
}
NOT_PORTED_LIKE = [
    (r"Metric", "internal: metrics"),
    (r"Unauthorized|Authoriz|Authentication", "not modeled: authentication and authorization"),
    (r"UserAssigned|ManualAssignment|NoCoordinatorDiscovery",
     "not modeled: manual assignment (assign()); every member subscribes"),
    (r"Callback|Future|AsyncCommits|CoordinatorDead",
     "internal: the Java API's commit callbacks and futures"),
    (r"Exception(Thrown|ShouldBeRendered)", "not modeled: user rebalance listeners and their "
                                            "exceptions"),
    (r"Wakeup", "internal: WakeupException, the Java API's interruption of a blocking call"),
    (r"Pattern", "not modeled: pattern subscriptions"),
    (r"Rack", "not modeled: racks and rack-aware assignment"),
    (r"MetadataRefresh|TopicUnavailable",
     "not modeled: topics appearing or disappearing during a run"),
    (r"MetadataChange|UpdateMetadata|StaticLeaderRejoins",
     "pending: partition counts change by add_partitions and the leader rejoins on its "
     "metadata snapshot check, but the scripted broker here answers no metadata yet"),
    (r"CommitOffsetMetadata", "not modeled: offset metadata strings"),
    (r"FencedInstance|FencedException",
     "not modeled: group.instance.id in OffsetCommit, so commits are never fenced"),
    (r"(IllegalGeneration|UnknownMember)With(New|Reset)Generation",
     "internal: a generation replaced under an in-flight OffsetCommit, a state only the test "
     "hook setNewGeneration makes"),
]


def follower(config=None, *partitions: int) -> Member:
    """A member that joined as a follower at generation 1 and owns the given partitions."""
    m = Member(dict(CONFIG, **(config or {})))
    m.join(1, "consumer", *partitions)
    return m


def heartbeat_answered(m: Member, answer) -> None:
    """The next heartbeat (HEARTBEAT_US after the join) gets this answer (None: none)."""
    m.broker.prepare(Heartbeat, answer if answer is not None else (lambda _r: None))
    m.run(HEARTBEAT_US)


def test_ConsumerCoordinatorTest_testNormalHeartbeat():
    m = follower(None, 0)
    heartbeat_answered(m, HeartbeatResponse(None))
    (t, beat), = m.broker.got(Heartbeat)
    assert (beat.generation, beat.member_id, beat.group) == (1, "consumer", GROUP)
    assert m.m.coordinator == 0 and m.m.stable


def test_ConsumerCoordinatorTest_testCoordinatorNotAvailable():
    """COORDINATOR_NOT_AVAILABLE on a heartbeat marks the coordinator unknown; the member
    keeps its generation."""
    m = follower(None, 0)
    heartbeat_answered(m, HeartbeatResponse(COORDINATOR_NOT_AVAILABLE))
    assert m.m.coordinator == -1 and m.m.generation == 1


def test_ConsumerCoordinatorTest_testNotCoordinator():
    m = follower(None, 0)
    heartbeat_answered(m, HeartbeatResponse(NOT_COORDINATOR))
    assert m.m.coordinator == -1 and m.m.generation == 1
    finds = len(m.requests(FindCoordinator))
    m.run(HEARTBEAT_US)                    # the next heartbeat looks the coordinator up first
    assert len(m.requests(FindCoordinator)) == finds + 1


def _heartbeat_fences(error: str) -> Member:
    """A heartbeat answered with error; the member's next JoinGroup waits unanswered."""
    m = follower(None, 0)
    m.broker.prepare(JoinGroup, lambda _r: None)
    heartbeat_answered(m, HeartbeatResponse(error))
    assert m.m.generation == -1 and m.m.joining       # the next poll rejoins
    assert m.consumer.fetcher.assigned == ()          # its partitions are lost
    assert m.requests(JoinGroup)[-1].owned == ()
    return m


def test_ConsumerCoordinatorTest_testIllegalGeneration():
    m = _heartbeat_fences(ILLEGAL_GENERATION)
    assert m.requests(JoinGroup)[-1].member_id == "consumer"


def test_ConsumerCoordinatorTest_testUnknownMemberId():
    m = _heartbeat_fences(UNKNOWN_MEMBER_ID)
    assert m.requests(JoinGroup)[-1].member_id == ""


def test_ConsumerCoordinatorTest_testCoordinatorDisconnect():
    m = follower(None, 0)
    heartbeat_answered(m, None)
    m.consumer.conns[0].reset()            # the connection drops with the heartbeat in flight
    m.run()
    assert m.m.coordinator == -1 and m.m.generation == 1


def test_ConsumerCoordinatorTest_testNormalJoinGroupLeader():
    """The leader gets the subscriptions, assigns with the chosen assignor, and sends the
    assignment in its SyncGroup for generation 1."""
    m = Member(CONFIG, partitions=1)
    subscriptions = (("leader", None, (TOPIC,), (), -1),)
    m.broker.prepare(JoinGroup, joined(1, "leader", "leader", members=subscriptions))
    m.broker.prepare(SyncGroup, synced(0))
    m.start()
    m.run()
    sync, = m.requests(SyncGroup)
    assert (sync.member_id, sync.generation) == ("leader", 1)
    assert sync.assignments == {"leader": ((TOPIC, 0),)}
    assert m.m.stable and m.consumer.owned_partitions() == [(TOPIC, 0)]


def test_ConsumerCoordinatorTest_testNormalJoinGroupFollower():
    m = Member(CONFIG)
    m.broker.prepare(JoinGroup, joined(1, "consumer", "leader"))
    m.broker.prepare(SyncGroup, synced(0))
    m.start()
    m.run()
    sync, = m.requests(SyncGroup)
    assert (sync.member_id, sync.generation, sync.assignments) == ("consumer", 1, None)
    assert m.m.stable and m.consumer.owned_partitions() == [(TOPIC, 0)]


def _sync_fails(error: str) -> Member:
    """A first join whose SyncGroup fails with error, then a full join at generation 2."""
    m = Member(CONFIG)
    m.broker.prepare(JoinGroup, joined(1, "consumer", "leader"), joined(2, "consumer", "leader"))
    m.broker.prepare(SyncGroup, synced(error=error), synced(0))
    m.start()
    m.run(200 * MS)
    assert m.m.stable and m.m.generation == 2 and m.consumer.owned_partitions() == [(TOPIC, 0)]
    return m


def test_ConsumerCoordinatorTest_testUnknownMemberIdOnSyncGroup():
    m = _sync_fails(UNKNOWN_MEMBER_ID)
    assert [j.member_id for j in m.requests(JoinGroup)] == ["", ""]


def test_ConsumerCoordinatorTest_testRebalanceInProgressOnSyncGroup():
    m = _sync_fails(REBALANCE_IN_PROGRESS)
    assert len(m.requests(JoinGroup)) == 2


def test_ConsumerCoordinatorTest_testIllegalGenerationOnSyncGroup():
    m = _sync_fails(ILLEGAL_GENERATION)
    assert [j.member_id for j in m.requests(JoinGroup)] == ["", "consumer"]


def test_ConsumerCoordinatorTest_testLeaveGroupOnClose():
    m = follower(None, 0)
    m.broker.always(LeaveGroup, LeaveGroupResponse(None))
    m.consumer.stop()
    m.run()
    leave, = m.requests(LeaveGroup)
    assert (leave.group, leave.member_id) == (GROUP, "consumer")


def test_ConsumerCoordinatorTest_testMaybeLeaveGroup():
    m = follower(None, 0)
    m.broker.always(LeaveGroup, LeaveGroupResponse(None))
    m.m.leave("test maybe leave group")
    m.run()
    leave, = m.requests(LeaveGroup)
    assert leave.member_id == "consumer" and leave.reason == "test maybe leave group"
    assert not m.m.stable and m.m.generation == -1


def test_ConsumerCoordinatorTest_testDisconnectInJoin():
    """A JoinGroup lost to a disconnect sends the member to find the coordinator again and
    join again."""
    m = Member(CONFIG)
    m.broker.prepare(JoinGroup, lambda _r: None, joined(1, "consumer", "leader"))
    m.broker.prepare(SyncGroup, synced(0))
    m.start()
    m.run()
    m.consumer.conns[0].reset()
    m.run(200 * MS)
    assert len(m.requests(FindCoordinator)) == 2 and len(m.requests(JoinGroup)) == 2
    assert m.m.stable and m.consumer.owned_partitions() == [(TOPIC, 0)]


def test_ConsumerCoordinatorTest_testCommitOffsetOnly():
    m = follower(None, 0)
    m.broker.prepare(OffsetCommit, OffsetCommitResponse(None))
    done = []
    m.consumer._commit(((m.h.topology.by_topic[TOPIC][0], 100),), done.append)
    m.run()
    commit, = m.requests(OffsetCommit)
    assert commit.offsets == ((0, 100),) and (commit.generation, commit.member_id) == \
        (1, "consumer")
    assert done == [None]


def commit_sync(m: Member, *answers) -> list:
    """commitSync of offset 100 for foo-0, the broker answering the OffsetCommits with answers
    in turn; run until done; return what the commit reported (its error or None)."""
    m.broker.prepare(OffsetCommit, *answers)
    done: list = []
    m.consumer._commit(((m.h.topology.by_topic[TOPIC][0], 100),), done.append)
    m.run(500 * MS)
    return done


def _commit_rediscovers(first) -> None:
    """A commit that failed for coordinator trouble finds the coordinator again and retries
    (after retry.backoff.ms), and the retry succeeds."""
    m = follower(None, 0)
    assert commit_sync(m, first, OffsetCommitResponse(None)) == [None]
    assert len(m.requests(FindCoordinator)) == 2 and len(m.requests(OffsetCommit)) == 2
    (t1, _), (t2, _) = m.broker.got(OffsetCommit)
    assert t2 - t1 >= 100 * MS


def test_ConsumerCoordinatorTest_testCommitOffsetSyncNotCoordinator():
    _commit_rediscovers(OffsetCommitResponse(NOT_COORDINATOR))


def test_ConsumerCoordinatorTest_testCommitOffsetSyncCoordinatorNotAvailable():
    _commit_rediscovers(OffsetCommitResponse(COORDINATOR_NOT_AVAILABLE))


def test_ConsumerCoordinatorTest_testCommitOffsetSyncCoordinatorDisconnected():
    def disconnect(_request):
        m_conn.reset()
    m = follower(None, 0)
    m_conn = m.consumer.conns[0]
    assert commit_sync(m, disconnect, OffsetCommitResponse(None)) == [None]
    assert len(m.requests(FindCoordinator)) == 2 and len(m.requests(OffsetCommit)) == 2


def test_ConsumerCoordinatorTest_testCommitOffsetIllegalGeneration():
    """A rebalance before the commit completed: the commit fails, not retried."""
    m = follower(None, 0)
    assert commit_sync(m, OffsetCommitResponse(ILLEGAL_GENERATION)) == [ILLEGAL_GENERATION]
    assert len(m.requests(OffsetCommit)) == 1


def test_ConsumerCoordinatorTest_testCommitOffsetUnknownMemberId():
    m = follower(None, 0)
    assert commit_sync(m, OffsetCommitResponse(UNKNOWN_MEMBER_ID)) == [UNKNOWN_MEMBER_ID]
    assert len(m.requests(OffsetCommit)) == 1


def test_ConsumerCoordinatorTest_testCommitOffsetIllegalGenerationShouldResetGenerationId():
    m = follower(None, 0)
    m.broker.prepare(JoinGroup, lambda _r: None)
    commit_sync(m, OffsetCommitResponse(ILLEGAL_GENERATION))
    assert m.m.generation == -1 and m.m.member_id == "consumer"


def test_ConsumerCoordinatorTest_testCommitOffsetUnknownMemberShouldResetToNoGeneration():
    m = follower(None, 0)
    m.broker.prepare(JoinGroup, lambda _r: None)
    commit_sync(m, OffsetCommitResponse(UNKNOWN_MEMBER_ID))
    assert m.m.generation == -1 and m.m.member_id == ""


def test_ConsumerCoordinatorTest_testCommitAfterLeaveGroup():
    """After leaving, a commit does not reuse the old generation and member id (kafkasim's
    members always use group management, so it fails without being sent)."""
    m = follower(None, 0)
    m.broker.always(LeaveGroup, LeaveGroupResponse(None))
    m.m.leave("test commit after leave")
    m.run()
    assert commit_sync(m) == ["COMMIT_FAILED_NOT_IN_GROUP"]
    assert m.requests(OffsetCommit) == []


@pytest.mark.parametrize("assignor", ["range", "cooperative-sticky"])
def test_ConsumerCoordinatorTest_testCommitOffsetRebalanceInProgress(assignor):
    """While the member rebalances a commit fails with REBALANCE_IN_PROGRESS without being
    sent (on its first join, and on a cooperative rejoin, consuming meanwhile); a commit
    refused with REBALANCE_IN_PROGRESS fails and asks for a rejoin, keeping the generation."""
    m = Member(dict(CONFIG, **{"partition.assignment.strategy": [assignor]}))
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.start()
    m.run()
    assert commit_sync(m) == [REBALANCE_IN_PROGRESS] and m.requests(OffsetCommit) == []
    if assignor == "cooperative-sticky":
        m = follower({"partition.assignment.strategy": [assignor]}, 0)
        m.broker.prepare(JoinGroup, lambda _r: None)
        m.m.request_rejoin()
        m.run()
        assert m.m.joining and m.consumer.owned_partitions() == [(TOPIC, 0)]
        assert commit_sync(m) == [REBALANCE_IN_PROGRESS] and m.requests(OffsetCommit) == []
    m = follower(None, 0)
    assert commit_sync(m, OffsetCommitResponse(REBALANCE_IN_PROGRESS)) == [REBALANCE_IN_PROGRESS]
    assert m.m.generation == 1 and m.m.member_id == "consumer"
    assert m.m.rejoin_needed and not m.m.stable         # the next poll rejoins


def _position_from_committed(offset: int) -> Member:
    """A member assigned foo-0 asks the coordinator for its committed offset."""
    m = Member(CONFIG)
    m.broker.prepare(OffsetFetch, OffsetFetchResponse(None, {0: offset}))
    m.join(1, "consumer", 0)
    fetch, = m.requests(OffsetFetch)
    assert fetch.pidxs == (0,)
    return m


def test_ConsumerCoordinatorTest_testRefreshOffset():
    m = _position_from_committed(100)
    assert m.consumer.fetcher.positions == {0: 100}


def test_ConsumerCoordinatorTest_testFetchCommittedOffsets():
    m = _position_from_committed(500)
    assert m.consumer.fetcher.positions == {0: 500}


def test_ConsumerCoordinatorTest_testRefreshOffsetWithNoFetchableOffsets():
    """No committed offset: the position is left to the reset policy (a ListOffsets)."""
    m = _position_from_committed(-1)
    assert m.consumer.fetcher.positions == {} and len(m.requests(ListOffsets)) == 1


def _async_commit_fails(answer, error: str) -> None:
    """An asynchronous commit whose OffsetCommit gets answer(member) reports the failure (it
    is not retried by itself) and marks the coordinator unknown."""
    m = follower(None, 0)
    m.broker.prepare(OffsetCommit, answer(m))
    m.consumer._commit(((0, 100),), None)
    m.run()
    assert m.m.coordinator == -1 and len(m.requests(OffsetCommit)) == 1
    failed, = m.h.trace.rows(CommitFailed)
    assert failed.error == error


def test_ConsumerCoordinatorTest_testCommitOffsetAsyncCoordinatorNotAvailable():
    _async_commit_fails(lambda _m: OffsetCommitResponse(COORDINATOR_NOT_AVAILABLE),
                        COORDINATOR_NOT_AVAILABLE)


def test_ConsumerCoordinatorTest_testCommitOffsetAsyncNotCoordinator():
    _async_commit_fails(lambda _m: OffsetCommitResponse(NOT_COORDINATOR), NOT_COORDINATOR)


def test_ConsumerCoordinatorTest_testCommitOffsetAsyncDisconnected():
    _async_commit_fails(lambda m: lambda _r: m.consumer.conns[0].reset(), "NETWORK_EXCEPTION")


@pytest.mark.parametrize("error", [NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE])
def test_ConsumerCoordinatorTest_testRefreshOffsetRetriableErrorCoordinatorLookup(error):
    """An OffsetFetch failing with a coordinator error looks the coordinator up again and
    retries (Kafka's other two parameters, COORDINATOR_LOAD_IN_PROGRESS and NETWORK_EXCEPTION
    as a response error, are never returned by kafkasim's coordinator)."""
    m = Member(CONFIG)
    m.broker.prepare(OffsetFetch, OffsetFetchResponse(error, {}),
                     OffsetFetchResponse(None, {0: 100}))
    m.join(1, "consumer", 0)
    m.run(500 * MS)
    assert len(m.requests(FindCoordinator)) == 2 and len(m.requests(OffsetFetch)) == 2
    assert m.consumer.fetcher.positions == {0: 100}


AUTO = {"enable.auto.commit": True, "auto.commit.interval.ms": 2000}


def auto_committer(assignor: str = "range", **config) -> Member:
    """A member with auto-commit every 2 s (unless config turns it off), at position 100 of
    foo-0 from t = 0."""
    m = Member({**CONFIG, **AUTO, "partition.assignment.strategy": [assignor], **config})
    m.broker.prepare(OffsetFetch, OffsetFetchResponse(None, {0: 100}))
    m.join(1, "consumer", 0)
    return m


def test_ConsumerCoordinatorTest_testAutoCommitDynamicAssignment():
    m = auto_committer()
    m.broker.prepare(OffsetCommit, OffsetCommitResponse(None))
    m.run(2 * S)
    (t, commit), = m.broker.got(OffsetCommit)
    assert commit.offsets == ((0, 100),) and 2 * S <= t < 2 * S + 10 * MS


def test_ConsumerCoordinatorTest_testAutoCommitAwaitsInterval():
    """An auto-commit still in flight half an interval later is not sent again; the next one
    goes out a whole interval after the first was sent."""
    m = auto_committer()
    m.broker.prepare(OffsetCommit, Later(1500 * MS, OffsetCommitResponse(None)))
    m.broker.always(OffsetCommit, OffsetCommitResponse(None))
    m.run(3 * S)
    assert len(m.requests(OffsetCommit)) == 1
    m.run(1 * S + 10 * MS)
    (t1, _), (t2, _) = m.broker.got(OffsetCommit)
    assert t2 - t1 == 2 * S


def test_ConsumerCoordinatorTest_testAutoCommitRetryBackoff():
    """An auto-commit failing with NOT_COORDINATOR is retried retry.backoff.ms later (not an
    auto.commit.interval.ms later), after finding the coordinator again."""
    m = auto_committer()
    m.broker.prepare(OffsetCommit, OffsetCommitResponse(NOT_COORDINATOR))
    m.broker.always(OffsetCommit, OffsetCommitResponse(None))
    m.run(2 * S + 10 * MS)
    m.run(200 * MS)
    (t1, _), (t2, _) = m.broker.got(OffsetCommit)
    assert 100 * MS <= t2 - t1 <= 110 * MS
    assert len(m.requests(FindCoordinator)) == 2


def test_ConsumerCoordinatorTest_testSelectRebalanceProtocol():
    """The rebalance protocol is the most advanced one all the assignors support: cooperative
    only when every assignor is cooperative (built-in ones all support eager)."""
    def kind(*assignors: str) -> str:
        return Member({"partition.assignment.strategy": list(assignors)}).m.protocol_kind()
    assert kind("cooperative-sticky") == "cooperative"
    assert kind("cooperative-sticky", "range") == "eager"
    assert kind("range", "cooperative-sticky") == "eager"
    assert kind("range") == "eager"


BOTH = pytest.mark.parametrize("assignor", ["range", "cooperative-sticky"])


def _rejoin_after_commit(assignor: str, *answers) -> Member:
    """An auto-committing member (eager or cooperative, as Kafka's Eager- and
    CooperativeConsumerCoordinatorTest) at position 100 asked to rejoin; the commit it makes
    first (onJoinPrepare) gets answers in turn; the JoinGroup waits unanswered."""
    m = auto_committer(assignor)
    m.broker.prepare(OffsetCommit, *answers)
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.m.request_rejoin()
    m.run(500 * MS)
    return m


def _kinds(m: Member) -> list:
    """The kinds of group request the broker got after the first join, in order."""
    kinds = [type(r).__name__ for _t, r in m.broker.peer.got
             if isinstance(r, (OffsetCommit, JoinGroup, FindCoordinator))]
    return kinds[kinds.index("JoinGroup") + 1:]


def test_ConsumerCoordinatorTest_testJoinPrepareWithDisableAutoCommit():
    m = follower(None, 0)
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.m.request_rejoin()
    m.run()
    assert _kinds(m) == ["JoinGroup"]


@BOTH
def test_ConsumerCoordinatorTest_testJoinPrepareAndCommitCompleted(assignor):
    m = _rejoin_after_commit(assignor, OffsetCommitResponse(None))
    assert _kinds(m) == ["OffsetCommit", "JoinGroup"]
    assert m.requests(OffsetCommit)[0].offsets == ((0, 100),)


@BOTH
def test_ConsumerCoordinatorTest_testJoinPrepareAndCommitWithCoordinatorNotAvailable(assignor):
    """A retriable failure of that commit holds the join back: the coordinator is looked up
    again and the commit retried first."""
    m = _rejoin_after_commit(assignor, OffsetCommitResponse(COORDINATOR_NOT_AVAILABLE),
                             OffsetCommitResponse(None))
    assert _kinds(m) == ["OffsetCommit", "FindCoordinator", "OffsetCommit", "JoinGroup"]


@BOTH
def test_ConsumerCoordinatorTest_testJoinPrepareAndCommitWithUnknownMemberId(assignor):
    """A non-retriable failure does not hold the join back (and UNKNOWN_MEMBER_ID drops the
    member id it rejoins with)."""
    m = _rejoin_after_commit(assignor, OffsetCommitResponse(UNKNOWN_MEMBER_ID))
    assert _kinds(m) == ["OffsetCommit", "JoinGroup"]
    assert m.requests(JoinGroup)[-1].member_id == ""


@BOTH
def test_ConsumerCoordinatorTest_testOnJoinPrepareWithOffsetCommitShouldKeepJoinAfterNonRetryableException(assignor):  # noqa: E501
    m = _rejoin_after_commit(assignor, OffsetCommitResponse(UNKNOWN_MEMBER_ID))
    assert _kinds(m) == ["OffsetCommit", "JoinGroup"] and m.m.coordinator == 0


@BOTH
def test_ConsumerCoordinatorTest_testOnJoinPrepareWithOffsetCommitShouldKeepJoinAfterRebalanceTimeout(assignor):  # noqa: E501
    """The commit before a join retries a retriable error until the rebalance timeout
    (max.poll.interval.ms, here 2 minutes: past default.api.timeout.ms), then the member
    joins anyway; a loading coordinator stays known."""
    m = auto_committer(assignor, **{"max.poll.interval.ms": 120_000})
    m.broker.always(OffsetCommit, OffsetCommitResponse(COORDINATOR_LOAD_IN_PROGRESS))
    m.broker.prepare(JoinGroup, lambda _r: None)
    m.m.request_rejoin()
    start = m.now
    m.run(121 * S)
    t_join = m.broker.got(JoinGroup)[1][0]
    commits = [t for t, _r in m.broker.got(OffsetCommit) if start < t < t_join]
    assert len(commits) > 1000 and commits[-1] - start >= 119 * S
    assert [t for t, _r in m.broker.got(FindCoordinator) if start < t < t_join] == []


def test_ConsumerCoordinatorTest_testCloseDynamicAssignment():
    """close() with auto-commit: the positions are committed, then the member leaves."""
    m = auto_committer()
    m.broker.always(OffsetCommit, OffsetCommitResponse(None))
    m.broker.always(LeaveGroup, LeaveGroupResponse(None))
    m.consumer.stop()
    m.run()
    kinds = [type(r).__name__ for _t, r in m.broker.peer.got
             if isinstance(r, (OffsetCommit, LeaveGroup))]
    assert kinds == ["OffsetCommit", "LeaveGroup"] and m.consumer.down


def _dropped_out(assignor: str, error: str) -> Member:
    """A member owning foo-0 whose commit meets a rebalance; it joins generation 42 as
    consumer-42, but its SyncGroup fails with error; its next JoinGroup waits."""
    m = Member(dict(CONFIG, **{"partition.assignment.strategy": [assignor]}))
    m.join(1, "consumer", 0)
    m.broker.prepare(JoinGroup, joined(42, "consumer-42"), lambda _r: None)
    m.broker.prepare(SyncGroup, synced(error=error))
    assert commit_sync(m, OffsetCommitResponse(REBALANCE_IN_PROGRESS)) == [REBALANCE_IN_PROGRESS]
    m.consumer.poll()                                # the application polls: it rejoins
    m.run(500 * MS)
    assert m.m.generation == -1 and len(m.requests(JoinGroup)) == 3
    assert m.requests(JoinGroup)[-1].owned == () and m.consumer.owned_partitions() == []
    return m


@pytest.mark.parametrize("assignor", ["range", "cooperative-sticky"])
def test_ConsumerCoordinatorTest_shouldLoseAllOwnedPartitionsBeforeRejoiningAfterDroppingOutOfTheGroup(assignor):  # noqa: E501
    """UNKNOWN_MEMBER_ID on the SyncGroup: generation and member id are reset and the member
    loses its partitions before it joins again (eager and cooperative alike)."""
    m = _dropped_out(assignor, UNKNOWN_MEMBER_ID)
    assert m.m.member_id == "" and m.requests(JoinGroup)[-1].member_id == ""


@pytest.mark.parametrize("assignor", ["range", "cooperative-sticky"])
def test_ConsumerCoordinatorTest_shouldLoseAllOwnedPartitionsBeforeRejoiningAfterResettingGenerationId(assignor):  # noqa: E501
    """ILLEGAL_GENERATION on the SyncGroup: the generation is reset (the member id kept) and
    the member loses its partitions before it joins again."""
    m = _dropped_out(assignor, ILLEGAL_GENERATION)
    assert m.m.member_id == "consumer-42" and m.requests(JoinGroup)[-1].member_id == "consumer-42"


def test_ConsumerCoordinatorTest_testOnLeaderElectedShouldSkipAssignment():
    """A leader told to skip the assignment (a static leader rejoining a stable group gets no
    subscriptions) computes none: its SyncGroup carries no assignment."""
    m = Member(dict(CONFIG, **{"group.instance.id": "test-instance"}))
    m.broker.prepare(JoinGroup, joined(1, "leader", "leader"))      # leader, no members
    m.broker.prepare(SyncGroup, synced(0))
    m.start()
    m.run()
    (sync,) = m.requests(SyncGroup)
    assert sync.member_id == "leader" and sync.assignments is None and m.m.stable


def test_ConsumerCoordinatorTest_testAutoCommitDynamicAssignmentRebalance():
    """No auto-commit before the member has joined, however long that takes; one an interval
    after it has."""
    m = Member(dict(CONFIG, **AUTO))
    m.broker.prepare(JoinGroup, Later(3 * S, joined(1, "consumer")))
    m.broker.prepare(SyncGroup, synced(0))
    m.broker.prepare(OffsetFetch, OffsetFetchResponse(None, {0: 100}))
    m.broker.always(OffsetCommit, OffsetCommitResponse(None))
    m.start()
    m.run(3 * S)
    assert m.requests(OffsetCommit) == [] and not m.m.stable
    m.run(2100 * MS)
    (t, commit), = m.broker.got(OffsetCommit)
    assert commit.offsets == ((0, 100),) and commit.generation == 1


def test_ConsumerCoordinatorTest_testAutoCommitAfterCoordinatorBackToService():
    """An auto-commit due while the coordinator is unknown looks it up and is sent to it."""
    m = auto_committer()
    m.broker.always(OffsetCommit, OffsetCommitResponse(None))
    m.m.coordinator_lost()
    m.run(2 * S + 10 * MS)
    assert len(m.requests(FindCoordinator)) == 2 and m.m.coordinator == 0
    assert [c.offsets for c in m.requests(OffsetCommit)] == [((0, 100),)]


def test_ConsumerCoordinatorTest_testUpdateLastHeartbeatPollWhenCoordinatorUnknown():
    """A poll() while the coordinator cannot be found still resets the poll timer, so the
    heartbeat thread does not give up the generation max.poll.interval.ms after the poll
    before it (but does one after this one)."""
    m = follower(None, 0)
    m.broker.always(FindCoordinator, lambda _r: None)
    heartbeat_answered(m, HeartbeatResponse(NOT_COORDINATOR))
    m.consumer.in_poll = False              # the application is away, processing
    m.run(10 * S)
    m.consumer.poll()                       # it polls; the coordinator is still unknown
    polled = m.now
    assert m.consumer.last_poll == polled and m.m.coordinator == -1
    m.consumer.in_poll = False              # and is away again
    m.run(60 * S - 1 * MS)
    assert m.m.generation == 1
    m.run(10 * S)
    assert m.m.generation == -1 and m.requests(LeaveGroup) == []


def closer(auto_commit: bool, static: bool = False) -> Member:
    """A member that joined generation 1 owning foo-0 at position 100 (prepareCoordinatorFor
    CloseTest), auto-committing or not, dynamic or static."""
    config = {"group.instance.id": "test-instance"} if static else {}
    return auto_committer(**config, **{"enable.auto.commit": auto_commit})


def coordinator_lost(m: Member, error: str) -> None:
    """makeCoordinatorUnknown: a heartbeat answered with error; no lookup is answered since."""
    m.broker.always(FindCoordinator, lambda _r: None)
    heartbeat_answered(m, HeartbeatResponse(error))
    assert m.m.coordinator == -1


def close_takes(m: Member, timeout_us: int = CLOSE_TIMEOUT_US) -> int:
    """close(timeout) now: how long until the process exits; nothing is answered meanwhile
    but what the broker was told to answer."""
    start = m.now
    m.consumer.stop(timeout_us)
    m.run(timeout_us - 1 * MS if timeout_us > 1 * MS else 0)
    m.run(40 * S)
    (t,) = [r.t_us for r in m.h.trace.rows(HostChanged)
            if r.host == m.consumer.name and r.state == STOPPED]
    return t - start


def sent_since(m: Member, kind, since: int) -> list:
    return [r for t, r in m.broker.got(kind) if t >= since]


def _close_unknown_coordinator_no_commits(error: str) -> None:
    """Nothing to commit and no coordinator to leave: close returns at once, without looking
    the coordinator up or leaving."""
    m = closer(False)
    coordinator_lost(m, error)
    start, finds = m.now, len(m.requests(FindCoordinator))
    assert close_takes(m, 1000 * MS) == 0
    assert sent_since(m, LeaveGroup, start) == []
    assert len(m.requests(FindCoordinator)) == finds


def test_ConsumerCoordinatorTest_testCloseCoordinatorNotKnownNoCommits():
    _close_unknown_coordinator_no_commits(NOT_COORDINATOR)


def test_ConsumerCoordinatorTest_testCloseCoordinatorUnavailableNoCommits():
    _close_unknown_coordinator_no_commits(COORDINATOR_NOT_AVAILABLE)


def _close_unknown_coordinator_commits(error: str, static: bool, timeout_us: int) -> int:
    """The closing commit waits for a coordinator that cannot be found until the close timer
    runs out; nothing is committed and nothing left."""
    m = closer(True, static)
    coordinator_lost(m, error)
    start = m.now
    took = close_takes(m, timeout_us)
    assert sent_since(m, OffsetCommit, start) == [] and sent_since(m, LeaveGroup, start) == []
    return took


def test_ConsumerCoordinatorTest_testCloseCoordinatorNotKnownWithCommits():
    assert _close_unknown_coordinator_commits(NOT_COORDINATOR, False, 1000 * MS) == 1000 * MS


def test_ConsumerCoordinatorTest_testCloseTimeoutCoordinatorUnavailableForCommit():
    assert _close_unknown_coordinator_commits(COORDINATOR_NOT_AVAILABLE, True, 1000 * MS) \
        == 1000 * MS


def test_ConsumerCoordinatorTest_testCloseMaxWaitCoordinatorUnavailableForCommit():
    """A close timeout longer than request.timeout.ms (30 s) waits request.timeout.ms."""
    assert _close_unknown_coordinator_commits(COORDINATOR_NOT_AVAILABLE, True, 3600 * S) \
        == 30 * S


def test_ConsumerCoordinatorTest_testCloseNoResponseForCommit():
    m = closer(True, static=True)
    start = m.now
    assert close_takes(m, 3600 * S) == 30 * S
    assert len(sent_since(m, OffsetCommit, start)) == 1


def test_ConsumerCoordinatorTest_testCloseNoResponseForLeaveGroup():
    m = closer(False)
    start = m.now
    assert close_takes(m, 3600 * S) == 30 * S
    (leave,) = sent_since(m, LeaveGroup, start)
    assert leave.member_id == "consumer"



@BOTH
def test_ConsumerCoordinatorTest_testPrepareJoinAndRejoinAfterFailedRebalance(assignor):
    """A static member rejoins after a commit met a rebalance; while its SyncGroup for
    generation 42 is in flight, the heartbeat thread leaves (generation and member id
    cleared). The SyncGroup's success then counts as ILLEGAL_GENERATION: the assignment is
    not taken, and the member joins again at once (no backoff), having lost its partitions
    (a cooperative member still owned them), and completes the join the second time."""
    m = Member({**CONFIG, "partition.assignment.strategy": [assignor],
                "group.instance.id": "group-id"})
    m.join(1, "consumer", 0)
    m.broker.prepare(JoinGroup, joined(42, "consumer-42"), joined(42, "consumer-42"))
    m.broker.prepare(SyncGroup, Later(100 * MS, synced(0)), synced(0))
    assert commit_sync(m, OffsetCommitResponse(REBALANCE_IN_PROGRESS)) == [REBALANCE_IN_PROGRESS]
    m.consumer.poll()                                 # the application polls: it rejoins
    m.run(50 * MS)
    assert (m.m.generation, m.m.member_id) == (42, "consumer-42")
    assert len(m.requests(SyncGroup)) == 2            # the first join's and this one's
    m.m.leave("Clear generation data.")
    assert (m.m.generation, m.m.member_id) == (-1, "")
    m.run(200 * MS)
    (t_sync, _), = m.broker.got(SyncGroup)[1:2]
    (t_join, retry), = m.broker.got(JoinGroup)[2:]
    assert t_join - t_sync == 102 * MS                # answered after 100 ms, 1 ms each way
    cooperative = assignor == "cooperative-sticky"
    assert m.requests(JoinGroup)[1].owned == (((TOPIC, 0),) if cooperative else ())
    assert retry.member_id == "" and retry.owned == ()
    assert [r.generation for r in m.h.trace.rows(PartitionsAssigned)] == [1, 42]
    assert m.m.stable and m.m.generation == 42 and m.consumer.owned_partitions() == [(TOPIC, 0)]


def test_ConsumerCoordinatorTest_testPendingMemberShouldLeaveGroup():
    """A member told MEMBER_ID_REQUIRED, its second JoinGroup in flight, leaves with the member
    id it was given (the coordinator holds it as a pending member)."""
    m = Member(CONFIG)
    m.broker.prepare(JoinGroup, joined(-1, "consumer-id", "leader-id", error=MEMBER_ID_REQUIRED),
                     lambda _r: None)
    m.broker.always(LeaveGroup, LeaveGroupResponse(None))
    m.start()
    m.run()
    m.m.leave("pending member leaves")
    m.run()
    (leave,) = m.requests(LeaveGroup)
    assert (leave.group, leave.member_id) == (GROUP, "consumer-id")
