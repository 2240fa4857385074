"""The string-built pages' layout and helpers, until each moves to a Jinja2 template
(``templates/``): the site's header, the stylesheet served from ``/static/`` and the CSP.

Every value that comes from data goes through ``esc`` (``html.escape`` with quotes). Pure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from ledger.models import as_utc
from marketplace.pages.security import CSP
from marketplace.pages.templating import static_url

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


def layout(title: str, body: str, *, active: str = "") -> str:
    """A complete document: header with the exchange's name and links, ``body`` (already HTML),
    a footer. ``active`` names the current section of the header."""
    on = ' class="on" aria-current="page"'
    nav = "".join(
        f'<a href="{href}"{on if key == active else ""}>{esc(text)}</a>' for href, text, key in NAV
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{static_url("site.css")}">'
        f"<title>{esc(title)} · {EXCHANGE_NAME}</title></head><body>"
        f'<header class="site-header"><div class="bar">'
        f'<a class="brand" href="/">{EXCHANGE_NAME}</a>'
        f'<nav class="site-nav">{nav}</nav></div></header>'
        f"<main>{body}</main>"
        '<footer class="site-footer"><p>Every registration and every journal entry can be '
        "checked against the chain with <code>bourse verify</code>, without trusting the "
        "exchange.</p></footer></body></html>\n"
    )


def error_body(status: int, message: str) -> str:
    heading = {400: "Bad request", 404: "Not found", 409: "Not yet"}.get(status, "Request refused")
    return (
        f'<h1>{esc(heading)}</h1><div class="error"><p class="message">{esc(message)}</p></div>'
        f"<p>{link('/', 'Home')} · {link('/catalog', 'Catalog')} · "
        f"{link('/explorer', 'Ledger explorer')}</p>"
    )
