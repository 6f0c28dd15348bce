"""A trace generator: a known composition with known distributions, as OTLP and Jaeger JSON.

The shop has two root operations. `GET /checkout` (frontend) calls cart, then checkout;
checkout calls the uninstrumented vendor payco (a CLIENT span with `peer.service`) in
parallel with inventory (called twice in a row), then, in 30 % of requests, email, whose
failures (5 %) the request survives. payco fails 1 % of calls, which fails the request.
`GET /product` (frontend) calls catalog. Every own time is lognormal with a known median
and p99; every internal call has a lognormal round trip around its SERVER span; half of
a service's own work comes before its calls and half after.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Z99 = 2.3263478740408408


@dataclass(frozen=True)
class Times:
    """A lognormal time by median and p99, in seconds."""

    median: float
    p99: float

    def draw(self, rng: np.random.Generator) -> float:
        sigma = math.log(self.p99 / self.median) / Z99
        return float(rng.lognormal(math.log(self.median), sigma))


@dataclass(frozen=True)
class Service:
    """A service's own work, its failure probability, and the round trip to reach it."""

    name: str
    own: Times
    round_trip: Times | None = None
    failure: float = 0.0
    external: bool = False


@dataclass(frozen=True)
class Call:
    """A call in the composition: to a service, maybe only sometimes, maybe repeated."""

    service: Service
    operation: str
    probability: float = 1.0
    repeat: int = 1
    then: tuple[tuple[Call, ...], ...] = ()  # groups run in sequence, calls in a group in parallel


NETWORK = Times(0.0006, 0.002)
FRONTEND = Service("frontend", Times(0.003, 0.009))
CART = Service("cart", Times(0.010, 0.040), NETWORK)
CHECKOUT = Service("checkout", Times(0.005, 0.020), NETWORK)
INVENTORY = Service("inventory", Times(0.008, 0.030), NETWORK)
PAYCO = Service("payco", Times(0.060, 0.250), failure=0.01, external=True)
EMAIL = Service("email", Times(0.004, 0.012), NETWORK, failure=0.05)
CATALOG = Service("catalog", Times(0.015, 0.045), NETWORK)

CHECKOUT_FLOW = Call(
    FRONTEND,
    "GET /checkout",
    then=(
        (Call(CART, "GET /cart"),),
        (
            Call(
                CHECKOUT,
                "POST /checkout",
                then=(
                    (Call(PAYCO, "POST /charge"), Call(INVENTORY, "POST /reserve", repeat=2)),
                    (Call(EMAIL, "POST /send", probability=0.3),),
                ),
            ),
        ),
    ),
)
PRODUCT_FLOW = Call(FRONTEND, "GET /product", then=((Call(CATALOG, "GET /item"),),))
FLOWS = ((CHECKOUT_FLOW, 8.0), (PRODUCT_FLOW, 12.0))  # root call, arrivals per second


@dataclass
class Span:
    trace: int
    id: int
    parent: int
    service: str
    name: str
    kind: str  # server, client
    start: float
    end: float
    error: bool = False
    peer: str | None = None


@dataclass
class Generated:
    """Spans of many requests, with what was drawn, for tests to compare with."""

    spans: list[Span] = field(default_factory=list)
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # successful requests
    failed: dict[str, int] = field(default_factory=dict)
    window: float = 0.0


class _Generator:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.spans: list[Span] = []
        self.next_id = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def serve(self, trace: int, parent: int, call: Call, start: float) -> tuple[float, bool]:
        """The SERVER span of `call` and everything below it; returns (end, failed)."""
        service = call.service
        span = Span(trace, self.new_id(), parent, service.name, call.operation, "server", start, 0)
        self.spans.append(span)
        own = service.own.draw(self.rng)
        now = start + own / 2
        failed = False
        for group in call.then:
            ends = [now]
            for child in group:
                if self.rng.random() >= child.probability:
                    continue
                at = now
                for _ in range(child.repeat):
                    at, child_failed = self.client(trace, span.id, child, at)
                    # Only email's failures are survived; any other fails the request.
                    failed = failed or (child_failed and child.service is not EMAIL)
                ends.append(at)
            now = max(ends)
        span.end = now + own / 2
        span.error = failed or self.rng.random() < service.failure
        return span.end, span.error

    def client(self, trace: int, parent: int, call: Call, start: float) -> tuple[float, bool]:
        """The CLIENT span of a call from a parent service."""
        service = call.service
        parent_service = next(s.service for s in reversed(self.spans) if s.id == parent)
        span = Span(
            trace, self.new_id(), parent, parent_service, call.operation, "client", start, 0
        )
        self.spans.append(span)
        if service.external:
            span.peer = service.name
            span.end = start + service.own.draw(self.rng)
            span.error = self.rng.random() < service.failure
            return span.end, span.error
        trip = service.round_trip.draw(self.rng) if service.round_trip else 0.0
        end, failed = self.serve(trace, span.id, call, start + trip / 2)
        span.end = end + trip / 2
        span.error = failed
        return span.end, failed


def generate(
    duration: float = 300.0, seed: int = 7, flows=FLOWS, epoch: float = 1.7e9
) -> Generated:
    """Requests of every flow arriving as Poisson streams over `duration` seconds."""
    generator = _Generator(seed)
    generated = Generated()
    trace = 0
    starts = []
    for root, rate in flows:
        name = f"{root.service.name} {root.operation}"
        times = np.cumsum(generator.rng.exponential(1 / rate, int(rate * duration * 1.5) + 10))
        times = times[times < duration]
        generated.arrivals[name] = list(times)
        generated.latencies[name] = []
        generated.failed[name] = 0
        for at in times:
            trace += 1
            end, failed = generator.serve(trace, 0, root, epoch + float(at))
            starts.append(at)
            if failed:
                generated.failed[name] += 1
            else:
                generated.latencies[name].append(end - epoch - float(at))
    generated.spans = generator.spans
    generated.window = float(max(starts) - min(starts))
    return generated


def _hex(number: int, width: int) -> str:
    return f"{number:0{width}x}"


def to_otlp(spans: list[Span]) -> dict:
    """An OTLP/JSON ExportTraceServiceRequest, one resourceSpans per service."""
    by_service: dict[str, list[dict]] = {}
    for span in spans:
        attributes = (
            [{"key": "peer.service", "value": {"stringValue": span.peer}}] if span.peer else []
        )
        by_service.setdefault(span.service, []).append(
            {
                "traceId": _hex(span.trace, 32),
                "spanId": _hex(span.id, 16),
                "parentSpanId": _hex(span.parent, 16) if span.parent else "",
                "name": span.name,
                "kind": 2 if span.kind == "server" else 3,
                "startTimeUnixNano": str(round(span.start * 1e9)),
                "endTimeUnixNano": str(round(span.end * 1e9)),
                "attributes": attributes,
                "status": {"code": 2} if span.error else {},
            }
        )
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [{"scope": {"name": "tracegen"}, "spans": items}],
            }
            for service, items in by_service.items()
        ]
    }


def to_jaeger(spans: list[Span]) -> dict:
    """Jaeger JSON as its query API returns it: one entry of `data` per trace."""
    traces: dict[int, list[Span]] = {}
    for span in spans:
        traces.setdefault(span.trace, []).append(span)
    data = []
    for trace, members in traces.items():
        processes: dict[str, str] = {}
        items = []
        for span in members:
            process = processes.setdefault(span.service, f"p{len(processes) + 1}")
            tags = [{"key": "span.kind", "type": "string", "value": span.kind}]
            if span.error:
                tags.append({"key": "error", "type": "bool", "value": True})
            if span.peer:
                tags.append({"key": "peer.service", "type": "string", "value": span.peer})
            start = round(span.start * 1e6)
            items.append(
                {
                    "traceID": _hex(trace, 32),
                    "spanID": _hex(span.id, 16),
                    "operationName": span.name,
                    "references": [
                        {
                            "refType": "CHILD_OF",
                            "traceID": _hex(trace, 32),
                            "spanID": _hex(span.parent, 16),
                        }
                    ]
                    if span.parent
                    else [],
                    "startTime": start,
                    "duration": round(span.end * 1e6) - start,
                    "tags": tags,
                    "processID": process,
                }
            )
        data.append(
            {
                "traceID": _hex(trace, 32),
                "spans": items,
                "processes": {p: {"serviceName": s, "tags": []} for s, p in processes.items()},
            }
        )
    return {"data": data}


def write(path: Path, document: dict) -> Path:
    """Write a trace document as compact JSON."""
    path.write_text(json.dumps(document, separators=(",", ":")))
    return path
