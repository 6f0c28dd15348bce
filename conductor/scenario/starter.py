"""The commented starter scenario written by `conductor init`."""

from __future__ import annotations

from importlib.resources import files


def starter_text(name: str = "starter") -> str:
    """The starter scenario's YAML text, named `name`."""
    text = files("conductor.templates").joinpath("starter.yaml").read_text()
    return text.replace("name: starter", f"name: {name}", 1)
