"""Writing the imported model: a self-contained scenario, commented with what was measured.

Each instrumented service is a component served by its own internal provider
(`<service>-team`), whose `network` is the round trip its callers saw around its SERVER
spans; each third party is a component served by an external provider of the same name,
whose service time is the whole CLIENT span. Capacity is unlimited (traces show how long
calls took, not how many servers there were), costs are left for the architect to fill
in, and the strategy `as-measured` routes every component to the provider that served
it. The run's horizon holds the measured window, and at least `MIN_REQUESTS` requests.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from conductor.errors import TraceError
from conductor.traces.composition import (
    ComponentSeen,
    FlowShape,
    components_of,
    flows_of,
    pooled_operations,
    slug,
)
from conductor.traces.fitting import Fit, fit_times, milliseconds
from conductor.traces.spans import read_spans
from conductor.traces.trees import NS, Notes, Request, requests_of
from conductor.version import __version__

MIN_REQUESTS = 2000
_FORMAT_NAMES = {"otel": "OTLP/JSON", "jaeger": "Jaeger JSON"}


@dataclass
class Measured:
    """What a trace file holds: its requests, flows and components, and the notes."""

    file: str
    format: str | None
    spans: int
    requests: list[Request]
    flows: list[FlowShape]
    components: dict[str, ComponentSeen]
    notes: Notes
    seconds: float = 0.0
    pooled: list[str] = field(default_factory=list)  # components whose operations differ

    @property
    def window(self) -> float:
        """Seconds from the first arrival to the last."""
        if not self.requests:
            return 0.0
        return (self.requests[-1].arrival - self.requests[0].arrival) * NS


def measure(path: str | Path, expected: str | None = None) -> Measured:
    """Read a trace file into requests, flows and components (exit-2 errors on bad data)."""
    began = time.perf_counter()
    notes = Notes()
    count = 0
    kind: list[str] = []

    def counted(spans):
        nonlocal count
        for span in spans:
            count += 1
            yield span

    requests = requests_of(counted(read_spans(path, expected, kinds=kind)), notes)
    file = str(path)
    if not requests:
        reasons = "; ".join(notes.warnings()) or "the file holds no spans"
        raise TraceError(f"no usable request in the file ({reasons})", file=file)
    flows = flows_of(requests)
    components = components_of(requests)
    pooled = [w for c in components.values() if (w := pooled_operations(c)) is not None]
    return Measured(
        file=file,
        format=kind[0] if kind else expected,
        spans=count,
        requests=requests,
        flows=flows,
        components=components,
        notes=notes,
        seconds=time.perf_counter() - began,
        pooled=pooled,
    )


@dataclass
class Imported:
    """An imported scenario: its document, its commented text and what it came from."""

    document: dict[str, Any]
    text: str
    measured: Measured
    fits: dict[str, Fit] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # data files to write beside it

    @property
    def warnings(self) -> list[str]:
        """The counted notes about repaired or skipped data, and pooled operations."""
        return self.measured.notes.warnings() + self.measured.pooled


def import_traces(
    path: str | Path,
    format: str | None = None,
    *,
    name: str | None = None,
    sampled: float = 1.0,
    arrivals: str = "poisson",
) -> Imported:
    """A scenario modelled on a trace file; `sampled` is the share of requests traced;
    `arrivals` is `poisson` (at the measured rates) or `trace` (the measured arrival
    times replayed, from files listed in `Imported.files` to write beside the scenario)."""
    if not 0 < sampled <= 1:
        raise TraceError(f"--sampled must be in (0, 1], got {sampled!r}")
    if arrivals not in ("poisson", "trace"):
        raise TraceError(f"--arrivals must be poisson or trace, got {arrivals!r}")
    if arrivals == "trace" and sampled < 1:
        raise TraceError(
            "--sampled scales Poisson rates; replayed arrivals hold only the traced requests"
        )
    measured = measure(path, format)
    name = name or slug(Path(path).stem)
    return _scenario(measured, name, sampled, arrivals)


def _provider_of(component: ComponentSeen) -> str:
    return slug(component.name) if component.external else f"{slug(component.name)}-team"


def _scenario(measured: Measured, name: str, sampled: float, arrivals: str) -> Imported:
    lines: list[str] = []
    document: dict[str, Any] = {}
    fits: dict[str, Fit] = {}
    total_rate = sum(flow.rate for flow in measured.flows) / sampled
    horizon = math.ceil(max(measured.window, MIN_REQUESTS / total_rate if total_rate else 60))
    if arrivals == "trace":
        horizon = math.floor(measured.window) + 1  # every replayed arrival, none invented
    files: dict[str, str] = {}
    source = _escape(Path(measured.file).name)
    header = [
        f"Imported by conductor {__version__} from {source} "
        f"({_FORMAT_NAMES.get(measured.format or '', 'traces')}).",
        f"{measured.spans} spans, {len(measured.requests)} requests over "
        f"{measured.window:.4g}s."
        + (
            f" Rates scaled by 1/{sampled:g} (the share of requests traced)." if sampled < 1 else ""
        ),
        "Capacities are unlimited and costs absent: traces do not show them. Add them,",
        "and other options per component, to study load and sourcing.",
        *(f"warning: {_escape(w)}" for w in measured.notes.warnings() + measured.pooled),
    ]
    lines += [f"# {line}" for line in header]
    document["name"] = name
    document["description"] = f"Imported from {source}"
    document["run"] = {"horizon": f"{horizon}s", "warmup": "0s", "replications": 5, "seed": 1}
    lines.append(
        yaml.safe_dump(
            {key: document[key] for key in ("name", "description")},
            sort_keys=False,
            allow_unicode=True,
        ).rstrip("\n")
    )
    lines.append(
        f"# horizon: the measured window ({measured.window:.4g}s)"
        + (f", at least {MIN_REQUESTS} requests" if arrivals == "poisson" else "")
        + "; no warm-up: nothing queues without capacities"
    )
    lines.append(_dump({"run": document["run"]}))

    providers: dict[str, Any] = {}
    components: dict[str, Any] = {}
    provider_lines = ["", "providers:"]
    component_lines = ["", "components:"]
    for component in sorted(measured.components.values(), key=lambda c: (c.external, c.name)):
        key, provider = slug(component.name), _provider_of(component)
        spec: dict[str, Any] = {"kind": "external" if component.external else "internal"}
        comment = (
            f"third party, not instrumented: called as {component.name!r}"
            if component.external
            else f"the team running {component.name!r} (instrumented)"
        )
        provider_lines.append(f"  # {comment}")
        trips = component.round_trip
        if trips and max(trips) > 0:
            network = fit_times(trips)
            spec["network"] = network.spec
            provider_lines.append(f"  # network (CLIENT minus SERVER): {network.describe()}")
        providers[provider] = spec
        provider_lines.append(_dump({provider: spec}, 2))

        service = fits[key] = fit_times(component.service)
        option: dict[str, Any] = {"service_time": service.spec}
        failure = component.failures / component.calls if component.calls else 0.0
        if failure > 0:
            option["failure"] = round(failure, 6)
        components[key] = {"options": {provider: option}}
        operations = ", ".join(
            f"{_escape(op) or '?'} ×{n}" for op, n in component.operations.most_common(4)
        )
        what = "call time (CLIENT span)" if component.external else "own work (SERVER span "
        what += "" if component.external else "minus its calls)"
        component_lines += [
            f"  # {component.calls} calls ({operations}); {component.failures} failed here"
            f" ({failure:.2%})",
            f"  # {what}: {service.describe()}",
            _dump({key: components[key]}, 2),
        ]
    document["providers"] = providers
    document["components"] = components
    lines += provider_lines + component_lines

    flows: dict[str, Any] = {}
    flow_lines = ["", "flows:"]
    for flow in measured.flows:
        rate = flow.rate / sampled
        latencies = np.asarray(flow.latencies) if flow.latencies else np.zeros(1)
        p50, p99 = (float(np.quantile(latencies, q)) for q in (0.5, 0.99))
        steps: dict[str, Any] = {}
        step_lines = []
        for step in flow.steps:
            entry: dict[str, Any] = {}
            if step.component != step.name:
                entry["component"] = step.component
            if step.after:
                entry["after"] = list(step.after)
            if step.probability < 1:
                entry["probability"] = round(step.probability, 4)
            if step.calls > 1:
                entry["calls"] = step.calls
            if step.optional:
                entry["optional"] = True
            steps[step.name] = entry
            repeats = ", ".join(f"{n}×{c}" for n, c in sorted(step.counts.items()))
            step_lines += [
                f"      # seen in {step.seen} of {flow.succeeded or flow.requests} requests; "
                f"calls per request: {repeats}",
                _dump({step.name: entry}, 6),
            ]
        process: dict[str, Any] = {"process": "poisson", "rate": f"{rate:.6g}/s"}
        if arrivals == "trace":
            file = f"{slug(name)}.{flow.name}.arrivals.csv"
            files[file] = f"# {flow.name}: arrival times, seconds from the first request\n" + (
                "".join(f"{t:.6f}\n" for t in flow.arrivals)
            )
            process = {"process": "trace", "file": file}
        flows[flow.name] = {
            "description": f"root operation {flow.operation!r}",
            "arrivals": process,
            "steps": steps,
        }
        flow_lines += [
            f"  # {flow.requests} requests ({flow.succeeded} succeeded) at {rate:.4g}/s; "
            f"end-to-end p50 {milliseconds(p50)}, p99 {milliseconds(p99)}",
            *(
                [f"  # {flow.conflicts} contradictory orderings of calls: the weaker gave way"]
                if flow.conflicts
                else []
            ),
            _dump({flow.name: {k: v for k, v in flows[flow.name].items() if k != "steps"}}, 2),
            "    steps:",
            *step_lines,
        ]
    document["flows"] = flows
    lines += flow_lines

    use = {slug(c.name): _provider_of(c) for c in measured.components.values()}
    document["strategies"] = {"as-measured": {"policy": "static", "use": use}}
    lines += [
        "",
        "# as-measured: every component served by the provider the traces show serving it",
        _dump({"strategies": document["strategies"]}),
    ]
    return Imported(document, "\n".join(lines) + "\n", measured, fits, files)


def _escape(text: str) -> str:
    """Text for a comment line: control characters (a newline would end the comment and
    let trace data write scenario keys) shown as escapes."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _dump(mapping: dict[str, Any], indent: int = 0) -> str:
    text = yaml.safe_dump(
        mapping, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    ).rstrip("\n")
    return "\n".join(_indent(text, indent))


def _indent(text: str, indent: int) -> list[str]:
    return [" " * indent + line if line else line for line in text.split("\n")]
