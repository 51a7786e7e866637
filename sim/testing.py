"""Hypothesis strategies for kafkasim scenarios, for your own property tests.

Each strategy draws plain scenario data (the dicts a YAML file holds), so a
failing example prints as a scenario you can paste into a file, and
Hypothesis shrinks it to a smaller cluster, fewer records and fewer faults.

    from hypothesis import given, settings
    import sim
    from sim.testing import scenarios

    @settings(deadline=None, max_examples=20)
    @given(scenarios(acks="all", min_insync=2, max_faulty=1))
    def test_one_broker_failure_loses_nothing(raw):
        assert sim.run(sim.scenario.from_dict(raw)).summary["lost"] == 0

`clusters()` draws a cluster and one replicated topic, `networks()` a
`cluster.network` with a latency distribution, `workloads()` a producer (and
optionally a consumer group) for it, `fault_schedules()` a timed list of
faults on role targets (`leader(T/P)`, `follower(T/P)`, `coordinator(G)`,
`any-broker`, `rack(NAME)` given racks, ...), resolved when each fires, or on the targets
you name, and `exactly_once_scenarios()` transactions read with read_committed.
With `max_faulty` = k at most k brokers are ever targeted, the fault class
in which Kafka promises no loss when k < min.insync.replicas; with
`at_once` = k at most k brokers are faulty at the same time (what
`kafkasim explore --max-faulty` draws).
"""

from hypothesis import strategies as st

from sim.scenario.fault_kinds import INSTANT, KINDS

TOPIC = "orders"
OUTPUT = "orders-out"           # exactly_once_scenarios' output topic
# The faults explore draws, by the names of the kinds' `explore` field in fault_kinds.py, in
# the order Hypothesis draws from: a new order would change every seeded search.
HOST_FAULTS = ("crash", "stop", "power_loss", "pause")
NETWORK_FAULTS = ("isolate", "cut-from-controller")
SLOW_FAULTS = ("slow_disk", "degrade")
ALL_FAULTS = HOST_FAULTS + NETWORK_FAULTS + SLOW_FAULTS
DRAWN = {kind.explore: kind for kind in KINDS.values() if kind.explore}
NOT_FAULTY = ("degrade",)        # a slow link leaves both brokers up (docs/cli.md#explore)
STEP_MS = 100
BROKER_TARGETS = ("broker-", "leader(", "follower(", "followers(", "coordinator(", "any-broker",
                  "all-brokers", "rack(")


def _or(strategy, default):
    return default if strategy is None else strategy


@st.composite
def networks(draw) -> dict:
    """A `cluster.network`: latency a constant, a log-normal `{median, p99}` or an
    exponential `{mean, dist: exp}`, with or without connection resets."""
    latency = draw(st.sampled_from(["1ms", {"median": "5ms", "p99": "20ms"},
                                    {"median": "1ms", "p99": "50ms"},
                                    {"mean": "2ms", "dist": "exp"}]))
    return {"latency": latency, "resets": draw(st.sampled_from([0.0, 0.001]))}


@st.composite
def clusters(draw, brokers=None, partitions=None, unclean=None, elr=None,
             network=None) -> dict:
    """`cluster:` and `topics:` for one topic with replication factor 3 (each argument a
    strategy: 3-4 brokers, 1-3 partitions, unclean election off, ELR 0 or 1 by default;
    `network`, e.g. `networks()`, adds a `cluster.network`, none by default)."""
    brokers = _or(brokers, st.integers(3, 4))
    partitions = _or(partitions, st.integers(1, 3))
    unclean = _or(unclean, st.just(False))
    elr = _or(elr, st.integers(0, 1))
    cluster = {"brokers": draw(brokers),
               "features": {"eligible.leader.replicas.version": draw(elr)},
               "config": {"unclean.leader.election.enable": draw(unclean)}}
    if network is not None:
        cluster["network"] = draw(network)
    return {"cluster": cluster,
            "topics": {TOPIC: {"partitions": draw(partitions), "replication.factor": 3}}}


@st.composite
def workloads(draw, acks=None, rate=None, keys=None, idempotent=None, groups=None) -> dict:
    """`producers:` (and maybe `consumers:`) writing to and reading the drawn topic (each
    argument a strategy: acks 1 or all, 100-500 records/s, 1-100 keys by default)."""
    acks_value = draw(_or(acks, st.sampled_from(["1", "all"])))
    rate, keys = _or(rate, st.integers(100, 500)), _or(keys, st.integers(1, 100))
    idempotent, groups = _or(idempotent, st.booleans()), _or(groups, st.booleans())
    out = {"producers": {"checkout": {
        "topic": TOPIC, "rate": f"{draw(rate)}/s", "keys": draw(keys),
        "config": {"acks": acks_value,
                   "enable.idempotence": draw(idempotent) and acks_value == "all"}}}}
    if draw(groups):
        out["consumers"] = {"billing": {
            "topic": TOPIC, "members": draw(st.integers(1, 3)), "processing": "200us",
            "commit": draw(st.sampled_from(["after-processing", "auto"])),
            "config": {"auto.offset.reset": "earliest"}}}
    return out


def _targets(brokers: int, topics: dict, groups, max_faulty: int | None,
             at_once: int | None, named: tuple | None, racks: dict) -> list:
    if named is not None:
        return [t for t in named if at_once is None or _weight(t, brokers, racks) <= at_once]
    if max_faulty is not None:
        return [f"broker-{b}" for b in range(max_faulty)]
    roles = [f"{role}({topic}/{p})" for topic, count in topics.items()
             for p in range(count) for role in ("leader", "follower")]
    roles += [f"coordinator({group})" for group in groups]
    several = [[f"leader({topic}/{p})", f"follower({topic}/{p})"]
               for topic, count in topics.items() for p in range(count)] + ["all-brokers"]
    several += [f"rack({name})" for name in racks]
    named = roles + [f"broker-{b}" for b in range(brokers)] + ["any-broker"] + several
    return [t for t in named if at_once is None or _weight(t, brokers, racks) <= at_once]


def _on_brokers(target) -> bool:
    """Does a target name brokers only (not a client, which has no disk to slow)?"""
    if isinstance(target, list):
        return all(_on_brokers(t) for t in target)
    return target.startswith(BROKER_TARGETS)


def _weight(target, brokers: int, racks: dict) -> int:
    """How many brokers a target names at most (`racks`: rack name -> its broker count)."""
    if isinstance(target, list):
        return len(target)
    if target.startswith("rack("):
        return racks[target[len("rack("):-1]]
    return brokers if target == "all-brokers" else 1


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g}s"


def _busiest(windows: list, start: int, end: int) -> int:
    """How many brokers `windows` (start, end, weight) hold faulty at the busiest instant
    of [start, end)."""
    points = [start] + [s for s, _e, _w in windows if start <= s < end]
    return max(sum(w for s, e, w in windows if s <= p < e) for p in points)


def _entry(draw, kind: str, target, at: int, end: int, duration_ms: int, others) -> dict:
    entry = {"at": _seconds(at)}
    target = list(target) if isinstance(target, list) else target     # no YAML aliases
    if kind == "cut-from-controller":
        entry["partition"] = [target if isinstance(target, list) else [target], ["controller"]]
    elif kind == "degrade":
        peer = draw(st.sampled_from([o for o in others if o != target] + ["controller"]))
        entry["degrade"] = {"between": [target, peer],
                            "latency": f"{draw(st.sampled_from([20, 200, 2000]))}ms",
                            "loss": draw(st.sampled_from([0.0, 0.01, 0.2]))}
    else:
        entry[kind] = target
    if kind == "slow_disk":
        entry["factor"] = draw(st.sampled_from([10, 100, 1000]))
    if end < duration_ms:
        entry["for"] = _seconds(end - at)
    return entry


@st.composite
def fault_schedules(draw, duration_s: int = 20, brokers: int = 3, partitions: int = 1,
                    max_faults: int = 3, max_faulty: int | None = None,
                    at_once: int | None = None, topics: dict | None = None,
                    groups: tuple = (), kinds: tuple = HOST_FAULTS + NETWORK_FAULTS,
                    targets: tuple | None = None, racks: dict | None = None) -> list:
    """A timeline of broker faults inside [1 s, duration), in steps of 100 ms.

    Each fault lasts a drawn time (`for:`; a crash, stop or power loss then restarts the
    broker it took down) or until the drain. Two ways to bound how many brokers fail:

    - `max_faulty` = k: only brokers 0..k-1 are ever targeted (roles could name any
      broker, so they are left out), the class Kafka's durability promise is stated for;
    - `at_once` = k: at most k faults overlap in time, on any target, roles included
      (`leader(T/P)`, `follower(T/P)`, `coordinator(G)`, `any-broker`); each names one
      broker, and targets naming several (`[leader(T/P), follower(T/P)]`, `all-brokers`)
      count as many, so at most k brokers are faulty at the same time. Slow links
      (`degrade`) leave both ends up and are not counted.

    `topics` maps topic names to partition counts for the roles (default: the one topic
    of `clusters()` with `partitions`); `kinds` picks from ALL_FAULTS. `targets` names the
    target expressions to draw from instead (say `("coordinator(billing)", "any-broker")`
    to aim at a group's coordinator); `at_once` still bounds them. `racks` (rack name ->
    its broker count, the scenario's `cluster.racks`) adds `rack(NAME)` targets, each as
    heavy as its brokers.
    """
    topics = topics if topics is not None else {TOPIC: partitions}
    racks = racks or {}
    targets = _targets(brokers, topics, groups, max_faulty, at_once, targets, racks)
    singles = [t for t in targets if _weight(t, brokers, racks) == 1]
    several = [t for t in targets if _weight(t, brokers, racks) > 1]
    either = st.sampled_from(singles) | st.sampled_from(several) if several else \
        st.sampled_from(singles)
    duration_ms = duration_s * 1000
    last_step = max(duration_ms // STEP_MS - 1, 10)
    timeline, windows = [], []
    for _ in range(draw(st.integers(0, max_faults))):
        at = draw(st.integers(10, last_step)) * STEP_MS
        kind = draw(st.sampled_from(kinds))
        target = draw(either if kind != "degrade" else st.sampled_from(singles))
        if DRAWN[kind].targets == ("broker",) and not _on_brokers(target):
            continue
        end = min(at + draw(st.integers(1, last_step + 1)) * STEP_MS, duration_ms)
        weight = 0 if kind in NOT_FAULTY else _weight(target, brokers, racks)
        if at_once is not None and weight and _busiest(windows, at, end) + weight > at_once:
            continue
        windows.append((at, end, weight))
        timeline.append(_entry(draw, kind, target, at, end, duration_ms, singles))
    return sorted(timeline, key=lambda e: float(e["at"][:-1]))


@st.composite
def scenarios(draw, acks: str | None = None, min_insync: int | None = None,
              unclean: bool | None = None, max_faulty: int | None = None,
              at_once: int | None = None, duration_s: int = 20, groups: bool | None = None,
              elr: int | None = None, kinds: tuple = ALL_FAULTS, network=None,
              targets: tuple | None = None, drain_s: int = 40) -> dict:
    """A whole scenario: cluster, topic, workload and faults; pin what the property needs
    (`network` a strategy such as `networks()`, `targets` as in `fault_schedules`)."""
    cluster = draw(clusters(unclean=st.just(unclean) if unclean is not None else st.booleans(),
                            elr=st.just(elr) if elr is not None else None, network=network))
    min_isr = min_insync if min_insync is not None else draw(st.integers(1, 3))
    cluster["topics"][TOPIC]["config"] = {"min.insync.replicas": min_isr}
    work = draw(workloads(acks=st.just(acks) if acks else st.sampled_from(["1", "all"]),
                          groups=st.just(groups) if groups is not None else st.booleans()))
    timeline = draw(fault_schedules(duration_s, cluster["cluster"]["brokers"],
                                    cluster["topics"][TOPIC]["partitions"],
                                    max_faulty=max_faulty, at_once=at_once,
                                    groups=tuple(work.get("consumers", ())), kinds=kinds,
                                    targets=targets))
    return {"name": "drawn", "seed": draw(st.integers(0, 2**16)), "duration": f"{duration_s}s",
            "drain": f"{drain_s}s", **cluster, **work, "timeline": timeline}


@st.composite
def exactly_once_scenarios(draw, version: str | None = None, max_faulty: int = 1,
                           duration_s: int = 20, drain_s: int = 40) -> dict:
    """The setting Kafka's exactly-once promise is stated for: a transactional producer
    (transactions of 5-50 records, some aborted by the application) at acks=all on a topic
    with replication factor 3, min.insync.replicas 2 and unclean election off, read by a
    read_committed consumer group that writes one output per input to `OUTPUT` in
    transactions with its offsets (consume-transform-produce, KIP-447), with faults on at
    most `max_faulty` brokers (crash, stop, power loss, pause, isolation, cut from the
    controller). `version` pins `cluster.version` (4.0 or 4.1 by default)."""
    cluster = draw(clusters(unclean=st.just(False)))
    cluster["cluster"]["version"] = version or draw(st.sampled_from(["4.0", "4.1"]))
    cluster["topics"][TOPIC]["config"] = {"min.insync.replicas": 2}
    producer = {"topic": TOPIC, "rate": f"{draw(st.integers(100, 500))}/s",
                "keys": draw(st.integers(1, 100)),
                "transactional": {"records": draw(st.integers(5, 50)),
                                  "abort": draw(st.sampled_from([0.0, 0.1, 0.3]))},
                "config": {"acks": "all"}}
    group = {"topic": TOPIC, "members": draw(st.integers(1, 3)), "processing": "200us",
             "config": {"isolation.level": "read_committed", "auto.offset.reset": "earliest"},
             "output": {"topic": OUTPUT, "transactional": True}}
    cluster["topics"][OUTPUT] = {"partitions": 3, "replication.factor": 3,
                                 "config": {"min.insync.replicas": 2}}
    timeline = draw(fault_schedules(duration_s, cluster["cluster"]["brokers"],
                                    cluster["topics"][TOPIC]["partitions"],
                                    max_faulty=max_faulty, groups=("billing",),
                                    kinds=HOST_FAULTS + NETWORK_FAULTS))
    return {"name": "drawn-exactly-once", "seed": draw(st.integers(0, 2**16)),
            "duration": f"{duration_s}s", "drain": f"{drain_s}s", **cluster,
            "producers": {"checkout": producer}, "consumers": {"billing": group},
            "timeline": timeline}


RELEASES = ("0.10", "0.11", "2.0", "2.8", "3.6", "3.7", "4.0", "4.1")
# The kinds any_scenarios draws (`fuzz` in fault_kinds.py), in the order Hypothesis draws from.
TIMELINE_ACTIONS = ("crash", "stop", "power_loss", "pause", "isolate", "slow_disk", "degrade",
                    "set_rate", "poison", "add_member", "remove_member", "reset_offsets", "slow",
                    "elect_leaders")


@st.composite
def _topic(draw, brokers: int) -> dict:
    rf = draw(st.integers(1, min(3, brokers)))
    config = {"min.insync.replicas": draw(st.integers(1, rf))}
    if draw(st.booleans()):
        config["cleanup.policy"] = draw(st.sampled_from(["delete", "compact", "compact,delete"]))
    if draw(st.booleans()):
        config["retention.ms"] = draw(st.sampled_from([2_000, 5_000, 60_000]))
        config["segment.ms"] = draw(st.sampled_from([500, 1_000]))
    if draw(st.booleans()):
        config["unclean.leader.election.enable"] = draw(st.booleans())
    return {"partitions": draw(st.integers(1, 4)), "replication.factor": rf, "config": config}


@st.composite
def _producer(draw, topics: list) -> dict:
    acks = draw(st.sampled_from(["0", "1", "all"]))
    config = {"acks": acks, "linger.ms": draw(st.sampled_from([0, 5, 50])),
              "enable.idempotence": acks == "all" and draw(st.booleans()),
              "retries": draw(st.sampled_from([0, 3, 2_147_483_647]))}
    if config["enable.idempotence"]:
        config["retries"] = 2_147_483_647
    return {"topic": draw(st.sampled_from(topics)), "rate": f"{draw(st.integers(0, 400))}/s",
            "keys": draw(st.sampled_from([None, 1, 20])),
            "tombstones": draw(st.sampled_from([0, 0.1])), "config": config}


@st.composite
def _group(draw, topics: list) -> dict:
    group = {"topic": draw(st.sampled_from(topics)), "members": draw(st.integers(1, 3)),
             "processing": draw(st.sampled_from(["50us", "2ms"])),
             "commit": draw(st.sampled_from(["after-processing", "before-processing", "auto"])),
             "config": {"auto.offset.reset": draw(st.sampled_from(["earliest", "latest"])),
                        "partition.assignment.strategy": draw(st.sampled_from(
                            ["range", "roundrobin", "sticky", "cooperative-sticky"])),
                        "max.poll.records": draw(st.sampled_from([10, 500]))}}
    if draw(st.booleans()):
        group["on_poison"] = {"retries": draw(st.integers(0, 2)),
                              "then": draw(st.sampled_from(["skip", "block"]))}
    return group


@st.composite
def _action(draw, duration_s: int, hosts: list, producers: list, groups: list,
            topics: list) -> dict:
    kind = draw(st.sampled_from(TIMELINE_ACTIONS))
    entry = {"at": _seconds(draw(st.integers(0, duration_s * 10 - 1)) * STEP_MS)}
    length = {"for": _seconds(draw(st.integers(1, duration_s * 10)) * STEP_MS)}
    processes = [h for h in hosts if h != "controller"]
    if kind in ("crash", "stop", "power_loss", "pause", "isolate"):
        targets = hosts if "controller" in KINDS[kind].targets else processes
        entry[kind] = draw(st.sampled_from(targets))
    elif kind == "slow_disk":
        brokers = [h for h in hosts if h.startswith(("broker-", "leader(", "any-broker"))]
        entry.update({kind: draw(st.sampled_from(brokers)), "factor": 100})
    elif kind == "degrade":
        a, b = draw(st.lists(st.sampled_from(hosts), min_size=2, max_size=2, unique=True))
        entry[kind] = {"between": [a, b], "latency": "50ms", "loss": 0.05}
    elif kind == "set_rate" and producers:
        entry[kind] = {"producer": draw(st.sampled_from(producers)),
                       "rate": f"{draw(st.integers(0, 400))}/s"}
    elif kind == "poison":
        entry[kind] = {"topic": draw(st.sampled_from(topics)), "rate": 0.01}
    elif kind in ("add_member", "remove_member") and groups:
        entry[kind] = draw(st.sampled_from(groups))
    elif kind == "reset_offsets" and groups:
        entry[kind] = {"group": draw(st.sampled_from(groups)),
                       "to": draw(st.sampled_from(["earliest", "latest"]))}
    elif kind == "elect_leaders":
        entry[kind] = {"type": draw(st.sampled_from(["preferred", "unclean"])),
                       "topic": draw(st.sampled_from(topics))}
    elif kind == "slow" and groups:
        entry.update({kind: f"{draw(st.sampled_from(groups))}-0", "processing": "5ms"})
    else:
        kind = "pause"          # the workload has no producer or group to act on
        entry[kind] = draw(st.sampled_from(processes))
    if KINDS[kind].lifetime != INSTANT:
        entry.update(length)
    return entry


@st.composite
def any_scenarios(draw, duration_s: int = 10) -> dict:
    """Any valid scenario within small limits, for fuzzing the simulator: 1-5 brokers, any
    release, 1-3 topics (any RF, min ISR, retention, compaction), producers with any acks,
    consumer groups with any commit mode, assignor and poison handling, and a timeline of
    faults on brokers, the controller, producers and members, and workload actions."""
    brokers = draw(st.integers(1, 5))
    topics = {f"t{i}": draw(_topic(brokers)) for i in range(draw(st.integers(1, 3)))}
    names = list(topics)
    producers = {f"p{i}": draw(_producer(names)) for i in range(draw(st.integers(1, 3)))}
    for p in producers.values():
        if "compact" in topics[p["topic"]]["config"].get("cleanup.policy", "") \
                and p["keys"] is None:
            p["keys"] = 20              # Kafka refuses keyless records on a compacted topic
    groups = {f"g{i}": draw(_group(names)) for i in range(draw(st.integers(0, 2)))}
    hosts = [f"broker-{b}" for b in range(brokers)] + ["controller", *producers]
    hosts += [f"{g}-0" for g in groups] + [f"leader({names[0]}/0)", "any-broker"]
    timeline = [draw(_action(duration_s, hosts, list(producers), list(groups), names))
                for _ in range(draw(st.integers(0, 5)))]
    timeline.sort(key=lambda e: float(e["at"][:-1]))
    return {"name": "fuzzed", "seed": draw(st.integers(0, 2**16)), "duration": f"{duration_s}s",
            "drain": "30s",
            "cluster": {"brokers": brokers, "version": draw(st.sampled_from(RELEASES)),
                        "config": {"offsets.topic.replication.factor": min(3, brokers)}},
            "topics": topics, "producers": producers, "consumers": groups,
            "timeline": timeline}
