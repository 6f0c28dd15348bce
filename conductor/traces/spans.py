"""Reading trace files: OTLP/JSON and Jaeger JSON into one compact span record.

Two formats are read. OTLP/JSON, as the OpenTelemetry Collector's file exporter and the
OTLP/HTTP JSON encoding write it: `resourceSpans[].scopeSpans[].spans[]` (the older
`instrumentationLibrarySpans` too), the service named by the resource attribute
`service.name`, ids in hex, times in Unix nanoseconds, `kind` and `status.code` as
numbers or enum names; one document, or one document per line (JSON Lines). Jaeger JSON,
as its query API and UI export it: `data[].spans[]` with `references`, `processes`,
times in microseconds, the kind in the tag `span.kind` and errors in the tag `error`
(or `otel.status_code`).

The file is read as text once and parsed a resource (or a trace) at a time
(`conductor.traces.stream`); each span becomes a `Span` of plain fields at once, so
nothing holds a large file parsed whole.
The structure is checked as it is read (the OTLP protobuf's JSON mapping would read
the hex ids as base64, so its generated parser does not fit OTLP/JSON): a wrong type or
a missing field is one `TraceError` naming the file and the key path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conductor.errors import TraceError
from conductor.traces.stream import JsonDocument, Lazy, skip_space

INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5
_OTLP_KINDS = {
    "SPAN_KIND_UNSPECIFIED": INTERNAL,
    "SPAN_KIND_INTERNAL": INTERNAL,
    "SPAN_KIND_SERVER": SERVER,
    "SPAN_KIND_CLIENT": CLIENT,
    "SPAN_KIND_PRODUCER": PRODUCER,
    "SPAN_KIND_CONSUMER": CONSUMER,
}
_JAEGER_KINDS = {
    "server": SERVER,
    "client": CLIENT,
    "producer": PRODUCER,
    "consumer": CONSUMER,
    "internal": INTERNAL,
}
# Where a CLIENT span names the party it calls, most specific first.
PEER_KEYS = ("peer.service", "server.address", "net.peer.name", "http.host", "net.host.name")
FORMATS = ("otel", "jaeger")
MAX_BYTES = 2 * 1024**3


@dataclass(slots=True)
class Span:
    """One span, reduced to what a model needs; times in integer nanoseconds."""

    trace: str
    id: str
    parent: str
    service: str
    name: str
    kind: int
    start: int
    end: int
    error: bool
    peer: str | None

    @property
    def duration(self) -> int:
        """End minus start, in nanoseconds."""
        return self.end - self.start


def read_spans(
    path: str | Path, expected: str | None = None, *, kinds: list[str] | None = None
) -> Iterator[Span]:
    """Every span of an OTLP/JSON or Jaeger JSON file; `expected` ('otel' or 'jaeger')
    refuses a file of the other format; `kinds` receives the format found."""
    file = str(path)
    text = _read_text(Path(path), file)
    if not text.strip():
        raise TraceError("the file is empty: expected OTLP/JSON or Jaeger JSON traces", file=file)
    seen: str | None = None
    position = 0
    while True:
        position = skip_space(text, position)
        if position >= len(text):
            return
        # A second document in the file: JSON Lines, named by line.
        where = f"line {text.count(chr(10), 0, position) + 1}" if position else ""
        document = JsonDocument(text, position, file, where)
        shallow = document.open()
        kind = _format_of(shallow, file, where)
        if seen is not None and kind != seen:
            raise TraceError(
                f"mixes {_NAMES[seen]} and {_NAMES[kind]} documents: one format per file",
                file=file,
                path=where or None,
            )
        if seen is None and kinds is not None:
            kinds.append(kind)
        seen = kind
        if expected is not None and kind != expected:
            raise TraceError(
                f"this is a {_NAMES[kind]} file: use `conductor import {kind}`",
                file=file,
                path=where or None,
            )
        yield from (_otlp_spans if kind == "otel" else _jaeger_spans)(shallow, file, where)
        position = document.finish()


_NAMES = {"otel": "OTLP/JSON", "jaeger": "Jaeger JSON"}


def _read_text(path: Path, file: str) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TraceError("file not found", file=file) from None
    except OSError as error:
        raise TraceError(f"cannot read file: {error.strerror or error}", file=file) from None
    if not os.path.isfile(path):
        raise TraceError("not a regular file", file=file)
    if info.st_size > MAX_BYTES:
        raise TraceError(f"over the size limit of {MAX_BYTES // 1024**3} GiB", file=file)
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise TraceError("not UTF-8 text: expected a JSON trace file", file=file) from None
    except OSError as error:
        raise TraceError(f"cannot read file: {error.strerror or error}", file=file) from None


def _format_of(document: Any, file: str, where: str) -> str:
    if not isinstance(document, dict):
        raise TraceError(
            "expected an object with resourceSpans (OTLP/JSON) or data (Jaeger JSON)",
            file=file,
            path=where or None,
        )
    otlp, jaeger = "resourceSpans" in document, "data" in document
    if otlp and jaeger:
        raise TraceError(
            "mixes OTLP/JSON (resourceSpans) and Jaeger JSON (data): one format per file",
            file=file,
            path=where or None,
        )
    if not (otlp or jaeger):
        keys = ", ".join(list(document)[:5]) or "none"
        raise TraceError(
            f"expected resourceSpans (OTLP/JSON) or data (Jaeger JSON) at the top level "
            f"(found keys: {keys})",
            file=file,
            path=where or None,
        )
    return "otel" if otlp else "jaeger"


class _Checker:
    """Typed field access that names the key path of what is wrong."""

    __slots__ = ("file", "prefix")

    def __init__(self, file: str, prefix: str):
        self.file = file
        self.prefix = prefix

    def fail(self, path: str, message: str) -> TraceError:
        where = f"{self.prefix}: {path}" if self.prefix else path
        return TraceError(message, file=self.file, path=where)

    def items(self, node: dict, key: str, path: str, required: bool = True) -> Any:
        value = node.get(key)
        if isinstance(value, Lazy):
            return value
        if value is None:
            if required:
                raise self.fail(f"{path}.{key}" if path else key, "missing required key")
            return []
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}" if path else key, "expected a list")
        return value

    def mapping(self, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, "expected an object")
        return value

    def text(self, node: dict, key: str, path: str, default: str | None = None) -> str:
        value = node.get(key, default)
        if not isinstance(value, str) or (default is None and not value):
            raise self.fail(f"{path}.{key}", "expected a non-empty string")
        return value

    def integer(self, node: dict, key: str, path: str, scale: int = 1) -> int:
        value = node.get(key)
        if isinstance(value, str) and value.isdigit():
            return int(value) * scale
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value * scale
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return int(value) * scale
        if value is None:
            raise self.fail(f"{path}.{key}", "missing required key")
        raise self.fail(f"{path}.{key}", f"expected a whole number >= 0, got {value!r}")


def _otlp_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    return None


def _otlp_attributes(check: _Checker, attributes: Any, path: str) -> dict[str, Any]:
    if attributes is None:
        return {}
    if not isinstance(attributes, list):
        raise check.fail(path, "expected a list of {key, value}")
    found = {}
    for index, item in enumerate(attributes):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise check.fail(f"{path}[{index}]", "expected {key, value}")
        found[item["key"]] = _otlp_value(item.get("value"))
    return found


def _peer(attributes: dict[str, Any]) -> str | None:
    for key in PEER_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    for key in ("url.full", "http.url"):
        value = attributes.get(key)
        if isinstance(value, str) and "://" in value:
            host = value.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
            if host:
                return host
    return None


def _otlp_spans(document: dict, file: str, where: str) -> Iterator[Span]:
    check = _Checker(file, where)
    for r, resource_spans in enumerate(check.items(document, "resourceSpans", "")):
        rpath = f"resourceSpans[{r}]"
        resource_spans = check.mapping(resource_spans, rpath)
        resource = check.mapping(resource_spans.get("resource") or {}, f"{rpath}.resource")
        attributes = _otlp_attributes(
            check, resource.get("attributes"), f"{rpath}.resource.attributes"
        )
        service = attributes.get("service.name")
        if not isinstance(service, str) or not service:
            raise check.fail(f"{rpath}.resource.attributes", "missing service.name")
        scopes = resource_spans.get("scopeSpans")
        key = "scopeSpans"
        if scopes is None and "instrumentationLibrarySpans" in resource_spans:
            key = "instrumentationLibrarySpans"
        for s, scope in enumerate(check.items(resource_spans, key, rpath)):
            spath = f"{rpath}.{key}[{s}]"
            scope = check.mapping(scope, spath)
            for i, span in enumerate(check.items(scope, "spans", spath, required=False)):
                path = f"{spath}.spans[{i}]"
                span = check.mapping(span, path)
                yield _otlp_span(check, span, path, service)


def _otlp_span(check: _Checker, span: dict, path: str, service: str) -> Span:
    kind = span.get("kind", INTERNAL)
    if isinstance(kind, str):
        kind = _OTLP_KINDS.get(kind)
    elif isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= 5:
        kind = kind or INTERNAL
    else:
        kind = None
    if kind is None:
        raise check.fail(f"{path}.kind", f"expected 0-5 or SPAN_KIND_*, got {span.get('kind')!r}")
    status = span.get("status") or {}
    code = status.get("code", 0) if isinstance(status, dict) else None
    if code not in (0, 1, 2, "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"):
        raise check.fail(f"{path}.status.code", f"expected 0, 1, 2 or STATUS_CODE_*, got {code!r}")
    start = check.integer(span, "startTimeUnixNano", path)
    end = check.integer(span, "endTimeUnixNano", path)
    if end < start:
        raise check.fail(f"{path}.endTimeUnixNano", "ends before it starts")
    attributes = _otlp_attributes(check, span.get("attributes"), f"{path}.attributes")
    return Span(
        trace=check.text(span, "traceId", path),
        id=check.text(span, "spanId", path),
        parent=check.text(span, "parentSpanId", path, default=""),
        service=service,
        name=check.text(span, "name", path, default=""),
        kind=kind,
        start=start,
        end=end,
        error=code in (2, "STATUS_CODE_ERROR"),
        peer=_peer(attributes),
    )


def _jaeger_tags(check: _Checker, tags: Any, path: str) -> dict[str, Any]:
    if tags is None:
        return {}
    if not isinstance(tags, list):
        raise check.fail(path, "expected a list of {key, value}")
    found = {}
    for index, tag in enumerate(tags):
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str):
            raise check.fail(f"{path}[{index}]", "expected {key, type, value}")
        found[tag["key"]] = tag.get("value")
    return found


def _jaeger_spans(document: dict, file: str, where: str) -> Iterator[Span]:
    check = _Checker(file, where)
    for t, trace in enumerate(check.items(document, "data", "")):
        tpath = f"data[{t}]"
        trace = check.mapping(trace, tpath)
        processes = check.mapping(trace.get("processes") or {}, f"{tpath}.processes")
        services = {}
        for key, process in processes.items():
            process = check.mapping(process, f"{tpath}.processes.{key}")
            services[key] = check.text(process, "serviceName", f"{tpath}.processes.{key}")
        for i, span in enumerate(check.items(trace, "spans", tpath)):
            path = f"{tpath}.spans[{i}]"
            yield _jaeger_span(check, check.mapping(span, path), path, services)


def _jaeger_span(check: _Checker, span: dict, path: str, services: dict[str, str]) -> Span:
    process = span.get("processID")
    if not isinstance(process, str) or process not in services:
        if isinstance(span.get("process"), dict):  # older exports inline the process
            service = check.text(span["process"], "serviceName", f"{path}.process")
        else:
            raise check.fail(f"{path}.processID", f"names no process (got {process!r})")
    else:
        service = services[process]
    trace = check.text(span, "traceID", path)
    parent = ""
    for index, reference in enumerate(check.items(span, "references", path, required=False)):
        reference = check.mapping(reference, f"{path}.references[{index}]")
        if reference.get("refType", "CHILD_OF") in ("CHILD_OF", "FOLLOWS_FROM"):
            parent = check.text(reference, "spanID", f"{path}.references[{index}]")
            break
    if not parent and isinstance(span.get("parentSpanID"), str):
        parent = span["parentSpanID"]
    tags = _jaeger_tags(check, span.get("tags"), f"{path}.tags")
    kind_tag = tags.get("span.kind")
    kind = _JAEGER_KINDS.get(kind_tag, INTERNAL) if isinstance(kind_tag, str) else INTERNAL
    error = tags.get("error") in (True, "true") or tags.get("otel.status_code") == "ERROR"
    start = check.integer(span, "startTime", path, scale=1000)
    return Span(
        trace=trace,
        id=check.text(span, "spanID", path),
        parent=parent,
        service=service,
        name=check.text(span, "operationName", path, default=""),
        kind=kind,
        start=start,
        end=start + check.integer(span, "duration", path, scale=1000),
        error=error,
        peer=_peer(tags),
    )
