"""Candidates for matching: listings holding any of a demand's words, with a relevance in [0, 1]
that is the same on both databases."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from marketplace import limits
from marketplace.search import service as search
from tests.marketplace.search.catalog import doc, load


@pytest.fixture
def catalog(session: Session) -> Session:
    load(session)
    return session


def test_listings_holding_more_of_the_words_come_first(catalog: Session) -> None:
    found = search.candidates(catalog, ["air quality", "pm25", "station"], 10)
    assert found[0] == (2, 1.0)  # all four words, in title and columns
    assert dict(found)[1] == 0.5  # pm25 and station only
    assert dict(found)[5] == 0.5  # station, and air quality in its description (half)
    assert all(0.0 <= relevance <= 1.0 for _, relevance in found)
    assert [r for _, r in found] == sorted((r for _, r in found), reverse=True)


def test_chinese_and_mixed_words_find_candidates(catalog: Session) -> None:
    found = dict(search.candidates(catalog, ["空气质量", "city"], 10))
    assert found[1] == found[8] == 1.0  # 空气质量 in the title, city a column
    assert 6 not in found  # not visible


def test_a_word_matching_nothing_does_not_hide_the_others(catalog: Session) -> None:
    assert search.candidates(catalog, ["zzyzx", "beijing"], 10) == [(2, 0.5)]
    assert search.candidates(catalog, ["zzyzx"], 10) == []
    assert search.candidates(catalog, ['"*()', ""], 10) == []


def test_rare_words_pick_candidates_before_common_ones(
    catalog: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(catalog, [doc(100 + i, f"Daily readings {i}", keywords=["readings"]) for i in range(12)])
    monkeypatch.setattr(limits, "search_ranked_matches_max", 5)  # "readings" is now common
    found = search.candidates(catalog, ["readings", "房价"], 3)
    assert found[0] == (4, 0.5)  # the one listing with the rare word, though it lacks the other
    assert len(found) == 3  # filled up with the newest listings holding the common word
    assert {i for i, _ in found[1:]} <= {107, 108, 109, 110, 111}


def test_the_limit_bounds_the_candidates(catalog: Session) -> None:
    assert len(search.candidates(catalog, ["air", "空气质量", "station"], 2)) == 2


def test_a_pass_ranks_only_the_newest_listings_of_a_common_word(
    catalog: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(catalog, [doc(100 + i, f"Daily readings {i}", keywords=["readings"]) for i in range(12)])
    monkeypatch.setattr(limits, "search_ranked_matches_max", 5)  # "readings" is common
    found = {i for i, _ in search.candidates(catalog, ["readings"], 10)}
    assert found == {107, 108, 109, 110, 111}


def test_a_word_matching_nothing_still_counts_in_the_relevance(catalog: Session) -> None:
    with_it = dict(search.candidates(catalog, ["air quality", "pm25", "station", "zzyzx"], 10))
    without = dict(search.candidates(catalog, ["air quality", "pm25", "station"], 10))
    assert with_it.keys() == without.keys()
    assert with_it[2] == 4 / 5  # four of the five words
    assert all(with_it[i] == pytest.approx(without[i] * 4 / 5) for i in with_it)
