"""Kafka's ClassicGroupTest (group-coordinator, the classic protocol's group state) against
kafkasim's group coordinator: a broker built alone (tests/unit/hosts.py) coordinating one
group, its members fake peers sending JoinGroup, SyncGroup, Heartbeat, LeaveGroup and
OffsetCommit; the group's state is read back with DescribeGroup, and protocol selection
on sim.cluster.group.Group itself. Kafka drives ClassicGroup's methods directly; the ports
make the coordinator take the same transitions with requests. Not ported: the Dead state,
offset expiry and deletion, KIP-848 conversion (not modeled) and the Java class's own guards
against misuse (internal)."""

from sim.cluster.broker import Broker
from sim.cluster.group import Group, Member
from sim.cluster.protocol import (
    FENCED_INSTANCE_ID,
    ILLEGAL_GENERATION,
    MEMBER_ID_REQUIRED,
    NOT_COORDINATOR,
    REBALANCE_IN_PROGRESS,
    UNKNOWN_MEMBER_ID,
    BrokerHeartbeat,
    BrokerHeartbeatResponse,
    DescribeGroup,
    JoinGroup,
    LeaveGroup,
    OffsetCommit,
    SyncGroup,
)
from sim.core.units import MS, S
from tests.unit.hosts import Harness

KAFKA_CLASS = "ClassicGroupTest"

GROUP = "groupId"
SESSION_US = 10 * S                # ClassicGroupTest: sessionTimeoutMs 10000
REBALANCE_US = 60 * S              # rebalanceTimeoutMs 60000

NOT_PORTED = {
    "testSelectProtocolRaisesIfNoMembers": "internal: an IllegalStateException for a call the "
                                           "coordinator never makes (a group with no members)",
    "testSubscribedTopics": "not modeled: offset expiry (offsets.retention.minutes), which the "
                            "subscribed topics feed",
    "testSubscribedTopicsNonConsumerGroup": "not modeled: groups of other protocol types than "
                                            "consumer",
    "testReplaceGroupInstanceWithNonExistingMember": "internal: an argument check "
                                                     "(IllegalArgumentException)",
    "testCannotAddPendingMemberIfStable": "internal: an IllegalStateException guarding "
                                          "addPendingMember against misuse (an id already a "
                                          "member's)",
    "testCannotAddStaticMemberIfAlreadyPresent": "internal: an IllegalStateException guarding "
                                                 "ClassicGroup.add against misuse",
    "testValidateOffsetDelete": "not modeled: the OffsetDelete admin request",
    "testValidateDeleteGroup": "not modeled: the DeleteGroups admin request",
    "testOffsetExpirationCondition": "not modeled: offset expiry (offsets.retention.minutes)",
    "testIsSubscribedToTopic": "not modeled: offset expiry and topic deletion, the only users "
                               "of a group's subscribed topics",
    "testIsInStates": "not modeled: ListGroups and its state filter",
}
NOT_PORTED_LIKE = [
    (r"Dead", "not modeled: the Dead state (groups are never deleted; an unloaded group is "
              "forgotten)"),
    (r"IllegalTransition$", "internal: ClassicGroup.transitionTo's guard against an illegal "
                            "transition (an IllegalStateException no request sequence provokes)"),
    (r"^test(Not)?Complete(Join|Sync)Future$", "internal: the bookkeeping of one member's "
                                               "pending JoinGroup or SyncGroup future"),
    (r"^testCannot(Add|Remove)PendingSync", "internal: an IllegalStateException guarding the "
                                            "pending-sync set against misuse"),
    (r"PendingSync", "simplification: no pending-sync timeout; a member that never sends "
                     "SyncGroup leaves by its session timeout (docs/model.md)"),
    (r"^testFromConsumerGroup", "not modeled: KIP-848 consumer groups and their conversion to "
                                "classic groups"),
]


class Coordinator:
    """broker-0 alone, coordinating GROUP; members are fake peers named after their client.

    Each step runs the engine 10 ms further (1 ms links, instant appends)."""

    def __init__(self, delay_ms: int = 0) -> None:
        h = self.h = Harness({
            "cluster": {"brokers": 1,
                        "config": {"offsets.topic.replication.factor": 1,
                                   "group.initial.rebalance.delay.ms": delay_ms}},
            "topics": {"foo": {"partitions": 2, "replication.factor": 1}},
            "consumers": {GROUP: {"topic": "foo", "members": 1}}})
        broker = self.broker = Broker(0, h.broker_context(), h.disk())
        h.nodes.brokers.append(h.add(broker))
        h.nodes.controller = h.peer(
            "controller",
            lambda r: BrokerHeartbeatResponse(None, False, True)
            if isinstance(r, BrokerHeartbeat) else None)
        broker.boot(h.image(), broker_epoch=1)
        self.peers: dict = {}
        self.now = 0
        self.step()

    def step(self, us: int = 10 * MS) -> None:
        self.now += us
        self.h.run(self.now)

    def send(self, client: str, request, tag=None) -> None:
        peer = self.peers.get(client)
        if peer is None:
            peer = self.peers[client] = self.h.peer(client)
        peer.send(self.broker, request, tag, timeout_us=300 * S)
        self.step()

    def join(self, client: str, member_id: str = "", instance: str | None = None,
             protocols=("range",), session_us: int = SESSION_US,
             rebalance_us: int = REBALANCE_US) -> None:
        """A JoinGroup; a new dynamic member first asks for its member id (KIP-394)."""
        def request(member_id: str) -> JoinGroup:
            return JoinGroup(GROUP, member_id, instance, client, session_us, rebalance_us,
                             protocols, ("foo",), ())
        if not member_id and instance is None:
            self.send(client, request(""), "join-required")
            required = self.answer(client, "join-required")
            assert required.error == MEMBER_ID_REQUIRED
            member_id = required.member_id
        self.send(client, request(member_id), "join")

    def sync(self, client: str, generation: int, member_id: str, assignments=None) -> None:
        self.send(client, SyncGroup(GROUP, generation, member_id, assignments), "sync")

    def answers(self, client: str, tag) -> list:
        return [r for _t, t, r in self.peers[client].responses if t == tag]

    def answer(self, client: str, tag):
        """The latest answer client got to a request tagged tag (None: none yet)."""
        found = self.answers(client, tag)
        return found[-1] if found else None

    def state(self) -> str:
        self.send("admin", DescribeGroup(GROUP), "describe")
        return self.answer("admin", "describe").state

    def group(self) -> Group:
        return self.broker.coordinator.groups[GROUP]

    def stable(self, *clients: str) -> dict:
        """Every client joins a new group within group.initial.rebalance.delay.ms (which the
        newcomers extend once), the first leads and assigns nothing; return their ids."""
        for client in clients:
            self.join(client)
        self.step(7 * S)
        ids = {c: self.answer(c, "join").member_id for c in clients}
        generation = self.answer(clients[0], "join").generation
        self.sync(clients[0], generation, ids[clients[0]], {})
        for client in clients[1:]:
            self.sync(client, generation, ids[client])
        assert self.state() == "Stable"
        return ids


def test_ClassicGroupTest_testCanRebalanceWhenStable():
    """A new group (Empty in Kafka's case) can rebalance: a JoinGroup starts one."""
    c = Coordinator(delay_ms=3000)
    assert c.state() == "Empty"
    c.join("m1")
    assert c.state() == "PreparingRebalance"


def test_ClassicGroupTest_testCanRebalanceWhenCompletingRebalance():
    c = Coordinator()
    c.join("m1")
    assert c.state() == "CompletingRebalance"
    c.join("m2")
    assert c.state() == "PreparingRebalance"


def test_ClassicGroupTest_testCannotRebalanceWhenPreparingRebalance():
    """A join during a rebalance joins that one: no new round, generation 1 once all joined."""
    c = Coordinator(delay_ms=3000)
    c.join("m1")
    round_ = c.group().rebalance_round
    c.join("m2")
    assert c.state() == "PreparingRebalance" and c.group().rebalance_round == round_
    c.step(7 * S)
    assert [c.answer(m, "join").generation for m in ("m1", "m2")] == [1, 1]


def test_ClassicGroupTest_testStableToPreparingRebalanceTransition():
    c = Coordinator(delay_ms=3000)
    c.stable("m1")
    c.join("m2")
    assert c.state() == "PreparingRebalance"


def test_ClassicGroupTest_testAwaitingRebalanceToPreparingRebalanceTransition():
    """A member joining while the others await their assignment restarts the rebalance."""
    c = Coordinator()
    c.join("m1")
    m1 = c.answer("m1", "join")
    c.join("m2")
    assert c.state() == "PreparingRebalance"
    assert c.answer("m1", "join") is m1          # m1 has yet to rejoin


def test_ClassicGroupTest_testPreparingRebalanceToEmptyTransition():
    """The only member leaves during the rebalance: the group is Empty again."""
    c = Coordinator(delay_ms=3000)
    c.join("m1")
    member_id, = c.group().members              # not answered yet: the delay runs
    c.send("m1", LeaveGroup(GROUP, member_id, "test"), "leave")
    assert c.state() == "Empty"


def test_ClassicGroupTest_testAwaitingRebalanceToStableTransition():
    c = Coordinator()
    c.join("m1")
    assert c.state() == "CompletingRebalance"
    joined = c.answer("m1", "join")
    c.sync("m1", joined.generation, joined.member_id, {joined.member_id: (("foo", 0),)})
    assert c.state() == "Stable"
    assert c.answer("m1", "sync").assignment == (("foo", 0),)


def _member(member_id: str, protocols: tuple) -> Member:
    return Member(member_id, None, "clientId", SESSION_US, REBALANCE_US, protocols, ("foo",))


def test_ClassicGroupTest_testSelectProtocol():
    """Each member votes for its first choice among the protocols all support; most votes win."""
    group = Group(GROUP)
    group.add(_member("memberId", ("range", "roundrobin")))
    group.add(_member("member2", ("roundrobin", "range")))
    assert group.select_protocol() in ("range", "roundrobin")
    group.add(_member("member3", ("roundrobin", "range")))
    assert group.select_protocol() == "roundrobin"


def test_ClassicGroupTest_testSelectProtocolChoosesCompatibleProtocol():
    group = Group(GROUP)
    group.add(_member("memberId", ("range", "roundrobin")))
    group.add(_member("member2", ("roundrobin", "foo")))
    assert group.select_protocol() == "roundrobin"


def test_ClassicGroupTest_testSupportsProtocols():
    group = Group(GROUP)
    assert group.supports(("range", "roundrobin"))       # an empty group supports anything
    group.add(_member("memberId", ("range", "roundrobin")))
    assert group.supports(("roundrobin", "foo"))
    assert group.supports(("range", "bar"))
    assert not group.supports(("foo", "bar"))


def test_ClassicGroupTest_testInitNextGeneration():
    c = Coordinator()
    c.join("m1", protocols=("roundrobin",))
    joined = c.answer("m1", "join")
    assert (joined.generation, joined.protocol) == (1, "roundrobin")
    assert c.group().generation == 1 and c.group().protocol == "roundrobin"


def test_ClassicGroupTest_testInitNextGenerationEmptyGroup():
    """A rebalance that ends with no member still starts a generation, with no protocol."""
    c = Coordinator(delay_ms=3000)
    assert c.state() == "Empty"
    c.join("m1")
    member_id, = c.group().members
    c.send("m1", LeaveGroup(GROUP, member_id, "test"), "leave")
    group = c.group()
    assert (group.state, group.generation, group.protocol) == ("Empty", 1, "")


def test_ClassicGroupTest_testUpdateMember():
    """A rejoin replaces the member's protocols and timeouts; the group's rebalance timeout
    is the largest of its members'."""
    c = Coordinator()
    c.join("m1", protocols=("roundrobin",))
    member_id = c.answer("m1", "join").member_id
    c.join("m1", member_id, protocols=("range", "roundrobin"), session_us=20 * S,
           rebalance_us=120 * S)
    member = c.group().members[member_id]
    assert member.protocols == ("range", "roundrobin") and member.session_us == 20 * S
    assert c.group().rebalance_timeout() == 120 * S


def test_ClassicGroupTest_testReplaceGroupInstance():
    """A static member that comes back under a new id fences the old id's pending JoinGroup
    or SyncGroup with FENCED_INSTANCE_ID and takes over its leadership."""
    c = Coordinator(delay_ms=3000)
    c.join("old", instance="groupInstanceId")
    c.join("new", instance="groupInstanceId")
    assert c.answer("old", "join").error == FENCED_INSTANCE_ID
    c.step(3 * S)
    joined = c.answer("new", "join")
    assert joined.error is None and joined.leader == joined.member_id
    assert c.group().static == {"groupInstanceId": joined.member_id}
    # the old id awaiting its assignment (a follower's SyncGroup) is fenced the same way
    c = Coordinator()
    c.join("leader")
    c.join("old", instance="groupInstanceId")
    c.join("leader", c.answer("leader", "join").member_id)
    old = c.answer("old", "join")
    c.sync("old", old.generation, old.member_id)
    assert c.answer("old", "sync") is None
    c.join("new", instance="groupInstanceId")
    assert c.answer("old", "sync").error == FENCED_INSTANCE_ID


def test_ClassicGroupTest_testElectNewJoinedLeader():
    """A leader that does not rejoin (a static one, kept) hands the leadership to a member
    that did."""
    c = Coordinator()
    c.join("leader", instance="leader", session_us=2 * REBALANCE_US)
    leader = c.answer("leader", "join")
    c.join("new-leader")                          # a rebalance the leader sits out
    c.step(REBALANCE_US)
    joined = c.answer("new-leader", "join")
    assert leader.leader == leader.member_id and leader.member_id in c.group().members
    assert joined.generation == 2 and joined.leader == joined.member_id


def test_ClassicGroupTest_testMaybeElectNewJoinedLeaderChooseExisting():
    """A leader that rejoined stays leader, even when another member rejoined first."""
    c = Coordinator(delay_ms=3000)
    ids = c.stable("memberId", "new-member")
    c.join("new-member", ids["new-member"])
    c.join("memberId", ids["memberId"])
    assert c.answer("new-member", "join").leader == ids["memberId"]


def test_ClassicGroupTest_testValidateOffsetCommit():
    """OffsetCommit's checks in Kafka's order (the Dead group's COORDINATOR_NOT_AVAILABLE
    and the transactional commit are not modeled)."""
    c = Coordinator()

    def commit(member_id: str, generation: int):
        c.send("committer", OffsetCommit(GROUP, generation, member_id, ((0, 5),)), "commit")
        return c.answer("committer", "commit").error

    assert commit("", -1) is None                 # an admin's commit to an empty group
    c.join("member", instance="instance-id")
    member_id = c.answer("member", "join").member_id
    assert c.state() == "CompletingRebalance"
    assert commit("", -1) == UNKNOWN_MEMBER_ID
    assert commit("unknown", -1) == UNKNOWN_MEMBER_ID
    assert commit(member_id, 0) == ILLEGAL_GENERATION
    assert commit(member_id, 1) == REBALANCE_IN_PROGRESS
    c.sync("member", 1, member_id, {})
    assert c.state() == "Stable"
    assert commit(member_id, 1) is None
    c.join("replacement", instance="instance-id")
    assert commit(member_id, 1) == UNKNOWN_MEMBER_ID  # the old id is gone (fenced at join)


def test_ClassicGroupTest_testCompleteAllJoinFutures():
    """Every pending JoinGroup is answered with the error, under its member's id (here the
    coordinator loses the group's partition: NOT_COORDINATOR)."""
    c = Coordinator(delay_ms=3000)
    for i in range(3):
        c.join(f"memberId{i}")
    ids = list(c.group().members)
    c.broker.coordinator.unload(c.h.topology.coordinator_pidx(GROUP))
    c.step()
    answers = [c.answer(f"memberId{i}", "join") for i in range(3)]
    assert [(a.error, a.member_id) for a in answers] == [(NOT_COORDINATOR, i) for i in ids]


def test_ClassicGroupTest_testCompleteAllSyncFutures():
    """A rebalance while members await their assignment answers each SyncGroup with
    REBALANCE_IN_PROGRESS."""
    c = Coordinator(delay_ms=3000)
    for i in range(3):
        c.join(f"memberId{i}")
    c.step(7 * S)
    for i in range(3):
        joined = c.answer(f"memberId{i}", "join")
        if joined.leader != joined.member_id:
            c.sync(f"memberId{i}", joined.generation, joined.member_id)
    c.join("late")
    errors = [c.answer(f"memberId{i}", "sync") for i in range(3)]
    assert sorted(e.error for e in errors if e is not None) == [REBALANCE_IN_PROGRESS] * 2


def _pending(c: Coordinator, client: str) -> str:
    """A new dynamic member's first JoinGroup: MEMBER_ID_REQUIRED with its id, held pending."""
    c.send(client, JoinGroup(GROUP, "", None, client, SESSION_US, REBALANCE_US, ("range",),
                             ("foo",), ()), "first")
    answer = c.answer(client, "first")
    assert answer.error == MEMBER_ID_REQUIRED
    member_id = answer.member_id
    assert member_id in c.group().pending and member_id not in c.group().members
    return member_id


def test_ClassicGroupTest_testRemovalFromPendingAfterMemberIsStable():
    """The pending member joins with its id: a member now, no longer pending."""
    c = Coordinator()
    member_id = _pending(c, "m1")
    c.join("m1", member_id)
    assert member_id in c.group().members and member_id not in c.group().pending
    assert c.answer("m1", "join").member_id == member_id


def test_ClassicGroupTest_testRemovalFromPendingWhenMemberIsRemoved():
    """A pending member that leaves is no longer pending, nor a member."""
    c = Coordinator()
    member_id = _pending(c, "m1")
    c.send("m1", LeaveGroup(GROUP, member_id, "test"), "leave")
    assert c.answer("m1", "leave").error is None
    assert member_id not in c.group().members and member_id not in c.group().pending
