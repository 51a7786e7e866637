"""The validated scenario: a frozen tree of records that every layer of the simulator reads.

Times are integer microseconds (`_us`), sizes integer bytes, rates float records (or events,
for producers with `steps`) per second, probabilities floats in [0, 1]. Mappings keep file
order and are immutable (`FrozenMap`); everything pickles, so a sweep can ship a scenario to
other processes. Kafka properties stay under their Kafka names and units in `Config`
(convert with `Config.us("linger.ms")`). Built only by `sim.scenario.build`; nothing here
validates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.properties import PROPERTIES


class FrozenMap(Mapping):
    """An immutable, ordered, hashable, picklable mapping."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | tuple = ()) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        return (type(self), (self._data,))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


class Config(FrozenMap):
    """Every modeled Kafka property of one scope, typed and normalized, with its source.

    Sources: `default 4.1`, `scenario`, `--set`, `cluster log.retention.ms` (a topic value
    inherited from the cluster-wide default) or `adjusted (...)` when Kafka itself would
    change the value (idempotence disabled, delivery timeout raised).
    """

    __slots__ = ("scope", "_sources", "ignored")

    def __init__(
        self, scope: str, values: Mapping, sources: Mapping, ignored: tuple[str, ...] = ()
    ) -> None:
        super().__init__(values)
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "_sources", dict(sources))
        object.__setattr__(self, "ignored", tuple(ignored))

    def source(self, name: str) -> str:
        """Where the value of `name` came from."""
        return self._sources[name]

    def us(self, name: str) -> int:
        """The value of a `*.ms` property in integer microseconds."""
        if PROPERTIES[self.scope][name].unit != "ms":
            raise KeyError(f"{name} is not a duration in ms")
        return int(self[name]) * 1_000

    def __reduce__(self):
        return (Config, (self.scope, self._data, self._sources, self.ignored))

    def __repr__(self) -> str:
        return f"Config({self.scope!r}, {self._data!r})"


_FROZEN = {"frozen": True, "slots": True, "kw_only": True}


@dataclass(**_FROZEN)
class Dist:
    """A time distribution: constant `value_us`, exponential `mean_us`, or lognormal median/p99."""

    kind: str  # constant | exp | lognormal
    value_us: int = 0
    mean_us: int = 0
    median_us: int = 0
    p99_us: int = 0


@dataclass(**_FROZEN)
class Network:
    latency: Dist
    loss: float
    resets: float
    bandwidth: int = 0          # bytes per second of each NIC direction, 0 = unlimited


@dataclass(**_FROZEN)
class Disk:
    write_us: int
    fsync_us: int
    os_flush_interval_us: int
    throughput: int = 0         # sequential write bytes per second, 0 = unlimited


@dataclass(**_FROZEN)
class Quotas:
    """Default client byte-rate quotas, bytes per second (None: no quota)."""
    producer_byte_rate: int | None = None
    consumer_byte_rate: int | None = None


@dataclass(**_FROZEN)
class Cluster:
    brokers: int
    version: str
    features: Config
    config: Config
    network: Network
    disk: Disk
    protocol: Config
    quotas: Quotas = Quotas()
    hosts: FrozenMap = FrozenMap()   # host name -> HostLimits (`cluster.hosts`)
    racks: FrozenMap = FrozenMap()   # rack name -> broker ids (`cluster.racks`, broker.rack)
    controllers: int = 0             # `cluster.controllers`: 0 = the one logical host

    def rack_of(self, broker: int) -> str | None:
        """The broker's `broker.rack`, None without racks."""
        for name, brokers in self.racks.items():
            if broker in brokers:
                return name
        return None


@dataclass(**_FROZEN)
class HostLimits:
    """One host's overrides of the cluster-wide NIC bandwidth and disk throughput (0 = inherit)."""

    bandwidth: int = 0
    throughput: int = 0


@dataclass(**_FROZEN)
class Topic:
    name: str
    partitions: int
    replication_factor: int
    assignment: tuple[tuple[int, ...], ...] | None  # None: placed on the racks at the start
    config: Config


@dataclass(**_FROZEN)
class Step:
    topic: str
    event: str
    after_us: int


@dataclass(**_FROZEN)
class Transactional:
    """The application's transactions: `records` records each, a fraction `abort` aborted."""
    records: int
    abort: float


@dataclass(**_FROZEN)
class Producer:
    name: str
    topic: str | None
    steps: tuple[Step, ...] | None
    rate: float
    keys: None | int | tuple[str, ...]
    value_size: int
    arrivals: str  # even | poisson
    tombstones: float
    config: Config
    compression: float = 1.0  # compressed / uncompressed record bytes (with compression.type)
    transactional: Transactional | None = None  # KIP-98 transactions, None: none


@dataclass(**_FROZEN)
class Poison:
    retries: int
    backoff_us: int
    then: str  # dlq | skip | block
    dlq_topic: str | None


@dataclass(**_FROZEN)
class Output:
    """A group's consume-transform-produce output: one record per input record to `topic`,
    by one producer per member with `config`; `transactional` (KIP-447) commits the group's
    offsets in each member's transactions."""
    topic: str
    transactional: bool
    config: Config


@dataclass(**_FROZEN)
class ConsumerGroup:
    name: str
    topics: tuple[str, ...]
    members: int
    processing: Dist
    commit: str  # after-processing | before-processing | auto
    virtual_partitions: int | None
    long_running: bool
    on_poison: Poison | None
    config: Config
    output: Output | None = None  # consume-transform-produce, None: the group writes nothing


@dataclass(**_FROZEN)
class Action:
    """One timeline entry; `target` holds target expressions resolved when the entry fires."""

    index: int
    at_us: int
    for_us: int | None
    kind: str
    target: tuple[str, ...]
    params: FrozenMap


@dataclass(**_FROZEN)
class Analysis:
    """How the summary measures what faults cost the clients (`analysis:`)."""

    stall_threshold_us: int = 1_000_000   # produce_stalled_s: a record waiting longer stalls
    warmup_us: int = 5_000_000            # the *_steady latencies leave out records sent before


@dataclass(**_FROZEN)
class Expectation:
    key: str
    op: str  # == < <= > >=
    value: float
    text: str


@dataclass(**_FROZEN)
class Scenario:
    """A validated scenario. `raw` is the JSON-serializable tree after `--set` overrides."""

    name: str
    description: str
    seed: int
    duration_us: int
    drain_us: int
    source: str
    raw: dict
    cluster: Cluster
    topics: FrozenMap  # name -> Topic
    producers: FrozenMap  # name -> Producer
    consumers: FrozenMap  # name -> ConsumerGroup
    timeline: tuple[Action, ...]
    expect: tuple[Expectation, ...]
    admin: Config | None = None  # `admin.config`: accepted Kafka admin names, none modeled
    overrides: tuple[str, ...] = ()  # the --set PATH=VALUE texts, as given
    set_paths: frozenset[str] = frozenset()  # dotted raw paths those overrides wrote
    analysis: Analysis = Analysis()
