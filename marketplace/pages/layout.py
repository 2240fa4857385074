"""Helpers for the HTML the report modules (``quality.py``, ``valuation.py``) draw in Python:
every value that comes from data goes through ``esc`` (``html.escape`` with quotes). Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from ledger.models import as_utc

EXCHANGE_NAME = "Databourse"
NAV = (
    ("/", "Home", "home"),
    ("/catalog", "Catalog", "catalog"),
    ("/explorer", "Ledger explorer", "explorer"),
    ("/explorer/batches", "Batches", "batches"),
    ("/docs", "API docs", "docs"),
)


def esc(value: object) -> str:
    """Any value as HTML text (quotes escaped too, so it is safe inside attributes)."""
    return escape("" if value is None else str(value), quote=True)


def url(path: str, **params: object) -> str:
    """``path`` with the non-empty ``params`` as its query string (not yet HTML-escaped)."""
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def link(href: str, text: object, *, css: str = "") -> str:
    cls = f' class="{esc(css)}"' if css else ""
    return f'<a href="{esc(href)}"{cls}>{esc(text)}</a>'


def abbrev(value: str | None, keep: int = 10) -> str:
    """A long hash or address shortened for a table cell, the whole value in its title."""
    if not value:
        return "&mdash;"
    short = value if len(value) <= 2 * keep + 1 else f"{value[:keep]}…{value[-keep + 2 :]}"
    return f'<span class="hash" title="{esc(value)}">{esc(short)}</span>'


def full_hash(value: str | None) -> str:
    return f'<span class="hash">{esc(value)}</span>' if value else "&mdash;"


def when(moment: datetime | None) -> str:
    """A timestamp in UTC (naive values from SQLite are UTC)."""
    if moment is None:
        return "&mdash;"
    return esc(as_utc(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


def size_text(size_bytes: int | None) -> str:
    """``1536`` → ``1,536 bytes (1.5 KiB)``."""
    if size_bytes is None:
        return "&mdash;"
    text = f"{size_bytes:,} bytes"
    unit_bytes, units = 1024.0, ("KiB", "MiB", "GiB", "TiB")
    value, unit = float(size_bytes), ""
    for candidate in units:
        if value < unit_bytes:
            break
        value, unit = value / unit_bytes, candidate
    return esc(f"{text} ({value:.1f} {unit})" if unit else text)


def pretty_json(value: Any) -> str:
    return esc(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def facts(rows: list[tuple[str, str]]) -> str:
    """A definition list; each value is already HTML."""
    items = "".join(f"<dt>{esc(name)}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<dl class="facts">{items}</dl>'


def table(css: str, head: list[str], rows: list[list[str]], *, empty: str) -> str:
    """A table; cells are already HTML. ``empty`` is said when there are no rows."""
    if not rows:
        return f'<p class="meta empty">{esc(empty)}</p>'
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table class="{esc(css)}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
    )
