"""How every human-readable report writes a plan's number: one function, so that the HTML
page, its views and the diff formats show `1,200,000` the same way."""

from __future__ import annotations


def number(value: object) -> str:
    """`1,200,000`, `12.50`, an ISO date or other text as it is, `-` when absent."""
    if value is None:
        return "-"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)
