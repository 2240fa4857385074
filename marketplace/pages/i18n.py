"""The pages' languages: one gettext catalogue (``translations/``) in Simplified Chinese and
English, the locale a request asks for, and amounts and dates formatted for it with Babel.

Catalogues are compiled from their ``.po`` files when this module is first used (Babel's
``read_po`` and ``write_mo`` into memory), so a fresh clone needs no build step and no binary
``.mo`` file is committed. The source strings are English; ``en`` is the identity catalogue.

The locale of the request being rendered is held in a context variable (``use_locale``), so a
template's ``_()`` and the format filters need no argument, in macros too.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit

from ledger.models import as_utc
from marketplace.money import Currency

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "messages"
LOCALES = ("en", "zh_CN")  # what the language switch offers
DEFAULT_LOCALE = "en"
LANG_COOKIE = "lang"
# The switch's labels, each in its own language (never translated).
LOCALE_NAMES = {"en": "English", "zh_CN": "中文"}

_current: ContextVar[str] = ContextVar("page_locale", default=DEFAULT_LOCALE)
# Currency is a frozen dataclass, so a shared default is safe.
_currency: ContextVar[Currency] = ContextVar("page_currency", default=Currency("CNY", 2))  # noqa: B039


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale`` (compiled once per process)."""
    po_path = TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The locale for a request: the ``lang`` cookie the switch set, else the first language of
    ``Accept-Language`` (by quality) that we have, else English."""
    if cookie in LOCALES:
        return cookie
    for tag in _accepted(accept_language or ""):
        primary = tag.split("-")[0]
        if primary == "zh":
            # Traditional-script tags (zh-TW, zh-Hant) still read Simplified better than English.
            return "zh_CN"
        if primary == "en":
            return "en"
    return DEFAULT_LOCALE


def _accepted(header: str) -> list[str]:
    """``Accept-Language`` tags, best first; malformed parts are skipped."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):  # a bound on a client's list
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


@contextmanager
def use_locale(locale: str, currency: Currency) -> Iterator[None]:
    """Renders within this block speak ``locale`` and count money in ``currency``."""
    assert locale in LOCALES, locale
    token, currency_token = _current.set(locale), _currency.set(currency)
    try:
        yield
    finally:
        _current.reset(token)
        _currency.reset(currency_token)


def current_locale() -> str:
    return _current.get()


def html_lang() -> str:
    """The ``lang`` attribute for the current locale (BCP 47)."""
    return current_locale().replace("_", "-")


def gettext_(message: str) -> str:
    return translations(current_locale()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def _babel_locale() -> Locale:
    return Locale.parse(current_locale())


def money(amount_minor: int | None, currency: Currency | None = None) -> str:
    """Minor units as an amount of ``currency`` (the exchange's by default) in the current
    locale (``¥12,345.67`` in Chinese, ``CN¥12,345.67`` in English); a missing amount is a
    dash."""
    if amount_minor is None:
        return "—"
    unit = currency or _currency.get()
    value = Decimal(amount_minor).scaleb(-unit.scale)
    return format_currency(
        value,
        unit.code,
        format=None,
        locale=_babel_locale(),
        currency_digits=False,
        decimal_quantization=False,
    )


def number(value: int | float | Decimal | None) -> str:
    return "—" if value is None else format_decimal(value, locale=_babel_locale())


def when(moment: datetime | None) -> str:
    """A timestamp in UTC in the current locale's medium format, with its zone."""
    if moment is None:
        return "—"
    return format_datetime(as_utc(moment), "medium", tzinfo=None, locale=_babel_locale()) + " UTC"


def day(moment: datetime | None) -> str:
    return "—" if moment is None else format_date(as_utc(moment), "medium", locale=_babel_locale())


def fixed(value: float | Decimal | None, places: int = 2) -> str:
    """``value`` with exactly ``places`` decimals in the current locale (``80.00``)."""
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(value, pattern, locale=_babel_locale())


def percent(share: float | Decimal | None, places_max: int = 2) -> str:
    """A share (``0.1``) as a percentage in the current locale (``10%``), with at most
    ``places_max`` decimals."""
    if share is None:
        return "—"
    pattern = "#,##0." + "#" * places_max + "%" if places_max else "#,##0%"
    return format_percent(share, pattern, locale=_babel_locale())


# Seconds in each unit a duration is spelt in, largest first (CLDR unit names).
_DURATION_UNITS = (("duration-day", 86_400), ("duration-hour", 3_600), ("duration-minute", 60))


def duration(seconds: int | None) -> str:
    """Whole seconds as days, hours, minutes and seconds in the current locale, exactly
    (``1 day, 3 hours`` / ``1天3小时``)."""
    if seconds is None:
        return "—"
    locale = _babel_locale()
    left, parts = abs(seconds), []
    for unit, unit_s in _DURATION_UNITS:
        count, left = divmod(left, unit_s)
        if count:
            parts.append(format_unit(count, unit, locale=locale))
    if left or not parts:
        parts.append(format_unit(left, "duration-second", locale=locale))
    text = format_list(parts, style="unit", locale=locale)
    return f"-{text}" if seconds < 0 else text


def decimal_max(value: float | Decimal, places_max: int) -> str:
    """``value`` with at most ``places_max`` decimals in the current locale (``1.5``)."""
    return format_decimal(value, "#,##0." + "#" * places_max, locale=_babel_locale())


def size(size_bytes: int | None) -> str:
    """``1536`` → ``1,536 B (1.5 KiB)`` in the current locale's digits."""
    if size_bytes is None:
        return "—"
    text = f"{number(size_bytes)} B"
    value, unit = float(size_bytes), ""
    for candidate in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, candidate
    return f"{text} ({fixed(value, 1)} {unit})" if unit else text
