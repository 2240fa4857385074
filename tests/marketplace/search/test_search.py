"""Catalog search on both databases: the same listings, the same top three, every filter and order,
cursor pages without gaps or repeats, and only listings that may be found."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from marketplace import limits
from marketplace.search import InvalidCursor, SearchQuery, SearchSort
from marketplace.search import service as search
from tests.marketplace.search.catalog import CATALOG, T0, doc, load, wide


def ids(session: Session, **query: Any) -> list[int]:
    return search.search(session, SearchQuery(**query)).ids


def every_page(session: Session, **query: Any) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = search.search(session, SearchQuery(**query, cursor=cursor))
        pages.append(page.ids)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 100, "paging does not end"


@pytest.fixture
def catalog(session: Session) -> Session:
    load(session)
    return session


# --- words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "top"),
    [
        ("air quality", [2, 8, 5]),  # title and keywords, title, description only
        ("空气质量", [8, 1]),  # the delisted 杭州空气质量历史数据 (6) is not found
        ("pm25", [2, 1]),
        ("station", [5, 2, 1]),  # column names: station, stationName
        ("房价", [4]),
    ],
)
def test_the_same_listings_come_first_on_both_databases(
    catalog: Session, q: str, top: list[int]
) -> None:
    assert ids(catalog, q=q)[:3] == top


def test_a_chinese_word_finds_the_listing_whose_title_contains_it(catalog: Session) -> None:
    assert 1 in ids(catalog, q="空气质量")
    assert ids(catalog, q="杭州") == [1]
    assert ids(catalog, q="监测数据") == [1]
    assert ids(catalog, q="交通") == [3]


def test_every_word_must_match(catalog: Session) -> None:
    assert ids(catalog, q="air quality beijing") == [2]
    assert ids(catalog, q="air quality tokyo") == []


def test_mixed_chinese_and_english(catalog: Session) -> None:
    assert ids(catalog, q="深圳 housing") == [4]
    assert ids(catalog, q="Shenzhen 房价") == [4]
    assert ids(catalog, q="air 空气质量") == [8]


def test_full_width_queries_and_listings(catalog: Session) -> None:
    assert ids(catalog, q=wide("covid")) == [7]
    assert ids(catalog, q="full width") == [7]
    assert ids(catalog, q=wide("AIR QUALITY")) == ids(catalog, q="air quality")
    assert ids(catalog, q="province cases") == [7]  # full-width column names


def test_case_does_not_matter(catalog: Session) -> None:
    assert ids(catalog, q="BEIJING") == ids(catalog, q="beijing") == [2]


def test_a_query_without_words_lists_every_visible_listing_newest_first(catalog: Session) -> None:
    assert ids(catalog, q="") == [8, 7, 5, 4, 3, 2, 1]
    assert ids(catalog, q="*") == [8, 7, 5, 4, 3, 2, 1]


HOSTILE = [
    '"',
    '"air',
    'air"',
    '"air" "quality',
    "*",
    "air*",
    "*air",
    "NEAR",
    "NEAR(air quality)",
    "NEAR/2",
    "air NEAR quality",
    "AND",
    "air AND",
    "OR air",
    "NOT",
    "NOT air",
    "air NOT quality",
    "(",
    "((air",
    "air)",
    "air) OR (1=1",
    "title:air",
    "{title keywords}: air",
    "^air",
    "-air",
    "air -quality",
    "+air",
    "'",
    "air'",
    "a'b",
    "\\",
    "air\\",
    "':*",
    "air:*",
    "air & quality",
    "air | quality",
    "!air",
    "air <-> quality",
    "air <2> quality",
    "%",
    "_",
    "%air_",
    '空气质量"',
    "“空气质量”",
    wide("(空气质量"),
    "\x00",
    "air\x00quality",
    "\u200b",
    "🙂 air",
    "' OR '1'='1",
    "; DROP TABLE search_document; --",
    "x" * limits.search_query_length_max,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_query_syntax_is_plain_words_and_never_an_error(catalog: Session, q: str) -> None:
    found = ids(catalog, q=q)
    assert set(found) <= {1, 2, 3, 4, 5, 7, 8}


@pytest.mark.parametrize(
    "q", ['"air quality"', "air* quality*", "(air) AND quality", "-air ^quality"]
)
def test_query_syntax_around_words_finds_what_the_words_find(catalog: Session, q: str) -> None:
    assert ids(catalog, q=q) == ids(catalog, q="air quality")


def test_a_query_over_the_length_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="q"):
        SearchQuery(q="x" * (limits.search_query_length_max + 1))


# --- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"theme": "environment"}, [8, 5, 2, 1]),
        ({"theme": "health"}, [7]),
        ({"theme": "nothing"}, []),
        ({"price_min_minor": 50_000}, [8, 5, 2, 1]),  # the negotiable 4 has no price
        ({"price_max_minor": 50_000}, [8, 7, 3, 1]),
        ({"price_min_minor": 30_000, "price_max_minor": 50_000}, [8, 3, 1]),
        ({"quality_min": 85}, [8, 2, 1]),  # 5 has no quality score
        ({"quality_min": 0}, [8, 7, 4, 3, 2, 1]),
        ({"purpose": "commercial"}, [8, 3, 1]),
        ({"purpose": "ai_training"}, [5]),
        ({"purpose": "journalism"}, []),
        ({"classification": "important"}, [7, 3]),
        ({"update_frequency": "daily"}, [8, 5, 1]),
        ({"theme": "environment", "purpose": "research", "quality_min": 86}, [2, 1]),
        ({"q": "air quality", "theme": "environment", "price_max_minor": 100_000}, [8, 5]),
        ({"q": "空气质量", "purpose": "commercial", "update_frequency": "daily"}, [8, 1]),
    ],
)
def test_each_filter_keeps_only_the_listings_it_describes(
    catalog: Session, query: dict[str, Any], expected: list[int]
) -> None:
    assert ids(catalog, **query) == expected


def test_a_price_range_upside_down_is_refused() -> None:
    with pytest.raises(ValidationError, match="price_min_minor is above price_max_minor"):
        SearchQuery(price_min_minor=2, price_max_minor=1)


@pytest.mark.parametrize(
    "query",
    [
        {"price_min_minor": -1},
        {"price_max_minor": 2**63},
        {"quality_min": 100.5},
        {"quality_min": float("nan")},
        {"purpose": "Research!"},
        {"theme": ""},
        {"theme": "air\x00"},
        {"limit": 0},
        {"limit": limits.page_size_max + 1},
        {"sort": "cheapest"},
        {"cursor": "x" * (limits.search_cursor_length_max + 1)},
        {"unknown": 1},
    ],
)
def test_a_query_out_of_bounds_is_refused(query: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SearchQuery(**query)


# --- orders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # 8 and 1 cost the same; 4 is negotiable and comes last both ways.
        (SearchSort.price_asc, [7, 3, 1, 8, 5, 2, 4]),
        (SearchSort.price_desc, [2, 5, 8, 1, 3, 7, 4]),
        (SearchSort.quality, [1, 2, 8, 7, 3, 4, 5]),  # 5 has no quality score
        (SearchSort.recent, [8, 7, 5, 4, 3, 2, 1]),
        (SearchSort.relevance, [8, 7, 5, 4, 3, 2, 1]),  # no words: newest first
    ],
)
def test_each_order(catalog: Session, sort: SearchSort, expected: list[int]) -> None:
    assert ids(catalog, sort=sort) == expected


def test_an_order_applies_to_the_words_matches(catalog: Session) -> None:
    assert ids(catalog, q="air quality", sort=SearchSort.price_asc) == [8, 5, 2]
    assert ids(catalog, q="air quality", sort=SearchSort.quality) == [2, 8, 5]


# --- pages ---------------------------------------------------------------------------------


def _many(session: Session) -> list[int]:
    """41 listings sharing words, with many equal prices, scores and times (ties at page
    boundaries)."""
    docs = [
        doc(
            100 + i,
            f"Station readings batch {i % 3} 空气质量",
            description="air" + " air" * (i % 4),
            keywords=["readings"],
            headline_minor=None if i % 7 == 0 else 1_000 * (i % 5 + 1),
            quality_score=None if i % 6 == 0 else float(50 + i % 4),
            created_at=T0 + timedelta(days=i % 9),
            purposes=["research"],
        )
        for i in range(41)
    ]
    load(session, docs)
    return [d.listing_id for d in docs]


@pytest.mark.parametrize("sort", list(SearchSort))
@pytest.mark.parametrize("q", ["readings", "", "空气质量 air"])
def test_paging_returns_every_listing_once_in_one_pages_order(
    session: Session, sort: SearchSort, q: str
) -> None:
    listed = _many(session)
    whole = ids(session, q=q, sort=sort, limit=limits.page_size_max)
    assert sorted(whole) == sorted(listed)
    pages = every_page(session, q=q, sort=sort, limit=4)
    assert [len(p) for p in pages] == [4] * 10 + [1]
    assert [i for p in pages for i in p] == whole


def test_the_last_page_has_no_cursor(catalog: Session) -> None:
    page = search.search(catalog, SearchQuery(limit=7))
    assert len(page.ids) == 7
    assert page.next_cursor is None


def test_a_cursor_from_other_filters_is_refused(catalog: Session) -> None:
    first = search.search(catalog, SearchQuery(theme="environment", limit=2))
    assert first.next_cursor is not None
    with pytest.raises(InvalidCursor):
        search.search(catalog, SearchQuery(theme="health", limit=2, cursor=first.next_cursor))


def test_a_cursor_may_continue_with_another_page_size(catalog: Session) -> None:
    first = search.search(catalog, SearchQuery(limit=2))
    rest = search.search(catalog, SearchQuery(limit=10, cursor=first.next_cursor))
    assert first.ids + rest.ids == [8, 7, 5, 4, 3, 2, 1]


# --- what may be found ---------------------------------------------------------------------


def test_an_invisible_listing_is_never_found(catalog: Session) -> None:
    assert 6 not in ids(catalog, q="杭州空气质量历史数据")
    assert 6 not in ids(catalog, sort=SearchSort.quality, limit=limits.page_size_max)
    assert all(c.listing_id != 6 for c in search.candidates(catalog, ["空气质量"], 10))


def test_set_asset_state_hides_and_shows_every_listing_of_the_asset(catalog: Session) -> None:
    search.index(catalog, doc(9, "Beijing air quality, commercial licence", asset_id=2))
    assert ids(catalog, q="beijing") == [9, 2]
    assert search.set_asset_state(catalog, 2, visible=False, under_objection=True) == 2
    assert ids(catalog, q="beijing") == []
    assert search.candidates(catalog, ["beijing"], 10) == []
    assert search.set_asset_state(catalog, 2, visible=True, under_objection=True) == 2
    assert ids(catalog, q="beijing") == [9, 2]
    assert search.set_asset_state(catalog, 999, visible=True, under_objection=False) == 0


def test_a_removed_listing_is_not_found(catalog: Session) -> None:
    assert search.remove(catalog, 2) is True
    assert ids(catalog, q="beijing") == []
    assert 2 not in ids(catalog, purpose="research")
    assert search.remove(catalog, 2) is False


def test_indexing_again_replaces_the_words_and_filters(catalog: Session) -> None:
    before = CATALOG[1]
    search.index(
        catalog,
        before.model_copy(
            update={
                "title": "Tianjin noise levels",
                "description": "Street noise in Tianjin.",
                "purposes": ["journalism"],
            }
        ),
    )
    assert ids(catalog, q="beijing") == []
    assert ids(catalog, q="tianjin") == [2]
    assert ids(catalog, purpose="journalism") == [2]
    assert 2 not in ids(catalog, purpose="research")


def test_a_listing_indexed_hidden_is_found_once_its_asset_is_listed(session: Session) -> None:
    load(session, [doc(1, "Wuhan rainfall", visible=False)])
    assert ids(session, q="wuhan") == []
    search.set_asset_state(session, 1, visible=True, under_objection=False)
    assert ids(session, q="wuhan") == [1]


def test_broad_words_rank_the_newest_matches_then_list_the_rest_newest_first(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = _many(session)  # ids 100 to 140, all matching "readings"
    monkeypatch.setattr(limits, "search_ranked_matches_max", 5)
    whole = ids(session, q="readings", limit=limits.page_size_max)
    assert sorted(whole[:5]) == listed[-5:]  # the window: the five newest, by relevance
    assert whole[5:] == sorted(listed[:-5], reverse=True)
    for size in (2, 5, 7):
        pages = every_page(session, q="readings", limit=size)
        assert [i for p in pages for i in p] == whole


def test_a_filter_applies_inside_and_past_the_ranking_window(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _many(session)
    monkeypatch.setattr(limits, "search_ranked_matches_max", 5)
    cheap = ids(session, q="readings", price_max_minor=1_000, limit=limits.page_size_max)
    everything = ids(session, q="readings", limit=limits.page_size_max)
    assert cheap == [i for i in everything if (i - 100) % 5 == 0 and (i - 100) % 7 != 0]
    assert [
        i for p in every_page(session, q="readings", price_max_minor=1_000, limit=2) for i in p
    ] == cheap
