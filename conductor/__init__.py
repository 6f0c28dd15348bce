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
    model = conductor.import_traces("scenarios/traces/shop-otel.json")  # traces -> scenario
    conductor.validate(conductor.load_scenario(model.document), "scenarios/traces/shop-otel.json")
"""

import importlib
from typing import TYPE_CHECKING, Any

from conductor.version import __version__

# The API is loaded on first use (PEP 562): `conductor --help` and `conductor check`
# should not pay for numpy, scipy, SimPy and pydantic models they never touch.
_EXPORTS = {
    "CompareResult": "conductor.experiments.compare",
    "ConductorError": "conductor.errors",
    "OptimiseResult": "conductor.experiments.optimise",
    "RunResult": "conductor.metrics.results",
    "ScenarioError": "conductor.errors",
    "SweepResult": "conductor.experiments.sweep",
    "compare": "conductor.experiments.compare",
    "load_scenario": "conductor.experiments.run",
    "optimise": "conductor.experiments.optimise",
    "run": "conductor.experiments.run",
    "sweep": "conductor.experiments.sweep",
    "import_configs": "conductor.traces.configs",
    "import_traces": "conductor.traces.writer",
    "Validation": "conductor.traces.validate",
    "validate": "conductor.traces.validate",
}

__all__ = [
    "CompareResult",
    "ConductorError",
    "OptimiseResult",
    "RunResult",
    "ScenarioError",
    "SweepResult",
    "Validation",
    "__version__",
    "compare",
    "import_configs",
    "import_traces",
    "load_scenario",
    "optimise",
    "run",
    "sweep",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'conductor' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from conductor.errors import ConductorError, ScenarioError
    from conductor.experiments.compare import CompareResult, compare
    from conductor.experiments.optimise import OptimiseResult, optimise
    from conductor.experiments.run import load_scenario, run
    from conductor.experiments.sweep import SweepResult, sweep
    from conductor.metrics.results import RunResult
    from conductor.traces.configs import import_configs
    from conductor.traces.validate import Validation, validate
    from conductor.traces.writer import import_traces
