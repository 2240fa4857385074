"""The segmenter cuts indexed text and queries into the same words, Chinese included."""

from __future__ import annotations

import pytest

from marketplace import limits
from marketplace.search.segmenter import (
    QueryWord,
    column_tokens,
    index_text,
    index_tokens,
    normalize,
    query_words,
    words_of,
)
from tests.marketplace.search.catalog import wide


def test_full_width_characters_become_plain_ones_and_case_folds() -> None:
    assert normalize(wide("PM2.5 Air")) == "pm2.5 air"


def test_indexed_chinese_holds_long_words_and_the_words_inside_them() -> None:
    tokens = index_tokens("杭州市空气质量监测数据")
    assert {"杭州市", "空气质量", "监测数据", "杭州", "空气", "质量", "监测", "数据"} <= set(tokens)


def test_a_chinese_query_word_matches_itself_or_its_shortest_cover() -> None:
    assert query_words("空气质量") == [QueryWord((("空气质量",), ("空气", "质量")))]


def test_a_query_word_without_a_dictionary_cover_matches_only_itself() -> None:
    assert query_words("数据") == [QueryWord((("数据",),))]


def test_a_query_is_found_in_the_indexed_words_of_its_target() -> None:
    indexed = frozenset(index_tokens("杭州市空气质量监测数据"))
    assert all(word.found_in(indexed) for word in query_words("空气质量"))
    assert all(word.found_in(indexed) for word in query_words("杭州 监测"))
    assert not all(word.found_in(indexed) for word in query_words("交通流量"))


def test_mixed_text_splits_at_scripts_and_punctuation() -> None:
    assert index_text(["Beijing PM2.5空气"]) == "beijing pm2 5 空气"


def test_column_names_split_at_camel_case_and_underscores() -> None:
    assert column_tokens("stationName") == ["station", "name"]
    assert column_tokens("pm25_avg") == ["pm25", "avg"]
    assert column_tokens("HTTPStatus") == ["http", "status"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ('"air" NEAR(quality*)', ["air", "near", "quality"]),
        ("title:air ^quality -pm25", ["title", "air", "quality", "pm25"]),
        ("air AND (quality OR NOT", ["air", "quality", "not"]),
        ("'; DROP TABLE search_document; --", ["drop", "table", "search", "document"]),
        ("a&b|c<->d:*", ["b", "c", "d"]),
    ],
)
def test_query_syntax_is_only_separators_between_plain_words(query: str, words: list[str]) -> None:
    assert [w.alternatives[0][0] for w in query_words(query)] == words


def test_stopwords_are_dropped_unless_nothing_else_is_asked() -> None:
    assert [w.alternatives for w in query_words("the air of 杭州的")] == [
        (("air",),),
        (("杭州",),),
    ]
    assert [w.alternatives for w in query_words("the")] == [(("the",),)]


def test_a_query_without_letters_or_digits_has_no_words() -> None:
    assert query_words('"*()^:-') == []
    assert query_words("") == []


def test_overlong_tokens_are_neither_indexed_nor_asked() -> None:
    long = "x" * (limits.search_token_length_max + 1)
    assert index_tokens(f"{long} air") == ["air"]
    assert query_words(long) == []


def test_a_query_keeps_at_most_the_word_limit() -> None:
    many = " ".join(f"w{i}" for i in range(limits.search_query_words_max + 10))
    assert len(query_words(many)) == limits.search_query_words_max


def test_phrases_give_their_words_once() -> None:
    assert [w.alternatives[0][0] for w in words_of(["air quality", "Air", "pm25"])] == [
        "air",
        "quality",
        "pm25",
    ]
