"""KRaft's Raft: one voter's side of the controller quorum (KIP-595, KIP-631).

As Kafka's KafkaRaftClient and its states (QuorumState: Unattached, Voted, Follower,
Candidate, Leader, Resigned) run it, for a fixed voter set:
- a voter that hears from no leader becomes a candidate after its election timeout,
  `controller.quorum.election.timeout.ms` randomized as QuorumState.randomElectionTimeoutMs
  does (the timeout plus a uniform draw below it); a follower after
  `controller.quorum.fetch.timeout.ms` without a successful Fetch;
- a candidate bumps the epoch, votes for itself and asks the others (Vote); a voter grants
  one vote per epoch, to a candidate whose log is at least as up to date as its own (last
  epoch, then end offset), and never while it follows a leader of that epoch; a majority
  makes the leader; a candidate rejected by a majority or whose election times out backs
  off (binaryExponentialElectionBackoffMs: 100 ms times a uniform draw below 2^retries,
  capped by `controller.quorum.election.backoff.max.ms`) and stands again;
- the leader appends a LeaderChange record at its epoch start, tells the voters
  (BeginQuorumEpoch), and the followers replicate its log by Fetch (parked up to
  MAX_FETCH_WAIT_MS = 500 when there is nothing new). A fetch whose last fetched epoch
  does not match the leader's log is answered with the diverging epoch and its end
  offset; the follower truncates there and fetches again;
- the high watermark is the offset a majority of voters has fetched (the leader counting
  its own end), and only once that reaches the leader's epoch start (LeaderState.
  maybeUpdateHighWatermark); a follower's is the leader's, capped by its own end;
- check quorum (KAFKA-15489, 3.7+; `quorum.check` here): a leader that has not had
  Fetches from a majority of voters for 1.5 fetch timeouts resigns (sends EndQuorumEpoch);
  a follower told so becomes a candidate after a backoff by its place among the preferred
  successors (strictExponentialElectionBackoffMs), and the resigned leader after its
  election timeout. Before 3.7 a leader cut off from its voters stays leader, unable to
  commit.
The quorum state and the log are durable (the controller flushes before it acks): a
restarted voter keeps its epoch, vote and log and starts unattached.

Left out: pre-vote (KIP-996: not in the source read, trunk of 2024-10-25, so its release
is not settled here and every release runs without it), dynamic voters (KIP-853),
observers (brokers are told the leader by the directory, see quorum.py), snapshots (the log
is never cleaned),
batching by `controller.quorum.append.linger.ms` (records go out with the next Fetch),
the message sizes of Raft traffic.
"""

from dataclasses import dataclass

from sim.core.units import MS

UNATTACHED, FOLLOWER, CANDIDATE, LEADER, RESIGNED = (
    "unattached", "follower", "candidate", "leader", "resigned")
RETRY_BACKOFF_BASE_US = 100 * MS        # KafkaRaftClient.RETRY_BACKOFF_BASE_MS
MAX_FETCH_WAIT_US = 500 * MS            # KafkaRaftClient.MAX_FETCH_WAIT_MS
FETCH_RETRY_US = 20 * MS                # controller.quorum.retry.backoff.ms
CHECK_QUORUM_TIMEOUT_FACTOR = 1.5       # LeaderState.CHECK_QUORUM_TIMEOUT_FACTOR
FENCED_LEADER_EPOCH = "FENCED_LEADER_EPOCH"
NOT_LEADER = "NOT_LEADER_OR_FOLLOWER"


class LeaderChange:
    """The control record a new leader appends at the start of its epoch."""

    __slots__ = ("epoch", "leader")

    def __init__(self, epoch: int, leader: int) -> None:
        self.epoch, self.leader = epoch, leader

    def __repr__(self) -> str:
        return f"LeaderChange({self.epoch}, {self.leader})"


@dataclass(frozen=True, slots=True)
class QuorumSettings:
    election_timeout_us: int             # controller.quorum.election.timeout.ms
    fetch_timeout_us: int                # controller.quorum.fetch.timeout.ms
    election_backoff_max_us: int         # controller.quorum.election.backoff.max.ms
    request_timeout_us: int              # controller.quorum.request.timeout.ms
    check_quorum: bool = True            # KAFKA-15489 (3.7+)


@dataclass(frozen=True, slots=True)
class Vote:
    candidate: int
    epoch: int
    last_epoch: int
    end_offset: int


@dataclass(frozen=True, slots=True)
class VoteResponse:
    voter: int
    epoch: int
    granted: bool
    leader: int


@dataclass(frozen=True, slots=True)
class BeginQuorumEpoch:
    leader: int
    epoch: int


@dataclass(frozen=True, slots=True)
class EndQuorumEpoch:
    leader: int
    epoch: int
    successors: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Fetch:
    replica: int
    epoch: int
    offset: int
    last_fetched_epoch: int


@dataclass(frozen=True, slots=True)
class FetchResponse:
    error: str | None
    epoch: int
    leader: int
    records: tuple = ()
    epochs: tuple = ()
    high_watermark: int = 0
    diverging: tuple | None = None       # (epoch, end offset) when the logs diverge


class _Parked:
    __slots__ = ("request", "reply", "done")

    def __init__(self, request, reply) -> None:
        self.request, self.reply, self.done = request, reply, False


class Raft:
    """One voter. The host gives it timers (`host.timer`), a request channel
    `send(peer, payload, on_done)` and listens through `on_change(kind)`: "leader" once it
    leads, "commit" when the high watermark moves, "lost" when it stops leading."""

    def __init__(self, node: int, voters: tuple[int, ...], settings: QuorumSettings, host, rng,
                 send, on_change) -> None:
        self.node, self.voters, self.settings = node, voters, settings
        self.host, self.rng, self.send, self.on_change = host, rng, send, on_change
        self.role = UNATTACHED
        self.epoch = 0
        self.leader = -1
        self.voted_for = -1
        self.records: list = []            # the metadata log: records ...
        self.epochs: list[int] = []        # ... and the epoch each was appended in
        self.high_watermark = 0
        self.epoch_start = 0
        self.fetched: dict[int, int] = {}  # leader: each voter's fetched offset this epoch
        self.acked: set[int] = set()       # leader: the voters that fetched in this epoch
        self.check_fetched: set[int] = set()
        self.granted: set[int] = set()
        self.rejected: set[int] = set()
        self.retries = 0
        self.parked: list[_Parked] = []
        self._timer = 0                    # the pending state timer; a new one replaces it
        self._election_deadline = 0

    # -- the log -------------------------------------------------------------------

    @property
    def end_offset(self) -> int:
        return len(self.records)

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1] if self.epochs else 0

    def _end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """ReplicatedLog.endOffsetForEpoch: the largest epoch <= epoch and its end offset."""
        for i in range(len(self.epochs) - 1, -1, -1):
            if self.epochs[i] <= epoch:
                return self.epochs[i], i + 1
        return 0, 0

    def append(self, record) -> int:
        """The leader appends a record of its epoch; returns its offset."""
        self.records.append(record)
        self.epochs.append(self.epoch)
        self._answer_parked()
        if len(self.voters) == 1:
            self._update_high_watermark()
        return len(self.records) - 1

    @property
    def majority(self) -> int:
        return len(self.voters) // 2 + 1

    # -- timers ----------------------------------------------------------------------

    def _arm(self, delay_us: int, fn) -> None:
        self._timer += 1
        self.host.timer(delay_us, self._fire, self._timer, fn)

    def _fire(self, token: int, fn) -> None:
        if token == self._timer:
            fn()

    def _election_timeout(self) -> int:
        """QuorumState.randomElectionTimeoutMs: the timeout plus a uniform draw below it."""
        t = self.settings.election_timeout_us
        return t + int(self.rng.integers(0, t // MS)) * MS

    def _backoff(self) -> int:
        """binaryExponentialElectionBackoffMs(retries)."""
        draw = int(self.rng.integers(0, 2 << min(20, self.retries - 1)))
        return min(RETRY_BACKOFF_BASE_US * draw, self.settings.election_backoff_max_us)

    # -- transitions ----------------------------------------------------------------

    def start(self) -> None:
        """A process starts (or restarts) unattached in its durable epoch."""
        self.role, self.leader, self.retries = UNATTACHED, -1, 0
        self.parked = []
        if len(self.voters) == 1:
            self._become_candidate()
            return
        self._arm_election(self._election_timeout(), self._become_candidate)

    def boot_leader(self) -> None:
        """Start of a run: node 0 leads epoch 1, everyone follows with the same log."""
        self.epoch = 1
        if self.node == self.voters[0]:
            self._become_leader()
        else:
            self._become_follower(self.voters[0])

    def _new_epoch(self, epoch: int) -> None:
        lost = self.role == LEADER
        self.epoch, self.voted_for, self.leader = epoch, -1, -1
        self.role = UNATTACHED
        self.parked = []
        if lost:
            self.on_change("lost")

    def _become_unattached(self, epoch: int) -> None:
        """QuorumState.transitionToUnattached: an unattached voter or a candidate keeps what
        is left of its election timeout, others draw a new one."""
        keep = self.role in (UNATTACHED, CANDIDATE)
        self._new_epoch(epoch)
        now = self.host.engine.now
        delay = max(0, self._election_deadline - now) if keep else self._election_timeout()
        self._arm_election(delay, self._become_candidate)

    def _arm_election(self, delay_us: int, fn) -> None:
        self._election_deadline = self.host.engine.now + delay_us
        self._arm(delay_us, fn)

    def _become_candidate(self) -> None:
        lost = self.role in (LEADER, RESIGNED)
        self.epoch += 1
        self.role, self.leader, self.voted_for = CANDIDATE, -1, self.node
        self.granted, self.rejected = {self.node}, set()
        self.retries += 1
        self.parked = []
        if lost:
            self.on_change("lost")
        if self._won():
            return
        self._arm_election(self._election_timeout(), self._candidate_timeout)
        vote = Vote(self.node, self.epoch, self.last_epoch, self.end_offset)
        for peer in self.voters:
            if peer != self.node:
                self.send(peer, vote, self._on_vote_response)

    def _candidate_timeout(self) -> None:
        """The election timed out: back off, then stand again."""
        self._arm(self._backoff(), self._become_candidate)

    def _won(self) -> bool:
        if len(self.granted) >= self.majority:
            self._become_leader()
            return True
        return False

    def _become_leader(self) -> None:
        self.role, self.leader, self.retries = LEADER, self.node, 0
        self.epoch_start = self.end_offset
        self.fetched = {v: 0 for v in self.voters if v != self.node}
        self.check_fetched = set()
        self.acked = set()
        self.append(LeaderChange(self.epoch, self.node))
        self._begin_epoch(self.epoch)
        if self.settings.check_quorum and len(self.voters) > 1:
            self._arm(self._check_quorum_us(), self._check_quorum)
        self.on_change("leader")

    def _begin_epoch(self, epoch: int) -> None:
        """BeginQuorumEpoch to the voters that have not fetched in this epoch, again every
        half fetch timeout (LeaderState's beginQuorumEpochTimer)."""
        if self.role != LEADER or self.epoch != epoch:
            return
        begin = BeginQuorumEpoch(self.node, self.epoch)
        waiting = [v for v in self.voters if v != self.node and v not in self.acked]
        for peer in waiting:
            self.send(peer, begin, _ignore)
        if waiting:
            self.host.timer(self.settings.fetch_timeout_us // 2, self._begin_epoch, epoch)

    def _become_follower(self, leader: int) -> None:
        self.role, self.leader, self.retries = FOLLOWER, leader, 0
        self.parked = []
        self._arm(self.settings.fetch_timeout_us, self._fetch_timed_out)
        self._fetch()

    def _fetch_timed_out(self) -> None:
        self._become_candidate()

    def _check_quorum_us(self) -> int:
        return int(self.settings.fetch_timeout_us * CHECK_QUORUM_TIMEOUT_FACTOR)

    def _check_quorum(self) -> None:
        """LeaderState.timeUntilCheckQuorumExpires ran out: resign (EndQuorumEpoch)."""
        if self.role != LEADER:
            return
        successors = tuple(sorted(self.fetched, key=lambda v: (-self.fetched[v], v)))
        self.role = RESIGNED
        self.parked = []
        self.on_change("lost")
        end = EndQuorumEpoch(self.node, self.epoch, successors)
        for peer in successors:
            self.send(peer, end, _ignore)
        self._arm_election(self._election_timeout(), self._become_candidate)

    # -- requests ---------------------------------------------------------------------

    def handle(self, request, reply) -> None:
        """Answer a Raft request: reply(response) now or (a parked Fetch) later."""
        kind = type(request)
        if kind is Fetch:
            self._handle_fetch(request, reply)
        elif kind is Vote:
            reply(self._handle_vote(request))
        elif kind is BeginQuorumEpoch:
            self._handle_begin(request)
            reply(None)
        elif kind is EndQuorumEpoch:
            self._handle_end(request)
            reply(None)

    def _handle_vote(self, request: Vote) -> VoteResponse:
        if request.epoch < self.epoch:
            return VoteResponse(self.node, self.epoch, False, self.leader)
        if request.epoch > self.epoch:
            self._become_unattached(request.epoch)
        up_to_date = (request.last_epoch, request.end_offset) >= (self.last_epoch,
                                                                  self.end_offset)
        can = self.role == UNATTACHED and self.voted_for in (-1, request.candidate)
        if can and up_to_date:
            self.voted_for = request.candidate
            return VoteResponse(self.node, self.epoch, True, -1)
        return VoteResponse(self.node, self.epoch, False, self.leader)

    def _on_vote_response(self, response) -> None:
        if not isinstance(response, VoteResponse):
            return
        if response.epoch > self.epoch:
            self._learn(response.epoch, response.leader)
            return
        if self.role != CANDIDATE or response.epoch != self.epoch:
            return
        if response.granted:
            self.granted.add(response.voter)
            self._won()
            return
        self.rejected.add(response.voter)
        if len(self.rejected) == len(self.voters) - self.majority + 1:
            self._arm(self._backoff(), self._become_candidate)

    def _learn(self, epoch: int, leader: int) -> None:
        """A higher epoch seen in a response: follow its leader, or wait unattached."""
        if leader >= 0 and leader != self.node:
            self._new_epoch(epoch)
            self._become_follower(leader)
        else:
            self._become_unattached(epoch)

    def _handle_begin(self, request: BeginQuorumEpoch) -> None:
        if request.epoch < self.epoch:
            return
        if request.epoch > self.epoch:
            self._new_epoch(request.epoch)
        if self.role != FOLLOWER or self.leader != request.leader:
            self._become_follower(request.leader)

    def _handle_end(self, request: EndQuorumEpoch) -> None:
        if request.epoch != self.epoch or self.role != FOLLOWER or self.leader != request.leader:
            return
        position = request.successors.index(self.node) if self.node in request.successors \
            else -1
        self._arm(self._successor_backoff(position, len(request.successors)),
                  self._become_candidate)

    def _successor_backoff(self, position: int, total: int) -> int:
        """strictExponentialElectionBackoffMs."""
        cap = self.settings.election_backoff_max_us
        if position == 0:
            return 0
        if position < 0 or position >= total:
            return cap
        return min(cap, (cap >> (total - 1)) << (position - 1))

    # -- replication: the leader's side ------------------------------------------------

    def _handle_fetch(self, request: Fetch, reply) -> None:
        if self.role != LEADER:
            reply(FetchResponse(NOT_LEADER, self.epoch, self.leader))
            return
        if request.epoch < self.epoch:
            reply(FetchResponse(FENCED_LEADER_EPOCH, self.epoch, self.node))
            return
        if request.epoch > self.epoch:
            reply(FetchResponse(NOT_LEADER, self.epoch, -1))
            return
        offset = request.offset
        if offset > 0:
            epoch, end = self._end_offset_for_epoch(request.last_fetched_epoch)
            if epoch != request.last_fetched_epoch or end < offset:
                reply(FetchResponse(None, self.epoch, self.node, diverging=(epoch, end),
                                    high_watermark=self.high_watermark))
                return
        self._fetched(request.replica, offset)
        if offset < self.end_offset:
            reply(self._records_from(offset))
            return
        parked = _Parked(request, reply)
        self.parked.append(parked)
        self.host.timer(MAX_FETCH_WAIT_US, self._expire_parked, parked, self.epoch)

    def _records_from(self, offset: int) -> FetchResponse:
        return FetchResponse(None, self.epoch, self.node, tuple(self.records[offset:]),
                             tuple(self.epochs[offset:]), self.high_watermark)

    def _answer_parked(self) -> None:
        if not self.parked:
            return
        parked, self.parked = self.parked, []
        for p in parked:
            if not p.done:
                p.done = True
                p.reply(self._records_from(p.request.offset))

    def _expire_parked(self, parked: _Parked, epoch: int) -> None:
        if parked.done:
            return
        parked.done = True
        if parked in self.parked:
            self.parked.remove(parked)
        if self.role == LEADER and self.epoch == epoch:
            parked.reply(self._records_from(parked.request.offset))

    def _fetched(self, voter: int, offset: int) -> None:
        if voter not in self.fetched:
            return
        self.acked.add(voter)
        self.check_fetched.add(voter)
        if len(self.check_fetched) >= self.majority - 1:
            self.check_fetched = set()
            if self.settings.check_quorum:
                self._arm(self._check_quorum_us(), self._check_quorum)
        if offset > self.fetched[voter]:
            self.fetched[voter] = offset
            self._update_high_watermark()

    def _update_high_watermark(self) -> None:
        """LeaderState.maybeUpdateHighWatermark: the majority's offset, once in this epoch."""
        ends = sorted([self.end_offset, *self.fetched.values()], reverse=True)
        hw = ends[self.majority - 1]
        if hw > self.high_watermark and hw > self.epoch_start:
            self.high_watermark = hw
            self._answer_parked()
            self.on_change("commit")

    # -- replication: the follower's side ----------------------------------------------

    def _fetch(self) -> None:
        if self.role != FOLLOWER:
            return
        request = Fetch(self.node, self.epoch, self.end_offset, self.last_epoch)
        epoch = self.epoch
        self.send(self.leader, request, lambda resp: self._on_fetch(resp, epoch))

    def _on_fetch(self, response, epoch: int) -> None:
        if self.role != FOLLOWER or self.epoch != epoch:
            return
        if not isinstance(response, FetchResponse):
            self.host.timer(FETCH_RETRY_US, self._refetch, epoch)
            return
        if response.epoch > self.epoch:
            self._learn(response.epoch, response.leader)
            return
        if response.error is not None:
            self.host.timer(FETCH_RETRY_US, self._refetch, epoch)
            return
        self._arm(self.settings.fetch_timeout_us, self._fetch_timed_out)
        if response.diverging is not None:
            self._truncate(response.diverging[1])
        else:
            self.records.extend(response.records)
            self.epochs.extend(response.epochs)
            hw = min(response.high_watermark, self.end_offset)
            if hw > self.high_watermark:
                self.high_watermark = hw
                self.on_change("commit")
        self._fetch()

    def _refetch(self, epoch: int) -> None:
        if self.role == FOLLOWER and self.epoch == epoch:
            self._fetch()

    def _truncate(self, offset: int) -> None:
        """Truncate to the diverging epoch's end offset (never below the high watermark)."""
        offset = max(min(offset, self.end_offset), self.high_watermark)
        del self.records[offset:]
        del self.epochs[offset:]


def _ignore(_response) -> None:
    """BeginQuorumEpoch and EndQuorumEpoch answers carry nothing this model reads."""


def boot_quorum(rafts: list) -> None:
    """The start of a run: the first voter leads epoch 1 and every voter holds its log,
    committed (call after the leader appended the initial metadata)."""
    leader = rafts[0]
    for raft in rafts[1:]:
        raft.epoch = leader.epoch
        raft.records[:] = leader.records
        raft.epochs[:] = leader.epochs
        raft.high_watermark = leader.end_offset
        leader.fetched[raft.node] = leader.end_offset
        leader.acked.add(raft.node)
    leader.high_watermark = leader.end_offset
    for raft in rafts[1:]:
        raft._become_follower(leader.node)
