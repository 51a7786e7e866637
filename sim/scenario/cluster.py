"""`cluster:` -> `Cluster`: brokers, the Kafka release, features, protocol switches, broker
config, network, disk, per-host NIC and disk limits, client quotas (quotas.py).

The release (`version`, a quoted string; default the newest modeled one) decides every
default. Broker rule Kafka enforces at startup: `replica.fetch.wait.max.ms` <=
`replica.lag.time.max.ms`. Defaults (docs/scenario.md#cluster): network `{latency: 1ms, loss: 0,
resets: 0}` with no `bandwidth` (unlimited), disk `{write: 20us, fsync: 2ms,
os_flush_interval: 30s}` with no `throughput` (unlimited). `hosts: {NAME: {network: {bandwidth},
disk: {throughput}}}` overrides them for one host; its names are checked against the scenario's
hosts once the clients are read (build.py). `racks: {NAME: [broker ids]}` is each broker's
`broker.rack`: given at all, every broker is in exactly one rack (as Kafka's rack-aware
assignment requires of a cluster whose brokers have racks). Not modeled here: per-broker
config overrides. `controllers: N` (1 to 9): N dedicated KRaft controllers `controller-0 ..
N-1` running Raft (sim/cluster/quorum.py); omitted, the one logical `controller` host stands
for a quorum that never fails (host faults are refused on it), as before.
"""

from __future__ import annotations

from dataclasses import replace

from sim.scenario.config import read_config
from sim.scenario.dists import parse_dist
from sim.scenario.errors import Invalid, Path, choices, closest, describe, quote
from sim.scenario.fields import MISSING, Ctx, check_keys, integer, mapping
from sim.scenario.quotas import build_quotas
from sim.scenario.schema import CLUSTER, DISK, HOST, NETWORK
from sim.scenario.shapes import fields
from sim.scenario.spec import Cluster, Disk, Dist, FrozenMap, HostLimits, Network
from sim.scenario.units import parse_bandwidth, parse_duration, parse_probability
from sim.scenario.versions import KNOWN_VERSIONS, NEWEST

MAX_BROKERS = 100
MAX_CONTROLLERS = 9
KRAFT_SINCE = (3, 3)             # releases before are modeled in ZooKeeper mode (versions.py)
DEFAULT_DISK = {"write": "20us", "fsync": "2ms", "os_flush_interval": "30s"}


def build_cluster(raw: object, ctx: Ctx) -> tuple[Cluster, Ctx]:
    """Read `cluster:`; return the spec and the context with the chosen release."""
    path = ("cluster",)
    block = mapping(raw, path, "a mapping with brokers, version, config, ...", optional=False)
    check_keys(block, path, fields(CLUSTER), required=("brokers",))
    brokers = integer(block["brokers"], path + ("brokers",), 1, MAX_BROKERS, "a number of brokers")
    ctx = replace(ctx, version=read_version(block.get("version", MISSING), path + ("version",)))
    features = read_config("feature", block.get("features"), path + ("features",), ctx).freeze()
    protocol = read_config("protocol", block.get("protocol"), path + ("protocol",), ctx).freeze()
    config = read_config("broker", block.get("config"), path + ("config",), ctx)
    _broker_rules(config.values, path + ("config",))
    cluster = Cluster(
        brokers=brokers,
        version=ctx.version,
        features=features,
        config=config.freeze(),
        network=_network(block.get("network"), path),
        disk=_disk(block.get("disk"), path),
        protocol=protocol,
        quotas=build_quotas(block.get("quotas"), path),
        hosts=_hosts(block.get("hosts"), path),
        racks=_racks(block.get("racks"), path, brokers),
        controllers=_controllers(block.get("controllers", MISSING), path + ("controllers",),
                                 ctx.version),
    )
    return cluster, ctx


def _controllers(value: object, path: Path, version: str) -> int:
    """`controllers: N`: N dedicated KRaft controllers (controller-0 .. N-1) running Raft;
    omitted, the one logical `controller` host stands for the quorum. KRaft releases only."""
    if value is MISSING:
        return 0
    if tuple(int(x) for x in version.split(".")) < KRAFT_SINCE:
        raise Invalid(path, "no controllers for a ZooKeeper-era release (before 3.3)",
                      f"controllers with version {version}",
                      "A KRaft quorum needs version 3.3 or later.")
    return integer(value, path, 1, MAX_CONTROLLERS, "a number of controllers")


def read_version(value: object, path: Path) -> str:
    """The Kafka release: a quoted string naming a modeled release."""
    known = f"one of {choices(KNOWN_VERSIONS)}"
    if value is MISSING:
        return NEWEST
    if isinstance(value, float) and repr(value) in KNOWN_VERSIONS:
        return repr(value)  # unambiguous: 4.1 can only mean "4.1"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise Invalid(
            path,
            f"a quoted release string ({known})",
            f"the number {describe(value)}",
            'Quote it: YAML reads an unquoted 0.10 as the number 0.1; write version: "0.10".',
        )
    if not isinstance(value, str) or value not in KNOWN_VERSIONS:
        found = quote(value) if isinstance(value, str) else describe(value)
        raise Invalid(path, f"a modeled Kafka release ({known})", found)
    return value


def _broker_rules(values: dict, path: Path) -> None:
    wait, lag = values["replica.fetch.wait.max.ms"], values["replica.lag.time.max.ms"]
    if wait > lag:
        raise Invalid(
            path + ("replica.fetch.wait.max.ms",),
            f"at most replica.lag.time.max.ms ({lag})",
            describe(wait),
            "Kafka refuses this to prevent frequent changes in the ISR.",
        )


def _network(raw: object, parent: Path) -> Network:
    path = parent + ("network",)
    block = mapping(raw, path)
    check_keys(block, path, fields(NETWORK))
    latency = Dist(kind="constant", value_us=1_000)
    if "latency" in block:
        latency = parse_dist(block["latency"], path + ("latency",))
    return Network(
        latency=latency,
        loss=parse_probability(block.get("loss", 0), path + ("loss",), upper_open=True),
        resets=parse_probability(block.get("resets", 0), path + ("resets",)),
        bandwidth=_maybe_bandwidth(block, "bandwidth", path),
    )


def _maybe_bandwidth(block: dict, key: str, path: Path) -> int:
    """A `<size>/s` field in bytes per second, 0 (unlimited) when omitted."""
    return parse_bandwidth(block[key], path + (key,)) if key in block else 0


def _disk(raw: object, parent: Path) -> Disk:
    path = parent + ("disk",)
    block = mapping(raw, path)
    check_keys(block, path, fields(DISK))
    times = {
        key: parse_duration(block.get(key, default), path + (key,))
        for key, default in DEFAULT_DISK.items()
    }
    if times["os_flush_interval"] < 1:
        raise Invalid(path + ("os_flush_interval",), "a duration of at least 1us", "0s")
    return Disk(
        write_us=times["write"],
        fsync_us=times["fsync"],
        os_flush_interval_us=times["os_flush_interval"],
        throughput=_maybe_bandwidth(block, "throughput", path),
    )


def _hosts(raw: object, parent: Path) -> FrozenMap:
    """`cluster.hosts`: per-host NIC bandwidth and disk throughput (names checked in build.py)."""
    path = parent + ("hosts",)
    block = mapping(raw, path, "a mapping of host names to {network: {bandwidth}, "
                               "disk: {throughput}}")
    limits = {}
    for name, value in block.items():
        where = path + (name,)
        entry = mapping(value, where, "a mapping with network and/or disk", optional=False)
        check_keys(entry, where, fields(HOST))
        net = mapping(entry.get("network"), where + ("network",), "a mapping {bandwidth: ...}")
        check_keys(net, where + ("network",), fields(HOST.fields["network"]))
        disk = mapping(entry.get("disk"), where + ("disk",), "a mapping {throughput: ...}")
        check_keys(disk, where + ("disk",), fields(HOST.fields["disk"]))
        limits[name] = HostLimits(
            bandwidth=_maybe_bandwidth(net, "bandwidth", where + ("network",)),
            throughput=_maybe_bandwidth(disk, "throughput", where + ("disk",)),
        )
    return FrozenMap(limits)


def _racks(raw: object, parent: Path, brokers: int) -> FrozenMap:
    """`cluster.racks`: rack name -> the ids of its brokers (their `broker.rack`)."""
    path = parent + ("racks",)
    block = mapping(raw, path, "a mapping of rack names to lists of broker ids")
    rack_of: dict[int, str] = {}
    racks = {}
    for name, ids in block.items():
        where = path + (name,)
        if not isinstance(ids, list) or not ids:
            raise Invalid(where, "a non-empty list of broker ids", describe(ids))
        for i, broker in enumerate(ids):
            broker = integer(broker, where + (str(i),), 0, brokers - 1, "a broker id")
            if broker in rack_of:
                raise Invalid(where + (str(i),), "a broker in one rack only",
                              f"broker {broker}, already in rack {quote(rack_of[broker])}")
            rack_of[broker] = name
        racks[name] = tuple(ids)
    missing = [b for b in range(brokers) if b not in rack_of]
    if racks and missing:
        raise Invalid(path, "every broker in a rack (Kafka's rack-aware assignment needs "
                            "all brokers or none to have a rack)",
                      f"no rack for broker {', '.join(map(str, missing))}")
    return FrozenMap(racks)


def check_host_names(cluster: Cluster, names: list[str]) -> None:
    """Each `cluster.hosts` entry names a host of the scenario (broker-N, controller, a
    producer, a consumer member <group>-<i>); only a broker's may give a disk throughput."""
    for name, limit in cluster.hosts.items():
        if name not in names:
            raise Invalid(("cluster", "hosts", name),
                          "a host of the scenario (broker-N, controller, a producer or "
                          "<group>-<i>)", quote(name), closest(name, names))
        if limit.throughput and not name.startswith("broker-"):
            raise Invalid(("cluster", "hosts", name, "disk"), "a disk for brokers only",
                          f"a disk throughput for {quote(name)}",
                          "Only brokers write logs; give this host a network bandwidth.")
