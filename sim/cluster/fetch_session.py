"""Incremental fetch sessions (KIP-227) between a follower and a leader.

A follower's fetcher opens a session; the leader remembers, per partition,
the high watermark and log start its last response carried, and leaves out
of the next response every partition with nothing new: no records, no
error, no diverging epoch, the same HW and log start
(IncrementalFetchContext). A fetcher takes a new session id when it is
created and whenever a partition joins it, so a partition's first response
in a session is always whole. Consumer fetches use no session.

The leader reads every partition of the session, as Kafka does, so follower
fetch state and the ISR move exactly as with full responses; but a partition
whose read can only repeat the last one is not read again. After a read that
found the follower in the ISR at the leader's LEO, with the HW and log start
already sent, the partition goes idle in the session: a read with the same
fetch state would only set the follower's `lastFetchTimeMs` and
`lastCaughtUpTimeMs` to the time of the read (ReplicaState.updateFetchState),
so the session keeps one read time for all its idle partitions, and a
follower's state reads it when the partition wakes: when the follower's
fetch state for it changes or it leaves the fetch, or when anything a read
depends on changes on the leader (an append, the HW, the log start,
leadership or the ISR: Replica.wake_idle). A fetch then costs the partitions
with something new, not the session's size.

Not modeled: the size of the leader's session cache
(`max.incremental.fetch.session.cache.slots`) and eviction, and incremental
requests (the request lists every partition: it costs bytes, and the leader
one lookup per idle partition).
"""

NO_SESSION = 0


class Session:
    """One follower's fetch session on the leader."""

    __slots__ = ("session_id", "follower", "last_sent", "idle", "read_us")

    def __init__(self, session_id: int, follower: int) -> None:
        self.session_id = session_id
        self.follower = follower
        self.last_sent: dict[int, tuple[int, int]] = {}    # pidx -> (HW, log start) carried
        self.idle: dict[int, tuple] = {}                   # pidx -> (FetchPartition, FollowerState)
        self.read_us = 0                                    # the last read of the session

    def evict(self, pidx: int, read_us: int) -> None:
        """Wake an idle partition whose last read was at read_us."""
        _fp, state = self.idle.pop(pidx)
        state.wake(read_us)

    def evict_absent(self, partitions: dict, read_us: int) -> None:
        """Wake the idle partitions a fetch left out (the follower backs off from them)."""
        for pidx in [p for p in self.idle if p not in partitions]:
            self.evict(pidx, read_us)

    def rest(self, quiet: list) -> None:
        """Let the quiet partitions of a read (the follower in the ISR at the leader's LEO)
        go idle if the HW and log start the follower has are the leader's: a read moves
        neither leadership, the ISR nor the LEO, but it may move the HW."""
        last_sent = self.last_sent
        for pidx, fp, replica in quiet:
            state = replica.followers.get(self.follower)
            log = replica.log
            if state is not None and state.session is None and \
                    last_sent.get(pidx) == (log.hw, log.log_start):
                self.idle[pidx] = (fp, state)
                state.session = self

    def wake_all(self) -> None:
        for pidx in list(self.idle):
            self.evict(pidx, self.read_us)


class FetchSessions:
    """The leader's follower fetch sessions, one per follower (the latest it opened)."""

    def __init__(self) -> None:
        self._sessions: dict[int, Session] = {}

    def clear(self) -> None:
        """Forget every session (the leader's process died)."""
        for session in self._sessions.values():
            session.wake_all()
        self._sessions = {}

    def get(self, request) -> Session | None:
        """The request's session, if the leader knows it: None for no session or a new one,
        whose response carries every partition."""
        if request.session == NO_SESSION:
            return None
        session = self._sessions.get(request.replica)
        if session is None or session.session_id != request.session:
            return None
        return session

    def sent(self, request, out: dict) -> None:
        """Remember what a response of the request's session carries (a new session
        replaces the follower's previous one)."""
        if request.session == NO_SESSION:
            return
        session = self._sessions.get(request.replica)
        if session is None or session.session_id != request.session:
            if session is not None:
                session.wake_all()
            session = self._sessions[request.replica] = Session(request.session, request.replica)
        last = session.last_sent
        for pidx, data in out.items():
            last[pidx] = (data.hw, data.log_start)
