"""The replication protocol's decisions about two logs, as pure functions of a log.

The leader's side of a follower fetch decides whether the follower's log may
have diverged from its own (Partition.fetchRecords -> lastOffsetForLeaderEpoch,
the DivergingEpoch of a Fetch response, KIP-279 / KAFKA-10554); the follower's
side decides where to truncate when told so (AbstractFetcherThread's
truncation on a diverging epoch). replica_manager.py and fetcher.py call them
on live replicas; the property tests call them on logs built alone.

Left out here: the pre-KIP-279 single truncation (`replica.truncation:
kip-101`) and the pre-KIP-101 truncation to the high watermark, which the
fetcher applies itself.
"""

from sim.cluster.log import UNDEFINED


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
