"""Validation: a scenario simulated against the traces it claims to model.

Each flow's end-to-end latency (successful requests) and each component's latency per
call (what its caller waits for, less the component's own calls: the round trip plus its
own work, which is what one of its steps takes) are set side by side, simulated and
measured, at p50, p90 and p99, with the relative error (simulated / measured − 1) of
each and their mean absolute value (MAPE) over the flows, the components and both. The
arrival rate of each flow is compared too. Flows and components are matched by name, as
`conductor import` names them; those found on one side only are listed, not guessed at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conductor.errors import ConductorError
from conductor.experiments.run import load_scenario, plan_of, run, strategy_name
from conductor.metrics.results import atomic_write
from conductor.scenario.model import Scenario
from conductor.traces.composition import slug
from conductor.traces.writer import measure

LEVELS = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


def percentiles(values: np.ndarray) -> dict[str, float | int | None]:
    """p50, p90, p99 and the count of a sample (None where it is empty)."""
    if values.size == 0:
        return {**dict.fromkeys(LEVELS), "n": 0}
    return {**{k: float(np.quantile(values, q)) for k, q in LEVELS.items()}, "n": int(values.size)}


def relative(simulated: dict, measured: dict, keys=tuple(LEVELS)) -> dict[str, float | None]:
    """simulated / measured − 1 per key (None where either is missing or measured is 0)."""
    return {
        key: (simulated[key] / measured[key] - 1)
        if simulated.get(key) is not None and measured.get(key)
        else None
        for key in keys
    }


@dataclass
class Validation:
    """Simulated against measured latency, per flow and per component."""

    scenario: str
    traces: str
    strategy: str
    replications: int
    flows: dict[str, dict[str, Any]]
    components: dict[str, dict[str, Any]]
    unmatched: dict[str, list[str]]
    warnings: list[str]
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def mape(self) -> dict[str, float | None]:
        """Mean absolute relative error of p50, p90 and p99: flows, components, all."""

        def mean(rows: dict[str, dict[str, Any]]) -> list[float]:
            return [
                abs(v)
                for row in rows.values()
                for k, v in row["relative_error"].items()
                if k in LEVELS and v is not None
            ]

        flows, components = mean(self.flows), mean(self.components)
        return {
            "flows": float(np.mean(flows)) if flows else None,
            "components": float(np.mean(components)) if components else None,
            "all": float(np.mean(flows + components)) if flows or components else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `conductor validate --json`."""
        return {
            "scenario": self.scenario,
            "traces": self.traces,
            "strategy": self.strategy,
            "replications": self.replications,
            "flows": self.flows,
            "components": self.components,
            "mape": self.mape,
            "unmatched": self.unmatched,
            "warnings": self.warnings,
        }

    def to_frame(self):
        """One row per flow or component and percentile: measured, simulated, error
        (needs pandas)."""
        import pandas as pd

        rows = [
            {
                "kind": kind.removesuffix("s"),
                "name": name,
                "percentile": level,
                "measured_s": row["measured"][level],
                "simulated_s": row["simulated"][level],
                "relative_error": row["relative_error"][level],
            }
            for kind in ("flows", "components")
            for name, row in getattr(self, kind).items()
            for level in LEVELS
        ]
        return pd.DataFrame(rows)

    def to_json(self) -> str:
        """`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def write(self, out: str | Path) -> Path:
        """Write validation.json into a folder; return its path."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "validation.json"
        atomic_write(target, self.to_json() + "\n")
        return target


def validate(
    scenario: Scenario | str | Path,
    against: str | Path,
    *,
    strategy: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: bool | None = False,
) -> Validation:
    """Simulate a scenario (strategy `as-measured` when it has one) and compare it with
    the latencies measured in a trace file."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    measured = measure(against)
    traced = {flow.name for flow in measured.flows} | {slug(c) for c in measured.components}
    if not traced & (set(scenario.flows) | set(scenario.components)):
        raise ConductorError(
            f"no flow or component of {scenario.file} is in {against}: names differ "
            f"(scenario flows: {', '.join(scenario.flows)}; traced: "
            f"{', '.join(f.name for f in measured.flows)}); import the traces to get matching "
            "names"
        )
    if strategy is None and "as-measured" in scenario.strategies:
        strategy = "as-measured"
    name = strategy_name(scenario, strategy)
    result = run(
        scenario,
        name,
        replications=replications,
        seed=seed,
        workers=workers,
        keep_records=True,
        progress=progress,
    )
    plan = plan_of(scenario)
    records = result.records
    figures = result.to_dict()
    flows: dict[str, dict[str, Any]] = {}
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    seen_flows = {flow.name: flow for flow in measured.flows}
    for flow in plan.flows:
        shape = seen_flows.get(flow.name)
        if shape is None:
            continue
        simulated = np.concatenate([r.latency[r.ok & (r.flow == flow.index)] for r in records])
        real = np.asarray(shape.latencies)
        samples[flow.name] = (real, simulated)
        rows = {"measured": percentiles(real), "simulated": percentiles(simulated)}
        simulated_flow = figures["flows"][flow.name]
        rows["measured"]["rate_per_s"] = shape.rate
        rows["simulated"]["rate_per_s"] = simulated_flow["throughput_rps"]["mean"]
        rows["measured"]["success_rate"] = shape.succeeded / shape.requests
        rows["simulated"]["success_rate"] = simulated_flow["success_rate"]["mean"]
        rows["relative_error"] = relative(
            rows["simulated"], rows["measured"], (*LEVELS, "rate_per_s")
        )
        flows[flow.name] = rows
    components: dict[str, dict[str, Any]] = {}
    seen_components = {slug(c.name): c for c in measured.components.values()}
    for component in plan.components:
        seen = seen_components.get(component.name)
        if seen is None:
            continue
        simulated = np.concatenate(
            [r.attempt_latencies[o] for r in records for o in component.options]
        )
        rows = {"measured": percentiles(np.asarray(seen.own)), "simulated": percentiles(simulated)}
        rows["relative_error"] = relative(rows["simulated"], rows["measured"])
        components[component.name] = rows
    unmatched = {
        "flows": sorted(
            {f.name for f in plan.flows} ^ set(seen_flows),
        ),
        "components": sorted({c.name for c in plan.components} ^ set(seen_components)),
    }
    return Validation(
        scenario=scenario.name,
        traces=str(against),
        strategy=name,
        replications=len(records),
        flows=flows,
        components=components,
        unmatched=unmatched,
        warnings=measured.notes.warnings() + list(figures.get("warnings") or ()),
        samples=samples,
    )
