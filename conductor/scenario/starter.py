"""The commented starter scenario written by `conductor init`."""

from __future__ import annotations

import json
import re
from importlib.resources import files


def starter_text(name: str = "starter", file: str | None = None) -> str:
    """The starter scenario's YAML text, named `name`, its comments naming `file`."""
    text = files("conductor.templates").joinpath("starter.yaml").read_text()
    head, body = text.split("\nname: starter\n", 1)
    if file is not None:
        # Only the comments' commands name the file; the scenario body stays as shipped.
        head = head.replace("starter.yaml", _shell_word(file))
    plain = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]*", name)
    return f"{head}\nname: {name if plain else json.dumps(name)}\n{body}"


def _shell_word(text: str) -> str:
    """A file name as it is typed in a shell: quoted when it has to be."""
    if re.fullmatch(r"[A-Za-z0-9_./+-]+", text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"
