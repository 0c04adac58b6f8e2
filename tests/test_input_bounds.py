"""The load boundary, in-process: bounded reads, memory, what tags and numbers are accepted.

The command-line behaviour of the same inputs is in test_input_errors.py; these tests reach
what the command line cannot show (how much of a stream is read, a MemoryError)."""

from __future__ import annotations

import io
import os

import pytest
from conftest import FIXTURES

from strataudit import loader, source
from strataudit.audit import discover
from strataudit.document import MAX_BYTES
from strataudit.errors import InputError
from strataudit.loader import load_plan
from strataudit.source import CHUNK, load_document, read_stdin

MINIMAL = FIXTURES / "good" / "minimal.yaml"


class EndlessStream(io.RawIOBase):
    """Standard input that never ends (`yes | strataudit audit -`), counting what is read."""

    def __init__(self) -> None:
        self.given = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read of standard input"
        self.given += size
        return b"a" * size


def test_standard_input_is_refused_as_soon_as_it_passes_the_limit():
    stream = EndlessStream()
    with pytest.raises(InputError) as caught:
        read_stdin(stream, "<stdin>")  # type: ignore[arg-type]
    assert "over the 64 MiB limit" in caught.value.problem.message
    assert caught.value.problem.file == "<stdin>"
    assert stream.given <= MAX_BYTES + CHUNK


def test_standard_input_within_the_limit_is_read_whole():
    text = MINIMAL.read_text()
    assert read_stdin(io.BytesIO(text.encode())) == text


def test_a_file_that_grows_while_read_is_bounded_too(tmp_path, monkeypatch):
    """The size is checked on what is read, not only on what `stat` said."""
    plan = tmp_path / "plan.yaml"
    plan.write_text("strataudit: 1\n")
    monkeypatch.setattr(source, "open", lambda *a, **k: EndlessStream(), raising=False)
    with pytest.raises(InputError, match="over the 64 MiB limit"):
        load_document(plan, "plan.yaml")


def test_a_plan_too_large_for_memory_is_an_input_error_of_that_plan(monkeypatch):
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(loader, "load_document", exhausted)
    with pytest.raises(InputError) as caught:
        load_plan(MINIMAL, "minimal.yaml")
    problem = caught.value.problem
    assert problem.file == "minimal.yaml" and "too large for the memory" in problem.message
    assert "include" in problem.hint
    # not chained to the MemoryError, whose traceback would keep the partial plan in memory
    # while the error is reported (a 60 MiB plan under a memory limit failed so a second time)
    assert caught.value.__context__ is None


def test_a_folder_file_too_large_for_memory_is_an_error_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / "plan.json").write_text('{"strataudit": 1, "plan": {"id": "x"}}')

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("strataudit.audit.load_document", exhausted)
    found = discover([str(tmp_path)])
    assert [p.message for p in found.errors] == ["the file is too large for the memory available"]
    assert found.targets == []


def test_a_symbolic_link_loop_named_directly_is_an_input_error(tmp_path):
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    (target,) = discover([str(tmp_path / "a.yaml")]).targets
    with pytest.raises(InputError, match="symbolic link loop"):
        load_plan(target.path, target.display)


def test_a_fifo_is_refused_without_being_opened(tmp_path, monkeypatch):
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    monkeypatch.setattr(source, "open", None, raising=False)  # any open would fail loudly
    with pytest.raises(InputError, match="named pipe"):
        load_document(fifo, "plan.yaml")


def test_an_unlistable_folder_is_an_error_not_a_silent_gap(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root lists every folder")
    hidden = tmp_path / "eu"
    hidden.mkdir()
    hidden.chmod(0)
    try:
        found = discover([str(tmp_path)])
    finally:
        hidden.chmod(0o755)
    assert any("cannot be read" in p.message for p in found.errors)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("!!bool yes", True),
        ("!!bool False", False),
        ("!!int 0x1F", 31),
        ("!!int -1_000", -1000),
        ("!!float 1", 1.0),
        ("!!float -2.5e+3", -2500.0),
        ("!!null ~", None),
        ("!!null", None),
        ("!!str 5", "5"),
        ("! 5", "5"),
        ("2027-06-30", __import__("datetime").date(2027, 6, 30)),
        ("2027-13-45", "2027-13-45"),  # kept as text: the field's validation names it
        ("1" + "0" * 308, 10**308),  # an integer a double holds is accepted
        ("179769313486231570" + "0" * 291, 179769313486231570 * 10**291),
    ],
)
def test_values_tags_can_hold_are_read(written, value):
    doc = source.parse(f"x: {written}\n", "t.yaml")
    assert doc.data == {"x": value} and type(doc.data["x"]) is type(value)


@pytest.mark.parametrize(
    "written",
    [str(2**1024), "1.0e+309", "-1.0e+309", ".inf", "-.inf", ".nan", "!!float .inf"],
)
def test_numbers_beyond_a_finite_double_are_refused_in_yaml_and_json(written):
    with pytest.raises(InputError, match=r"too large|finite number") as caught:
        source.parse(f"x: {written}\n", "t.yaml")
    assert (caught.value.problem.line, caught.value.problem.column) == (1, 4)
    json_form = {".inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}.get(written, written)
    if not written.startswith("!!"):
        with pytest.raises(InputError, match=r"too large|finite number") as caught:
            number = json_form.replace(".0e+", "e")
            load_document(None, "t.json", f'{{"x": {number}}}')
        assert (caught.value.problem.line, caught.value.problem.column) == (1, 7)


def test_json_and_yaml_accept_the_same_depth():
    for levels, accepted in ((64, True), (65, False)):
        text = "[" * levels + "]" * levels
        for display in ("t.json", "t.yaml"):
            if accepted:
                load_document(None, display, text)
            else:
                with pytest.raises(InputError, match="deeper than 64") as caught:
                    load_document(None, display, text)
                assert caught.value.problem.column == levels


def test_a_json_document_marks_match_where_values_are_written():
    text = '{"a": [1, {"b": "\\ud83d\\ude80"}],\n "c": {"d": null}}'
    doc = load_document(None, "t.json", text)
    assert doc.data == {"a": [1, {"b": "\U0001f680"}], "c": {"d": None}}
    assert doc.mark_of(("a", 1, "b")) == (1, 12)
    assert doc.mark_of(("c", "d")) == (2, 8)
    assert doc.mark_of(("c", "zz")) == (2, 2)  # absent: its nearest written ancestor
