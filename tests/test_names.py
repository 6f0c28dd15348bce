"""Names are the user's text: shown escaped on terminals, quoted in CSV, plain in figures."""

from __future__ import annotations

import csv

import pytest

from conductor.metrics.results import rows_csv
from conductor.report.names import printable
from tests.conftest import build_scenario, invoke, write_yaml

ESCAPE = "in\x1b[31mhouse"
MARKUP = "[/bold]fast"
FORMULA = '=HYPERLINK("http://x")'
MATH = "$\\foo{$"


@pytest.fixture
def hostile_names(tmp_path):
    """A scenario whose every name is hostile to a terminal, rich, a spreadsheet or mathtext."""
    document = build_scenario(
        name=MATH,
        providers={ESCAPE: {"kind": "internal"}, FORMULA: {"kind": "external"}},
        components={
            MARKUP: {"options": {ESCAPE: {"service_time": 0.5}, FORMULA: {"service_time": 0.3}}}
        },
        flows={
            "w\x07eb": {
                "arrivals": {"process": "constant", "rate": 1},
                "steps": {MATH: {"component": MARKUP}},
            }
        },
        strategies={
            MARKUP: {"policy": "static", "use": {"*": "internal"}},
            FORMULA: {"policy": "static", "use": {"*": "external"}},
        },
    )
    document["run"]["replications"] = 2
    return write_yaml(tmp_path / "names.yaml", document)


def test_printable_escapes_controls_and_bidi():
    """Control, bidirectional and zero-width characters become visible escapes."""
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("x\u202ey") == "x\\u202ey"
    assert printable("tab\there") == "tab\\x09here"
    assert printable("café [b] $x$") == "café [b] $x$"


def test_csv_cells_that_look_like_formulas_are_quoted():
    """A cell starting with =, +, -, @ reads as text in a spreadsheet."""
    text = rows_csv([{"strategy": "=1+1", "other": "@x", "fine": "ok", "n": -1.5}])
    row = list(csv.reader(text.splitlines()))[1]
    assert row == ["'=1+1", "'@x", "ok", "-1.5"]


@pytest.mark.parametrize("command", ["check", "run", "compare"])
def test_terminal_output_has_no_raw_escapes(hostile_names, command):
    """check, run and compare print every name, none of them raw."""
    args = [command, hostile_names] + ([] if command == "check" else ["-q", "-w", "1"])
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "in\\x1b[31mhouse" in result.output or command != "check"
    assert MARKUP in result.output


# pytest resets the warning filters conductor.plots sets (a glyph missing for a control
# character is not worth a warning), so the test sets the same one.
@pytest.mark.filterwarnings("ignore:Glyph")
def test_figures_report_and_csv_take_hostile_names(hostile_names, tmp_path):
    """compare --out, plot and report draw mathtext-looking names as text; CSV quotes."""
    out = tmp_path / "out"
    assert invoke("compare", hostile_names, "-q", "-w", "1", "--out", out).exit_code == 0
    rows = list(csv.reader((out / "runs.csv").read_text().splitlines()))
    assert {row[0] for row in rows[1:]} == {"'" + FORMULA, MARKUP}
    assert invoke("plot", out).exit_code == 0
    report = invoke("report", out, "--scenario", hostile_names)
    assert report.exit_code == 0, (report.output, report.exception)
    html = (out / "report.html").read_text()
    assert "=HYPERLINK(&quot;http://x&quot;)" in html and FORMULA not in html
