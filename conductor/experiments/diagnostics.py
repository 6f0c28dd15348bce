"""Warnings about a run's settings that change what its figures mean.

An event that happens at or after the horizon never happens; one that starts before the
warm-up ends acts, at least in part, outside the measured window. Neither is an error
(a sweep may move the horizon past an event), but neither may pass silently.
"""

from __future__ import annotations

from conductor.plan import EventPlan, Plan
from conductor.scenario.units import format_duration


def event_warnings(plan: Plan, horizon: float, warmup: float) -> list[str]:
    """One sentence per event outside the measured window [warmup, horizon)."""
    warnings = []
    for event in sorted(plan.events, key=lambda e: e.number):
        what = (
            f"events[{event.number}] ({describe_event(plan, event)} at {format_duration(event.at)})"
        )
        if event.at >= horizon:
            warnings.append(
                f"{what} is at or after the horizon ({format_duration(horizon)}): it never happens"
            )
        elif event.at < warmup:
            warnings.append(
                f"{what} starts before the warm-up ends ({format_duration(warmup)}): "
                "the figures miss its start"
            )
    return warnings


def describe_event(plan: Plan, event: EventPlan) -> str:
    """'payco outage' or 'checkout surge ×2'."""
    if event.action == "surge":
        return f"{plan.flows[event.target].name} surge ×{event.value:g}"
    who = plan.providers[event.target].name
    if event.action in ("slowdown", "price"):
        return f"{who} {event.action} ×{event.value:g}"
    return f"{who} {event.action}"
