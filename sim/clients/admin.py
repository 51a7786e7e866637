"""The operator's tools as a client: `kafka-consumer-groups.sh --reset-offsets --execute`
and `kafka-leader-election.sh`.

It finds the group's coordinator, asks for the group's state and refuses,
as the tool does, unless the group has no active members ("Assignments can
only be reset if the group is inactive"); the refusal is traced. Otherwise
it reads the group's committed offsets, works out the targets for every
partition of the group's topics (earliest = log start, latest = high
watermark, a time = the first offset written at or after it, an offset =
that offset, lowered to the high watermark as the tool clamps it),
and commits them as an admin commit (no member, no generation). Each moved
offset is traced with where it was before.

An election (Admin.electLeaders, KIP-460) sends one ElectLeaders request for the
partitions and traces the answer per partition (LeadersElected: None when elected, else
Kafka's error).

Simplified: metadata comes from the controller's current view and each
step is one request with no retries; a failed step ends the reset, traced
as refused with the error as the state. ElectLeaders goes straight to the
active controller (Kafka sends it to a broker, which forwards it), once; a
request that fails (the controller failing over) is traced with its error for
every partition, where Kafka's admin client would retry until its timeout.
"""

from sim.cluster.context import ClientContext
from sim.cluster.host import Host
from sim.cluster.metadata import NO_LEADER
from sim.cluster.protocol import (
    EARLIEST,
    LATEST,
    DescribeGroup,
    ElectLeaders,
    FindCoordinator,
    ListOffsets,
    OffsetCommit,
    OffsetFetch,
)
from sim.cluster.rpc import Connections, Failure
from sim.core.records import LeadersElected, OffsetsReset, OffsetsResetRefused

REQUEST_TIMEOUT_US = 30_000_000
CONTROLLER = -1     # the admin's connection to the active controller


class Admin(Host):
    """A host from which operators run admin commands."""

    def __init__(self, ctx: ClientContext) -> None:
        super().__init__("admin", ctx.runtime.engine, ctx.runtime.trace)
        self.net = ctx.runtime.net
        self.nodes = ctx.runtime.nodes
        self.topology = ctx.topology
        self.groups = ctx.groups
        self.conns = Connections(self.net, self, self._server)

    def _request(self, broker: int, request, on_done) -> None:
        self.conns.to(broker).request(request, on_done, REQUEST_TIMEOUT_US)

    def _server(self, broker: int):
        """A broker's host; the controller's for a negative id."""
        return self.nodes.controller if broker < 0 else self.nodes.brokers[broker]

    def _refuse(self, group: str, state: str, members: int = 0) -> None:
        self.trace.emit(OffsetsResetRefused(self.engine.now, group, state, members))

    # -- elect leaders --------------------------------------------------------------------

    def elect_leaders(self, election_type: str, topic: str, partitions=None) -> None:
        """kafka-leader-election.sh --election-type TYPE for `partitions` of `topic` (None:
        all of them)."""
        indexes = self.topology.by_topic[topic]
        created = self.nodes.controller.image.partitions     # the topic as described now
        chosen = [p for p, pidx in enumerate(indexes) if pidx in created] \
            if partitions is None else partitions
        pidxs = tuple(indexes[p] for p in chosen)
        self._request(CONTROLLER, ElectLeaders(election_type, pidxs),
                      lambda r: self._elected(election_type, pidxs, r))

    def _elected(self, election_type: str, pidxs: tuple, response) -> None:
        if isinstance(response, Failure):
            results = tuple((pidx, response.error) for pidx in pidxs)
        else:
            results = response.results
        for pidx, error in results:
            info = self.topology.partitions[pidx]
            self.trace.emit(LeadersElected(self.engine.now, election_type, info.topic,
                                           info.partition, error))

    # -- reset offsets --------------------------------------------------------------------

    def reset_offsets(self, group: str, to) -> None:
        live = [b.id for b in self.nodes.brokers if b.running]
        if not live:
            self._refuse(group, "NO_BROKER")
            return
        self._request(live[0], FindCoordinator(group),
                      lambda r: self._found(group, to, r))

    def _found(self, group: str, to, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            self._refuse(group, response.error)
            return
        coordinator = response.broker
        self._request(coordinator, DescribeGroup(group),
                      lambda r: self._described(group, to, coordinator, r))

    def _described(self, group: str, to, coordinator: int, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            self._refuse(group, response.error)
            return
        if response.members:
            self._refuse(group, response.state, response.members)
            return
        created = self.nodes.controller.image.partitions
        pidxs = tuple(p for t in self.groups[group] for p in self.topology.by_topic[t]
                      if p in created)
        self._request(coordinator, OffsetFetch(group, pidxs),
                      lambda r: self._fetched(group, to, coordinator, pidxs, r))

    def _fetched(self, group: str, to, coordinator: int, pidxs, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            self._refuse(group, response.error)
            return
        previous = response.offsets
        image = self.nodes.controller.image
        by_leader: dict[int, dict] = {}
        for pidx in pidxs:
            leader = image.partitions[pidx].leader
            if leader == NO_LEADER:
                self._refuse(group, "LEADER_NOT_AVAILABLE")
                return
            by_leader.setdefault(leader, {})[pidx] = _spec_for(to)
        bounds: dict = {}
        pending = [len(by_leader)]

        def listed(response, parts):
            if isinstance(response, Failure):
                self._refuse(group, response.error)
                pending[0] = -1
                return
            bounds.update(response.partitions)
            pending[0] -= 1
            if pending[0] == 0:
                self._commit(group, to, coordinator, previous, bounds)
        for leader, parts in sorted(by_leader.items()):
            self._request(leader, ListOffsets(parts), lambda r, p=parts: listed(r, p))

    def _commit(self, group: str, to, coordinator: int, previous, listed) -> None:
        targets = {}
        for pidx, (error, offset) in sorted(listed.items()):
            if error is not None:
                self._refuse(group, error)
                return
            targets[pidx] = offset
        if isinstance(to, tuple) and to[0] == "offset":
            targets = {p: min(to[1], hw) for p, hw in targets.items()}
        offsets = tuple(sorted(targets.items()))
        self._request(coordinator, OffsetCommit(group, -1, "", offsets),
                      lambda r: self._committed(group, previous, offsets, r))

    def _committed(self, group: str, previous, offsets, response) -> None:
        if isinstance(response, Failure) or response.error is not None:
            self._refuse(group, response.error)
            return
        parts = self.topology.partitions
        for pidx, offset in offsets:
            info = parts[pidx]
            self.trace.emit(OffsetsReset(self.engine.now, group, info.topic, info.partition,
                                         previous.get(pidx, -1), offset))


def _spec_for(to) -> int:
    """The ListOffsets timestamp for a reset target."""
    if to == "earliest":
        return EARLIEST
    if to == "latest" or to[0] == "offset":
        return LATEST
    return to[1]
