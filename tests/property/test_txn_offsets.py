"""A group's offsets are a function of its `__consumer_offsets` log (KIP-98, KIP-447):
whatever the interleaving of transactional offset commits, ordinary commits and COMMIT or
ABORT markers, the coordinator that wrote them (GroupMetadata's pending transactional
offsets, completed by markers) and a new coordinator loading the log
(GroupMetadataManager.loadGroupsAndOffsets) agree on the committed and the pending offsets;
and OffsetFetch's require_stable (hasPendingOffsetCommitsForTopicPartition) holds exactly
for the partitions a producer id with no marker since its commit wrote. KIP-447's check of a
transactional commit's group metadata, and AddOffsetsToTxn answered as AddPartitionsToTxn."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.group import Group, Member
from sim.cluster.group_log import CommitRecord, RecordStore
from sim.cluster.log import CONTROL_BATCH_SIZE, Batch
from sim.cluster.protocol import ABORT, COMMIT, FENCED_INSTANCE_ID, TxnOffsetCommit
from sim.cluster.txn_offsets import validate
from tests.conftest import examples
from tests.unit.ctp_peers import ctp, offsets_pidx

GROUP = "billing"
PIDXS = (0, 1, 2)


def _offsets(draw) -> tuple:
    pidxs = draw(st.lists(st.sampled_from(PIDXS), min_size=1, max_size=3, unique=True))
    return tuple((p, draw(st.integers(0, 1000))) for p in sorted(pidxs))


@st.composite
def histories(draw):
    """(the log, the live group that wrote it, {pid: pidxs written since its last marker})."""
    store, live, log = RecordStore(), Group(GROUP), []
    open_: dict = {}
    for offset in range(draw(st.integers(1, 25))):
        step = draw(st.sampled_from(["txn", "commit", "marker"]))
        pid = draw(st.integers(1, 3))
        if step == "marker":
            result = draw(st.sampled_from([COMMIT, ABORT]))
            log.append(Batch(offset, 1, 0, -1, -1, pid, 0, -1, CONTROL_BATCH_SIZE, 0, False,
                             result))
            live.complete_pending_txn_offset_commit(pid, result == COMMIT)
            open_.pop(pid, None)
            continue
        offsets = _offsets(draw)
        ref = store.add(CommitRecord(GROUP, offsets))
        if step == "txn":
            log.append(Batch(offset, len(offsets), 0, -1, ref, pid, 0, -1, 100, 0, True))
            live.prepare_txn_offset_commit(pid, offsets)
            live.on_txn_offset_commit_append(pid, offsets, offset)
            open_.setdefault(pid, set()).update(p for p, _o in offsets)
        else:
            log.append(Batch(offset, len(offsets), 0, -1, ref, -1, -1, -1, 100, 0))
            for pidx, value in offsets:
                live.commit_offset(pidx, value, offset)
    return store, log, live, open_


@settings(deadline=None, max_examples=300)
@given(histories())
def test_a_reloaded_group_has_the_offsets_of_the_group_that_wrote_the_log(history):
    store, log, live, open_ = history
    loaded = store.replay(log, 0).get(GROUP, Group(GROUP))
    assert loaded.committed == live.committed
    assert loaded.committed_at == live.committed_at
    assert loaded.pending_txn == live.pending_txn
    for pidx in PIDXS:
        unstable = any(pidx in pidxs for pidxs in open_.values())
        assert live.has_pending_offset_commits(pidx) == unstable
        assert loaded.has_pending_offset_commits(pidx) == unstable


@settings(deadline=None, max_examples=300)
@given(histories())
def test_a_committed_offset_comes_from_the_newest_record_that_counts(history):
    """Each partition's committed offset is that of the last commit record in the log among
    the ordinary ones and those whose producer's next marker is COMMIT."""
    store, log, live, _open = history
    expected: dict = {}
    for i, batch in enumerate(log):
        if batch.control is not None:
            continue
        if batch.transactional:
            outcome = next((b.control for b in log[i + 1:]
                            if b.control is not None and b.pid == batch.pid), None)
            if outcome != COMMIT:
                continue
        for pidx, value in store.records[batch.first_seq].offsets:
            expected[pidx] = value
    assert live.committed == expected


@settings(deadline=None, max_examples=300)
@given(st.integers(0, 3), st.lists(st.booleans(), max_size=3), st.integers(-1, 4),
       st.sampled_from(["m-0", "m-1", "m-2", "zombie", ""]),
       st.sampled_from([None, "i-0", "i-1", "i-9"]))
def test_kip_447_accepts_a_transactional_commit_only_from_a_current_member(
        generation, static, req_generation, member_id, instance):
    """validateOffsetCommit for a transactional commit: the group metadata of a current
    member at the current generation passes, as does a request without any (generation -1,
    no member id, no instance id: the API before KIP-447) and one of generation -1 to an
    empty group; nothing else does."""
    group = Group(GROUP, generation=generation)
    for i, is_static in enumerate(static):
        group.add(Member(f"m-{i}", f"i-{i}" if is_static else None, f"c-{i}", 1, 1, (), ()))
    group.state = "Stable" if static else "Empty"
    req = TxnOffsetCommit("tx", GROUP, 1, 0, req_generation, member_id, instance, ((0, 1),))
    current = member_id in group.members and req_generation == generation and (
        instance is None or group.static.get(instance) == member_id)
    no_metadata = req_generation < 0 and not member_id and instance is None
    error = validate(group, req)
    assert (error is None) == (current or no_metadata or (req_generation < 0 and not static))
    if instance is not None and instance in group.static and group.static[instance] != member_id:
        assert error == FENCED_INSTANCE_ID         # a replaced static member's zombie


def _add_answer(version: str, state: str, pid_delta: int, epoch: int, offsets: bool):
    """The answer to adding GROUP's offsets partition to TXN's transaction, by
    AddOffsetsToTxn or by AddPartitionsToTxn, after `state`: a fresh producer id, an ongoing
    transaction, or one whose commit's markers are unanswered."""
    h, broker, _leaders, app, _member = ctp(version, answer=lambda request: None)
    pid = app.init().pid
    if state != "fresh":
        app.add(pid, 0)
    if state == "prepare":
        app.end(pid, 0)
    if offsets:
        return app.add_offsets(pid + pid_delta, epoch).error
    pidx = offsets_pidx(h)
    return app.add(pid + pid_delta, epoch, pidxs=(pidx,), tag="same").results[pidx]


@settings(deadline=None, max_examples=examples(30))
@given(st.sampled_from(["2.6", "4.1"]), st.sampled_from(["fresh", "ongoing", "prepare"]),
       st.sampled_from([0, 7]), st.integers(-1, 1))
def test_add_offsets_is_answered_as_add_partitions_of_the_groups_partition(
        version, state, pid_delta, epoch):
    """handleAddOffsetsToTxnRequest is handleAddPartitionsToTransaction of the group's
    `__consumer_offsets` partition: the same answer in every state."""
    assert _add_answer(version, state, pid_delta, epoch, True) == \
        _add_answer(version, state, pid_delta, epoch, False)
