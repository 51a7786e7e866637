"""The replication protocol's decisions, as pure functions of a log and fetch state.

The leader's side of a follower fetch decides, per partition, whether to
answer with an epoch error, a diverging epoch or an offset out of range, or
to read records (Partition.fetchRecords: the leader-epoch check, then
lastOffsetForLeaderEpoch, the DivergingEpoch of a Fetch response, KIP-279 /
KAFKA-10554, then the offset range); when it reads, it records the
follower's fetch state (ReplicaState.updateFetchStateOrThrow: the follower's
LEO and `lastCaughtUpTimeMs`) and reconsiders the high watermark
(Partition.maybeIncrementLeaderHW). The follower's side decides where to
truncate when told of a divergence (AbstractFetcherThread's truncation on a
diverging epoch) or of an offset out of range. replica_manager.py, replica.py
and fetcher.py call them on live replicas; the unit and property tests call
them on logs built alone.

Left out here: the pre-KIP-279 follower's single truncation (`replica.truncation:
kip-101`) and the pre-KIP-101 truncation to the high watermark, which the
fetcher applies itself.
"""

from sim.cluster.log import UNDEFINED
from sim.cluster.protocol import FENCED_LEADER_EPOCH, OFFSET_OUT_OF_RANGE, UNKNOWN_LEADER_EPOCH

READ = (None, None)                  # fetch_decision: read records, record the follower's state


def fetch_decision(log, leader_epoch: int, fp, truncation: str
                   ) -> tuple[str | None, tuple[int, int] | None]:
    """The leader's answer for one partition of a follower fetch `fp` (a FetchPartition):
    (error, None) for a fenced or unknown leader epoch or an offset out of range (below the
    log start, past the LEO, or after an epoch the leader has no end for),
    (None, (epoch, end)) for a diverging epoch, READ when records are read from
    fp.fetch_offset. `truncation` is the release's rule: "kip-101" answers the end of
    the follower's epoch as OffsetsForLeaderEpoch did before KIP-279."""
    fetch_offset, last_epoch = fp.fetch_offset, fp.last_fetched_epoch
    if fp.current_leader_epoch == leader_epoch and log.log_start <= fetch_offset <= log.leo \
            and last_epoch == (log.epochs[-1][0] if log.epochs else UNDEFINED):
        return READ                     # the common case: in the leader's latest epoch, in range
    if fp.current_leader_epoch != leader_epoch:
        if fp.current_leader_epoch < leader_epoch:
            return FENCED_LEADER_EPOCH, None
        return UNKNOWN_LEADER_EPOCH, None
    if last_epoch != UNDEFINED and truncation == "kip-101":
        end = log.end_offset_for_epoch_kip101(last_epoch)
        if end == UNDEFINED or end < fetch_offset:
            return None, (last_epoch, end)
    else:
        # Partition.readRecords: a last fetched epoch the leader cannot place, or a fetch below
        # the log start, is out of range, diverging or not
        if last_epoch != UNDEFINED and (fetch_offset < log.log_start
                                        or log.end_offset_for_epoch(last_epoch)[1] == UNDEFINED):
            return OFFSET_OUT_OF_RANGE, None
        diverging = diverging_epoch(log, fetch_offset, last_epoch)
        if diverging is not None:
            return None, diverging
    if fetch_offset > log.leo or fetch_offset < log.log_start:
        return OFFSET_OUT_OF_RANGE, None
    return READ


def last_caught_up_us(state, fetch_offset: int, leader_leo: int, now: int) -> int:
    """A follower's `lastCaughtUpTimeMs` after a fetch at fetch_offset while the leader's
    LEO is leader_leo (ReplicaState.updateFetchStateOrThrow): now if it fetched up to the
    leader's end, the previous fetch's time if it reached the LEO the leader had then,
    else unchanged. `state` has last_caught_up_us, last_fetch_us, last_fetch_leader_leo."""
    if fetch_offset >= leader_leo:
        return max(state.last_caught_up_us, now)
    if fetch_offset >= state.last_fetch_leader_leo:
        return max(state.last_caught_up_us, state.last_fetch_us)
    return state.last_caught_up_us


def high_watermark(log, followers: dict, maximal_isr, now: int, max_lag_us: int, eligible,
                   frozen: bool) -> int:
    """The leader's high watermark after Partition.maybeIncrementLeaderHW: the smallest LEO
    among the leader, the maximal ISR's followers and the caught-up, eligible followers
    (followers: broker id -> FollowerState), never below the current HW; unchanged when
    `frozen` (since 3.7, while the committed ISR is below min ISR)."""
    if frozen:
        return log.hw
    leo = new_hw = log.leo
    for r, f in followers.items():
        if f.leo < new_hw and (r in maximal_isr or (
                f.is_caught_up(leo, now, max_lag_us) and eligible(r))):
            new_hw = f.leo
    return new_hw if new_hw > log.hw else log.hw


def diverging_epoch(log, fetch_offset: int, last_fetched_epoch: int) -> tuple[int, int] | None:
    """The leader's answer to a fetch at fetch_offset whose previous batch has
    last_fetched_epoch: None when the logs agree up to it, else (epoch, end offset), the
    largest epoch at or below last_fetched_epoch the leader has and where it ends there
    ((UNDEFINED, log start) when the leader has none)."""
    if last_fetched_epoch == UNDEFINED or (
            last_fetched_epoch == log.latest_epoch and fetch_offset <= log.leo):
        return None
    epoch, end = log.end_offset_for_epoch(last_fetched_epoch)
    if epoch == UNDEFINED or end == UNDEFINED:
        return UNDEFINED, log.log_start
    if epoch < last_fetched_epoch or end < fetch_offset:
        return epoch, end
    return None


def out_of_range_truncation(log, leader_leo: int, leader_log_start: int) -> int | None:
    """Where a follower told OFFSET_OUT_OF_RANGE truncates (AbstractFetcherThread's
    handleOutOfRangeError): to the leader's LEO when it is past it, to nothing when it is
    below the leader's log start (the log then starts afresh there), else None."""
    if leader_leo >= 0 and log.leo > leader_leo:
        return leader_leo
    if log.leo < leader_log_start:
        return 0
    return None


def truncation_offset(log, diverging: tuple[int, int]) -> int:
    """Where a follower told (epoch, end) truncates: to the smaller of its own end and the
    leader's in that epoch, or, when it has no such epoch, to the end of its largest epoch
    below it (and fetches again); always within [log start, LEO]."""
    epoch, end = diverging
    own_epoch, own_end = log.end_offset_for_epoch(epoch)
    if epoch == UNDEFINED or own_epoch == UNDEFINED or own_epoch == epoch:
        target = min(end, own_end) if own_end != UNDEFINED else end
    else:
        target = own_end
    return min(max(target, log.log_start), log.leo)
