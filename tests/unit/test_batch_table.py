"""The partition's batch table: replicas share its rows; rows nobody holds are let go."""

from sim.cluster.batch_table import Batch, BatchTable
from sim.cluster.log import ReplicaLog


def batch(base, count=2, epoch=0, at_us=0):
    return Batch(base, count, epoch, 0, base, 7, 0, base, 100, at_us)


def values(batches):
    """The batches without their row ids."""
    return [b._replace(row=-1) for b in batches]


def leader_and_follower(table):
    return ReplicaLog(table=table), ReplicaLog(table=table)


def test_a_table_stores_each_field_and_reads_back_the_same_batch():
    table = BatchTable()
    b = Batch(2**40, 3, 5, 2, 2**33, 2**45, 1, 2**32, 70_000, 2**50)
    row = table.add(b)
    assert table.batch(row - table.first_id) == b._replace(row=row)
    assert table.batches(0, 1) == [b._replace(row=row)]


def test_a_follower_appending_fetched_batches_shares_the_leader_rows():
    table = BatchTable()
    leader, follower = leader_and_follower(table)
    for base in range(0, 10, 2):
        leader.append(batch(base))
    assert len(table) == 5
    for b in leader.read(0, 10**6):
        follower.append(b)
    assert len(table) == 5                                  # no row added
    assert follower.batches() == leader.batches()
    assert list(follower.rows.row_spans()) == list(leader.rows.row_spans()) == [(0, 5)]


def test_a_batch_whose_row_is_gone_is_appended_as_a_copy():
    table = BatchTable(min_count_at=4)
    leader, follower = leader_and_follower(table)
    for base in range(0, 8, 2):
        leader.append(batch(base))
    fetched = leader.read(0, 10**6)
    leader.truncate_to(0)                   # nobody holds rows 0-3 any more
    leader.append(batch(0, epoch=1))        # the table is full: it lets rows 0-3 go
    assert table.first_id == 4 and len(table) == 1
    for b in fetched:
        follower.append(b)
    assert values(follower.batches()) == values(fetched)
    assert len(table) == 5


def test_a_batch_from_another_table_is_copied_even_where_its_row_id_exists():
    mine, other = ReplicaLog(), ReplicaLog()
    mine.append(batch(0))
    other.append(batch(0, count=5))
    foreign = other.read(0, 10**6)[0]
    assert foreign.row == mine.read(0, 10**6)[0].row == 0
    mine.truncate_to(0)
    mine.append(foreign)
    assert values(mine.batches()) == [batch(0, count=5)] and len(mine.table) == 2


def test_the_table_lets_go_of_its_unreferenced_front():
    table = BatchTable(min_count_at=8)
    leader, follower = leader_and_follower(table)
    for base in range(0, 200, 2):
        leader.append(batch(base, at_us=base))
        follower.append(leader.read(base, 10**6)[0])
        for log in (leader, follower):
            log.hw = log.leo
            log.roll()
            if len(log.segments) > 3:                   # retention keeps three segments
                log.delete_segments(len(log.segments) - 3)
    assert len(table) < 8                               # not 100 rows
    assert table.first_id > 90
    assert leader.batches() == follower.batches()
    assert [b.base_offset for b in leader.batches()] == [196, 198]
    assert [b.base_offset for b in leader.read(195, 10**6)] == [196, 198]


def test_compaction_gives_the_log_new_rows_and_keeps_its_later_ones():
    table = BatchTable()
    leader, follower = leader_and_follower(table)
    for base in range(0, 8, 2):
        leader.append(batch(base))
        follower.append(leader.read(base, 10**6)[0])
    kept = [batch(0)._replace(count=1), batch(4)]
    leader.replace_batches(3, kept)                     # batches [0, 6) become two
    assert values(leader.batches()) == [*values(kept), batch(6)]
    assert [b.base_offset for b in leader.read(1, 10**6)] == [4, 6]
    assert leader.batches()[-1] == follower.batches()[-1]          # still the same row
    assert len(table) == 6 and values(follower.batches()) == [batch(b) for b in range(0, 8, 2)]


def test_in_a_run_the_replicas_of_a_partition_share_one_table_and_its_rows(tmp_path):
    import sim
    from sim.core.units import S
    from sim.world import World

    path = tmp_path / "s.yaml"
    path.write_text("""
name: shared-rows
description: three replicas of two partitions, no faults
seed: 1
duration: 5s
cluster: {brokers: 3}
topics:
  t: {partitions: 2, replication.factor: 3}
producers:
  p: {topic: t, rate: 2000/s}
""")
    spec = sim.load(path)
    world = World(spec, spec.seed)
    world.boot()
    world.engine.run(5 * S)
    for info in world.topology.partitions:
        logs = [world.brokers[b].replicas[info.pidx].log for b in info.replicas]
        table = logs[0].table
        assert all(log.table is table for log in logs)
        assert len(table) == max(log.batch_count() for log in logs) > 100   # no copies
        assert min(log.batch_count() for log in logs) > 100                 # all replicated
