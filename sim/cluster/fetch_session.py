"""Incremental fetch sessions (KIP-227) between a follower and a leader.

A follower's fetcher opens a session; the leader remembers, per partition,
the high watermark and log start its last response carried, and leaves out
of the next response every partition with nothing new: no records, no
error, no diverging epoch, the same HW and log start
(IncrementalFetchContext). The leader still reads every partition of the
session, as Kafka does, so follower fetch state and the ISR move exactly as
with full responses; what goes away is the follower's handling of partitions
that did not change. A fetcher takes a new session id when it is created and
whenever a partition joins it, so a partition's first response in a session
is always whole. Consumer fetches use no session.

Not modeled: the size of the leader's session cache
(`max.incremental.fetch.session.cache.slots`) and eviction, and incremental
requests (the request lists every partition; that only saves bytes).
"""

NO_SESSION = 0


class FetchSessions:
    """The leader's follower fetch sessions: follower -> (session id, last sent per partition)."""

    def __init__(self) -> None:
        self._sessions: dict[int, tuple[int, dict]] = {}

    def clear(self) -> None:
        """Forget every session (the leader's process died)."""
        self._sessions = {}

    def changed(self, request, out: dict) -> dict:
        """The partitions of out that the response must carry in the request's session."""
        if request.session == NO_SESSION:
            return out
        session = self._sessions.get(request.replica)
        if session is None or session[0] != request.session:
            session = self._sessions[request.replica] = (request.session, {})
        sent = session[1]
        carried = {}
        for pidx, data in out.items():
            last = (data.hw, data.log_start)
            if data.batches or data.error is not None or data.diverging is not None or \
                    sent.get(pidx) != last:
                sent[pidx] = last
                carried[pidx] = data
        return carried
