"""conductor: simulate and compare how an IT organisation sources its service components.

The Python API mirrors the command line::

    import conductor
    scenario = conductor.load_scenario("scenarios/checkout.yaml")
    result = conductor.run(scenario, "build", replications=5)
    result.to_dict()["summary"]["latency_s"]["p99"]
    both = conductor.compare(scenario, ["build", "buy"], replications=5)
    both.differences["buy"]["cost_total"]  # paired change against the baseline
"""

__version__ = "0.1.0"

from conductor.errors import ConductorError, ScenarioError
from conductor.experiments.compare import CompareResult, compare
from conductor.experiments.run import load_scenario, run
from conductor.metrics.results import RunResult

__all__ = [
    "CompareResult",
    "ConductorError",
    "RunResult",
    "ScenarioError",
    "__version__",
    "compare",
    "load_scenario",
    "run",
]
