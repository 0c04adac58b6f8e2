"""The catalogue snapshot (`strataudit/snapshot.py`): the build's parsed rule files, used only
while they match the files exactly, giving the same rules and the same errors as the files."""

from __future__ import annotations

import json
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from strataudit import snapshot
from strataudit.errors import InputError
from strataudit.rulefile import builtin_rules_dir, load_catalogue, load_pack
from strataudit.source import load_document


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A copy of the built-in rule files with a snapshot written beside them, as the build does."""
    directory = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), directory, ignore=shutil.ignore_patterns(snapshot.NAME))
    assert snapshot.write(directory)
    return directory


def test_the_snapshot_holds_what_the_reader_parses(catalogue: Path) -> None:
    parsed = snapshot.read(catalogue)
    assert parsed is not None
    files = snapshot.rule_files(catalogue)
    assert [path for path, _ in parsed] == files
    for path, data in parsed:
        assert data == load_document(path, path.name).data, path


def test_rules_from_the_snapshot_equal_rules_from_the_files(catalogue: Path) -> None:
    assert load_catalogue(catalogue) == tuple(load_pack(catalogue, builtin=True))


@pytest.mark.parametrize(
    "change",
    ["edit a rule", "add a rule", "remove a rule", "another strataudit", "not JSON", "missing"],
)
def test_a_snapshot_that_no_longer_describes_the_files_is_not_used(
    catalogue: Path, change: str
) -> None:
    first = snapshot.rule_files(catalogue)[0]
    written = catalogue / snapshot.NAME
    if change == "edit a rule":
        first.write_text(first.read_text() + "\n# edited\n")
    elif change == "add a rule":
        shutil.copy(first, first.with_name("ZZZ999.yaml"))
    elif change == "remove a rule":
        first.unlink()
    elif change == "another strataudit":
        data = json.loads(written.read_text())
        written.write_text(json.dumps({**data, "strataudit": "0.0.0"}))
    elif change == "not JSON":
        written.write_text("{")
    else:
        written.unlink()
    assert snapshot.read(catalogue) is None
    # and the catalogue is read from the files instead, as they are now
    assert load_catalogue(catalogue) == tuple(load_pack(catalogue, builtin=True))


def test_a_broken_rule_in_the_snapshot_is_reported_with_its_line(catalogue: Path) -> None:
    """A build from a tree with a broken rule: its error is the file's, located."""
    first = snapshot.rule_files(catalogue)[0]
    first.write_text(first.read_text().replace("severity:", "severity: nonsense\nold_severity:", 1))
    assert snapshot.write(catalogue)
    assert snapshot.read(catalogue) is not None
    with pytest.raises(InputError) as raised:
        load_catalogue(catalogue)
    with pytest.raises(InputError) as from_files:
        load_pack(catalogue, builtin=True)
    assert raised.value.problem == from_files.value.problem
    assert raised.value.problem.line is not None


def test_an_installed_package_ships_a_snapshot_that_matches() -> None:
    """The build wrote the snapshot and start-up uses it (an editable install has none)."""
    rules = builtin_rules_dir()
    installed = Path(sysconfig.get_paths()["purelib"]).resolve()
    if installed not in rules.resolve().parents and Path(sys.prefix) not in rules.parents:
        pytest.skip(f"strataudit runs from its source tree ({rules}): no build, no snapshot")
    assert (rules / snapshot.NAME).is_file(), "the build did not write the catalogue snapshot"
    assert snapshot.read(rules) is not None, "the shipped snapshot does not match the rule files"
