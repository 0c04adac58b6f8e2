"""The built-in catalogue as parsed when the package was built: a memo, never the source.

Parsing the catalogue's YAML files with the located reader is the largest part of a one-plan
audit's start-up after Python's own imports (about 16 ms of it on our 2-core machines). So the
build (setup.py) parses them once, with this same reader, and writes their data into the
package beside them as `_parsed.json`, each file with the SHA-256 of its bytes.

At run time the snapshot is used only when it still describes the files exactly: the same set
of rule files, every digest equal, and the same strataudit and PyYAML versions that wrote it.
Anything else (an edited or added rule, an editable install, a snapshot that does not read) is
`None`, and the caller parses the YAML files as before. The files stay the truth: a rule is
still added by writing a YAML file, and a stale or missing snapshot only costs time.

This module needs only the standard library, PyYAML and the located reader, so that the build
can import it from the source tree.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from strataudit import __version__
from strataudit.source import load_document

NAME = "_parsed.json"  #: the snapshot's file name, inside the rules folder
FORMAT = 1  #: the snapshot's own layout; another value is not read


def rule_files(directory: Path) -> list[Path]:
    """The catalogue's rule files in their load order (what `rulefile.load_pack` reads)."""
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def _stamp() -> dict[str, Any]:
    return {"format": FORMAT, "strataudit": __version__, "pyyaml": yaml.__version__}


def build(directory: Path) -> dict[str, Any] | None:
    """The snapshot of the rule files under `directory`, or None if one of them cannot be
    carried through JSON unchanged (then the package simply ships without a snapshot)."""
    files: dict[str, Any] = {}
    for path in rule_files(directory):
        relative = path.relative_to(directory).as_posix()
        data = load_document(path, relative).data
        try:
            if json.loads(json.dumps(data, ensure_ascii=False)) != data:
                return None
        except (TypeError, ValueError):
            return None
        files[relative] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "data": data}
    return {**_stamp(), "files": files}


def write(directory: Path) -> bool:
    """Write `directory`'s snapshot into it (the build does this); False if there is none."""
    snapshot = build(directory)
    if snapshot is None:
        return False
    (directory / NAME).write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    return True


def read(directory: Path) -> list[tuple[Path, Any]] | None:
    """Each rule file with its parsed data, in load order, if the snapshot in `directory`
    describes exactly the files there; otherwise None (parse the files instead)."""
    try:
        snapshot = json.loads((directory / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(snapshot, dict) or any(snapshot.get(k) != v for k, v in _stamp().items()):
        return None
    recorded = snapshot.get("files")
    paths = rule_files(directory)
    if not isinstance(recorded, dict) or len(recorded) != len(paths):
        return None
    parsed: list[tuple[Path, Any]] = []
    for path in paths:
        entry = recorded.get(path.relative_to(directory).as_posix())
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
        if not isinstance(entry, dict) or entry.get("sha256") != digest:
            return None
        parsed.append((path, entry.get("data")))
    return parsed
