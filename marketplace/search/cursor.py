"""Cursors: where the next page of a search starts (pure).

A cursor is the sort key of the last listing on a page (its sort value and id), with the
fingerprint of the query it belongs to and, for a relevance search whose words match more than
``limits.search_ranked_matches_max`` listings, the ranking window's lower bound, as base64url
JSON. It is opaque to callers but not secret: it only says where in a public ordering to go on.
Decoding checks everything — the encoding, the shape, the value's type for the order, every
bound — so that a cursor that was altered, truncated or taken from another query is a 422
``invalid_cursor`` and never reaches the database as anything but a well-typed value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from datetime import datetime
from typing import Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

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
    """A listing's place in a page's order: its sort value and its id. In a relevance order,
    ``value`` is None past the ranking window, where listings come newest first."""

    model_config = ConfigDict(frozen=True)

    value: SortValue | None
    listing_id: int


class Position(BaseModel):
    """What a cursor says: the last listing shown, and the ranking window's lower bound (the
    oldest listing id ranked by relevance; None when every match was ranked)."""

    model_config = ConfigDict(frozen=True)

    last: SortKey
    window_from_id: int | None = None


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: StrictInt
    f: StrictStr = Field(max_length=64)
    k: StrictInt | StrictFloat | StrictStr | None
    i: StrictInt
    w: StrictInt | None = None


def fingerprint(query: SearchQuery) -> str:
    """What a cursor is bound to: the words, the filters and the order (not the page size)."""
    fields = query.model_dump(mode="json", exclude={"cursor", "limit"})
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode(query: SearchQuery, position: Position) -> str:
    value = position.last.value
    wire = {
        "v": VERSION,
        "f": fingerprint(query),
        "k": value.isoformat() if isinstance(value, datetime) else value,
        "i": position.last.listing_id,
        "w": position.window_from_id,
    }
    raw = json.dumps(wire, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(query: SearchQuery, order: SearchSort) -> Position | None:
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
    if wire.w is not None and (order is not SearchSort.relevance or wire.w < 1):
        raise InvalidCursor("the cursor's ranking window is not one")
    last = SortKey(value=_value(order, wire.k, windowed=wire.w is not None), listing_id=wire.i)
    # Ranked listings lie inside the window (ids from its bound on), the tail below it.
    if wire.w is not None and (last.value is None) != (wire.i < wire.w):
        raise InvalidCursor("the cursor's listing is on the wrong side of the ranking window")
    return Position(last=last, window_from_id=wire.w)


def _value(order: SearchSort, raw: int | float | str | None, *, windowed: bool) -> SortValue | None:
    match order:
        case SearchSort.relevance:
            if raw is None and windowed:
                return None  # past the window
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


def _float(raw: int | float | str | None) -> float:
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InvalidCursor("the cursor's sort value is not a number")
    return float(raw)


def _moment(raw: int | float | str | None) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidCursor("the cursor's time is not a time")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidCursor("the cursor's time is not a time") from exc
    if moment.tzinfo is None:
        raise InvalidCursor("the cursor's time has no time zone")
    return moment
