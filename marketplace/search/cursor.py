"""Cursors: where the next page of a search starts (pure).

A cursor is the sort key of the last listing on a page (its sort value and id), with the
fingerprint of the query it belongs to, as base64url JSON. It is opaque to callers but not
secret: it only says where in a public ordering to continue. Decoding checks everything — the
encoding, the shape, the value's type for the query's order, every bound — so that a cursor that
was altered, truncated or taken from another query is a 422 ``invalid_cursor`` and never reaches
the database as anything but a well-typed value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from marketplace import limits
from marketplace.search.errors import InvalidCursor
from marketplace.search.schemas import SearchQuery, SearchSort

VERSION: Final = 1
# The sort value of a listing without a price (it comes last whichever way prices are sorted) and
# of one without a quality score (last too).
NO_PRICE_ASC: Final = limits.id_max
NO_PRICE_DESC: Final = -1
NO_QUALITY: Final = -1.0

SortValue = float | int | datetime


class SortKey(BaseModel):
    """The last listing of a page: its value in the page's order, and its id."""

    model_config = ConfigDict(frozen=True)

    value: SortValue
    listing_id: int


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: StrictInt
    f: StrictStr = Field(max_length=64)
    k: StrictInt | StrictFloat | StrictStr
    i: StrictInt


def fingerprint(query: SearchQuery) -> str:
    """What a cursor is bound to: the words, the filters and the order (not the page size)."""
    fields = query.model_dump(mode="json", exclude={"cursor", "limit"})
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode(query: SearchQuery, key: SortKey) -> str:
    value = key.value.isoformat() if isinstance(key.value, datetime) else key.value
    wire = {"v": VERSION, "f": fingerprint(query), "k": value, "i": key.listing_id}
    raw = json.dumps(wire, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(query: SearchQuery, order: SearchSort) -> SortKey | None:
    """The position ``query.cursor`` names in ``order`` (the order the page is actually in: a
    relevance search without words is in ``recent`` order), or None for the first page."""
    if query.cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(query.cursor + "=" * (-len(query.cursor) % 4))
        wire = _Wire.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError) as exc:
        raise InvalidCursor("the cursor is not one this search handed out") from exc
    if wire.v != VERSION or wire.f != fingerprint(query):
        raise InvalidCursor(
            "the cursor belongs to other words, filters or order: start again without it"
        )
    if not 1 <= wire.i <= limits.id_max:
        raise InvalidCursor("the cursor names no listing")
    return SortKey(value=_value(order, wire.k), listing_id=wire.i)


def _value(sort: SearchSort, raw: int | float | str) -> SortValue:
    match sort:
        case SearchSort.relevance:
            return _float(raw)
        case SearchSort.quality:
            number = _float(raw)
            if number != NO_QUALITY and not 0 <= number <= 100:
                raise InvalidCursor("the cursor's quality score is out of range")
            return number
        case SearchSort.price_asc | SearchSort.price_desc:
            if not isinstance(raw, int) or not NO_PRICE_DESC <= raw <= NO_PRICE_ASC:
                raise InvalidCursor("the cursor's price is not an amount")
            return raw
        case SearchSort.recent:
            return _moment(raw)


def _float(raw: int | float | str) -> float:
    if isinstance(raw, str) or not math.isfinite(raw):
        raise InvalidCursor("the cursor's sort value is not a number")
    return float(raw)


def _moment(raw: int | float | str) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidCursor("the cursor's time is not a time")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidCursor("the cursor's time is not a time") from exc
    if moment.tzinfo is None:
        raise InvalidCursor("the cursor's time has no time zone")
    return moment
