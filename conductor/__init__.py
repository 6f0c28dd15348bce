"""conductor: simulate and compare how an IT organisation sources its service components.

The Python API mirrors the command line::

    import conductor
    scenario = conductor.load_scenario("scenarios/checkout.yaml")
    result = conductor.run(scenario, "build", replications=5)
    result.to_dict()["summary"]["latency_s"]["p99"]
"""

__version__ = "0.1.0"

from conductor.errors import ConductorError, ScenarioError
from conductor.experiments.run import load_scenario, run
from conductor.metrics.results import RunResult

__all__ = ["ConductorError", "RunResult", "ScenarioError", "__version__", "load_scenario", "run"]
