"""Words out of text, the same way for what is indexed and for what is asked (pure).

Neither SQLite's FTS5 tokenizers nor PostgreSQL's text search split Chinese into words: a run of
Han characters is one token to both. So the words are cut here, before either database sees the
text, with jieba's dictionary (``rjieba``, the binding of jieba-rs), and both databases are given
space-separated words that their own tokenizers (FTS5 ``unicode61``, PostgreSQL ``simple``) keep
as they are.

- Text is NFKC-normalised (full-width letters, digits and punctuation become their ASCII
  forms) and case-folded first.
- Indexed text is cut in jieba's search mode: every word of the precise cut plus the dictionary
  words inside long ones (杭州市空气质量监测数据 gives 杭州市, 空气质量, 监测数据 and 杭州, 空气,
  质量, 监测, 数据 …), so a shorter query word finds a longer indexed one.
- A query is cut precisely. A Chinese query word longer than two characters matches either itself
  or every word of its shortest cover by dictionary words (空气质量 matches 空气质量, or 空气 and
  质量), so a listing whose context cut the characters differently is still found.
- Each word is then split into pieces of letters and digits or of Han characters; punctuation,
  underscores and every FTS operator character are separators. A query therefore never carries
  syntax to either database: ``"a" NEAR(b*) -c`` is the plain words a, near, b, c.
- jieba's HMM (new-word discovery) is off on both sides: it guesses words from context, and a
  query has a different context from the text it should find.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import rjieba

from marketplace import limits

# CJK ideographs (unified, extension A, compatibility, extensions B-F): the characters jieba cuts.
_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# A run of Han characters, or a run of other letters and digits ([^\W_] is \w without "_").
_PIECE: Final = re.compile(rf"[{_HAN}]+|(?:(?![{_HAN}])[^\W_])+")
_HAN_ONLY: Final = re.compile(rf"[{_HAN}]+")
# lowerUpper and ACRONYMWord boundaries in column names (stationName -> station name).
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Query words that say nothing about what is wanted; dropped from a query unless it has no other
# words (so "the" alone still searches for "the"). Indexed text keeps them.
STOPWORDS: Final = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of",
        "on", "or", "the", "to", "with",
        "的", "了", "和", "与", "及", "或", "在", "是",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of a query: it matches a text that holds every token of any one alternative."""

    alternatives: tuple[tuple[str, ...], ...]

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset(t for alternative in self.alternatives for t in alternative)

    def found_in(self, indexed: frozenset[str]) -> bool:
        return any(all(t in indexed for t in alt) for alt in self.alternatives)


def normalize(text: str) -> str:
    """NFKC (full-width and compatibility forms to their plain ones), then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _pieces(words: Iterable[str]) -> list[str]:
    return [
        piece
        for word in words
        for piece in _PIECE.findall(word)
        if len(piece) <= limits.search_token_length_max
    ]


def index_tokens(text: str) -> list[str]:
    """The tokens stored for ``text``: search-mode cut, split into letter/digit and Han pieces."""
    return _pieces(rjieba.cut_for_search(normalize(text), False))


def column_tokens(name: str) -> list[str]:
    """A column name's tokens: camelCase is split first, so ``stationName`` gives station, name
    (and ``pm25_avg`` gives pm25, avg, as everywhere)."""
    return index_tokens(_CAMEL.sub(" ", name))


def index_text(texts: Iterable[str], *, columns: bool = False) -> str:
    """The space-separated tokens of ``texts``, as one field of the index stores them."""
    cut = column_tokens if columns else index_tokens
    return " ".join(token for text in texts for token in cut(text))


def _cover(word: str) -> tuple[str, ...] | None:
    """The fewest dictionary words, each shorter than ``word``, that together spell it; None
    when its shorter dictionary words leave a character uncovered."""
    parts = {p for p in rjieba.cut_for_search(word, False) if p != word and p in word}
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for start in range(len(word)):
        so_far = best[start]
        if so_far is None:
            continue
        for part in parts:
            end = start + len(part)
            if word.startswith(part, start):
                current = best[end]
                if current is None or len(current) > len(so_far) + 1:
                    best[end] = (*so_far, part)
    return best[len(word)]


def _query_word(piece: str) -> QueryWord:
    if len(piece) > 2 and _HAN_ONLY.fullmatch(piece):
        cover = _cover(piece)
        if cover is not None:
            return QueryWord(((piece,), cover))
    return QueryWord(((piece,),))


def query_words(text: str) -> list[QueryWord]:
    """The words of a query, in order, without repeats or stopwords, at most
    ``limits.search_query_words_max`` of them; none when ``text`` holds no letters or digits."""
    pieces = list(dict.fromkeys(_pieces(rjieba.cut(normalize(text), False))))
    meaningful = [p for p in pieces if p not in STOPWORDS] or pieces
    return [_query_word(p) for p in meaningful[: limits.search_query_words_max]]


def words_of(phrases: Sequence[str]) -> list[QueryWord]:
    """The query words of several phrases (a demand's keywords), without repeats, at most
    ``limits.search_candidate_words_max`` of them."""
    seen: dict[QueryWord, None] = {}
    for phrase in phrases:
        for word in query_words(phrase):
            seen.setdefault(word, None)
    return list(seen)[: limits.search_candidate_words_max]
