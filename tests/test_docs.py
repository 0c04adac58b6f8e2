"""The documentation a user is pointed at exists: every relative link of the README and docs/."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_names_an_existing_file(document):
    links = [t for t in LINK.findall(document.read_text(encoding="utf-8")) if "://" not in t]
    missing = [t for t in links if not (document.parent / t).exists()]
    assert missing == [], f"{document.name} links to missing files"


def test_the_readme_cites_the_user_documents():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("plan-guide.md", "report-contract.md", "rules.md", "architecture.md", "LICENSE"):
        assert f"]({'' if name == 'LICENSE' else 'docs/'}{name})" in readme, name
