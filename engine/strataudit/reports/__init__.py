"""Output formats: one module each, exposing `render(report) -> str` (the `Renderer` protocol).

Looked up by name and imported only when used, so no format's dependencies (Jinja2, XML) sit on
the start-up path of a run that does not ask for it. The formats a code host reads (SARIF,
GitHub annotations, GitLab Code Quality) also take `RenderOptions`: the folder their paths are
relative to, and where the documentation is published (`render(report, options)`); so does
`text`, for `--quiet`.
"""

from __future__ import annotations

import functools
import importlib

from strataudit.reports.base import Renderer, RenderOptions, Report

REGISTRY: dict[str, str] = {
    "text": "strataudit.reports.text",
    "json": "strataudit.reports.json_report",
    "sarif": "strataudit.reports.sarif",
    "junit": "strataudit.reports.junit",
    "markdown": "strataudit.reports.markdown",
    "html": "strataudit.reports.html",
    "github": "strataudit.reports.github",
    "codeclimate": "strataudit.reports.codeclimate",
}


FORMATS = tuple(REGISTRY)
NEEDS_PLANS = frozenset({"html"})  # formats that draw the plan models, not only the findings
# formats whose `render(report, options)` reads `RenderOptions` (the others ignore them)
TAKES_OPTIONS = frozenset({"text", "markdown", "sarif", "github", "codeclimate"})


def needs_plans(formats: tuple[str, ...] | list[str]) -> bool:
    """Whether any of `formats` draws the plan models (so the audit must keep them)."""
    return any(f in NEEDS_PLANS for f in formats)


def renderer(name: str, options: RenderOptions | None = None) -> Renderer:
    """The `render(report) -> str` of the format `name` (one of `FORMATS`), with `options`
    bound for the formats that read them."""
    module = importlib.import_module(REGISTRY[name])
    render: Renderer = module.render
    if options is not None and name in TAKES_OPTIONS:
        return functools.partial(module.render, options=options)
    return render


def render(name: str, report: Report, options: RenderOptions | None = None) -> str:
    """The report in the format `name`, with `options` for the formats that take them."""
    module = importlib.import_module(REGISTRY[name])
    if name in TAKES_OPTIONS:
        text: str = module.render(report, options or RenderOptions())
        return text
    return renderer(name)(report)


__all__ = [
    "FORMATS",
    "REGISTRY",
    "TAKES_OPTIONS",
    "RenderOptions",
    "needs_plans",
    "render",
    "renderer",
]
