"""Kafka's LeaderEpochFileCacheTest against the leader-epoch cache of kafkasim's replica log.

The cache is `ReplicaLog.epochs`: entries (epoch, start offset), filled by appends (a batch's
epoch at its base offset), by a new leader stamping its epoch at its LEO (`assign_epoch`) and
by `assign`; emptied from the end by truncation and from the start by segment deletion.
Where Kafka's case assigns epochs to offsets a log can hold, the log is built by appending
batches (so `endOffsetFor`'s log end offset is the log's LEO); where it assigns what no append
can produce (an epoch at an earlier offset), it calls `assign` directly. Not ported: the
checkpoint file and the lookups only tiered storage and ListOffsets use.
"""

from sim.cluster.log import UNDEFINED, Batch, ReplicaLog

KAFKA_CLASS = "LeaderEpochFileCacheTest"

NOT_PORTED = {
    "shouldPersistEpochsBetweenInstances":
        "internal: the checkpoint file; kafkasim's epoch cache is part of the log, which a "
        "restart keeps",
    "shouldWriteCheckpointOnTruncation": "internal: the checkpoint file",
    "shouldNotResetEpochHistoryHeadIfUndefinedPassed":
        "internal: argument check (an undefined offset is never passed)",
    "shouldNotResetEpochHistoryTailIfUndefinedPassed":
        "internal: argument check (an undefined offset is never passed)",
    "shouldClearEarliestOnEmptyCache":
        "internal: only checks that nothing throws; an empty log has no segment to delete",
    "testPreviousEpoch": "not modeled: previousEpoch, used only by tiered storage",
    "testFindPreviousEpoch": "not modeled: previousEpoch, used only by tiered storage",
    "testFindPreviousEntry": "not modeled: previousEntry, used only by tiered storage",
    "testFindNextEpoch": "not modeled: nextEpoch, used only by tiered storage",
    "testGetEpochEntry": "not modeled: epochEntry, used only by tiered storage",
    "shouldFetchEpochForGivenOffset":
        "not modeled: epochForOffset, used by ListOffsets by timestamp and tiered storage",
}

NONE = (UNDEFINED, UNDEFINED)


def batch(base: int, count: int, epoch: int) -> Batch:
    return Batch(base, count, epoch, 0, base, -1, -1, -1, 100, 0)


def log_from(start: int, *appends: tuple[int, int]) -> ReplicaLog:
    """A log starting at start, then batches of (count, leader epoch) back to back."""
    log = ReplicaLog()
    log.start_at(start)
    for count, epoch in appends:
        log.append(batch(log.leo, count, epoch))
    return log


def epochs_2_3_4(leo: int = 12, cut: int = 0) -> ReplicaLog:
    """Epochs 2 at 6, 3 at 8 and 4 at 11 (the cases' usual cache) in batches that end at
    every epoch boundary and at cut, where a new segment starts; all below the HW."""
    log = log_from(6)
    bounds = sorted({6, 8, 11, leo, cut} - {0})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        if lo == cut:
            log.roll()
        log.append(batch(lo, hi - lo, 2 if lo < 8 else 3 if lo < 11 else 4))
    log.hw = log.leo
    return log


def test_LeaderEpochFileCacheTest_shouldAddEpochAndMessageOffsetToCache():
    log = log_from(10, (1, 2))
    assert log.latest_epoch == 2
    assert log.epochs == [(2, 10)]
    assert log.end_offset_for_epoch(2) == (2, 11)


def test_LeaderEpochFileCacheTest_shouldReturnLogEndOffsetIfLatestEpochRequested():
    log = log_from(11, (1, 2), (2, 2))
    assert log.end_offset_for_epoch(2) == (2, 14)


def test_LeaderEpochFileCacheTest_shouldReturnUndefinedOffsetIfUndefinedEpochRequested():
    log = log_from(11, (1, 2))
    log.assign_epoch(3)
    assert log.epochs == [(2, 11), (3, 12)]
    assert log.end_offset_for_epoch(UNDEFINED) == NONE


def test_LeaderEpochFileCacheTest_shouldNotOverwriteLogEndOffsetForALeaderEpochOnceItHasBeenAssigned():  # noqa: E501
    log = log_from(9, (1, 2), (1, 2))
    assert log.epochs == [(2, 9)]


def test_LeaderEpochFileCacheTest_shouldEnforceMonotonicallyIncreasingStartOffsets():
    log = log_from(9)
    log.assign_epoch(2)
    log.assign_epoch(3)                     # a second leader at the same offset
    assert log.epochs == [(3, 9)]


def test_LeaderEpochFileCacheTest_shouldNotOverwriteOffsetForALeaderEpochOnceItHasBeenAssigned():
    log = log_from(6, (4, 2), (1, 2))
    assert log.epochs[0][1] == 6


def test_LeaderEpochFileCacheTest_shouldReturnUnsupportedIfNoEpochRecorded():
    assert ReplicaLog().end_offset_for_epoch(0) == NONE


def test_LeaderEpochFileCacheTest_shouldReturnUnsupportedIfNoEpochRecordedAndUndefinedEpochRequested():  # noqa: E501
    log = log_from(73)
    assert log.end_offset_for_epoch(UNDEFINED) == NONE


def test_LeaderEpochFileCacheTest_shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch():
    log = log_from(11, (1, 5), (1, 6), (1, 7))
    assert log.end_offset_for_epoch(4) == (4, 11)


def test_LeaderEpochFileCacheTest_shouldTruncateIfMatchingEpochButEarlierStartingOffset():
    log = log_from(11, (1, 5), (1, 6), (1, 7))
    log.assign(7, 12)                       # epoch 7 starts at an earlier offset
    assert log.epochs == [(5, 11), (7, 12)]
    assert log.end_offset_for_epoch(5) == (5, 12)
    assert log.end_offset_for_epoch(6) == (5, 12)


def test_LeaderEpochFileCacheTest_shouldGetFirstOffsetOfSubsequentEpochWhenOffsetRequestedForPreviousEpoch():  # noqa: E501
    log = log_from(11, (1, 1), (1, 1), (1, 2), (1, 2), (1, 3), (1, 3))
    assert log.leo == 17
    assert log.end_offset_for_epoch(2) == (2, 15)


def test_LeaderEpochFileCacheTest_shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested():  # noqa: E501
    log = log_from(10, (3, 0), (4, 2), (1, 4))
    assert log.end_offset_for_epoch(1) == (0, 13)
    assert log.end_offset_for_epoch(2) == (2, 17)
    assert log.end_offset_for_epoch(3) == (2, 17)


def test_LeaderEpochFileCacheTest_shouldNotUpdateEpochAndStartOffsetIfItDidNotChange():
    log = log_from(6, (1, 2), (1, 2))
    assert log.epochs == [(2, 6)]


def test_LeaderEpochFileCacheTest_shouldReturnInvalidOffsetIfEpochIsRequestedWhichIsNotCurrentlyTracked():  # noqa: E501
    log = log_from(100, (1, 2))
    assert log.end_offset_for_epoch(3) == NONE


def test_LeaderEpochFileCacheTest_shouldSupportEpochsThatDoNotStartFromZero():
    log = log_from(6, (1, 2))
    assert log.end_offset_for_epoch(2) == (2, 7)
    assert log.epochs == [(2, 6)]


def test_LeaderEpochFileCacheTest_shouldEnforceMonotonicallyIncreasingEpochs():
    # A follower appends a batch of an older epoch after a newer one: the cache keeps epochs
    # and offsets increasing by dropping the later entries.
    log = log_from(5, (1, 1), (1, 2), (1, 1))
    assert log.latest_epoch == 1
    assert log.end_offset_for_epoch(1) == (1, 8)
    assert log.end_offset_for_epoch(2) == NONE
    assert log.epochs[0] == (1, 7)


def test_LeaderEpochFileCacheTest_shouldEnforceOffsetsIncreaseMonotonically():
    log = log_from(6, (1, 2))
    log.assign(3, 5)
    assert log.epochs[0] == (3, 5)


def test_LeaderEpochFileCacheTest_shouldIncreaseAndTrackEpochsAsLeadersChangeManyTimes():
    log = ReplicaLog()
    log.assign_epoch(0)
    log.assign_epoch(1)
    assert log.latest_epoch == 1
    assert log.end_offset_for_epoch(1) == (1, 0)
    assert log.end_offset_for_epoch(0) == (0, 0)
    log.append(batch(0, 5, 1))
    assert log.end_offset_for_epoch(1) == (1, 5)
    assert log.end_offset_for_epoch(0) == (0, 0)
    log.assign_epoch(2)
    log.append(batch(5, 5, 2))
    assert log.end_offset_for_epoch(2) == (2, 10)
    assert log.end_offset_for_epoch(1) == (1, 5)
    assert log.end_offset_for_epoch(0) == (0, 0)


def test_LeaderEpochFileCacheTest_shouldIncreaseAndTrackEpochsAsFollowerReceivesManyMessages():
    log = log_from(0, (1, 0), (1, 0), (1, 0))
    assert log.latest_epoch == 0
    assert log.end_offset_for_epoch(0) == (0, 3)
    for _ in range(3):
        log.append(batch(log.leo, 1, 1))
    assert log.latest_epoch == 1
    assert log.end_offset_for_epoch(1) == (1, 6)
    for _ in range(3):
        log.append(batch(log.leo, 1, 2))
    assert log.latest_epoch == 2
    assert log.end_offset_for_epoch(2) == (2, 9)
    assert log.end_offset_for_epoch(0) == (0, 3)
    assert log.end_offset_for_epoch(1) == (1, 6)


def test_LeaderEpochFileCacheTest_shouldDropEntriesOnEpochBoundaryWhenRemovingLatestEntries():
    log = epochs_2_3_4()
    log.truncate_to(8)
    assert log.epochs == [(2, 6)]


def test_LeaderEpochFileCacheTest_shouldDropEntriesBetweenEpochBoundaryWhenRemovingNewest():
    log = epochs_2_3_4(cut=9)
    log.truncate_to(9)
    assert log.latest_epoch == 3
    assert log.epochs == [(2, 6), (3, 8)]


def delete_first_segment(log: ReplicaLog) -> list[tuple[int, int]]:
    log.delete_segments(1)
    return log.epochs


def test_LeaderEpochFileCacheTest_shouldPreserveResetOffsetOnClearEarliestIfOneExists():
    assert delete_first_segment(epochs_2_3_4(cut=8)) == [(3, 8), (4, 11)]


def test_LeaderEpochFileCacheTest_shouldUpdateSavedOffsetWhenOffsetToClearToIsBetweenEpochs():
    assert delete_first_segment(epochs_2_3_4(cut=9)) == [(3, 9), (4, 11)]


def test_LeaderEpochFileCacheTest_shouldNotClearAnythingIfOffsetToEarly():
    log = epochs_2_3_4()
    log.truncate_epochs_from_start(1)
    assert log.epochs == [(2, 6), (3, 8), (4, 11)]


def test_LeaderEpochFileCacheTest_shouldNotClearAnythingIfOffsetToFirstOffset():
    log = epochs_2_3_4()
    log.truncate_epochs_from_start(6)
    assert log.epochs == [(2, 6), (3, 8), (4, 11)]


def test_LeaderEpochFileCacheTest_shouldRetainLatestEpochOnClearAllEarliest():
    assert delete_first_segment(epochs_2_3_4(cut=11)) == [(4, 11)]


def test_LeaderEpochFileCacheTest_shouldUpdateOffsetBetweenEpochBoundariesOnClearEarliest():
    assert delete_first_segment(epochs_2_3_4(cut=9)) == [(3, 9), (4, 11)]


def test_LeaderEpochFileCacheTest_shouldUpdateOffsetBetweenEpochBoundariesOnClearEarliest2():
    log = log_from(0, (5, 0))
    log.roll()
    for count, epoch in ((2, 0), (3, 1), (1, 2)):
        log.append(batch(log.leo, count, epoch))
    log.hw = log.leo
    assert delete_first_segment(log) == [(0, 5), (1, 7), (2, 10)]


def test_LeaderEpochFileCacheTest_shouldRetainLatestEpochOnClearAllEarliestAndUpdateItsOffset():
    assert delete_first_segment(epochs_2_3_4(leo=16, cut=15)) == [(4, 15)]


def test_LeaderEpochFileCacheTest_shouldClearAllEntries():
    log = epochs_2_3_4()
    log.start_at(20)                        # truncateFullyAndStartAt clears the cache
    assert log.epochs == []


def test_LeaderEpochFileCacheTest_shouldFetchLatestEpochOfEmptyCache():
    assert ReplicaLog().latest_epoch == UNDEFINED


def test_LeaderEpochFileCacheTest_shouldFetchEndOffsetOfEmptyCache():
    assert ReplicaLog().end_offset_for_epoch(7) == NONE


def test_LeaderEpochFileCacheTest_shouldClearLatestOnEmptyCache():
    log = ReplicaLog()
    log.truncate_to(7)
    assert (log.epochs, log.leo) == ([], 0)
