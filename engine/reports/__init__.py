"""Output formats: one module each behind the `Renderer` protocol, looked up by name."""

from __future__ import annotations

from strataudit.reports import json_report, text
from strataudit.reports.base import Renderer

REGISTRY: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
}
