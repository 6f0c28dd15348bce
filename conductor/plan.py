"""The compiled plan: a frozen, index-based view of a scenario that the engine runs.

Compiling resolves every name to an integer index, builds each distribution once, orders
each flow's steps topologically and precomputes predecessors and successors, so the
engine's hot loop touches tuples and attributes, never the scenario's dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conductor.arrivals import PROCESSES, ArrivalProcess
from conductor.samplers import Distribution, Exponential
from conductor.scenario.model import Scenario
from conductor.scenario.references import change_targets, step_order


@dataclass(frozen=True)
class ProviderPlan:
    """An organisation: network round trip, outages, dependencies, relationship cost."""

    index: int
    name: str
    internal: bool
    network: Distribution | None
    up_time: Distribution | None
    down_time: Distribution | None
    depends_on: tuple[int, ...]
    per_hour: float


def availability(plan: Plan, provider: int) -> float:
    """Declared long-run fraction of time a provider and every provider it depends on are
    up (alternating renewal: mean up time over mean cycle, independent providers)."""
    seen, stack, up = set(), [provider], 1.0
    while stack:
        index = stack.pop()
        if index in seen:
            continue
        seen.add(index)
        state = plan.providers[index]
        if state.up_time is not None and state.down_time is not None:
            up *= state.up_time.mean / (state.up_time.mean + state.down_time.mean)
        stack.extend(state.depends_on)
    return up


@dataclass(frozen=True)
class OptionPlan:
    """A component as served by one provider."""

    index: int
    component: int
    provider: int
    name: str
    service: Distribution
    capacity: int | None
    queue: int | None
    rate_limit: float | None
    burst: float
    failure: float
    per_call: float
    per_hour: float  # all of it: `cost.per_hour` plus `per_server_hour` × capacity
    switch_cost: float
    lead_time: float
    min_term: float
    change_lead_time: Distribution | None
    internal: bool
    per_server_hour: float = 0.0


@dataclass(frozen=True)
class ComponentPlan:
    """A component and the indices of its options, in declared order."""

    index: int
    name: str
    options: tuple[int, ...]


@dataclass(frozen=True)
class StepPlan:
    """One step of a flow: the component it calls and its place in the DAG."""

    index: int
    name: str
    component: int
    after: tuple[int, ...]
    successors: tuple[int, ...]
    probability: float
    optional: bool
    calls: int


@dataclass(frozen=True)
class FlowPlan:
    """A flow: its arrivals, its SLO and its steps in topological order."""

    index: int
    name: str
    arrivals: ArrivalProcess
    rate: float
    slo_latency: float | None
    penalty: float
    failure_penalty: float
    steps: tuple[StepPlan, ...]
    roots: tuple[int, ...]
    chain: bool


@dataclass(frozen=True)
class EventPlan:
    """A what-if event by index: `target` is a provider, or a flow for a surge."""

    at: float
    action: str
    target: int
    value: float
    duration: float | None
    number: int = -1  # its position in the file's `events`, which are run sorted by time
    extra: Distribution | None = None  # gaps between a surge's extra arrivals, if it adds any


@dataclass(frozen=True)
class Plan:
    """Everything the engine needs for one scenario, by index."""

    name: str
    currency: str
    horizon: float
    warmup: float
    replications: int
    seed: int
    providers: tuple[ProviderPlan, ...]
    components: tuple[ComponentPlan, ...]
    options: tuple[OptionPlan, ...]
    flows: tuple[FlowPlan, ...]
    status_quo: dict[int, int] = field(default_factory=dict)
    events: tuple[EventPlan, ...] = ()
    change_rate: float = 0.0
    change_components: tuple[int, ...] = ()
    change_gap: Distribution | None = None  # gaps between change requests, if there are any

    def option(self, component: str, provider: str) -> OptionPlan:
        """The option of a component served by a provider, by names."""
        for index in self.component(component).options:
            if self.providers[self.options[index].provider].name == provider:
                return self.options[index]
        raise KeyError(f"{component} has no option at {provider}")

    def component(self, name: str) -> ComponentPlan:
        """A component by name."""
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)


def compile_plan(scenario: Scenario) -> Plan:
    """Compile a validated scenario into a Plan."""
    provider_index = {name: i for i, name in enumerate(scenario.providers)}
    providers = tuple(
        ProviderPlan(
            index=i,
            name=name,
            internal=p.kind == "internal",
            network=p.network.build() if p.network else None,
            up_time=p.outages.mtbf.build() if p.outages else None,
            down_time=p.outages.mttr.build() if p.outages else None,
            depends_on=tuple(provider_index[d] for d in p.depends_on),
            per_hour=p.cost.per_hour,
        )
        for i, (name, p) in enumerate(scenario.providers.items())
    )
    options: list[OptionPlan] = []
    components: list[ComponentPlan] = []
    for c, (component_name, component) in enumerate(scenario.components.items()):
        indices = []
        for provider_name, o in component.options.items():
            rate_limit = o.rate_limit
            indices.append(len(options))
            options.append(
                OptionPlan(
                    index=len(options),
                    component=c,
                    provider=provider_index[provider_name],
                    name=f"{component_name}@{provider_name}",
                    service=o.service_time.build(),
                    capacity=o.capacity,
                    queue=o.queue,
                    rate_limit=rate_limit,
                    burst=float(o.burst or max(1.0, rate_limit or 0.0)),
                    failure=o.failure,
                    per_call=o.cost.per_call,
                    per_hour=o.cost.per_hour + o.cost.per_server_hour * (o.capacity or 0),
                    switch_cost=o.switch_in.cost,
                    lead_time=o.switch_in.lead_time,
                    min_term=o.min_term,
                    change_lead_time=o.change_lead_time.build() if o.change_lead_time else None,
                    internal=scenario.providers[provider_name].kind == "internal",
                    per_server_hour=o.cost.per_server_hour,
                )
            )
        components.append(ComponentPlan(c, component_name, tuple(indices)))
    component_index = {c.name: c.index for c in components}
    flows = tuple(
        _compile_flow(i, name, flow, component_index)
        for i, (name, flow) in enumerate(scenario.flows.items())
    )
    status_quo = {
        component_index[c]: next(
            o
            for o in components[component_index[c]].options
            if providers[options[o].provider].name == p
        )
        for c, p in scenario.status_quo.items()
    }
    flow_index = {name: i for i, name in enumerate(scenario.flows)}
    events = tuple(
        EventPlan(
            at=e.at,
            action=e.action,
            target=flow_index[e.flow] if e.action == "surge" else provider_index[e.provider],
            value=float(getattr(e, e.action)) if e.action != "exit" else 0.0,
            duration=e.duration,
            number=number,
            extra=_surge_gap(e.surge, flows[flow_index[e.flow]].rate)
            if e.action == "surge"
            else None,
        )
        for number, e in sorted(enumerate(scenario.events), key=lambda item: item[1].at)
    )
    changes = scenario.changes
    change_rate = changes.rate if changes else 0.0
    return Plan(
        name=scenario.name,
        currency=scenario.currency,
        horizon=scenario.run.horizon,
        warmup=scenario.run.warmup,
        replications=scenario.run.replications,
        seed=scenario.run.seed,
        providers=providers,
        components=tuple(components),
        options=tuple(options),
        flows=flows,
        status_quo=status_quo,
        events=events,
        change_rate=change_rate,
        change_components=tuple(component_index[c] for c in change_targets(scenario)),
        change_gap=Exponential(1.0 / change_rate) if change_rate else None,
    )


def _surge_gap(factor: float, rate: float) -> Distribution | None:
    # A surge above 1 adds Poisson arrivals at (factor − 1) × the flow's nominal rate.
    extra = (factor - 1.0) * rate
    return Exponential(1.0 / extra) if extra > 0 else None


def _compile_flow(index: int, name: str, flow, component_index: dict[str, int]) -> FlowPlan:
    order = step_order(flow.steps)
    position = {step_id: i for i, step_id in enumerate(order)}
    before = {step_id: {position[b] for b in flow.steps[step_id].after} for step_id in order}
    successors = {step_id: set() for step_id in order}
    for step_id in order:
        for b in flow.steps[step_id].after:
            successors[b].add(position[step_id])
    steps = tuple(
        StepPlan(
            index=position[step_id],
            name=step_id,
            component=component_index[flow.steps[step_id].component or step_id],
            after=tuple(sorted(before[step_id])),
            successors=tuple(sorted(successors[step_id])),
            probability=flow.steps[step_id].probability,
            optional=flow.steps[step_id].optional,
            calls=flow.steps[step_id].calls,
        )
        for step_id in order
    )
    chain = all(len(s.after) <= 1 and len(s.successors) <= 1 for s in steps) and (
        sum(1 for s in steps if not s.after) == 1
    )
    slo = flow.slo
    arrivals = PROCESSES[flow.arrivals.process].from_spec(flow.arrivals)
    return FlowPlan(
        index=index,
        name=name,
        arrivals=arrivals,
        rate=arrivals.rate,
        slo_latency=slo.latency if slo else None,
        penalty=slo.penalty if slo else 0.0,
        failure_penalty=slo.failure_penalty if slo else 0.0,
        steps=steps,
        roots=tuple(s.index for s in steps if not s.after),
        chain=chain,
    )
