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

`clusters()` draws a cluster and one replicated topic, `workloads()` a
producer (and optionally a consumer group) for it, `fault_schedules()` a
timed list of faults on role targets (`leader(T/P)`, `follower(T/P)`,
`any-broker`, ...), resolved when each fires; with `max_faulty` = k at most
k brokers are ever targeted by host faults and network cuts, the fault
class in which Kafka promises no loss when k < min.insync.replicas.
"""

from hypothesis import strategies as st

TOPIC = "orders"
HOST_FAULTS = ("crash", "stop", "power_loss", "pause")
NETWORK_FAULTS = ("isolate", "cut-from-controller")


def _or(strategy, default):
    return default if strategy is None else strategy


@st.composite
def clusters(draw, brokers=None, partitions=None, unclean=None, elr=None) -> dict:
    """`cluster:` and `topics:` for one topic with replication factor 3 (each argument a
    strategy: 3-4 brokers, 1-3 partitions, unclean election off, ELR 0 or 1 by default)."""
    brokers = _or(brokers, st.integers(3, 4))
    partitions = _or(partitions, st.integers(1, 3))
    unclean = _or(unclean, st.just(False))
    elr = _or(elr, st.integers(0, 1))
    return {
        "cluster": {"brokers": draw(brokers),
                    "features": {"eligible.leader.replicas.version": draw(elr)},
                    "config": {"unclean.leader.election.enable": draw(unclean)}},
        "topics": {TOPIC: {"partitions": draw(partitions), "replication.factor": 3}},
    }


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


def _targets(brokers: int, partitions: int, max_faulty: int | None):
    fixed = [f"broker-{b}" for b in range(brokers if max_faulty is None else max_faulty)]
    if max_faulty is not None:
        return st.sampled_from(fixed)
    roles = [f"{role}({TOPIC}/{p})" for p in range(partitions) for role in ("leader", "follower")]
    return st.sampled_from(fixed + roles + ["any-broker"])


@st.composite
def fault_schedules(draw, duration_s: int = 20, brokers: int = 3, partitions: int = 1,
                    max_faults: int = 3, max_faulty: int | None = None) -> list:
    """A timeline of host and network faults inside [1 s, duration).

    With `max_faulty` = k only brokers 0..k-1 are targeted, so at most k brokers
    are ever faulty (roles could name any broker, so they are left out then).
    """
    timeline = []
    targets = _targets(brokers, partitions, max_faulty)
    for _ in range(draw(st.integers(0, max_faults))):
        at = draw(st.integers(1, duration_s - 1))
        kind = draw(st.sampled_from(HOST_FAULTS + NETWORK_FAULTS))
        target = draw(targets)
        length = draw(st.integers(1, duration_s))
        if kind in ("crash", "stop", "power_loss"):
            timeline.append({"at": f"{at}s", kind: target})
            back = min(at + length, duration_s - 1)
            if back > at:
                timeline.append({"at": f"{back}s", "restart": target})
        elif kind == "cut-from-controller":
            timeline.append({"at": f"{at}s", "partition": [[target], ["controller"]],
                             "for": f"{length}s"})
        else:
            timeline.append({"at": f"{at}s", kind: target, "for": f"{length}s"})
    return sorted(timeline, key=lambda e: int(e["at"][:-1]))


@st.composite
def scenarios(draw, acks: str | None = None, min_insync: int | None = None,
              unclean: bool | None = None, max_faulty: int | None = None,
              duration_s: int = 20, groups: bool | None = None) -> dict:
    """A whole scenario: cluster, topic, workload and faults; pin what the property needs."""
    cluster = draw(clusters(unclean=st.just(unclean) if unclean is not None else st.booleans()))
    min_isr = min_insync if min_insync is not None else draw(st.integers(1, 3))
    cluster["topics"][TOPIC]["config"] = {"min.insync.replicas": min_isr}
    work = draw(workloads(acks=st.just(acks) if acks else st.sampled_from(["1", "all"]),
                          groups=st.just(groups) if groups is not None else st.booleans()))
    timeline = draw(fault_schedules(duration_s, cluster["cluster"]["brokers"],
                                    cluster["topics"][TOPIC]["partitions"],
                                    max_faulty=max_faulty))
    return {"name": "drawn", "seed": draw(st.integers(0, 2**16)), "duration": f"{duration_s}s",
            "drain": "40s", **cluster, **work, "timeline": timeline}
