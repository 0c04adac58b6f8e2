"""Output formats: one module each, exposing `render(report) -> str` (the `Renderer` protocol).

Looked up by name and imported only when used, so no format's dependencies (Jinja2, XML) sit on
the start-up path of a run that does not ask for it.
"""

from __future__ import annotations

import importlib

from strataudit.reports.base import Renderer

REGISTRY: dict[str, str] = {
    "text": "strataudit.reports.text",
    "json": "strataudit.reports.json_report",
    "sarif": "strataudit.reports.sarif",
    "junit": "strataudit.reports.junit",
    "markdown": "strataudit.reports.markdown",
    "html": "strataudit.reports.html",
}


def renderer(name: str) -> Renderer:
    module = importlib.import_module(REGISTRY[name])
    render: Renderer = module.render
    return render
