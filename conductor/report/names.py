"""Names from a scenario made safe to show: on a terminal, in rich markup, in a spreadsheet.

Every name in a scenario (of a provider, component, flow, step, strategy, the scenario
itself) is the user's text and may hold anything. Printed raw, a terminal control
sequence in a name would move the cursor, retitle the window or hide text; `[/bold]` would
be read by rich as markup (and refused); a cell beginning with `=` would be run by a
spreadsheet as a formula (CSV cells are quoted in `conductor.metrics.results`). Names
keep their text, shown visibly: control and bidirectional-override characters as
`\\x1b`-style escapes, rich markup escaped.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.markup import escape

# Characters that reorder or hide the text around them (Trojan Source, CVE-2021-42574).
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"} | {
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable(text: str) -> str:
    """The text with control, format and bidirectional characters as visible escapes."""
    if text.isprintable() and not any(c in _INVISIBLE for c in text):
        return text
    shown = []
    for character in text:
        if character in _INVISIBLE or unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co"):
            code = ord(character)
            shown.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        elif not character.isprintable() and character != " ":
            shown.append(f"\\u{ord(character):04x}")
        else:
            shown.append(character)
    return "".join(shown)


def for_markup(text: str) -> str:
    """The text printable and escaped for rich markup."""
    return escape(printable(text))


def for_terminal(value: Any) -> Any:
    """A copy of a result (or any nesting of dicts and lists) with every key and string
    printable; the views escape rich markup where they build their cells."""
    if isinstance(value, dict):
        return {
            (printable(k) if isinstance(k, str) else k): for_terminal(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(for_terminal(v) for v in value)
    if isinstance(value, str):
        return printable(value)
    return value


def plan_for_terminal(plan):
    """A copy of a compiled plan whose names are printable (for `check`)."""
    from dataclasses import replace

    def named(item):
        return replace(item, name=printable(item.name))

    return replace(
        plan,
        name=printable(plan.name),
        providers=tuple(named(p) for p in plan.providers),
        components=tuple(named(c) for c in plan.components),
        options=tuple(named(o) for o in plan.options),
        flows=tuple(replace(named(f), steps=tuple(named(s) for s in f.steps)) for f in plan.flows),
    )
