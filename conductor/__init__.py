"""conductor: simulate and compare how an IT organisation sources its service components.

The Python API mirrors the command line::

    import conductor
    scenario = conductor.load_scenario("scenarios/checkout.yaml")
    result = conductor.run(scenario, "build", replications=5)
    result.to_dict()["summary"]["latency_s"]["p99"]
    both = conductor.compare(scenario, ["build", "buy"], replications=5)
    both.differences["buy"]["cost_total"]  # paired change against the baseline
    grid = conductor.sweep("scenarios/checkout.yaml", ["flows.checkout.arrivals.rate=10:50:10"])
    grid.to_frame()
    found = conductor.optimise("scenarios/platform.yaml", budget=40)
    found.front[0].candidate.assignment  # component -> provider of the cheapest point
"""

__version__ = "0.1.0"

from conductor.errors import ConductorError, ScenarioError
from conductor.experiments.compare import CompareResult, compare
from conductor.experiments.optimise import OptimiseResult, optimise
from conductor.experiments.run import load_scenario, run
from conductor.experiments.sweep import SweepResult, sweep
from conductor.metrics.results import RunResult

__all__ = [
    "CompareResult",
    "ConductorError",
    "OptimiseResult",
    "RunResult",
    "ScenarioError",
    "SweepResult",
    "__version__",
    "compare",
    "load_scenario",
    "optimise",
    "run",
    "sweep",
]
