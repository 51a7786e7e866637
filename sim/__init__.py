"""kafkasim: a deterministic simulator of Apache Kafka clusters.

    import sim
    scenario = sim.load("scenarios/quickstart.yaml")
    result = sim.run(scenario, seed=7)
    result.summary["lost"], result.records.head()
    df = sim.sweep("scenarios/quickstart.yaml", seeds=10, sets=["cluster.brokers=3,5"])
"""

__version__ = "0.1.0"

from sim.result import Result  # noqa: E402
from sim.runner import run  # noqa: E402
from sim.scenario import Scenario, ScenarioError, load, loads  # noqa: E402

__all__ = ["load", "loads", "run", "sweep", "Scenario", "ScenarioError", "Result", "__version__"]


def __getattr__(name: str):
    """`sim.sweep` and `sim.plots` on first use: a plain run needs neither pandas nor Dask."""
    if name == "sweep":
        from sim.sweep import sweep
        globals()["sweep"] = sweep   # importing sim.sweep bound the module to this name
        return sweep
    if name == "plots":
        import sim.plots
        return sim.plots
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
