"""Cursors name a position in one query's order; anything else is a 422, before any SQL."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from marketplace.search import InvalidCursor, SearchQuery, SearchSort
from marketplace.search.cursor import Position, SortKey, decode, encode


def _raw(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_a_cursor_decodes_to_the_position_it_was_made_from() -> None:
    query = SearchQuery(q="air", sort=SearchSort.recent)
    key = SortKey(value=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), listing_id=42)
    cursor = encode(query, Position(last=key))
    decoded = decode(query.model_copy(update={"cursor": cursor, "limit": 7}), SearchSort.recent)
    assert decoded == Position(last=key)


def test_a_cursor_past_the_ranking_window_carries_the_window() -> None:
    query = SearchQuery(q="air")
    position = Position(last=SortKey(value=None, listing_id=41), window_from_id=50)
    cursor = encode(query, position)
    assert decode(query.model_copy(update={"cursor": cursor}), SearchSort.relevance) == position


def test_a_cursor_is_bound_to_its_words_filters_and_order() -> None:
    query = SearchQuery(q="air", theme="environment")
    cursor = encode(query, Position(last=SortKey(value=1.5, listing_id=3)))
    for other in (
        SearchQuery(q="water", theme="environment"),
        SearchQuery(q="air", theme="transport"),
        SearchQuery(q="air", theme="environment", sort=SearchSort.quality),
    ):
        with pytest.raises(InvalidCursor):
            decode(other.model_copy(update={"cursor": cursor}), other.sort)


def _fingerprinted(query: SearchQuery, k: object, i: object, w: object) -> str:
    first = encode(query, Position(last=SortKey(value=1, listing_id=1)))
    good = json.loads(base64.urlsafe_b64decode(first + "=="))
    return _raw({**good, "k": k, "i": i, "w": w})


BAD = [
    "not base64 at all!",
    "e30",  # {}
    _raw([1, 2, 3]),
    _raw({"v": 1, "f": "0" * 32, "k": 1.0, "i": 1}),  # another query's fingerprint
    "%%%",
    "",
]


@pytest.mark.parametrize("cursor", BAD)
def test_a_cursor_not_handed_out_is_refused(cursor: str) -> None:
    query = SearchQuery(q="air", cursor=cursor)
    with pytest.raises(InvalidCursor):
        decode(query, SearchSort.relevance)


@pytest.mark.parametrize(
    ("sort", "k", "i", "w"),
    [
        (SearchSort.relevance, "2026-01-01T00:00:00+00:00", 5, None),
        (SearchSort.relevance, 1e400, 5, None),
        (SearchSort.relevance, None, 5, None),  # past a window that was never there
        (SearchSort.relevance, None, 50, 50),  # "past the window" yet inside it
        (SearchSort.relevance, 1.0, 5, 6),  # a window starting after the listing shown
        (SearchSort.relevance, 1.0, 5, 0),
        (SearchSort.recent, "2026-01-01T00:00:00+00:00", 5, 1),  # a window outside relevance
        (SearchSort.price_asc, 1.5, 5, None),
        (SearchSort.price_asc, 2**63, 5, None),
        (SearchSort.price_desc, -2, 5, None),
        (SearchSort.quality, 101.0, 5, None),
        (SearchSort.quality, None, 5, None),
        (SearchSort.recent, "2026-01-01T00:00:00", 5, None),  # no time zone
        (SearchSort.recent, "yesterday", 5, None),
        (SearchSort.recent, 12, 5, None),
        (SearchSort.relevance, 1.0, 0, None),
        (SearchSort.relevance, 1.0, 2**63, None),
        (SearchSort.relevance, 1.0, "5", None),
    ],
)
def test_a_cursor_value_of_the_wrong_kind_or_out_of_range_is_refused(
    sort: SearchSort, k: object, i: object, w: object
) -> None:
    query = SearchQuery(q="air", sort=sort)
    cursor = _fingerprinted(query, k, i, w)
    with pytest.raises(InvalidCursor):
        decode(query.model_copy(update={"cursor": cursor}), sort)
