"""Call trees: the spans of each trace linked into the calls one request made.

A request starts at a trace's root span (a SERVER span, or whatever span opens the
trace). Inside a service, INTERNAL spans are looked through: the calls that matter are
the CLIENT spans leaving the service. A CLIENT span with a SERVER child is a call to an
instrumented service: its round trip is the CLIENT span minus the SERVER span, and the
callee's own work (service time) is its SERVER span minus the calls it makes in turn. A
CLIENT span with no child is a call to an uninstrumented third party, named by
`peer.service` (else `server.address`, `net.peer.name`, the URL's host, then the span's
name); all its time is service time, for the caller cannot see the network apart.
PRODUCER and CONSUMER spans (messages) are not on the request's path and are left out.

Data that can still be used is used, and what was done about it is counted (`Notes`):
a trace whose span names a parent that is not in the file, or whose parent links form a
cycle, is skipped; a SERVER span outside its CLIENT parent (clock skew between hosts) is
moved inside it, keeping its duration, with its subtree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from conductor.traces.spans import CLIENT, CONSUMER, PRODUCER, SERVER, Span

MAX_DEPTH = 200
NS = 1e-9


@dataclass(slots=True)
class Call:
    """One call as the caller saw it, and the calls the callee made in turn."""

    component: str
    external: bool
    operation: str
    start: int  # ns
    end: int  # ns
    service: float  # s: the callee's own work
    round_trip: float | None  # s: CLIENT minus SERVER (None: a root, or a third party)
    failed: bool
    children: list[Call] = field(default_factory=list)

    @property
    def latency(self) -> float:
        """Seconds from the call's start to its end, as the caller saw it."""
        return (self.end - self.start) * NS

    @property
    def own(self) -> float:
        """Seconds of the call not spent in the callee's own calls: round trip + service."""
        return self.service + (self.round_trip or 0.0)

    @property
    def origin(self) -> bool:
        """True when the call failed and none of the callee's calls did: it failed here."""
        return self.failed and not any(child.failed for child in self.children)


@dataclass(slots=True)
class Request:
    """One request: its root operation (the flow), arrival, end-to-end latency and calls."""

    flow: str
    arrival: int  # ns
    root: Call

    @property
    def latency(self) -> float:
        """End-to-end seconds."""
        return self.root.latency

    @property
    def ok(self) -> bool:
        """True when the root span did not fail."""
        return not self.root.failed


class Notes:
    """Counted warnings about data that was repaired or skipped."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "missing-parent": "traces skipped: a span names a parent that is not in the file "
        "(an incomplete trace)",
        "cycle": "traces skipped: their parent links form a cycle",
        "orphan-client": "traces skipped: they start with a CLIENT span that reached no server",
        "too-deep": f"traces skipped: spans nested deeper than {MAX_DEPTH} levels",
        "duplicate": "spans dropped: their id repeats one of the same trace",
        "skew": "SERVER spans outside their CLIENT parent (clock skew) moved inside it",
        "longer": "SERVER spans longer than their CLIENT parent: round trip taken as 0",
        "several-servers": "CLIENT spans with several SERVER children: the first one is used",
        "roots": "traces with several root spans: each root counted as a request",
        "unnamed-peer": "CLIENT calls to third parties without peer.service or server.address: "
        "named by the span name",
        "messages": "PRODUCER/CONSUMER spans (messages) left out: not on a request's path",
    }

    def __init__(self):
        self.counts: Counter[str] = Counter()

    def add(self, key: str, count: int = 1) -> None:
        """Count one more occurrence of a note."""
        self.counts[key] += count

    def warnings(self) -> list[str]:
        """One line per note that occurred, with its count."""
        return [f"{count} {self.MESSAGES[key]}" for key, count in self.counts.items() if count]


def requests_of(spans: Iterable[Span], notes: Notes) -> list[Request]:
    """The requests of every usable trace, in order of arrival."""
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span.trace].append(span)
    requests: list[Request] = []
    for trace in traces.values():
        requests.extend(_trace_requests(trace, notes))
    requests.sort(key=lambda request: request.arrival)
    return requests


def _trace_requests(spans: list[Span], notes: Notes) -> list[Request]:
    by_id: dict[str, Span] = {}
    for span in spans:
        if span.id in by_id:
            notes.add("duplicate")
            continue
        by_id[span.id] = span
    children: dict[str, list[Span]] = defaultdict(list)
    roots = []
    for span in by_id.values():
        if not span.parent:
            roots.append(span)
        elif span.parent not in by_id:
            notes.add("missing-parent")
            return []
        else:
            children[span.parent].append(span)
    reached = 0
    pending = list(roots)
    while pending:
        span = pending.pop()
        reached += 1
        pending.extend(children.get(span.id, ()))
    if reached < len(by_id):
        notes.add("cycle")
        return []
    for family in children.values():
        family.sort(key=lambda span: span.start)
    if len(roots) > 1:
        notes.add("roots")
    builder = _Builder(children, notes)
    requests = []
    for root in roots:
        entry = root
        if root.kind == CLIENT:
            servers = [c for c in children.get(root.id, ()) if c.kind == SERVER]
            if not servers:
                notes.add("orphan-client")
                continue
            entry = servers[0]
        try:
            call = builder.entry(entry, 0, 0)
        except RecursionError:
            notes.add("too-deep")
            continue
        if call is None:
            notes.add("too-deep")
            continue
        requests.append(Request(f"{entry.service} {entry.name}".strip(), call.start, call))
    return requests


class _Builder:
    """Builds the Call tree of one trace, shifting subtrees that clock skew displaced."""

    def __init__(self, children: dict[str, list[Span]], notes: Notes):
        self.children = children
        self.notes = notes

    def entry(self, span: Span, shift: int, depth: int) -> Call | None:
        """The Call of a service's SERVER (or root) span, its times shifted by `shift`."""
        if depth > MAX_DEPTH:
            return None
        calls: list[Call] = []
        if not self._outbound(span, span.service, shift, depth, calls):
            return None
        start, end = span.start + shift, span.end + shift
        busy = _covered([(c.start, c.end) for c in calls], start, end)
        return Call(
            component=span.service,
            external=False,
            operation=span.name,
            start=start,
            end=end,
            service=max(end - start - busy, 0) * NS,
            round_trip=None,
            failed=span.error,
            children=calls,
        )

    def _outbound(self, span: Span, service: str, shift: int, depth: int, calls: list) -> bool:
        if depth > MAX_DEPTH:
            return False
        for child in self.children.get(span.id, ()):
            if child.kind == CLIENT:
                call = self._client(child, shift, depth)
                if call is None:
                    return False
                calls.append(call)
            elif child.kind == SERVER and child.service != service:
                call = self.entry(child, shift, depth + 1)  # a server called without a client span
                if call is None:
                    return False
                calls.append(call)
            elif child.kind in (PRODUCER, CONSUMER):
                self.notes.add("messages")
            elif not self._outbound(child, service, shift, depth + 1, calls):
                return False
        return True

    def _client(self, span: Span, shift: int, depth: int) -> Call | None:
        servers = [c for c in self.children.get(span.id, ()) if c.kind == SERVER]
        start, end = span.start + shift, span.end + shift
        if not servers:
            name = span.peer
            if name is None:
                self.notes.add("unnamed-peer")
                name = span.name or "third-party"
            return Call(
                component=name,
                external=True,
                operation=span.name,
                start=start,
                end=end,
                service=(end - start) * NS,
                round_trip=None,
                failed=span.error,
            )
        if len(servers) > 1:
            self.notes.add("several-servers")
        server = servers[0]
        inner = shift
        server_start, server_end = server.start + shift, server.end + shift
        if server_start < start or server_end > end:
            if server.duration <= end - start:
                self.notes.add("skew")
                inner += start + (end - start - server.duration) // 2 - server_start
            else:
                self.notes.add("longer")
                inner += start - server_start
        callee = self.entry(server, inner, depth + 1)
        if callee is None:
            return None
        callee.round_trip = max(end - start - server.duration, 0) * NS
        callee.start, callee.end = start, end
        callee.failed = callee.failed or span.error
        return callee


def _covered(intervals: list[tuple[int, int]], low: int, high: int) -> int:
    """Length of the union of intervals, clipped to [low, high]."""
    total = 0
    reach = low
    for start, end in sorted(intervals):
        start, end = max(start, reach), min(end, high)
        if end > start:
            total += end - start
            reach = end
    return total
