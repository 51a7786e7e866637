"""What each kind of host may reach: its narrow, typed context.

A host (broker, controller, producer, consumer member, admin) is built from a
context, never from the world that assembles the run. Every context carries a
`Runtime`: the clock and its timers (the engine), the trace, the network and
the `Nodes` directory of the hosts a connection may reach, and the run's named
random streams. Beyond that each kind gets only what a process of that kind
knows: a broker its settings, the topology it serves and the run-wide ids it
hands out; a producer the topology and the protocol switches of its release;
a consumer what its record processing reads; the admin the groups it may reset.

A test builds one host alone from a context of its own, with a real network of
fixed latency and small fake hosts as the other ends (tests/unit/hosts.py), the
way Kafka's PartitionTest, ReplicaManagerTest, SenderTest and
GroupCoordinatorTest build one component around mocks.

Left out: a real directory service. `Nodes` hands out the host objects
themselves (connections are opened to a host), and the admin reads which brokers
are running from it, as an operator would from their monitoring.
"""

from dataclasses import dataclass, field

import numpy as np


class Nodes:
    """The directory: brokers by id and the active controller, filled as hosts are built."""

    def __init__(self) -> None:
        self.brokers: list = []
        self.controller = None

    def broker_ids(self) -> list[int]:
        return list(range(len(self.brokers)))


@dataclass(frozen=True)
class Runtime:
    """What every host shares: clock and timers, trace, network, directory, random streams."""

    engine: object
    trace: object
    net: object
    nodes: Nodes
    streams: object


class Ids:
    """Run-wide numbering a real cluster gets from its controller or its storage.

    Producer ids (the controller's producer-id blocks, simplified to one counter),
    fetch session ids and the numbers of dead-letter records.
    """

    def __init__(self, first_pid: int = 1000) -> None:
        self._pid = first_pid
        self._fetch_session = 0
        self._dead_letter = 0

    def next_pid(self) -> int:
        self._pid += 1
        return self._pid

    def new_fetch_session(self) -> int:
        self._fetch_session += 1
        return self._fetch_session

    def next_dead_letter(self) -> int:
        self._dead_letter += 1
        return self._dead_letter


class RecordContents:
    """The keys and tombstone flags of workload records, which real records carry in their bytes.

    kafkasim keeps them once, in each producer's record book (sim/clients/book.py), and
    batches refer to them by producer and sequence. Brokers read them to compact a log,
    consumers to route records to their workers. Key ids are run-wide: the same key
    string has the same id whichever producer wrote it.
    """

    def __init__(self) -> None:
        self.producers: list = []
        self._key_ids: dict[int, np.ndarray] = {}
        self._registry: dict[str, int] = {}

    def book(self, producer: int):
        """A producer's record book and the partition indexes it is laid out by."""
        p = self.producers[producer]
        return p.book, p.pidxs

    def key_ids(self, producer: int) -> np.ndarray:
        """Run-wide ids of a producer's key indexes."""
        ids = self._key_ids.get(producer)
        if ids is None:
            registry = self._registry
            names = self.producers[producer].key_names
            ids = self._key_ids[producer] = np.array(
                [registry.setdefault(name, len(registry)) for name in names], np.int64)
        return ids


@dataclass(frozen=True)
class BrokerContext:
    """A broker: its settings and group settings, the topology, ids, record contents."""

    runtime: Runtime
    settings: object                      # BrokerSettings
    config: dict                          # cluster.config (the group coordinator's settings)
    topology: object
    ids: Ids
    contents: RecordContents
    group_records: object                 # the group log's record store (group_log.py)
    producer_names: list = field(default_factory=list)


@dataclass(frozen=True)
class ControllerContext:
    """The controller: broker settings, the topology it was created with."""

    runtime: Runtime
    settings: object
    topology: object


@dataclass(frozen=True)
class ClientContext:
    """A producer, consumer member or admin client.

    `protocol` holds the release's behaviour switches, `features` the cluster's finalized
    feature levels (ApiVersions); a consumer member also reads
    record contents, the poison windows and dead-letter numbers, and the admin the
    groups' topics.
    """

    runtime: Runtime
    topology: object
    protocol: dict
    ids: Ids
    contents: RecordContents
    poison: object = None
    groups: dict = field(default_factory=dict)
    features: dict = field(default_factory=dict)     # cluster.features (finalized)
