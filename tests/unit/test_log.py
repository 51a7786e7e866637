"""The replica log: appends, truncation, the leader-epoch cache (KIP-101/279 lookups)."""


from sim.cluster.log import UNDEFINED, Batch, ReplicaLog


def batch(base, count, epoch, seq=0):
    return Batch(base, count, epoch, 0, seq, -1, -1, -1, 100, 0)


def log_of(*specs):
    log = ReplicaLog()
    for base, count, epoch in specs:
        log.append(batch(base, count, epoch, base))
    return log


def test_append_advances_leo_and_records_each_new_epoch_once():
    log = log_of((0, 3, 0), (3, 2, 0), (5, 4, 2))
    assert log.leo == 9
    assert log.epochs == [(0, 0), (2, 5)]
    assert log.last_batch_epoch == 2


def test_a_new_leader_stamps_its_epoch_at_its_leo_without_a_batch():
    log = log_of((0, 3, 0))
    log.assign_epoch(1)
    assert log.epochs == [(0, 0), (1, 3)]
    assert log.end_offset_for_epoch(0) == (0, 3)
    assert log.end_offset_for_epoch(1) == (1, 3)


def test_truncation_drops_whole_batches_and_epochs_that_start_beyond():
    log = log_of((0, 3, 0), (3, 2, 1), (5, 4, 2))
    log.hw = log.stable = 9
    removed = log.truncate_to(5)
    assert [b.base_offset for b in removed] == [5]
    assert log.leo == 5 and log.hw == 5 and log.stable == 5
    assert log.epochs == [(0, 0), (1, 3)]


def test_truncation_inside_a_batch_removes_that_batch():
    log = log_of((0, 3, 0), (3, 4, 0))
    log.truncate_to(5)
    assert log.leo == 3


def test_truncating_to_zero_empties_log_and_epoch_cache():
    log = log_of((0, 3, 0), (3, 4, 1))
    log.truncate_to(0)
    assert (log.leo, log.batches, log.epochs) == (0, [], [])


def test_end_offset_for_epoch_follows_leader_epoch_file_cache():
    log = log_of((0, 3, 0), (3, 2, 2), (5, 4, 4))
    assert log.end_offset_for_epoch(4) == (4, 9)            # latest: the LEO
    assert log.end_offset_for_epoch(2) == (2, 5)            # the next epoch's start
    assert log.end_offset_for_epoch(3) == (2, 5)            # unknown: the largest below
    assert log.end_offset_for_epoch(1) == (0, 3)
    assert log.end_offset_for_epoch(5) == (UNDEFINED, UNDEFINED)
    assert log.end_offset_for_epoch(UNDEFINED) == (UNDEFINED, UNDEFINED)


def test_read_returns_batches_from_the_one_holding_the_offset_within_max_bytes():
    log = log_of((0, 3, 0), (3, 2, 0), (5, 4, 0))
    assert [b.base_offset for b in log.read(4, 10**6)] == [3, 5]
    assert [b.base_offset for b in log.read(0, 150)] == [0]          # at least one batch
    assert [b.base_offset for b in log.read_range(2, 6)] == [0, 3, 5]


def test_a_later_epoch_at_the_same_offset_replaces_an_empty_one():
    log = log_of((0, 3, 0))
    log.assign_epoch(2)
    log.assign_epoch(4)                               # led 2 and then 4 without appending
    assert log.epochs == [(0, 0), (4, 3)]             # LeaderEpochFileCache.assign drops (2, 3)
    assert log.end_offset_for_epoch(2) == (0, 3)
    assert log.end_offset_for_epoch(4) == (4, 3)


def test_an_older_epoch_is_not_assigned_again():
    log = log_of((0, 3, 2))
    log.assign_epoch(1)
    log.assign_epoch(2)
    assert log.epochs == [(2, 0)]


def test_end_offset_for_an_epoch_below_every_cached_one_is_the_first_start():
    log = ReplicaLog()
    log.log_start = log.leo = 4                         # e.g. restarted at the leader's start
    log.append(batch(4, 2, 3))
    assert log.end_offset_for_epoch(1) == (1, 4)


def test_reads_past_the_end_are_empty():
    log = log_of((0, 3, 0), (3, 2, 0))
    assert log.read_range(5, 9) == []
    assert log.read(7, 10**6) == ()


def test_truncating_at_the_leo_drops_an_epoch_entry_that_starts_there():
    log = log_of((0, 5, 1))
    log.assign_epoch(2)                               # led epoch 2, appended nothing
    assert log.truncate_to(5) == []
    assert log.epochs == [(1, 0)]
