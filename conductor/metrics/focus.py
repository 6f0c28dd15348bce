"""One flow's view of a result dict: its figures become the headline (SPEC §9).

Views (figures, the HTML report) read `summary`, `latency_distribution`, `timeline`,
`ranking`, `pareto` and `differences`. `focus` swaps each for the named flow's own, which
a result with several flows keeps beside the blend, so that every view answers for one
flow without knowing about flows. The flow's figures stay where they were too, so
focusing twice on the same flow changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from conductor.errors import ConductorError


def flows_of(result: Mapping[str, Any]) -> list[str]:
    """The flow names of a run, compare or sweep result dict, in declared order."""
    for run in _runs(result):
        return list(run.get("flows") or ())
    return []


def focus(result: Mapping[str, Any], flow: str | None) -> dict[str, Any]:
    """A copy of a result dict whose headline figures are those of `flow` (None: as is)."""
    if flow is None:
        return dict(result)
    known = flows_of(result)
    if flow not in known:
        raise ConductorError(
            f"--flow: no flow '{flow}' in this result (expected one of: {', '.join(known)})"
        )
    result = copy.deepcopy(dict(result))
    if "points" in result:
        for point in result["points"]:
            for run in point.get("strategies", {}).values():
                _focus_run(run, flow)
    elif "strategies" in result:
        for run in result["strategies"].values():
            _focus_run(run, flow)
        verdict = (result.get("by_flow") or {}).get(flow)
        if verdict is not None:
            result.update({k: verdict[k] for k in ("differences", "pareto", "ranking")})
    else:
        _focus_run(result, flow)
    result["flow"] = flow
    return result


def _focus_run(run: dict[str, Any], flow: str) -> None:
    """Swap one run object's headline figures for the flow's, in place."""
    run["summary"] = run["flows"][flow]
    run["flow"] = flow
    distribution = run.get("latency_distribution")
    if distribution and flow in (distribution.get("flows") or {}):
        run["latency_distribution"] = {**distribution, **distribution["flows"][flow]}
    series = run.get("timeline")
    if series and flow in (series.get("flows") or {}):
        # Cost and sourcing shares stay the whole system's: a flow has no bill of its own.
        run["timeline"] = {**series, **series["flows"][flow]}


def _runs(result: Mapping[str, Any]):
    """Every run object of a result dict."""
    if "points" in result:
        for point in result["points"]:
            yield from point.get("strategies", {}).values()
    elif "strategies" in result:
        yield from result["strategies"].values()
    else:
        yield result
