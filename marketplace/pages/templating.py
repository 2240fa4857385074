"""The one Jinja2 environment of the pages: templates under ``templates/``, autoescaping on for
every template, ``_()`` / ``ngettext()`` from the catalogue of the locale being rendered
(``i18n.use_locale``), and the format filters every page uses.

Filters (all locale-aware, all return text that autoescaping then escapes):
``money`` (minor units), ``number``, ``when`` (timestamp, UTC), ``day``, ``size`` (bytes),
``abbrev`` (a long hash shortened), ``fixed`` (decimals), ``percent`` (a share),
``duration`` (seconds); the reports' labels and values (``report_text.py``). Globals:
``static_url(name)``, ``url(path, **query)``, ``step_text`` (a valuation method's step).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from marketplace.listings.terms import PERIODIC_PRICE_KINDS
from marketplace.pages import i18n, report_text, words

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"


def url(path: str, **params: object) -> str:
    """``path`` with the non-empty ``params`` as its query string."""
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


@cache
def _static_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: a changed file gets a new URL, so it may be cached
    long."""
    return f"/static/{name}?v={_static_version(name)}"


size = i18n.size  # ``1536`` → ``1,536 B (1.5 KiB)``


def abbrev(value: str | None, keep: int = 10) -> str:
    """A long hash or address shortened for a table cell (templates put the whole value in a
    ``title``)."""
    if not value:
        return "—"
    return value if len(value) <= 2 * keep + 1 else f"{value[:keep]}…{value[-keep + 2 :]}"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,  # a misspelt variable fails the test, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=i18n.gettext_, ngettext=i18n.ngettext_, newstyle=True
    )
    env.filters.update(
        money=i18n.money,
        number=i18n.number,
        when=i18n.when,
        day=i18n.day,
        size=size,
        abbrev=abbrev,
        pretty_json=pretty_json,
        fixed=i18n.fixed,
        percent=i18n.percent,
        duration=i18n.duration,
    )
    # The quality and valuation reports' words and values (report_text.py).
    env.filters.update(
        dimension=report_text.dimension_label,
        score=report_text.score_text,
        reason=report_text.reason_text,
        issue=report_text.issue_text,
        measure=report_text.measurement_label,
        measure_value=report_text.measurement_value,
        cell=report_text.cell_text,
        approach=report_text.approach_label,
        note=report_text.note_text,
        valuation_kind=report_text.valuation_kind,
    )
    env.filters.update(
        status_label=words.status_label,
        purpose_label=words.purpose_label,
        source_type_label=words.source_type_label,
        field_type_label=words.field_type_label,
        transfer_label=words.transfer_label,
        account_label=words.account_label,
    )
    env.globals.update(
        static_url=static_url,
        url=url,
        LOCALES=i18n.LOCALES,
        LOCALE_NAMES=i18n.LOCALE_NAMES,
        html_lang=i18n.html_lang,
        current_locale=i18n.current_locale,
        step_text=report_text.step_text,
        PERIODIC_PRICE_KINDS=PERIODIC_PRICE_KINDS,
    )
    return env
