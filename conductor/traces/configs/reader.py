"""Reading one config document: settings gathered per component, every other field reported.

A `Reader` collects conductor keys per component (`Settings`) and a report line for each
field it does not turn into one, with its key path and the reason, so that nothing in a
config is dropped silently. Durations are read as the formats write them: `2s`,
`150ms`, ISO 8601 `PT10S`, `{seconds, nanos}`, or a plain number in a given unit.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conductor.errors import TraceError
from conductor.scenario.units import parse_duration

ENVOY_BACKOFF = {"base": "25ms", "multiplier": 2, "max": "250ms", "jitter": "full"}
NOT_SOURCING = "routing or transport detail with no counterpart in a sourcing model"
CAPACITY = "a limit of the option itself: set components.C.options.P.capacity or queue"


@dataclass
class Settings:
    """conductor keys gathered for one component (or for all, under '*')."""

    keys: dict[str, Any] = field(default_factory=dict)

    def set(self, key: str, value: Any) -> None:
        """Set one conductor key (a later document's value wins)."""
        self.keys[key] = value


class Reader:
    """Reads one config document, collecting settings and reporting what it leaves out."""

    def __init__(self, file: str):
        self.file = file
        self.components: dict[str, Settings] = {}
        self.reported: list[str] = []

    def settings(self, component: str) -> Settings:
        """The settings gathered so far for a component."""
        return self.components.setdefault(component, Settings())

    def report(self, path: str, reason: str) -> None:
        """Note a field left out, with its key path and why."""
        self.reported.append(f"{self.file}: {path}: {reason}")

    def rest(self, node: dict, used: Iterable[str], path: str, reasons: dict[str, str]) -> None:
        """Report every key of `node` that was not used."""
        for key in node:
            if key not in used:
                self.report(f"{path}.{key}" if path else key, reasons.get(key, "unknown field"))

    def duration(self, value: Any, path: str, plain: str = "s") -> float:
        """Seconds of a config duration: 2s, 100ms, PT10S, {seconds, nanos}, or a number."""
        try:
            if isinstance(value, dict):
                return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
            if isinstance(value, str):
                iso = re.fullmatch(
                    r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?",
                    value.strip().upper(),
                )
                if iso and value.strip() != "PT":
                    hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
                    return hours * 3600 + minutes * 60 + seconds
                return parse_duration(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return parse_duration(f"{value}{plain}")
        except (ValueError, TypeError):
            pass
        raise TraceError(f"expected a duration, got {value!r}", file=self.file, path=path)

    def number(self, value: Any, path: str) -> float:
        """A finite number (Envoy's {value: x} wrappers and numeric strings included)."""
        if isinstance(value, dict) and "value" in value:  # Envoy's wrapped numbers
            value = value["value"]
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise TraceError(f"expected a number, got {value!r}", file=self.file, path=path)


def host_of(name: str) -> str:
    """The service of a Kubernetes host name: payments.shop.svc.cluster.local -> payments."""
    return name.split(".", 1)[0] if "." in name and not name.replace(".", "").isdigit() else name
