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


FORMATS = tuple(REGISTRY)
NEEDS_PLANS = frozenset({"html"})  # formats that draw the plan models, not only the findings


def needs_plans(formats: tuple[str, ...] | list[str]) -> bool:
    """Whether any of `formats` draws the plan models (so the audit must keep them)."""
    return any(f in NEEDS_PLANS for f in formats)


def renderer(name: str) -> Renderer:
    """The `render(report) -> str` of the format `name` (one of `FORMATS`)."""
    module = importlib.import_module(REGISTRY[name])
    render: Renderer = module.render
    return render
