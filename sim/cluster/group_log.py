"""What a group coordinator writes to `__consumer_offsets`, and how it reads it back.

Two record kinds, as in Kafka: an offset commit (a group's committed offset
for some partitions; one record per partition) and the group metadata written
when a generation's assignment is synced (generation, assignor, leader,
members with their assignments). Their content lives in a run-wide store and
a batch of the internal partition refers to it by `first_seq` (its
`producer` is -1), so replicas copy, truncate and lose these records exactly
like any others. A coordinator that takes over a partition replays its log
(GroupMetadataManager loading): the newest metadata record and the newest
commit per partition win.

Transactional offset commits (KIP-98): a commit record in a transactional batch of a
producer id (written for a TxnOffsetCommit) is pending until that producer id's control
batch follows in the log: COMMIT makes its offsets committed unless a commit record later
in the log is already in place, ABORT drops them (loadGroupsAndOffsets' pendingOffsets);
with no marker yet they stay pending in the loaded group.

Left out: offset retention (`offsets.retention.minutes`), tombstones for
deleted groups and compaction of the internal topic (a run is far shorter
than their horizons).
"""

from typing import NamedTuple

from sim.cluster.group import Group, Member
from sim.cluster.protocol import COMMIT


class CommitRecord(NamedTuple):
    group: str
    offsets: tuple              # ((pidx, offset), ...)
    client: str = ""            # a transactional commit's committer, for the trace only


class GroupRecord(NamedTuple):
    group: str
    generation: int
    protocol: str
    leader: str
    members: tuple              # ((member_id, instance_id, client, session_us, rebalance_us,
                                #   protocols, topics, assignment), ...)


def group_record(group: Group) -> GroupRecord:
    members = tuple((m.member_id, m.instance_id, m.client, m.session_us, m.rebalance_us,
                     m.protocols, m.topics, m.assignment) for m in group.members.values())
    return GroupRecord(group.name, group.generation, group.protocol, group.leader, members)


class RecordStore:
    """The content of every coordinator record written in the run, by id."""

    def __init__(self) -> None:
        self.records: list = []

    def add(self, record) -> int:
        self.records.append(record)
        return len(self.records) - 1

    def replay(self, batches, now: int) -> dict[str, Group]:
        """Rebuild the groups a partition's log describes."""
        groups: dict[str, Group] = {}
        for batch in batches:
            if batch.producer >= 0:
                continue
            if batch.control is not None:
                for group in groups.values():
                    group.complete_pending_txn_offset_commit(batch.pid, batch.control == COMMIT)
                continue
            record = self.records[batch.first_seq]
            group = groups.get(record.group)
            if group is None:
                group = groups[record.group] = Group(record.group)
            if not isinstance(record, CommitRecord):
                _restore(group, record, now)
            elif batch.transactional:
                group.prepare_txn_offset_commit(batch.pid, record.offsets, record.client)
                group.on_txn_offset_commit_append(batch.pid, record.offsets, batch.base_offset)
            else:
                for pidx, offset in record.offsets:
                    group.commit_offset(pidx, offset, batch.base_offset)
        return groups


def _restore(group: Group, record: GroupRecord, now: int) -> None:
    group.generation, group.protocol, group.leader = \
        record.generation, record.protocol, record.leader
    group.members, group.static = {}, {}
    for member_id, instance_id, client, session_us, rebalance_us, protocols, topics, \
            assignment in record.members:
        member = Member(member_id, instance_id, client, session_us, rebalance_us, protocols,
                        topics, assignment, assignment, now + session_us)
        group.add(member)
    group.new_members = False
    group.state = "Stable" if group.members else "Empty"
