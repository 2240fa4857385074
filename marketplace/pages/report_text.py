"""The words and numbers of the quality and valuation reports as a reader sees them, in the
language being rendered: the six GB/T 36344 dimensions, every measurement the evaluation writes
(``quality/scoring.py``), the steps the valuation methods write (``valuation/methods.py``), the
reasons a dimension was not judged, and their values formatted for the locale.

The English labels are the catalogue's message ids (marked with ``N_`` so the extractor finds
them); each function translates when called, so it must be called while a page renders
(``i18n.use_locale``): the templates reach them as filters (``templating.py``). A key or a note
these tables do not know is shown as the report wrote it. Pure: no I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace.digits import ascii_digits
from marketplace.money import Currency
from marketplace.pages import i18n


def N_(message: str) -> str:  # noqa: N802 -- gettext's marker: extracted, translated when shown
    return message


DIMENSION_LABELS: dict[str, str] = {
    "normativity": N_("Normativity"),
    "completeness": N_("Completeness"),
    "accuracy": N_("Accuracy"),
    "consistency": N_("Consistency"),
    "timeliness": N_("Timeliness"),
    "accessibility": N_("Accessibility"),
}
# Every measurement key the evaluation writes (quality/scoring.py), as a person reads it.
MEASUREMENT_LABELS: dict[str, str] = {
    "schema_source": N_("Schema"),
    "cells_checked": N_("Cells checked against the schema"),
    "cells_nonconforming": N_("Cells not conforming"),
    "undeclared_columns": N_("Columns not in the declared schema"),
    "bom": N_("Byte order mark"),
    "line_ends": N_("Line ends"),
    "line_ends_crlf": N_("CRLF line ends"),
    "line_ends_cr": N_("Lone CR line ends"),
    "cells": N_("Cells"),
    "null_cells": N_("Empty cells"),
    "required_null_cells": N_("Empty cells in required fields"),
    "declared_fields_missing": N_("Declared fields missing from the file"),
    "values_range_checked": N_("Values checked against declared ranges"),
    "values_out_of_range": N_("Values out of range"),
    "outliers_tukey": N_("Outliers (Tukey fences)"),
    "outlier_share": N_("Outliers among numeric values"),
    "outliers_sample_stride": N_("Outliers looked for in every nth row"),
    "checks": N_("Checks"),
    "duplicate_rows": N_("Duplicate rows"),
    "duplicate_keys": N_("Duplicate primary keys"),
    "null_keys": N_("Rows with an empty primary key"),
    "rules_not_checked": N_("Rules not checked"),
    "timestamp_field": N_("Record time field"),
    "newest_record": N_("Newest record"),
    "age_s": N_("Age of the newest record"),
    "update_period_s": N_("Promised update period"),
    "periods_late": N_("Update periods late"),
    "read_back_complete": N_("Read back in full"),
    "parseable": N_("Parses"),
    "content_hash_matches": N_("Content hash matches the registration"),
    "bytes_read": N_("Size read"),
    "sha256": N_("SHA-256"),
    "read_error": N_("Read error"),
    "structure:ragged_rows": N_("Rows with a wrong number of fields"),
    "structure:invalid_utf8_first_offset": N_("First invalid UTF-8 byte at offset"),
    "structure:lone_cr_line_ends": N_("Lone CR line ends (rows run together)"),
}
# Keys that name a column or a rule after the colon.
MEASUREMENT_PREFIX_LABELS: dict[str, str] = {
    "nonconforming": N_("Cells not conforming in column %(name)s"),
    "nulls": N_("Empty cells in column %(name)s"),
    "out_of_range": N_("Values out of range in column %(name)s"),
    "duplicate_values": N_("Duplicate values in column %(name)s"),
    "rule": N_("Violations of rule %(name)s"),
}
ANSWERS: dict[bool | None, str] = {None: N_("none"), True: N_("yes"), False: N_("no")}
# The values of these keys are words the evaluation chose (not data from the file).
WORD_KEYS = frozenset({"schema_source", "line_ends"})
MEASUREMENT_WORDS: dict[str, str] = {
    "declared": N_("declared"),
    "inferred": N_("inferred"),
    "none": N_("none"),
    "mixed": N_("mixed"),
}
# Why a dimension was not judged, for the reasons that carry no value of the file.
REASONS: dict[str, str] = {
    "no rows": N_("no rows"),
    "no columns": N_("no columns"),
    "nothing to judge": N_("nothing to judge"),
    "no declared types, formats, patterns or enums to check": N_(
        "no declared types, formats, patterns or enums to check"
    ),
    "no declared ranges (minimum/maximum) to check": N_(
        "no declared ranges (minimum/maximum) to check"
    ),
    "no update frequency declared": N_("no update frequency declared"),
    "no date or datetime field holds the record time": N_(
        "no date or datetime field holds the record time"
    ),
}
NOT_JUDGED_ISSUE = re.compile(r"(\w+) not judged: (.+)")

APPROACH_LABELS: dict[str, str] = {
    "cost": N_("Cost approach"),
    "income": N_("Income approach"),
    "market": N_("Market approach"),
}
VALUATION_KINDS: dict[str, str] = {"indicative": N_("indicative"), "certified": N_("certified")}
# The steps each method writes (valuation/methods.py), as a person reads them.
STEP_LABELS: dict[str, str] = {
    "replacement_cost_minor": N_("Replacement cost"),
    "profit_rate": N_("Profit rate"),
    "value_adjustment": N_("Value adjustment for quality and timeliness"),
}
# The factors of a comparable's adjusted price (valuation/methods.py ``adjusted_price``).
FACTOR_LABELS: dict[str, str] = {
    "quality": N_("quality"),
    "timeliness": N_("timeliness"),
    "volume": N_("volume"),
    "rights": N_("rights"),
}
COMPARABLE_SOURCES: dict[str, str] = {
    "exchange": N_("a listing on this exchange"),
    "valuer": N_("the valuer"),
    "settled_trade": N_("a settled trade"),
}
YEAR_STEP = re.compile(r"year_(\d+)_minor")
COMPARABLE_STEP = re.compile(r"comparable_(\d+)")
COMPARABLE_SOURCE_STEP = re.compile(r"comparable_(\d+)_source")
COMPARABLE_WEIGHT_STEP = re.compile(r"comparable_(\d+)_weight")
# "<adjusted price> = <price> x quality 1.0000 x timeliness ...", both prices in minor units.
COMPARABLE_TEXT = re.compile(r"(\d+) = (\d+) x (.+)")
COMPARABLE_WEIGHT_TEXT = re.compile(r"([\d.]+)(?:, settled (\d{4}-\d{2}-\d{2}))?")
INSUFFICIENT_COMPARABLES = re.compile(r"insufficient comparables: (\d+) of at least (\d+)")
TIMES = "\N{MULTIPLICATION SIGN}"
_ = i18n.gettext_


def dimension_label(name: str) -> str:
    return _(DIMENSION_LABELS[name]) if name in DIMENSION_LABELS else name


def score_text(score: float | None) -> str:
    """A score out of 100 with two decimals in the locale, or "not judged"."""
    return _("not judged") if score is None else i18n.fixed(score, 2)


def reason_text(reason: str | None) -> str:
    """Why a dimension was not judged, translated when it is one of the evaluation's fixed
    reasons (others name a field or quote a parser and are shown as written)."""
    if reason is None:
        return ""
    return _(REASONS[reason]) if reason in REASONS else reason


def issue_text(issue: str) -> str:
    """A report's note; "accuracy not judged: no rows" reads in the locale."""
    found = NOT_JUDGED_ISSUE.fullmatch(issue)
    if found and found.group(1) in DIMENSION_LABELS:
        return _("%(dimension)s not judged: %(reason)s") % {
            "dimension": dimension_label(found.group(1)),
            "reason": reason_text(found.group(2)),
        }
    return issue


def measurement_label(key: str) -> str:
    """``bom`` → ``Byte order mark``; ``nulls:price`` → ``Empty cells in column price``."""
    if key in MEASUREMENT_LABELS:
        return _(MEASUREMENT_LABELS[key])
    prefix, _colon, rest = key.partition(":")
    if rest and prefix in MEASUREMENT_PREFIX_LABELS:
        return _(MEASUREMENT_PREFIX_LABELS[prefix]) % {"name": rest}
    return key.replace("_", " ").capitalize()  # a key this table does not know yet


def measurement_value(value: Any, key: str) -> str:
    """A measurement's value: yes/no, none, sizes, durations, shares and counts, in the
    locale."""
    if value is None or isinstance(value, bool):
        return _(ANSWERS[value])
    if isinstance(value, int | float):
        return _number_value(value, key)
    if key in WORD_KEYS and isinstance(value, str) and value in MEASUREMENT_WORDS:
        return _(MEASUREMENT_WORDS[value])
    return str(value)


def _number_value(value: float, key: str) -> str:
    if key == "bytes_read" and isinstance(value, int):
        return i18n.size(value)
    if key.endswith("_s") and isinstance(value, int):
        return i18n.duration(value)
    if key == "outlier_share":
        return i18n.percent(value, 2)
    return i18n.number(value)


def cell_text(value: Any) -> str:
    """A profile cell (min, max, mean, distinct count): numbers in the locale, up to six
    decimals; text as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return i18n.number(value)
    if isinstance(value, float):
        return i18n.decimal_max(value, 6)
    return str(value)


def approach_label(name: str) -> str:
    return _(APPROACH_LABELS[name]) if name in APPROACH_LABELS else name


def valuation_kind(kind: str) -> str:
    return _(VALUATION_KINDS[kind]) if kind in VALUATION_KINDS else kind


def note_text(note: str | None) -> str:
    """A valuation's or an approach's note, translated when it is one the methods write."""
    if not note:
        return ""
    found = INSUFFICIENT_COMPARABLES.fullmatch(note)
    if found:
        return _("insufficient comparables: %(count)s of at least %(min)s") % {
            "count": i18n.number(int(found.group(1))),
            "min": i18n.number(int(found.group(2))),
        }
    if note == "no approach with a positive weight had enough inputs to give a value":
        return _("no approach with a positive weight had enough inputs to give a value")
    return note


def _percent_of(text: str) -> str:
    """``0.1`` → ``10%``; text that is not a number is shown as it is."""
    try:
        return i18n.percent(Decimal(text), 4)
    except InvalidOperation:
        return text


def _factors(text: str) -> list[str]:
    """``quality 1.0000 x volume 0.5000`` → ``["quality 1", "volume 0.5"]`` in the locale."""
    out = []
    for factor in text.split(" x "):
        name, _space, number = factor.partition(" ")
        try:
            shown = i18n.decimal_max(Decimal(number), 4)
        except InvalidOperation:
            out.append(factor)
            continue
        label = _(FACTOR_LABELS[name]) if name in FACTOR_LABELS else name
        out.append(f"{label} {shown}")
    return out


def _source_text(value: str) -> str:
    """``valuer: survey 2026`` → ``the valuer: survey 2026`` in the locale."""
    source, colon, reference = value.partition(": ")
    if source not in COMPARABLE_SOURCES:
        return value
    return _(COMPARABLE_SOURCES[source]) + (f": {reference}" if colon else "")


def _weight_text(value: str) -> str:
    found = COMPARABLE_WEIGHT_TEXT.fullmatch(value)
    if not found:
        return value
    weight = i18n.decimal_max(Decimal(found.group(1)), 4)
    if found.group(2) is None:
        return weight
    return _("%(weight)s, settled %(date)s") % {"weight": weight, "date": found.group(2)}


def step_text(key: str, value: str, currency: Currency) -> tuple[str, str]:
    """A method's step as (label, value) for a person: amounts in the currency, rates in
    percent, comparables as adjusted price = price x factors. Steps this table does not know
    are shown as written."""
    year = YEAR_STEP.fullmatch(key)
    if key.endswith("_minor") and ascii_digits(value):
        label = (
            _("Year %(year)s, discounted") % {"year": year.group(1)}
            if year
            else _(STEP_LABELS[key])
            if key in STEP_LABELS
            else key
        )
        return label, i18n.money(int(value), currency)
    if key in ("profit_rate", "value_adjustment"):
        return _(STEP_LABELS[key]), _percent_of(value)
    if source := COMPARABLE_SOURCE_STEP.fullmatch(key):
        number = int(source.group(1)) + 1
        return _("Comparable %(number)s, from") % {"number": number}, _source_text(value)
    if weight := COMPARABLE_WEIGHT_STEP.fullmatch(key):
        number = int(weight.group(1)) + 1
        return _("Comparable %(number)s, weight") % {"number": number}, _weight_text(value)
    comparable = COMPARABLE_STEP.fullmatch(key)
    parts = COMPARABLE_TEXT.fullmatch(value)
    if comparable and parts:
        adjusted, price, factors = parts.groups()
        product = f" {TIMES} ".join([i18n.money(int(price), currency), *_factors(factors)])
        label = _("Comparable %(number)s") % {"number": int(comparable.group(1)) + 1}
        return label, f"{i18n.money(int(adjusted), currency)} = {product}"
    return key, value
