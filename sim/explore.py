"""Search for a fault schedule that breaks a scenario's expectations (`kafkasim explore`).

Hypothesis draws up to `budget` fault schedules (crashes, stops, power
losses, pauses, isolations, cuts from the controller, slow disks) on
brokers 0..K-1, so at most K brokers are ever faulty, replacing the
scenario's own timeline. The search is seeded by the scenario's seed, so
the same command explores the same schedules. When a schedule breaks an
expectation, Hypothesis shrinks it (fewer, shorter, later-starting faults)
and the smallest one found is returned as a runnable scenario.

Left out: faults on producers, consumers and the controller, and network
degradation; and broker choices beyond the first K (the class is "these K
brokers may fail", which is the class Kafka's promises are stated for).
"""

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from sim.runner import run
from sim.scenario import from_dict

KINDS = ("crash", "stop", "power_loss", "pause", "isolate", "cut-from-controller", "slow_disk")


@st.composite
def schedules(draw, duration_s: int, faulty: int, max_faults: int = 4) -> list:
    """A timeline of broker faults inside [0, duration) on brokers 0..faulty-1."""
    timeline = []
    targets = st.sampled_from([f"broker-{b}" for b in range(faulty)])
    for _ in range(draw(st.integers(1, max_faults))):
        at = draw(st.integers(0, max(duration_s - 1, 0)))
        kind = draw(st.sampled_from(KINDS))
        target = draw(targets)
        length = draw(st.integers(1, max(duration_s, 1)))
        if kind in ("crash", "stop", "power_loss"):
            timeline.append({"at": f"{at}s", kind: target})
            if at + length < duration_s:
                timeline.append({"at": f"{at + length}s", "restart": target})
        elif kind == "cut-from-controller":
            timeline.append({"at": f"{at}s", "partition": [[target], ["controller"]],
                             "for": f"{length}s"})
        elif kind == "slow_disk":
            timeline.append({"at": f"{at}s", "slow_disk": target, "factor": 100,
                             "for": f"{length}s"})
        else:
            timeline.append({"at": f"{at}s", kind: target, "for": f"{length}s"})
    return sorted(timeline, key=lambda e: int(e["at"][:-1]))


def explore(scenario, budget: int, max_faulty: int = 1) -> dict | None:
    """The smallest scenario (raw data) found that breaks an expectation, or None."""
    raw = scenario.raw
    duration_s = max(scenario.duration_us // 1_000_000, 1)
    faulty = min(max_faulty, scenario.cluster.brokers)
    broken: list = []

    @seed(scenario.seed)
    @settings(max_examples=budget, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.generate, Phase.shrink])
    @given(timeline=schedules(duration_s, faulty))
    def holds(timeline):
        candidate = dict(raw, timeline=timeline)
        summary = run(from_dict(candidate, scenario.source)).summary
        if not all(e["ok"] for e in summary["expect"]):
            broken.append(candidate)
            raise AssertionError("an expectation does not hold")

    try:
        holds()
    except AssertionError:
        return broken[-1]
    return None
