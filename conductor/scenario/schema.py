"""The JSON Schema of the scenario file, for editors and the format reference."""

from __future__ import annotations

from typing import Any

from conductor.scenario.model import Scenario
from conductor.version import __version__


def scenario_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"conductor scenario (v{__version__})"
    return schema
