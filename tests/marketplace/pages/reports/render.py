"""Renders one macro of ``report_macros.html`` in a locale, for tests of the reports' parts."""

from __future__ import annotations

import html
import re

from marketplace.money import Currency
from marketplace.pages import i18n
from marketplace.pages.templating import environment

CNY = Currency("CNY", 2)


def render_macro(name: str, *args: object, locale: str = "en") -> str:
    """The HTML ``report_macros.html``'s macro ``name`` draws for ``args``."""
    macros = environment().get_template("report_macros.html").module
    with i18n.use_locale(locale, CNY):
        return str(getattr(macros, name)(*args))


def text_of(page: str) -> str:
    """What a reader sees: the text without tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
