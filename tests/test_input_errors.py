"""Inputs an adversarial user writes (issue 10): each is an input error of its own file, with
`file:line:col`, the field it is in and a hint, and none aborts the batch it is part of.

Every case is one line of a table; the cases are written into one folder beside two good
plans and audited in one run (as a workflow audits a repository), then each is checked on its
own in that run's report: exit 2, the good plans' findings reported, no traceback.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES

MINIMAL = (FIXTURES / "good" / "minimal.yaml").read_text()
BUDGET = "budget: 150000"  # actions[A1].budget, the first budget of the minimal plan
OWNER = "    owner: vp-eu@acme.example\n    budget: 150000"  # A1's owner: removing it is ACT001


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _yaml(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


def _plan_data() -> dict:
    import yaml

    return yaml.safe_load(MINIMAL)


def _json_text() -> str:
    return json.dumps(_plan_data(), indent=2, default=str)


JSON = _json_text()
JSON_BUDGET = '"budget": 150000'  # also A1's, the first in the JSON text


def _json(old: str, new: str) -> str:
    assert old in JSON, old
    return JSON.replace(old, new, 1)


def _nested(levels: int, suffix: str) -> str:
    """The minimal plan with `x_deep` holding lists down to `levels` containers in all."""
    inner = "[" * (levels - 1) + "]" * (levels - 1)
    if suffix == ".json":
        return _json('"plan": {', f'"x_deep": {inner},\n  "plan": {{')
    return _yaml("plan:\n", f"x_deep: {inner}\nplan:\n")


@dataclass(frozen=True)
class Case:
    """One bad input: its file's text (or how to make the file), and what the error says."""

    suffix: str
    text: str | None  # None: `make` creates the file
    line: int | None  # None: an error about the file itself, not a spot in it
    message: tuple[str, ...]  # words the message must contain (the field, the value)
    hint: str
    make: Callable[[Path], None] | None = None


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))  # left bound: the file stays a socket for the run
    _SOCKETS.append(server)


_SOCKETS: list[socket.socket] = []


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # a character device that never ends


def _loop(path: Path) -> None:
    other = path.with_name(path.stem + "-other.yaml")
    path.symlink_to(other.name)
    other.symlink_to(path.name)  # also found in the folder: the same error, twice


def _include(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_text(_yaml("strataudit: 1\n", f"strataudit: 1\ninclude: [{target}]\n"))

    return make


def _include_fifo(path: Path) -> None:
    os.mkfifo(path.with_name("hq.pipe"))
    _include("hq.pipe")(path)


def _include_loop(path: Path) -> None:
    path.with_name("hq-a.link").symlink_to("hq-b.link")
    path.with_name("hq-b.link").symlink_to("hq-a.link")
    _include("hq-a.link")(path)


TAGGED = _line_of(MINIMAL, BUDGET)
BIG = "1" + "0" * 400
HUGE = "9" * 5000
CASES: dict[str, Case] = {
    # YAML core tags with values they cannot hold
    "tag_bool_maybe": Case(".yaml", _yaml(BUDGET, "budget: !!bool maybe"), TAGGED,
                           ("`budget`", "!!bool", "maybe"), "true or false"),
    "tag_bool_empty": Case(".yaml", _yaml(BUDGET, 'budget: !!bool ""'), TAGGED,
                           ("`budget`", "!!bool"), "true or false"),
    "tag_int_empty": Case(".yaml", _yaml(BUDGET, 'budget: !!int ""'), TAGGED,
                          ("`budget`", "!!int"), "whole number"),
    "tag_int_minus": Case(".yaml", _yaml(BUDGET, "budget: !!int -"), TAGGED,
                          ("invalid YAML",), "syntax"),
    "tag_int_plus": Case(".yaml", _yaml(BUDGET, "budget: !!int +"), TAGGED,
                         ("`budget`", "!!int", "`+`"), "whole number"),
    "tag_int_underscore": Case(".yaml", _yaml(BUDGET, "budget: !!int _"), TAGGED,
                               ("`budget`", "!!int", "`_`"), "whole number"),
    "tag_int_hex_empty": Case(".yaml", _yaml(BUDGET, "budget: !!int 0x"), TAGGED,
                              ("`budget`", "!!int", "`0x`"), "whole number"),
    "tag_float_empty": Case(".yaml", _yaml(BUDGET, 'budget: !!float ""'), TAGGED,
                            ("`budget`", "!!float"), "a number"),
    "tag_float_overflow": Case(".yaml", _yaml(BUDGET, "budget: !!float 1.0e+99999"), TAGGED,
                               ("`budget`", "too large", "1.0e+99999"), "IEEE doubles"),
    "tag_map_scalar": Case(".yaml", _yaml(BUDGET, "budget: !!map foo"), TAGGED,
                           ("`budget`", "!!map", "`foo`", "not a mapping"), "a mapping"),
    "tag_seq_scalar": Case(".yaml", _yaml(BUDGET, "budget: !!seq foo"), TAGGED,
                           ("`budget`", "!!seq", "`foo`", "not a list"), "a list"),
    "tag_str_list": Case(".yaml", _yaml(BUDGET, "budget: !!str [a]"), TAGGED,
                         ("`budget`", "!!str", "a list"), "remove the tag"),
    "tag_null_text": Case(".yaml", _yaml(BUDGET, "budget: !!null x"), TAGGED,
                          ("`budget`", "!!null", "`x`"), "null"),
    "tag_python": Case(".yaml", _yaml(BUDGET, "budget: !!python/int 5"), TAGGED,
                       ("`budget`", "!!python/int", "not allowed"), "safe YAML"),
    # numbers: finite IEEE doubles only
    "yaml_int_400_digits": Case(".yaml", _yaml(BUDGET, f"budget: {BIG}"), TAGGED,
                                ("`budget`", "too large", BIG[:20]), "1.7976931348623157e308"),
    "yaml_int_5000_digits": Case(".yaml", _yaml(BUDGET, f"budget: {HUGE}"), TAGGED,
                                 ("`budget`", "too large", "5,000 characters"), "IEEE doubles"),
    "yaml_float_overflow": Case(".yaml", _yaml(BUDGET, "budget: 1.0e+400"), TAGGED,
                                ("`budget`", "too large", "1.0e+400"), "IEEE doubles"),
    "yaml_nan": Case(".yaml", _yaml(BUDGET, "budget: .nan"), TAGGED,
                     ("`budget`", "finite number", ".nan"), "NaN and infinities"),
    "json_int_5000_digits": Case(".json", _json(JSON_BUDGET, f'"budget": {HUGE}'),
                                 _line_of(JSON, JSON_BUDGET),
                                 ("`budget`", "too large", "5,000 characters"), "IEEE doubles"),
    "json_int_400_digits": Case(".json", _json(JSON_BUDGET, f'"budget": {BIG}'),
                                _line_of(JSON, JSON_BUDGET),
                                ("`budget`", "too large", BIG[:20]), "IEEE doubles"),
    "json_float_overflow": Case(".json", _json(JSON_BUDGET, '"budget": 1e400'),
                                _line_of(JSON, JSON_BUDGET),
                                ("`budget`", "too large", "1e400"), "IEEE doubles"),
    "json_nan": Case(".json", _json(JSON_BUDGET, '"budget": NaN'), _line_of(JSON, JSON_BUDGET),
                     ("`budget`", "finite number", "NaN"), "NaN and infinities"),
    "json_infinity": Case(".json", _json(JSON_BUDGET, '"budget": -Infinity'),
                          _line_of(JSON, JSON_BUDGET),
                          ("`budget`", "finite number", "-Infinity"), "NaN and infinities"),
    # JSON text
    "json_lone_high_surrogate": Case(".json", _json('"Fixture plan"', '"Fixture \\ud83d plan"'),
                                     _line_of(JSON, '"Fixture plan"'),
                                     ("`title`", "unpaired", "\\ud83d"), "both halves"),
    "json_lone_low_surrogate": Case(".json", _json('"Fixture plan"', '"Fixture \\ude80"'),
                                    _line_of(JSON, '"Fixture plan"'),
                                    ("`title`", "unpaired", "\\ude80"), "both halves"),
    "json_duplicate_key": Case(".json", _json(JSON_BUDGET, f"{JSON_BUDGET},\n{JSON_BUDGET}"),
                               _line_of(JSON, JSON_BUDGET) + 1, ("duplicate key `budget`",),
                               "keep one"),
    # one set of limits for both syntaxes, checked as the file is read
    "json_nested_65": Case(".json", _nested(65, ".json"), _line_of(JSON, '"plan": {'),
                           ("deeper than 64 levels",), "flatten"),
    "yaml_nested_65": Case(".yaml", _nested(65, ".yaml"), _line_of(MINIMAL, "plan:\n"),
                           ("deeper than 64 levels",), "flatten"),
    # 70 aliases of a 1 MiB text: 71 nodes, 70 MiB once expanded (the case is 8 MiB
    # aliased 9,000 times, ~70 GiB, refused the same way at its ninth alias)
    "alias_bytes": Case(".yaml", _yaml("plan:\n", "x_a: &big " + "x" * 2**20 + "\nx_b: ["
                                       + ", ".join(["*big"] * 70) + "]\nplan:\n"),
                        _line_of(MINIMAL, "plan:\n") + 1, ("expand past 64 MiB of text",),
                        "fewer aliases"),
    # control characters anywhere: a line and a column
    "control_nul": Case(".yaml", _yaml("title: Fixture plan", 'title: "Fixture\x00 plan"'), 6,
                        ("`title`", "U+0000", "NUL"), "remove it"),
    "control_bel": Case(".yaml", _yaml("title: Fixture plan", "title: Fixture\x07plan"), 6,
                        ("`title`", "U+0007"), "remove it"),
    "control_esc": Case(".yaml", _yaml("title: Fixture plan", "title: \x1b]0;pwned\x07"), 6,
                        ("`title`", "U+001B", "ESC"), "remove it"),
    "control_c1": Case(".yaml", _yaml("title: Fixture plan", "title: Fixture\x9bplan"), 6,
                       ("`title`", "U+009B"), "remove it"),
    "control_json": Case(".json", _json('"Fixture plan"', '"Fixture\x00plan"'),
                         _line_of(JSON, '"Fixture plan"'), ("`title`", "U+0000"), "remove it"),
    # a bad date names its field, the value and the format
    "date_unquoted": Case(".yaml", _yaml("deadline: 2027-12-31", "deadline: 2027-13-45"), 22,
                          ("`deadline`", "2027-13-45", "not a valid date"), "YYYY-MM-DD"),
    "date_with_time": Case(".yaml", _yaml("deadline: 2027-12-31", "deadline: 2027-12-31 10:00:00"),
                           22, ("`deadline`", "2027-12-31 10:00:00", "without a time"),
                           "YYYY-MM-DD"),
    "date_number": Case(".yaml", _yaml("deadline: 2027-12-31", "deadline: 20271231"), 22,
                        ("`deadline`", "20271231"), "YYYY-MM-DD"),
    # files that are not plan files: refused without being opened (a FIFO must not hang)
    "fifo": Case(".yaml", None, None, ("named pipe (FIFO)",), "`-`", _fifo),
    "socket": Case(".yaml", None, None, ("is a socket",), "plan file", _socket),
    "device": Case(".yaml", None, None, ("character device",), "plan file", _device),
    "link_loop": Case(".yaml", None, None, ("symbolic link loop",), "links", _loop),
    "include_fifo": Case(".yaml", None, 4, ("`hq.pipe`", "named pipe"), "`-`", _include_fifo),
    "include_loop": Case(".yaml", None, 4, ("`hq-a.link`", "symbolic link loop"), "links",
                         _include_loop),
}  # fmt: skip


def _good(name: str) -> str:
    """A good plan with one finding: ACT001 on A1 (no owner), A1 titled `name`."""
    return _yaml(OWNER, "    budget: 150000").replace(
        "title: Recruit 10 integrators in FR and PL", f"title: {name}", 1
    )


# A JSON plan as `json.dumps` writes it: the rocket is a surrogate pair escape, `\ud83d\ude80`.
GOOD_B_DATA = _plan_data() | {"plan": {"id": "good-b", "period": _plan_data()["plan"]["period"]}}
GOOD_B_DATA["actions"][0]["title"] = "Launch \U0001f680"
del GOOD_B_DATA["actions"][0]["owner"]
GOOD_B = json.dumps(GOOD_B_DATA, indent=2, default=str)
assert "\\ud83d\\ude80" in GOOD_B


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """All cases and two good plans in one folder, audited in one run (json and text)."""
    from conftest import ROOT, strataudit_command

    folder = tmp_path_factory.mktemp("batch")
    for name, case in CASES.items():
        path = folder / f"{name}{case.suffix}"
        if case.make is not None:
            case.make(path)
        else:
            path.write_bytes((case.text or "").encode("utf-8", "surrogatepass"))
    (folder / "good_a.yaml").write_text(_good("Good plan A"))
    (folder / "good_b.json").write_text(GOOD_B)
    (folder / "good_deep_64.yaml").write_text(_nested(64, ".yaml"))
    (folder / "good_deep_64.json").write_text(_nested(64, ".json"))

    import subprocess

    def run(fmt: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*strataudit_command(), "audit", "--format", fmt, str(folder)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )

    try:
        yield folder, run("json"), run("text")
    finally:
        for server in _SOCKETS:
            server.close()


def _error_for(report: dict, name: str) -> dict:
    mine = [e for e in report["errors"] if Path(e["file"]).name.startswith(name + ".")]
    assert mine, (name, [e["file"] for e in report["errors"]])
    return mine[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_input_is_a_located_error_of_its_own_file(batch, name):
    case = CASES[name]
    _folder, result, _text = batch
    assert result.returncode == 2, result.stderr
    error = _error_for(json.loads(result.stdout), name)
    if case.line is None:
        assert error["line"] is None, error
    else:
        assert (error["line"], error["column"] is not None) == (case.line, True), error
        assert f"{name}{case.suffix}:{error['line']}:{error['column']}: " in result.stderr
    for words in case.message:
        assert words in error["message"] + (error["path"] or ""), (words, error)
    assert case.hint in error["hint"], error


def test_the_good_plans_beside_them_are_audited_and_reported(batch):
    _folder, result, text = batch
    report = json.loads(result.stdout)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "Traceback" not in text.stderr and "internal error" not in text.stderr
    good = {Path(p["file"]).name: p["verdict"] for p in report["plans"] if p["verdict"] != "error"}
    assert good == {
        "good_a.yaml": "fail",
        "good_b.json": "fail",
        "good_deep_64.yaml": "pass",  # 64 levels: the limit, the same in both syntaxes
        "good_deep_64.json": "pass",
    }, report["plans"]
    findings = {
        (Path(f["location"]["file"]).name, f["rule"], f["entity"]) for f in report["findings"]
    }
    assert findings == {("good_a.yaml", "ACT001", "A1"), ("good_b.json", "ACT001", "A1")}
    assert text.returncode == 2 and "Good plan A" in text.stdout and "good_b.json" in text.stdout
    named = {Path(e["file"]).name.split(".")[0] for e in report["errors"]}
    assert set(CASES) <= named | {"link_loop-other"}


def test_a_surrogate_pair_is_read_as_the_character_it_encodes(batch):
    """`json.dumps` writes an emoji as two escapes: the plan is accepted, the emoji intact, and
    the finding located on the action's line of the JSON file."""
    report = json.loads(batch[1].stdout)
    (finding,) = [f for f in report["findings"] if f["location"]["file"].endswith("good_b.json")]
    assert "Launch \U0001f680" in finding["message"]
    line = finding["location"]["line"]  # the item's `{`, on the line before its id
    assert '"id": "A1"' in "".join(GOOD_B.splitlines()[line - 1 : line + 1])


def test_errors_name_the_spot_in_the_plan(batch):
    """Errors met while reading name the plan path, as validation errors do."""
    report = json.loads(batch[1].stdout)
    assert _error_for(report, "tag_bool_maybe")["path"] == "actions[A1].budget"
    assert _error_for(report, "json_nan")["path"] == "actions[A1].budget"
    assert _error_for(report, "json_lone_high_surrogate")["path"] == "plan.title"
