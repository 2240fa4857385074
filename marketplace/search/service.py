"""Catalog search: keeping listings' documents in the index, and finding listings. Never commits.

The listings domain calls ``index`` when a listing is created or its asset's words change,
``set_asset_state`` when its asset is listed, delisted, suspended or reinstated or an objection
is filed or decided, and ``remove`` when a listing stops being active. ``GET /listings`` calls
``search``; matching calls ``candidates``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from marketplace import limits
from marketplace.search import cursor, repository, segmenter
from marketplace.search.models import IndexedListing, IndexedText
from marketplace.search.schemas import (
    Candidate,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SearchSort,
)

# How much a word found in each field counts towards a candidate's relevance (TEXT_FIELDS order:
# title, keywords, columns, description).
CANDIDATE_FIELD_WEIGHTS = (1.0, 1.0, 1.0, 0.5)


def index(session: Session, doc: SearchDocument) -> None:
    """Put the listing in the index, or replace what the index held for it."""
    index_many(session, [doc])


def index_many(session: Session, docs: Sequence[SearchDocument]) -> None:
    """``index`` for several listings at once (a rebuild, a bulk load), one statement each."""
    assert len({d.listing_id for d in docs}) == len(docs), "a listing twice in one batch"
    repository.upsert_many(
        session,
        [_row(d) for d in docs],
        [_text(d) for d in docs],
        [sorted(set(d.purposes)) for d in docs],
    )


def _row(doc: SearchDocument) -> IndexedListing:
    price, quality = doc.headline_minor, doc.quality_score
    return IndexedListing(
        listing_id=doc.listing_id,
        asset_id=doc.asset_id,
        theme=doc.theme,
        classification=doc.classification,
        update_frequency=doc.update_frequency,
        headline_minor=price,
        quality_score=quality,
        created_at=doc.created_at,
        price_asc_key=cursor.NO_PRICE_ASC if price is None else price,
        price_desc_key=cursor.NO_PRICE_DESC if price is None else price,
        quality_key=cursor.NO_QUALITY if quality is None else quality,
        visible=doc.visible,
        under_objection=doc.under_objection,
    )


def _text(doc: SearchDocument) -> IndexedText:
    return IndexedText(
        listing_id=doc.listing_id,
        title_terms=segmenter.index_text([doc.title]),
        keywords_terms=segmenter.index_text(doc.keywords),
        columns_terms=segmenter.index_text(doc.columns, columns=True),
        description_terms=segmenter.index_text([doc.description]),
    )


def set_asset_state(
    session: Session, asset_id: int, *, visible: bool, under_objection: bool
) -> int:
    """Whether the asset's listings may be found (the asset is listed) and whether they carry
    the objection flag. Returns how many listings the index holds for the asset."""
    return repository.set_asset_state(
        session, asset_id, visible=visible, under_objection=under_objection
    )


def remove(session: Session, listing_id: int) -> bool:
    """Take the listing out of the index; False if it was not there."""
    return repository.delete_listing(session, listing_id)


def search(session: Session, query: SearchQuery) -> SearchPage:
    """A page of visible listing ids matching ``query``, in its order, and the next page's
    cursor. A bad cursor is ``InvalidCursor`` (422).

    In relevance order, words that match more than ``limits.search_ranked_matches_max``
    listings rank only that many of the newest by relevance; the older ones follow, newest
    first (the window is fixed by the first page and carried in the cursor)."""
    words = segmenter.query_words(query.q)
    order = query.sort
    if order is SearchSort.relevance and not words:
        order = SearchSort.recent  # nothing to be relevant to: newest first
    after = cursor.decode(query, order)
    if order is SearchSort.relevance:
        keys, window = _ranked(session, query, words, after)
    else:
        keys = repository.page(session, query, words, order, after.last if after else None)
        window = None
    shown = keys[: query.limit]
    more = len(keys) > query.limit
    next_cursor = None
    if more:
        next_cursor = cursor.encode(query, cursor.Position(last=shown[-1], window_from_id=window))
    return SearchPage(ids=[k.listing_id for k in shown], next_cursor=next_cursor)


def _ranked(
    session: Session,
    query: SearchQuery,
    words: Sequence[segmenter.QueryWord],
    after: cursor.Position | None,
) -> tuple[list[cursor.SortKey], int | None]:
    """Up to ``query.limit + 1`` keys in relevance order: the ranked window, then the tail."""
    if after is None:
        window = repository.window_from_id(session, words, limits.search_ranked_matches_max)
    else:
        window = after.window_from_id
    wanted = query.limit + 1
    keys: list[cursor.SortKey] = []
    in_tail = after is not None and after.last.value is None
    if not in_tail:
        last = after.last if after else None
        keys = repository.page(
            session, query, words, SearchSort.relevance, last, window_from_id=window
        )
    if len(keys) < wanted and window is not None:
        after_id = after.last.listing_id if in_tail and after else None
        keys += repository.tail_page(
            session, query, words, below_id=window, after_id=after_id, limit=wanted - len(keys)
        )
    return keys, window


def candidates(session: Session, words: Sequence[str], limit: int) -> list[Candidate]:
    """Visible listings whose words match any of ``words`` (a demand's keywords, description,
    column names: each may be a phrase), best first, at most ``limit``.

    Candidates are first the best matches of the demand's rarer words (those matching at most
    ``limits.search_ranked_matches_max`` listings: common words say little about a demand), then,
    if fewer than ``limit``, the best matches of any word. Each pass ranks by the index's score
    only the ``limits.search_ranked_matches_max`` newest listings its words match: scoring costs
    time per listing ranked. Each
    candidate's relevance is the share of the demand's words it holds (a word found only in its
    description counts half): the same on both databases, in [0, 1]."""
    assert 1 <= limit <= limits.search_candidates_max
    query_words = segmenter.words_of(words)
    if not query_words:
        return []
    cap = limits.search_ranked_matches_max
    counts = repository.match_counts(session, query_words, cap)
    # A word matching nothing adds nothing to any listing's score: the index is not asked it.
    present = [w for w, n in zip(query_words, counts, strict=True) if n > 0]
    rare = [w for w, n in zip(query_words, counts, strict=True) if 0 < n <= cap]
    found: list[repository.MatchedTerms] = []
    if rare:
        window = repository.window_from_id(session, rare, cap, every_word=False)
        found = repository.matching_any(session, rare, limit, window_from_id=window)
    if len(found) < limit and len(present) > len(rare):
        window = repository.window_from_id(session, present, cap, every_word=False)
        seen = {m.listing_id for m in found}
        more = repository.matching_any(session, present, limit, window_from_id=window)
        found += [m for m in more if m.listing_id not in seen][: limit - len(found)]
    relevance = _Relevance(query_words)
    scored = [Candidate(m.listing_id, relevance.of(m)) for m in found]
    return sorted(scored, key=lambda c: c.relevance, reverse=True)  # stable: engine order ties


class _Relevance:
    """The share of the words a candidate holds, weighted by the best field each is found in
    (``CANDIDATE_FIELD_WEIGHTS``), in [0, 1]. The words' tokens are sorted out once per demand,
    so that for a candidate most words are one set lookup."""

    def __init__(self, words: Sequence[segmenter.QueryWord]) -> None:
        assert words
        self._count = len(words)
        # Fields from the heaviest; a word counts the weight of the first field holding it.
        self._order = sorted(
            zip(CANDIDATE_FIELD_WEIGHTS, range(len(CANDIDATE_FIELD_WEIGHTS)), strict=True),
            reverse=True,
        )
        # A word of one token is found where the token is; others are tried alternative by
        # alternative (all of an alternative's tokens in one field).
        self._single = [next(iter(w.tokens)) for w in words if len(w.tokens) == 1]
        self._tokens = frozenset(self._single)
        self._compound = [
            tuple(frozenset(a) for a in w.alternatives) for w in words if len(w.tokens) > 1
        ]

    def of(self, matched: repository.MatchedTerms) -> float:
        weight_of: dict[str, float] = {}
        for weight, i in self._order:
            for token in matched.fields[i] & self._tokens:
                weight_of.setdefault(token, weight)
        total = sum(weight_of.get(token, 0.0) for token in self._single)
        for alternatives in self._compound:
            for weight, i in self._order:
                field = matched.fields[i]
                if any(alternative <= field for alternative in alternatives):
                    total += weight
                    break
        relevance = total / self._count
        assert 0.0 <= relevance <= 1.0
        return relevance
