"""Import of traces: structure, distributions, fidelity, validation, speed and bad input.

The traces come from `tracegen`, whose composition and distributions are known: the
import must recover the DAG (a parallel fan-out, a repeated call, an optional call seen
in 30 % of requests, an uninstrumented vendor), the fitted medians and tails, and a
scenario whose `as-measured` simulation reproduces the measured end-to-end p50 within
7 %, p99 within 12 % and the arrival rate within 5 %.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conductor.cli import main
from conductor.errors import TraceError
from conductor.experiments.run import load_scenario
from conductor.traces.writer import import_traces, measure
from tests import tracegen

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("traces")
    generated = tracegen.generate(duration=300.0, seed=11)
    return {
        "generated": generated,
        "otel": tracegen.write(folder / "shop-otel.json", tracegen.to_otlp(generated.spans)),
        "jaeger": tracegen.write(folder / "shop-jaeger.json", tracegen.to_jaeger(generated.spans)),
        "folder": folder,
    }


def _import(shop, kind: str):
    target = shop["folder"] / f"imported-{kind}.yaml"
    done = CliRunner().invoke(main, ["import", kind, str(shop[kind]), "-o", str(target)])
    assert done.exit_code == 0, done.output
    return target, load_scenario(target)


@pytest.mark.parametrize("kind", ["otel", "jaeger"])
def test_import_recovers_the_composition(shop, kind):
    _, scenario = _import(shop, kind)
    checkout = scenario.flows["frontend-get-checkout"].steps
    assert {name: sorted(step.after) for name, step in checkout.items()} == {
        "frontend": [],
        "cart": ["frontend"],
        "checkout": ["cart"],
        "payco": ["checkout"],  # in parallel with inventory
        "inventory": ["checkout"],
        "email": ["inventory", "payco"],
    }
    assert checkout["inventory"].calls == 2
    assert checkout["email"].optional and abs(checkout["email"].probability - 0.3) < 0.04
    assert all(s.probability == 1 for n, s in checkout.items() if n != "email")
    assert not any(s.optional for n, s in checkout.items() if n != "email")
    product = scenario.flows["frontend-get-product"].steps
    assert {n: s.after for n, s in product.items()} == {"frontend": [], "catalog": ["frontend"]}
    assert scenario.providers["payco"].kind == "external"
    assert scenario.providers["payco"].network is None
    assert {p for p, v in scenario.providers.items() if v.kind == "internal"} == {
        f"{s}-team" for s in ("frontend", "cart", "checkout", "inventory", "email", "catalog")
    }
    assert scenario.providers["frontend-team"].network is None  # the root has no caller
    use = scenario.strategies["as-measured"].params["use"]
    assert use["payco"] == "payco" and use["cart"] == "cart-team"


def test_import_recovers_the_distributions(shop):
    imported = import_traces(shop["otel"])
    for service in (tracegen.CART, tracegen.CATALOG, tracegen.PAYCO, tracegen.INVENTORY):
        fit = imported.fits[service.name]
        assert fit.kind == "lognormal", (service.name, fit.describe())
        assert fit.median == pytest.approx(service.own.median, rel=0.06)
        assert fit.p99 == pytest.approx(service.own.p99, rel=0.15)
    document = imported.document
    network = document["providers"]["cart-team"]["network"]
    assert network["dist"] == "lognormal"
    scenario = load_scenario(document)
    trip = scenario.providers["cart-team"].network.build()
    assert trip.quantile(0.5) == pytest.approx(tracegen.NETWORK.median, rel=0.1)
    payco = document["components"]["payco"]["options"]["payco"]
    assert payco["failure"] == pytest.approx(tracegen.PAYCO.failure, abs=0.006)
    # checkout failed only because payco did: the failure is payco's, not checkout's
    assert "failure" not in document["components"]["checkout"]["options"]["checkout-team"]
    email = document["components"]["email"]["options"]["email-team"]
    assert email["failure"] == pytest.approx(tracegen.EMAIL.failure, abs=0.03)
    rates = {f: spec["arrivals"]["rate"] for f, spec in document["flows"].items()}
    generated = shop["generated"]
    for flow, name in (("frontend-get-checkout", "frontend GET /checkout"),):
        measured = len(generated.arrivals[name]) / generated.window
        assert float(rates[flow].removesuffix("/s")) == pytest.approx(measured, rel=0.01)


def test_as_measured_reproduces_the_measured_percentiles_and_rates(shop):
    from conductor.traces.validate import validate

    target, _ = _import(shop, "otel")
    result = validate(target, shop["jaeger"], workers=1)
    assert result.strategy == "as-measured"
    assert set(result.flows) == {"frontend-get-checkout", "frontend-get-product"}
    for flow, row in result.flows.items():
        errors = row["relative_error"]
        assert abs(errors["p50"]) < 0.07, (flow, errors)
        assert abs(errors["p99"]) < 0.12, (flow, errors)
        assert abs(errors["rate_per_s"]) < 0.05, (flow, errors)
    for component, row in result.components.items():
        assert abs(row["relative_error"]["p50"]) < 0.07, (component, row)
    assert result.mape["all"] < 0.05
    assert result.unmatched == {"flows": [], "components": []}


def test_validate_finds_a_wrong_model(shop, tmp_path):
    from conductor.traces.validate import validate

    _, scenario = _import(shop, "otel")
    document = dict(scenario.document)
    slower = json.loads(json.dumps(document))
    slower["components"]["payco"]["options"]["payco"]["service_time"] = "200ms"
    result = validate(load_scenario(slower), shop["otel"], workers=1, replications=2)
    assert result.flows["frontend-get-checkout"]["relative_error"]["p50"] > 0.5
    assert result.components["payco"]["relative_error"]["p50"] > 1.0


def test_validate_cli_writes_json_and_the_cdf_figure(shop, tmp_path):
    target, _ = _import(shop, "jaeger")
    out = tmp_path / "validation"
    done = CliRunner().invoke(
        main,
        [
            *("validate", str(target), "--against", str(shop["otel"]), "--json", "-q"),
            *("-r", "2", "--out", str(out), "--workers", "1"),
        ],
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert set(result) >= {"flows", "components", "mape", "unmatched", "strategy"}
    row = result["flows"]["frontend-get-checkout"]
    assert set(row) == {"measured", "simulated", "relative_error"}
    assert set(row["measured"]) >= {"p50", "p90", "p99", "n", "rate_per_s"}
    assert (out / "validation.json").is_file()
    assert (out / "validation-cdf.png").stat().st_size > 10_000


def test_import_is_deterministic(shop):
    assert import_traces(shop["otel"]).text == import_traces(shop["otel"]).text


def test_otlp_and_jaeger_give_the_same_model(shop):
    otel, jaeger = import_traces(shop["otel"]), import_traces(shop["jaeger"])
    assert otel.document["flows"] == jaeger.document["flows"]
    assert otel.document["components"].keys() == jaeger.document["components"].keys()


def test_import_of_100_000_spans_takes_seconds(tmp_path):
    generated = tracegen.generate(duration=830.0, seed=3)
    assert len(generated.spans) >= 100_000
    path = tracegen.write(tmp_path / "big.json", tracegen.to_otlp(generated.spans))
    began = time.perf_counter()
    imported = import_traces(path)
    elapsed = time.perf_counter() - began
    assert imported.measured.spans == len(generated.spans)
    assert elapsed < 30, f"{len(generated.spans)} spans took {elapsed:.1f}s"


def test_json_lines_are_read_a_document_at_a_time(shop, tmp_path):
    spans = shop["generated"].spans
    half = len(spans) // 2
    lines = [tracegen.to_otlp(spans[:half]), tracegen.to_otlp(spans[half:])]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert measure(path).spans == len(spans)


# Bad input -------------------------------------------------------------------------------


def _refused(tmp_path, text: str | bytes, kind: str = "otel") -> str:
    path = tmp_path / "bad.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    done = CliRunner().invoke(main, ["import", kind, str(path), "-o", str(tmp_path / "o.yaml")])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.output, done.output
    assert str(path) in lines[0]
    return lines[0]


def _small(generated_spans, count=60):
    return [s for s in generated_spans if s.trace <= count]


def test_empty_malformed_truncated_and_binary_files_are_refused(tmp_path, shop):
    assert "empty" in _refused(tmp_path, "  \n")
    assert "malformed JSON at line 1" in _refused(tmp_path, '{"resourceSpans": [}]')
    whole = json.dumps(tracegen.to_otlp(_small(shop["generated"].spans)))
    assert "truncated" in _refused(tmp_path, whole[: len(whole) // 2])
    assert "UTF-8" in _refused(tmp_path, b"\xff\xfe{}")
    assert "expected resourceSpans" in _refused(tmp_path, '{"spans": []}')
    assert "no usable request" in _refused(tmp_path, '{"resourceSpans": []}')


def test_mixed_and_wrong_format_files_are_refused(tmp_path, shop):
    spans = _small(shop["generated"].spans)
    otlp, jaeger = tracegen.to_otlp(spans), tracegen.to_jaeger(spans)
    assert "mixes" in _refused(tmp_path, json.dumps({**otlp, **jaeger}))
    assert "mixes" in _refused(tmp_path, json.dumps(otlp) + "\n" + json.dumps(jaeger) + "\n")
    assert "conductor import jaeger" in _refused(tmp_path, json.dumps(jaeger), "otel")
    assert "conductor import otel" in _refused(tmp_path, json.dumps(otlp), "jaeger")


def test_a_bad_field_is_named_by_its_key_path(tmp_path, shop):
    otlp = tracegen.to_otlp(_small(shop["generated"].spans))
    del otlp["resourceSpans"][1]["scopeSpans"][0]["spans"][2]["startTimeUnixNano"]
    line = _refused(tmp_path, json.dumps(otlp))
    assert "resourceSpans[1].scopeSpans[0].spans[2].startTimeUnixNano" in line
    assert "missing required key" in line
    otlp = tracegen.to_otlp(_small(shop["generated"].spans))
    otlp["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["kind"] = "SERVER-ISH"
    assert "spans[0].kind" in _refused(tmp_path, json.dumps(otlp))
    jaeger = tracegen.to_jaeger(_small(shop["generated"].spans))
    jaeger["data"][3]["spans"][1]["processID"] = "p99"
    assert "data[3].spans[1].processID" in _refused(tmp_path, json.dumps(jaeger), "jaeger")


def test_missing_parents_and_cycles_are_counted_or_refused(tmp_path, shop):
    spans = [tracegen.Span(**vars(s)) for s in _small(shop["generated"].spans, 100)]
    children = [s for s in spans if s.parent and s.trace <= 10]
    for span in children[:: max(len(children) // 10, 1)]:
        span.parent = 10**9 + span.id  # a parent not in the file
    cycle = [s for s in spans if s.trace == 20]
    cycle[0].parent = cycle[-1].id  # the root's parent is one of its descendants
    path = tracegen.write(tmp_path / "broken.json", tracegen.to_otlp(spans))
    imported = import_traces(path)
    warnings = " | ".join(imported.warnings)
    assert "a span names a parent that is not in the file" in warnings
    assert "parent links form a cycle" in warnings
    skipped = sum(int(w.split()[0]) for w in imported.warnings if "traces skipped" in w)
    assert len(imported.measured.requests) == 100 - skipped
    # Nothing usable left: one line, exit 2
    for span in spans:
        span.parent = span.parent or span.id  # every root its own parent: all cycles
    tracegen.write(tmp_path / "bad.json", tracegen.to_otlp(spans))
    assert "no usable request" in _refused(tmp_path, (tmp_path / "bad.json").read_text())


def test_clock_skew_is_moved_inside_the_parent_and_counted(tmp_path, shop):
    spans = [tracegen.Span(**vars(s)) for s in _small(shop["generated"].spans, 200)]
    ids = {s.id: s for s in spans}
    skewed = 0
    for span in spans:
        if span.kind == "server" and span.parent and span.service == "cart":
            span.start += 0.05  # the cart host's clock runs 50 ms ahead
            span.end += 0.05
            skewed += 1
            assert ids[span.parent].kind == "client"
    path = tracegen.write(tmp_path / "skewed.json", tracegen.to_otlp(spans))
    imported = import_traces(path)
    assert f"{skewed} SERVER spans outside their CLIENT parent" in " ".join(imported.warnings)
    trips = imported.measured.components["cart"].round_trip
    assert min(trips) >= 0 and max(trips) < 0.01


def test_the_sample_trace_file_imports_into_a_valid_scenario(tmp_path):
    sample = ROOT / "scenarios" / "traces" / "shop-otel.json"
    target = tmp_path / "shop.yaml"
    done = CliRunner().invoke(main, ["import", "otel", str(sample), "-o", str(target)])
    assert done.exit_code == 0, done.output
    checked = CliRunner().invoke(main, ["check", str(target)])
    assert checked.exit_code == 0 and "warning" not in checked.output, checked.output
    assert set(load_scenario(target).flows) == {"frontend-get-checkout", "frontend-get-product"}


def test_sampled_traces_scale_the_rates(shop):
    full, tenth = import_traces(shop["otel"]), import_traces(shop["otel"], sampled=0.1)
    for flow, spec in full.document["flows"].items():
        rate = float(spec["arrivals"]["rate"].removesuffix("/s"))
        scaled = float(tenth.document["flows"][flow]["arrivals"]["rate"].removesuffix("/s"))
        assert scaled == pytest.approx(10 * rate, rel=1e-4)


def test_names_from_traces_cannot_write_scenario_keys(tmp_path, shop):
    spans = [tracegen.Span(**vars(s)) for s in _small(shop["generated"].spans)]
    for span in spans:
        if span.service == "cart":
            span.service = "cart\nevents: [{at: 1s}]"
            span.name = "GET\n/cart\u2028strategies: {}"
    path = tracegen.write(tmp_path / "hostile.json", tracegen.to_otlp(spans))
    target = tmp_path / "hostile.yaml"
    done = CliRunner().invoke(main, ["import", "otel", str(path), "-o", str(target)])
    assert done.exit_code == 0, done.output
    scenario = load_scenario(target)
    assert not scenario.events
    assert "cart-events-at-1s" in scenario.components
    assert "as-measured" in scenario.strategies


def test_trace_arrivals_replay_the_measured_times(shop, tmp_path):
    target = tmp_path / "replayed.yaml"
    done = CliRunner().invoke(
        main, ["import", "otel", str(shop["otel"]), "-o", str(target), "--arrivals", "trace"]
    )
    assert done.exit_code == 0, done.output
    scenario = load_scenario(target)
    generated = shop["generated"]
    for flow, name in (("frontend-get-checkout", "frontend GET /checkout"),):
        arrivals = scenario.flows[flow].arrivals
        assert arrivals.process == "trace"
        assert len(arrivals.times) == len(generated.arrivals[name])
        first = min(min(times) for times in generated.arrivals.values())
        expected = [t - first for t in generated.arrivals[name]]
        assert arrivals.times == pytest.approx(expected, abs=1e-6)
    assert scenario.run.horizon > max(max(f.arrivals.times) for f in scenario.flows.values())
    with pytest.raises(TraceError, match="sampled"):
        import_traces(shop["otel"], arrivals="trace", sampled=0.5)


def test_validate_against_unrelated_traces_is_refused(shop):
    done = CliRunner().invoke(
        main,
        [
            "validate",
            str(ROOT / "scenarios" / "tail-at-scale.yaml"),
            "--against",
            str(shop["otel"]),
            "-q",
        ],
    )
    assert done.exit_code == 2, done.output
    assert "names differ" in done.output and len(done.output.strip().splitlines()) == 1


def test_parallel_calls_to_one_service_are_lanes_and_orderings_are_reduced(tmp_path):
    shard = tracegen.Service("shard", tracegen.Times(0.010, 0.030), tracegen.NETWORK)
    rank = tracegen.Service("rank", tracegen.Times(0.004, 0.010), tracegen.NETWORK)
    logly = tracegen.Service("logly", tracegen.Times(0.002, 0.006), external=True)
    api = tracegen.Service("api", tracegen.Times(0.001, 0.003))
    search = tracegen.Call(
        api,
        "GET /search",
        then=(
            (tracegen.Call(shard, "GET /q"), tracegen.Call(shard, "GET /q")),
            (tracegen.Call(rank, "POST /rank"),),
            (tracegen.Call(logly, "POST /log", probability=0.5),),
        ),
    )
    generated = tracegen.generate(duration=60.0, seed=4, flows=((search, 10.0),))
    path = tracegen.write(tmp_path / "search.json", tracegen.to_jaeger(generated.spans))
    steps = load_scenario(import_traces(path).document).flows["api-get-search"].steps
    assert {name: sorted(step.after) for name, step in steps.items()} == {
        "api": [],
        "shard": ["api"],
        "shard-2": ["api"],  # the second of two overlapping calls: a lane of its own
        "rank": ["shard", "shard-2"],
        "logly": ["rank"],  # after rank only: rank already comes after the shards
    }
    assert steps["shard-2"].component == "shard"
    assert steps["logly"].probability == pytest.approx(0.5, abs=0.07)


def _otlp_document(spans: list[dict]) -> dict:
    services: dict[str, list[dict]] = {}
    for span in spans:
        services.setdefault(span.pop("_service"), []).append(span)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": s}}]},
                "scopeSpans": [{"spans": members}],
            }
            for s, members in services.items()
        ]
    }


def _span(trace, span, parent, service, kind, start, end):
    return {
        "_service": service,
        "traceId": f"{trace:032x}",
        "spanId": f"{span:016x}",
        "parentSpanId": f"{parent:016x}" if parent else "",
        "name": "op",
        "kind": kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
    }


def test_calls_nested_past_the_depth_limit_are_refused(tmp_path):
    spans = [_span(1, 1, 0, "deep", 2, 0, 10**9)]
    spans += [_span(1, n, n - 1, "deep", 1, n, 10**9 - n) for n in range(2, 400)]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(_otlp_document(spans)))
    with pytest.raises(TraceError, match="deeper than 200 levels"):
        import_traces(path)


def test_a_load_generator_s_client_root_is_looked_through(tmp_path):
    spans = []
    for trace in range(1, 40):
        at = trace * 10**8
        spans += [
            _span(trace, 1, 0, "loadgen", "SPAN_KIND_CLIENT", at, at + 5 * 10**6),
            _span(trace, 2, 1, "web", "SPAN_KIND_SERVER", at + 10**6, at + 4 * 10**6),
        ]
    path = tmp_path / "loadgen.json"
    path.write_text(json.dumps(_otlp_document(spans)))
    document = import_traces(path).document
    assert list(document["flows"]) == ["web-op"]
    assert list(document["components"]) == ["web"]
    assert document["flows"]["web-op"]["arrivals"]["rate"] == "10/s"


def _nodes(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield from _nodes(value, (*path, index))


@pytest.mark.parametrize("kind", ["otel", "jaeger"])
def test_no_damage_to_a_trace_file_is_an_internal_error(tmp_path, kind):
    import copy
    import random

    spans = tracegen.generate(duration=3.0, seed=1).spans
    document = tracegen.to_otlp(spans) if kind == "otel" else tracegen.to_jaeger(spans)
    places = list(_nodes(document))[1:]
    values = [None, 5, -1, "x", "", [], {}, True, 1.5, "123", [1], {"a": 1}, 10**30]
    rng = random.Random(2026)
    path = tmp_path / "damaged.json"
    for _ in range(150):
        damaged = copy.deepcopy(document)
        where, _ = rng.choice(places)
        parent = damaged
        for key in where[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[where[-1]]
        else:
            parent[where[-1]] = rng.choice(values)
        path.write_text(json.dumps(damaged))
        done = CliRunner().invoke(main, ["import", kind, str(path), "-o", str(tmp_path / "o.yaml")])
        assert done.exit_code in (0, 2), (where, done.output)


def test_operations_of_one_service_far_apart_are_a_warning(shop, tmp_path):
    assert not any("pooled" in w for w in import_traces(shop["otel"]).warnings)
    slow = tracegen.Service("frontend", tracegen.Times(0.030, 0.090))
    report = tracegen.Call(
        slow, "GET /report", then=((tracegen.Call(tracegen.CART, "GET /cart"),),)
    )
    flows = ((tracegen.PRODUCT_FLOW, 10.0), (report, 5.0))
    generated = tracegen.generate(duration=30.0, seed=8, flows=flows)
    path = tracegen.write(tmp_path / "mixed.json", tracegen.to_otlp(generated.spans))
    warnings = import_traces(path).warnings
    assert any(w.startswith("frontend: its operations take different times") for w in warnings)
