"""All SQL for catalog search, on SQLite and PostgreSQL behind one interface.

Everything but the full-text match is the same SQL on both databases: filters, orders, keyset
pages. The match is a ``TextIndex``, chosen from the session's bind:

- ``Fts5Index`` (SQLite): ``search_fts MATCH '…'``, scored by FTS5's ``bm25`` with the fields
  weighted 10 (title), 4 (keywords), 3 (columns), 1 (description).
- ``TsVectorIndex`` (PostgreSQL): ``search_vector @@ to_tsquery('simple', '…')``, scored by
  ``ts_rank`` with the weights 1.0, 0.4, 0.3, 0.1 for the same fields (A to D) and the score
  divided by 1 + log(length), as BM25 normalises for length.

Both are given a query built only from the segmenter's tokens — letters, digits and Han
characters — each quoted by the engine's own rule, so nothing a user types is ever syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause
from sqlmodel import Session, col, delete, select, update

from marketplace.search.cursor import SortKey
from marketplace.search.models import (
    FTS_TABLE,
    TEXT_FIELDS,
    VECTOR_COLUMN,
    IndexedListing,
    IndexedPurpose,
    IndexedText,
)
from marketplace.search.schemas import SearchQuery, SearchSort
from marketplace.search.segmenter import QueryWord

# Field weights, in TEXT_FIELDS order (title, keywords, columns, description).
FTS5_WEIGHTS = (10.0, 4.0, 3.0, 1.0)
TS_RANK_WEIGHTS = "{0.1, 0.3, 0.4, 1.0}"  # PostgreSQL's order: D, C, B, A
TS_RANK_LENGTH_NORMALISATION = 1  # divide by 1 + log(number of words)


@dataclass(frozen=True, slots=True)
class TextMatch:
    """The listings whose words match: ``source`` (the full-text index) where ``condition``
    holds, each named by ``listing_id`` and scored by ``score`` (higher is better). ``score`` may
    be used only in a query over ``source``."""

    source: FromClause
    listing_id: ColumnElement[int]
    condition: ColumnElement[bool]
    score: ColumnElement[float]


class TextIndex(Protocol):
    def match(self, words: Sequence[QueryWord], *, every_word: bool) -> TextMatch:
        """Listings holding every word (``every_word``) or any of them."""
        ...


def _document() -> sa.Table:
    return IndexedListing.metadata.tables[IndexedListing.__tablename__]


def _text() -> sa.Table:
    return IndexedText.metadata.tables[IndexedText.__tablename__]


def _expression(
    words: Sequence[QueryWord], quote: Callable[[str], str], *, and_: str, or_: str, every: bool
) -> str:
    """A boolean query over quoted tokens: each word is any of its alternatives, each
    alternative all of its tokens."""

    def alternative(tokens: tuple[str, ...]) -> str:
        return "(" + f" {and_} ".join(quote(t) for t in tokens) + ")"

    def word(w: QueryWord) -> str:
        return "(" + f" {or_} ".join(alternative(a) for a in w.alternatives) + ")"

    return f" {and_ if every else or_} ".join(word(w) for w in words)


class Fts5Index:
    """SQLite's FTS5 table ``search_fts`` (rowid = listing id)."""

    def match(self, words: Sequence[QueryWord], *, every_word: bool) -> TextMatch:
        assert words
        fts = sa.table(FTS_TABLE, sa.column("rowid", sa.BigInteger()))
        # A phrase in double quotes is a string to FTS5, never an operator; quotes double.
        query = _expression(
            words,
            lambda t: '"' + t.replace('"', '""') + '"',
            and_="AND",
            or_="OR",
            every=every_word,
        )
        table: ColumnElement[Any] = sa.literal_column(FTS_TABLE)
        return TextMatch(
            source=fts,
            listing_id=fts.c.rowid,
            condition=table.op("MATCH", return_type=sa.Boolean())(
                sa.bindparam("fts_query", query, type_=sa.Text(), unique=True)
            ),
            score=-sa.func.bm25(table, *FTS5_WEIGHTS, type_=sa.Float()),
        )


class TsVectorIndex:
    """PostgreSQL's generated ``search_text.search_vector`` column and its GIN index."""

    def match(self, words: Sequence[QueryWord], *, every_word: bool) -> TextMatch:
        assert words
        text = _text()
        # A lexeme in single quotes is a string to to_tsquery; quotes and backslashes double.
        query = _expression(
            words,
            lambda t: "'" + t.replace("\\", "\\\\").replace("'", "''") + "'",
            and_="&",
            or_="|",
            every=every_word,
        )
        tsquery = sa.func.to_tsquery(
            sa.literal_column("'simple'::regconfig"),
            sa.bindparam("ts_query", query, type_=sa.Text(), unique=True),
        )
        vector: ColumnElement[Any] = sa.literal_column(f"{text.name}.{VECTOR_COLUMN}")
        rank = sa.func.ts_rank(
            sa.literal_column(f"'{TS_RANK_WEIGHTS}'::float4[]"),
            vector,
            tsquery,
            TS_RANK_LENGTH_NORMALISATION,
        )
        return TextMatch(
            source=text,
            listing_id=text.c.listing_id,
            condition=vector.op("@@", return_type=sa.Boolean())(tsquery),
            score=sa.cast(rank, sa.Float()),
        )


def text_index(session: Session) -> TextIndex:
    """The full-text index of the database this session is bound to."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return Fts5Index()
    if dialect == "postgresql":
        return TsVectorIndex()
    raise NotImplementedError(f"catalog search has no full-text index for {dialect}")


# --- writing -------------------------------------------------------------------------------


def upsert_many(
    session: Session,
    rows: Sequence[IndexedListing],
    texts: Sequence[IndexedText],
    purposes: Sequence[Sequence[str]],
) -> None:
    """Store each listing's row, words and purposes, replacing what was there, with one
    ``INSERT … ON CONFLICT DO UPDATE`` per table; the full-text index follows (SQLite: triggers;
    PostgreSQL: the generated column)."""
    if not rows:
        return
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    for table, values in ((_document(), rows), (_text(), texts)):
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.listing_id],
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "listing_id"},
        )
        session.execute(stmt, [v.model_dump() for v in values])
    ids = [row.listing_id for row in rows]
    session.execute(delete(IndexedPurpose).where(col(IndexedPurpose.listing_id).in_(ids)))
    permitted = [
        {"listing_id": row.listing_id, "purpose": p}
        for row, ps in zip(rows, purposes, strict=True)
        for p in ps
    ]
    if permitted:
        session.execute(sa.insert(IndexedPurpose.metadata.tables["search_purpose"]), permitted)


def set_asset_state(
    session: Session, asset_id: int, *, visible: bool, under_objection: bool
) -> int:
    """Every listing of the asset: found or not, flagged or not. Returns how many changed."""
    result = session.execute(
        update(IndexedListing)
        .where(col(IndexedListing.asset_id) == asset_id)
        .values(visible=visible, under_objection=under_objection)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def delete_listing(session: Session, listing_id: int) -> bool:
    session.execute(delete(IndexedPurpose).where(col(IndexedPurpose.listing_id) == listing_id))
    session.execute(delete(IndexedText).where(col(IndexedText.listing_id) == listing_id))
    result = session.execute(
        delete(IndexedListing).where(col(IndexedListing.listing_id) == listing_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of a DELETE


# --- reading -------------------------------------------------------------------------------


def _filters(doc: sa.Table, query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [doc.c.visible.is_(True)]
    for name in ("theme", "classification", "update_frequency"):
        value = getattr(query, name)
        if value is not None:
            conditions.append(doc.c[name] == value)
    if query.price_min_minor is not None:
        conditions.append(doc.c.headline_minor >= query.price_min_minor)
    if query.price_max_minor is not None:
        conditions.append(doc.c.headline_minor <= query.price_max_minor)
    if query.quality_min is not None:
        conditions.append(doc.c.quality_score >= query.quality_min)
    if query.purpose is not None:
        permitted = (
            select(col(IndexedPurpose.listing_id))
            .where(col(IndexedPurpose.listing_id) == doc.c.listing_id)
            .where(col(IndexedPurpose.purpose) == query.purpose)
        )
        conditions.append(permitted.exists())
    return conditions


_ORDER_KEYS = {
    SearchSort.price_asc: "price_asc_key",
    SearchSort.price_desc: "price_desc_key",
    SearchSort.quality: "quality_key",
    SearchSort.recent: "created_at",
}


def window_from_id(
    session: Session, words: Sequence[QueryWord], size: int, *, every_word: bool = True
) -> int | None:
    """The id of the ``size``-th newest listing the words match (visible or not), or None when
    they match fewer: the lower bound of the relevance ranking window."""
    matched = text_index(session).match(words, every_word=every_word)
    stmt = (
        sa.select(matched.listing_id)
        .select_from(matched.source)
        .where(matched.condition)
        .order_by(matched.listing_id.desc())
        .offset(size - 1)
        .limit(1)
    )
    found = session.execute(stmt).scalar_one_or_none()
    return None if found is None else int(found)


def page(
    session: Session,
    query: SearchQuery,
    words: Sequence[QueryWord],
    order: SearchSort,
    after: SortKey | None,
    *,
    window_from_id: int | None = None,
) -> list[SortKey]:
    """Up to ``query.limit + 1`` visible listings (the extra one says whether a next page
    exists) that match the words and filters, in ``order``, after ``after``. In relevance order
    only the listings with ids from ``window_from_id`` on (all when None) are ranked."""
    doc = _document()
    source: FromClause = doc
    conditions = _filters(doc, query)
    if words:
        matched = text_index(session).match(words, every_word=True)
        source = matched.source.join(doc, doc.c.listing_id == matched.listing_id)
        conditions.append(matched.condition)
        if window_from_id is not None:
            conditions.append(matched.listing_id >= window_from_id)
    if order is SearchSort.relevance:
        assert words
        value: ColumnElement[Any] = matched.score
    else:
        value = doc.c[_ORDER_KEYS[order]]
    inner = (
        sa.select(doc.c.listing_id.label("listing_id"), value.label("value"))
        .select_from(source)
        .where(*conditions)
        .subquery()
    )
    ascending = order is SearchSort.price_asc
    stmt = sa.select(inner.c.listing_id, inner.c.value)
    if after is not None:
        assert after.value is not None
        stmt = stmt.where(_after(inner.c.value, inner.c.listing_id, after, ascending=ascending))
    direction = sa.asc if ascending else sa.desc
    stmt = stmt.order_by(direction(inner.c.value), direction(inner.c.listing_id))
    rows = session.execute(stmt.limit(query.limit + 1)).all()
    return [SortKey(value=value, listing_id=listing_id) for listing_id, value in rows]


def tail_page(
    session: Session,
    query: SearchQuery,
    words: Sequence[QueryWord],
    *,
    below_id: int,
    after_id: int | None,
    limit: int,
) -> list[SortKey]:
    """Past the ranking window: up to ``limit`` visible listings matching the words and filters
    with ids below ``below_id`` (and ``after_id``), newest first, without a score."""
    doc = _document()
    matched = text_index(session).match(words, every_word=True)
    bound = below_id if after_id is None else min(below_id, after_id)
    stmt = (
        sa.select(doc.c.listing_id)
        .select_from(matched.source.join(doc, doc.c.listing_id == matched.listing_id))
        .where(*_filters(doc, query), matched.condition, matched.listing_id < bound)
        .order_by(matched.listing_id.desc())
        .limit(limit)
    )
    return [SortKey(value=None, listing_id=i) for i in session.execute(stmt).scalars()]


def _after(value: Any, listing_id: Any, key: SortKey, *, ascending: bool) -> ColumnElement[bool]:
    if ascending:
        return sa.or_(value > key.value, sa.and_(value == key.value, listing_id > key.listing_id))
    return sa.or_(value < key.value, sa.and_(value == key.value, listing_id < key.listing_id))


@dataclass(frozen=True, slots=True)
class MatchedTerms:
    """A candidate listing and its indexed words by field."""

    listing_id: int
    fields: tuple[frozenset[str], ...]  # in TEXT_FIELDS order


def match_counts(session: Session, words: Sequence[QueryWord], cap: int) -> list[int]:
    """How many listings (visible or not) each word matches, counting no further than
    ``cap + 1``: one statement for all the words."""
    assert words
    index = text_index(session)
    counts: list[ColumnElement[int]] = []
    for word in words:
        matched = index.match([word], every_word=True)
        some = (
            sa.select(matched.listing_id)
            .select_from(matched.source)
            .where(matched.condition)
            .limit(cap + 1)
            .subquery()
        )
        counts.append(sa.select(sa.func.count()).select_from(some).scalar_subquery())
    row = session.execute(sa.select(*counts)).one()
    return [int(n) for n in row]


def matching_any(
    session: Session, words: Sequence[QueryWord], limit: int, *, window_from_id: int | None
) -> list[MatchedTerms]:
    """The ``limit`` visible listings that best match any of the words, best first, ranking only
    ids from ``window_from_id`` on (all when None)."""
    doc, text = _document(), _text()
    matched = text_index(session).match(words, every_word=False)
    conditions = [doc.c.visible.is_(True), matched.condition]
    if window_from_id is not None:
        conditions.append(matched.listing_id >= window_from_id)
    best = (
        sa.select(matched.listing_id.label("listing_id"), matched.score.label("score"))
        .select_from(matched.source.join(doc, doc.c.listing_id == matched.listing_id))
        .where(*conditions)
        .order_by(matched.score.desc(), matched.listing_id.desc())
        .limit(limit)
        .subquery()
    )
    stmt = (
        sa.select(best.c.listing_id, *(text.c[f] for f in TEXT_FIELDS))
        .join_from(best, text, text.c.listing_id == best.c.listing_id)
        .order_by(best.c.score.desc(), best.c.listing_id.desc())
    )
    return [
        MatchedTerms(listing_id=row[0], fields=tuple(frozenset(t.split()) for t in row[1:]))
        for row in session.execute(stmt).all()
    ]
