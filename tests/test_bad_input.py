"""Bad input of every kind: one clear line naming the file and the key path, exit status 2.

Every case is checked twice: through the command line (exit status 2, exactly one line on
stderr, nothing on stdout, no traceback, the line reading `conductor: FILE: PATH: ...`) and
through the API (`ScenarioError` whose file and key path are set and whose text reads
`FILE: PATH: message`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import conductor
from tests.builders import DELETE, build_scenario
from tests.conftest import invoke, write_yaml

ST = "components.a.options.inhouse.service_time"
TWO_STEPS = {
    "components.b": {"options": {"inhouse": {"service_time": 1}}},
}

# id -> (changes to the base scenario, key paths any one of which is a correct location,
# a word the message should contain)
CASES: dict[str, tuple[dict[str, Any], list[str], str]] = {
    "unknown key at the top level": ({"colour": "red"}, ["colour"], "unknown"),
    "unknown key in an option": (
        {"components.a.options.inhouse.colour": 1},
        ["components.a.options.inhouse.colour"],
        "unknown",
    ),
    "unknown key in a distribution": (
        {ST: {"dist": "constant", "value": 1, "extra": 2}},
        [f"{ST}.extra"],
        "unknown",
    ),
    "unknown key in a mixture component": (
        {ST: {"dist": "mixture", "of": [{"weight": 1, "dist": "constant", "value": 1, "z": 1}]}},
        [f"{ST}.of[0].z"],
        "unknown",
    ),
    "unknown key in a flow step": (
        {"flows.web.steps.a.colour": 1},
        ["flows.web.steps.a.colour"],
        "unknown",
    ),
    "unknown distribution": ({ST: {"dist": "banana", "value": 1}}, [ST, f"{ST}.dist"], "banana"),
    "lognormal with only a median": (
        {ST: {"dist": "lognormal", "median": "40ms"}},
        [ST],
        "lognormal",
    ),
    "gamma without cv": ({ST: {"dist": "gamma", "mean": 1}}, [ST, f"{ST}.cv"], "cv"),
    "uniform with low above high": (
        {ST: {"dist": "uniform", "low": 2, "high": 1}},
        [ST, f"{ST}.low", f"{ST}.high"],
        "low",
    ),
    "mixture weights not summing to one": (
        {ST: {"dist": "mixture", "of": [{"weight": 0.5, "dist": "constant", "value": 1}]}},
        [ST, f"{ST}.of"],
        "weights",
    ),
    "ambiguous unit 5m": ({ST: "5m"}, [ST], "min"),
    "unknown unit abc": ({ST: "abc"}, [ST], "duration"),
    "bad unit in the run section": ({"run.horizon": "abc"}, ["run.horizon"], "duration"),
    "bad unit in a distribution parameter": (
        {ST: {"dist": "exponential", "mean": "5 parsecs"}},
        [f"{ST}.mean"],
        "duration",
    ),
    "bad unit in an outage shorthand": (
        {"providers.vendor.outages": {"mtbf": "abc", "mttr": 1}},
        ["providers.vendor.outages.mtbf"],
        "duration",
    ),
    "bad rate unit": (
        {"flows.web.arrivals.rate": "5/fortnight"},
        ["flows.web.arrivals.rate"],
        "rate",
    ),
    "negative rate": ({"flows.web.arrivals.rate": -5}, ["flows.web.arrivals.rate"], "-5"),
    "negative rate string": (
        {"flows.web.arrivals.rate": "-5/s"},
        ["flows.web.arrivals.rate"],
        "-5",
    ),
    "negative duration": ({ST: "-2s"}, [ST], "-2s"),
    "probability above 1": (
        {"flows.web.steps.a.probability": 1.5},
        ["flows.web.steps.a.probability"],
        "1.5",
    ),
    "probability below 0": (
        {"components.a.options.inhouse.failure": -0.1},
        ["components.a.options.inhouse.failure"],
        "-0.1",
    ),
    "cycle in after": (
        {**TWO_STEPS, "flows.web.steps": {"a": {"after": ["b"]}, "b": {"after": ["a"]}}},
        ["flows.web.steps", "flows.web.steps.a.after", "flows.web.steps.b.after"],
        "cycle",
    ),
    "self-reference in after": (
        {"flows.web.steps.a.after": ["a"]},
        ["flows.web.steps.a.after", "flows.web.steps.a.after[0]"],
        "itself",
    ),
    "unknown step in after": (
        {"flows.web.steps.a.after": ["nowhere"]},
        ["flows.web.steps.a.after[0]", "flows.web.steps.a.after"],
        "nowhere",
    ),
    "unknown component": (
        {"flows.web.steps.a.component": "nowhere"},
        ["flows.web.steps.a.component"],
        "nowhere",
    ),
    "unknown component from the step id": (
        {"flows.web.steps": {"nowhere": {}}},
        ["flows.web.steps.nowhere"],
        "nowhere",
    ),
    "unknown provider in options": (
        {"components.a.options.nowhere": {"service_time": 1}},
        ["components.a.options.nowhere"],
        "nowhere",
    ),
    "unknown provider in depends_on": (
        {"providers.vendor.depends_on": ["nowhere"]},
        ["providers.vendor.depends_on[0]", "providers.vendor.depends_on"],
        "nowhere",
    ),
    "provider depending on itself": (
        {"providers.vendor.depends_on": ["vendor"]},
        ["providers.vendor.depends_on[0]", "providers.vendor.depends_on"],
        "itself",
    ),
    "unknown provider kind": (
        {"providers.vendor.kind": "alien"},
        ["providers.vendor.kind"],
        "alien",
    ),
    "missing service time": (
        {"components.a.options.inhouse": {"capacity": 2}},
        ["components.a.options.inhouse.service_time"],
        "missing",
    ),
    "unknown arrival process": (
        {"flows.web.arrivals": {"process": "lottery", "rate": 1}},
        ["flows.web.arrivals", "flows.web.arrivals.process"],
        "lottery",
    ),
    "unknown policy": (
        {"strategies.build.policy": "nowhere"},
        ["strategies.build.policy"],
        "nowhere",
    ),
    "unknown strategy parameter": (
        {"strategies.build.colour": 1},
        ["strategies.build.colour"],
        "unknown",
    ),
    "strategy use naming a missing component": (
        {"strategies.build.use": {"nowhere": "inhouse"}},
        ["strategies.build.use.nowhere", "strategies.build.use"],
        "nowhere",
    ),
    "strategy use naming a provider without an option": (
        {"strategies.build.use": {"a": "vendor"}},
        ["strategies.build.use.a"],
        "vendor",
    ),
    "per_component naming a missing component": (
        {"strategies.build.per_component": {"nowhere": {"timeout": "1s"}}},
        ["strategies.build.per_component.nowhere", "strategies.build.per_component"],
        "nowhere",
    ),
    "bad strategy timeout": (
        {"strategies.build.timeout": "soon"},
        ["strategies.build.timeout"],
        "duration",
    ),
    "status quo naming a missing option": (
        {"status_quo": {"a": "vendor"}},
        ["status_quo.a"],
        "vendor",
    ),
    "warmup not shorter than horizon": (
        {"run.warmup": 10},
        ["run", "run.warmup"],
        "warmup",
    ),
    "missing trace file": (
        {"flows.web.arrivals": {"process": "trace", "file": "missing.csv"}},
        ["flows.web.arrivals", "flows.web.arrivals.file"],
        "missing.csv",
    ),
    "missing empirical samples file": (
        {ST: {"dist": "empirical", "file": "missing.csv"}},
        [ST, f"{ST}.file"],
        "missing.csv",
    ),
    "no flows": ({"flows": DELETE}, ["flows"], "missing"),
}


def scenario_file(tmp_path: Path, changes: dict[str, Any]) -> Path:
    """The base scenario with changes, written to tmp_path/bad.yaml."""
    return write_yaml(tmp_path / "bad.yaml", build_scenario(changes))


def assert_one_line(result, *fragments: str) -> str:
    """Exit status 2, one line on stderr holding every fragment, no traceback; the line."""
    stderr = result.stderr
    assert "Traceback" not in result.output + stderr
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == "", result.stdout
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    line = stderr.rstrip("\n")
    assert line.startswith("conductor: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def assert_located(line: str, file: str, paths: list[str]) -> None:
    """The line reads `conductor: FILE: PATH: message` for one of the allowed paths."""
    assert any(line.startswith(f"conductor: {file}: {path}: ") for path in paths), (line, paths)


@pytest.mark.parametrize(("changes", "paths", "word"), CASES.values(), ids=list(CASES))
def test_api_raises_a_located_scenario_error(tmp_path, changes, paths, word):
    """load_scenario raises ScenarioError with the file and the key path of the mistake."""
    path = scenario_file(tmp_path, changes)
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(path)
    error = caught.value
    assert error.file == str(path)
    assert error.path in paths, (error.path, paths)
    assert str(error).startswith(f"{path}: {error.path}: ")
    assert word.lower() in str(error).lower()
    assert "\n" not in str(error)


@pytest.mark.parametrize(("changes", "paths", "word"), CASES.values(), ids=list(CASES))
def test_api_locates_errors_in_mappings_too(changes, paths, word):
    """A scenario given as a mapping is located as <scenario> with the same key path."""
    document = build_scenario(changes)
    if "missing.csv" in word:
        pytest.skip("relative files are resolved against the scenario's folder")
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(document)
    assert caught.value.path in paths, (caught.value.path, paths)


@pytest.mark.parametrize(("changes", "paths", "word"), CASES.values(), ids=list(CASES))
def test_cli_prints_one_located_line(tmp_path, changes, paths, word):
    """`conductor run` and `conductor check` exit 2 with `conductor: FILE: PATH: ...`."""
    path = scenario_file(tmp_path, changes)
    for command in (["run", path, "-q", "-w", "1"], ["check", path]):
        line = assert_one_line(invoke(*command), str(path))
        assert_located(line, str(path), paths)
        assert word.lower() in line.lower()


# Files that cannot be read as a scenario -------------------------------------------------

FILES = {
    "missing file": (None, "not found"),
    "malformed YAML": ("name: [unclosed\nruns: {\n", "YAML"),
    "top level a list": ("- a\n- b\n", "mapping"),
    "empty file": ("", "mapping"),
    "only a comment": ("# nothing here\n", "mapping"),
    "top level a string": ("just words\n", "mapping"),
}


@pytest.mark.parametrize(("text", "word"), FILES.values(), ids=list(FILES))
def test_unreadable_files(tmp_path, text, word):
    """The line names the file and says what is wrong with it; the API raises the same."""
    path = tmp_path / "scenario.yaml"
    if text is not None:
        path.write_text(text)
    for command in (["run", path, "-q", "-w", "1"], ["check", path]):
        line = assert_one_line(invoke(*command), f"conductor: {path}: ", word)
    assert line
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(path)
    assert caught.value.file == str(path)
    assert word.lower() in str(caught.value).lower()


def test_malformed_yaml_names_the_line(tmp_path):
    """A YAML syntax error says where it is."""
    path = tmp_path / "scenario.yaml"
    path.write_text("name: ok\nproviders: {inhouse: {kind: internal}\ncomponents: x\n")
    line = assert_one_line(invoke("check", path), str(path), "line")
    assert "YAML" in line


def test_a_directory_is_not_a_scenario(tmp_path):
    """A folder given as the scenario is bad input, not a crash."""
    result = invoke("check", tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# Command-line options ---------------------------------------------------------------------


@pytest.fixture
def good_file(tmp_path) -> Path:
    """A valid scenario file."""
    return write_yaml(tmp_path / "good.yaml", build_scenario())


def test_set_into_a_plain_value(good_file):
    """`--set name.x=1` cannot set a key inside the string `name`."""
    line = assert_one_line(invoke("run", good_file, "-q", "--set", "name.x=1"), "name.x")
    assert "--set" in line or str(good_file) in line
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.load_scenario(good_file, ["name.x=1"])
    assert caught.value.path == "name.x"


def test_set_into_a_number(good_file):
    """`--set run.horizon.x=1` cannot set a key inside the number `run.horizon`."""
    assert_one_line(invoke("run", good_file, "-q", "--set", "run.horizon.x=1"), "run.horizon.x")


@pytest.mark.parametrize("text", ["nothing", "=3"])
def test_set_without_a_path_or_value(good_file, text):
    """`--set` needs PATH=VALUE."""
    assert_one_line(invoke("run", good_file, "-q", "--set", text), "PATH=VALUE")


def test_set_with_a_bad_value_is_located(good_file):
    """A value given with --set is validated like one in the file, with its key path."""
    line = assert_one_line(
        invoke("check", good_file, "--set", "flows.web.steps.a.probability=2"),
        "flows.web.steps.a.probability",
    )
    assert "2" in line


def test_set_an_unknown_key(good_file):
    """--set of a key the scenario does not know is an unknown key, not silently kept."""
    assert_one_line(
        invoke("check", good_file, "--set", "components.a.options.inhouse.colour=red"),
        "components.a.options.inhouse.colour",
        "unknown",
    )


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--warmup", "1h"], "warmup"),
        (["--horizon", "1s", "--warmup", "5s"], "warmup"),
        (["--horizon", "5m"], "run.horizon"),
        (["--horizon", "abc"], "run.horizon"),
        (["--warmup", "-1s"], "run.warmup"),
    ],
)
def test_bad_run_options(good_file, options, fragment):
    """--horizon and --warmup are validated like the run section."""
    assert_one_line(invoke("run", good_file, "-q", *options), str(good_file), fragment)


def test_warmup_not_shorter_than_horizon_in_the_api():
    """conductor.run(warmup >= horizon) raises ScenarioError on run.warmup."""
    scenario = conductor.load_scenario(build_scenario())
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.run(scenario, horizon=10, warmup=10)
    assert caught.value.path in ("run", "run.warmup")


def test_unknown_strategy_for_run(good_file):
    """`run -s nope` names the strategy and the known ones."""
    line = assert_one_line(invoke("run", good_file, "-q", "-s", "nope"), str(good_file), "nope")
    assert "build" in line  # the known strategies are listed
    scenario = conductor.load_scenario(good_file)
    with pytest.raises(conductor.ScenarioError) as caught:
        conductor.run(scenario, "nope")
    assert "nope" in str(caught.value)
    assert caught.value.path is not None and caught.value.path.startswith("strategies")


def test_init_refuses_to_overwrite(tmp_path, monkeypatch):
    """`init` on an existing file is bad input (exit 2, one line) unless --force."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("keep me\n")
    assert_one_line(invoke("init", "mine"), "mine.yaml")
    assert (tmp_path / "mine.yaml").read_text() == "keep me\n"
