"""Output formats: one module each, exposing `render(report) -> str` (the `Renderer` protocol).

Looked up by name and imported only when used, so no format's dependencies (Jinja2, XML) sit on
the start-up path of a run that does not ask for it.
"""

from __future__ import annotations

import functools
import importlib

from strataudit.reports.base import Renderer, RenderOptions

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


# formats whose `render(report, options)` reads `RenderOptions` (the others ignore them)
TAKES_OPTIONS = frozenset({"text", "markdown"})


def renderer(name: str, options: RenderOptions | None = None) -> Renderer:
    """The `render(report) -> str` of the format `name` (one of `FORMATS`), with `options`
    bound for the formats that read them."""
    module = importlib.import_module(REGISTRY[name])
    render: Renderer = module.render
    if options is not None and name in TAKES_OPTIONS:
        return functools.partial(module.render, options=options)
    return render
