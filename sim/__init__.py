"""kafkasim: a deterministic simulator of Apache Kafka clusters.

    import sim
    scenario = sim.load("scenarios/quickstart.yaml")
    result = sim.run(scenario, seed=7)
    result.summary["lost"], result.records.head()
"""

__version__ = "0.1.0"

from sim.result import Result  # noqa: E402
from sim.runner import run  # noqa: E402
from sim.scenario import Scenario, ScenarioError, load, loads  # noqa: E402

__all__ = ["load", "loads", "run", "Scenario", "ScenarioError", "Result", "__version__"]
