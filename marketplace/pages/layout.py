"""The public pages' shared layout: one header with the exchange's name and links, one inline
stylesheet, and the small formatting helpers every page uses.

Plain string templates: every value that comes from data goes through ``esc`` (``html.escape``
with quotes). Pages load nothing from anywhere: no script, no font, no stylesheet file; the
Content-Security-Policy header and meta say so. Pure: no I/O.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from ledger.models import as_utc

EXCHANGE_NAME = "Databourse"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
NAV = (
    ("/", "Home", "home"),
    ("/catalog", "Catalog", "catalog"),
    ("/explorer", "Ledger explorer", "explorer"),
    ("/explorer/batches", "Batches", "batches"),
    ("/docs", "API docs", "docs"),
)
STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",
sans-serif;margin:0;color:#1d2430;line-height:1.45;background:#fff}
header{background:#14213d;color:#fff}
header .bar{max-width:64rem;margin:0 auto;padding:.7rem 1rem;display:flex;flex-wrap:wrap;
align-items:baseline;gap:.4rem 1.4rem}
header .brand{font-weight:700;font-size:1.2rem;color:#fff;text-decoration:none}
header nav a{color:#cfd8ea;text-decoration:none;margin-right:1rem}
header nav a:hover,header nav a.on{color:#fff;text-decoration:underline}
main{max-width:64rem;margin:0 auto;padding:1rem 1rem 3rem}
footer{max-width:64rem;margin:0 auto;padding:1rem;color:#5a6475;font-size:.85rem;
border-top:1px solid #dde2ea}
h1{font-size:1.55rem;margin:.8rem 0 .3rem}h2{font-size:1.15rem;margin-top:2rem}
a{color:#1f5bc6}
.meta{color:#5a6475;font-size:.9rem}
.hash,code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;
font-size:.85rem}
.hash{word-break:break-all}
pre{background:#f3f5f9;border:1px solid #dde2ea;padding:.7rem;overflow-x:auto;
white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #dde2ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f9;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
dl.facts{display:grid;grid-template-columns:minmax(9rem,14rem) 1fr;gap:.3rem 1rem;margin:.5rem 0}
dl.facts dt{color:#5a6475}dl.facts dd{margin:0;word-break:break-word}
.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.card{border:1px solid #dde2ea;border-radius:6px;padding:.7rem 1rem;min-width:11rem}
.card .big{font-size:1.6rem;font-weight:600;display:block}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}
form.search input[type=search],form.search input[type=text]{padding:.45rem .6rem;
border:1px solid #b8c1d1;border-radius:4px;font:inherit;min-width:16rem}
form.search button{padding:.45rem 1rem;border:0;border-radius:4px;background:#1f5bc6;color:#fff;
font:inherit;cursor:pointer}
.tag{display:inline-block;background:#eef2f9;border-radius:3px;padding:0 .35rem;margin:0 .2rem
.2rem 0;font-size:.8rem}
.status{font-weight:600}.status.anchored,.status.confirmed{color:#1d7a3a}
.status.pending,.status.sent{color:#8a5a00}
.pager{display:flex;gap:1.5rem;margin:1rem 0}
.error{border-left:4px solid #c0392b;padding:.3rem 1rem;background:#fdf3f2}
.flag.under-objection{display:inline-block;background:#fdecc8;color:#7a4b00;border-radius:3px;
padding:0 .35rem;font-size:.8rem;font-weight:600}
.notice.objection{border-left:4px solid #d68a00;padding:.3rem 1rem;background:#fff8e8}
svg{max-width:100%;height:auto}
@media (max-width:48rem){table{display:block;overflow-x:auto}}
"""


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


def layout(title: str, body: str, *, active: str = "", style: str = "") -> str:
    """A complete document: header with the exchange's name and links, ``body`` (already HTML),
    a footer. ``active`` names the current section of the header; ``style`` is CSS a page adds
    to the shared stylesheet."""
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
        f"<title>{esc(title)} · {EXCHANGE_NAME}</title><style>{STYLE}{style}</style></head><body>"
        f'<header><div class="bar"><a class="brand" href="/">{EXCHANGE_NAME}</a>'
        f"<nav>{nav}</nav></div></header>"
        f"<main>{body}</main>"
        "<footer>Read-only public pages of this exchange. Every registration and every journal "
        "entry can be checked against the chain with <code>bourse verify</code>, without "
        "trusting the exchange.</footer></body></html>\n"
    )


def error_body(status: int, message: str) -> str:
    heading = {400: "Bad request", 404: "Not found", 409: "Not yet"}.get(status, "Request refused")
    return (
        f'<h1>{esc(heading)}</h1><div class="error"><p class="message">{esc(message)}</p></div>'
        f"<p>{link('/', 'Home')} · {link('/catalog', 'Catalog')} · "
        f"{link('/explorer', 'Ledger explorer')}</p>"
    )
