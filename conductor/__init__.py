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
    model = conductor.import_traces("scenarios/traces/shop-otel.json")  # traces -> scenario
    conductor.validate(conductor.load_scenario(model.document), "scenarios/traces/shop-otel.json")
"""

__version__ = "0.1.0"

from conductor.errors import ConductorError, ScenarioError
from conductor.experiments.compare import CompareResult, compare
from conductor.experiments.run import load_scenario, run
from conductor.experiments.sweep import SweepResult, sweep
from conductor.metrics.results import RunResult
from conductor.traces.configs import import_configs
from conductor.traces.validate import Validation, validate
from conductor.traces.writer import import_traces

__all__ = [
    "CompareResult",
    "ConductorError",
    "RunResult",
    "ScenarioError",
    "SweepResult",
    "Validation",
    "__version__",
    "compare",
    "import_configs",
    "import_traces",
    "load_scenario",
    "run",
    "sweep",
    "validate",
]
