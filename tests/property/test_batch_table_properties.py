"""Two replica logs sharing one batch table hold exactly the batches a plain list would.

Any sequence of leader appends, follower fetches, truncations, segment deletions and
compactions, on a table that renumbers its rows often (a tiny collection threshold),
leaves each log's batches, offset lookups and reads equal to a list of Batch values
under the same operations; a collection leaves at most twice the rows the logs hold.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cluster.batch_table import Batch, BatchTable
from sim.cluster.compaction import part
from sim.cluster.log import ReplicaLog

operations = st.lists(st.one_of(
    st.tuples(st.just("append"), st.integers(1, 4)),
    st.tuples(st.just("fetch"), st.integers(1, 3)),                         # max batches
    st.tuples(st.just("truncate"), st.integers(0, 1), st.floats(0, 1)),
    st.tuples(st.just("delete"), st.integers(0, 1)),
    st.tuples(st.just("compact"), st.integers(0, 1), st.floats(0, 1)),
), max_size=60)


def value(b):
    return b._replace(row=-1)


def apply(op, logs, models) -> None:
    leader, follower = logs
    if op[0] == "append":
        b = Batch(leader.leo, op[1], 0, 1, leader.leo, -1, -1, -1, 61 + op[1], leader.leo)
        leader.append(b)
        models[0].append(b)
    elif op[0] == "fetch":
        for b in leader.read_range(follower.leo, leader.leo)[:op[1]]:
            if b.base_offset >= follower.leo:
                follower.append(b)
                models[1].append(value(b))
    elif op[0] == "truncate":
        log, offset = logs[op[1]], int(op[2] * logs[op[1]].leo)
        log.truncate_to(offset)
        models[op[1]][:] = [b for b in models[op[1]] if b.end_offset <= offset]
    elif op[0] == "delete":
        log = logs[op[1]]
        log.roll()
        if len(log.segments) > 1:
            log.delete_segments(len(log.segments) - 1)
            models[op[1]][:] = [b for b in models[op[1]] if b.base_offset >= log.log_start]
    else:
        log, model = logs[op[1]], models[op[1]]
        end = int(op[2] * len(model))
        kept = [part(b, 0, 1) for b in model[:end]]
        log.replace_batches(end, kept)
        model[:end] = [value(b) for b in kept]


@settings(deadline=None)
@given(operations)
def test_logs_sharing_a_table_hold_what_a_list_would(ops):
    table = BatchTable(min_count_at=4)
    logs, models = (ReplicaLog(table=table), ReplicaLog(table=table)), ([], [])
    for op in ops:
        apply(op, logs, models)
        for log, model in zip(logs, models, strict=True):
            batches = log.batches()
            assert [value(b) for b in batches] == model
            assert all(table.holds(b.row) for b in batches)
            for i, b in enumerate(batches):
                assert log.rows.position(b.base_offset) == i + 1
                assert [value(r) for r in log.read(b.base_offset, 10**6)] == model[i:]
    table.collect()                     # at most half of what is left is unheld
    assert len(table) <= 2 * sum(len(m) for m in models)
