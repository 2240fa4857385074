"""The search index's tables: one row per findable listing with its filter and sort values, one
with its segmented words, and one per licence purpose its terms permit.

The full-text index itself depends on the database and is not in the metadata: migration
``search`` builds it.

- SQLite: the FTS5 table ``search_fts`` over the four ``*_terms`` columns of ``search_text``
  (external content: it stores the index, not the text), kept in step by triggers.
- PostgreSQL: the generated column ``search_text.search_vector`` (``tsvector``, the four fields
  weighted A to D) and its GIN index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Text
from sqlmodel import Field, SQLModel

from marketplace import limits
from marketplace.db import ID_TYPE

FTS_TABLE: Final = "search_fts"
VECTOR_COLUMN: Final = "search_vector"
VECTOR_INDEX: Final = "ix_search_text_search_vector"
# The fields searched, best match first: FTS5 column order, PostgreSQL weights A, B, C, D.
TEXT_FIELDS: Final = ("title_terms", "keywords_terms", "columns_terms", "description_terms")


class IndexedListing(SQLModel, table=True):
    """One listing as the catalog filters and orders it. Its words are in ``IndexedText``.

    The ``*_key`` columns are the orders' sort values with a listing that lacks a price or a
    quality score placed last (``cursor.NO_PRICE_ASC`` …), stored so that an index serves each
    order."""

    __tablename__ = "search_document"

    listing_id: int = Field(
        sa_type=ID_TYPE, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    asset_id: int = Field(sa_type=BigInteger, index=True)
    theme: str | None = Field(default=None, max_length=limits.search_filter_length_max, index=True)
    classification: str | None = Field(default=None, sa_type=Text)
    update_frequency: str | None = Field(default=None, sa_type=Text)
    headline_minor: int | None = Field(default=None, sa_type=BigInteger)
    quality_score: float | None = Field(default=None, sa_type=Float)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    price_asc_key: int = Field(sa_type=BigInteger, index=True)
    price_desc_key: int = Field(sa_type=BigInteger, index=True)
    quality_key: float = Field(sa_type=Float, index=True)
    visible: bool = Field(sa_type=Boolean)
    under_objection: bool = Field(sa_type=Boolean)


class IndexedText(SQLModel, table=True):
    """A listing's words by field: segmented words separated by spaces
    (``segmenter.index_text``), never the listing's text as written. Kept apart from
    ``IndexedListing`` so that the rows a search joins on are narrow."""

    __tablename__ = "search_text"

    listing_id: int = Field(
        sa_column=Column(
            ID_TYPE,
            ForeignKey("search_document.listing_id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    title_terms: str = Field(sa_type=Text)
    keywords_terms: str = Field(sa_type=Text)
    columns_terms: str = Field(sa_type=Text)
    description_terms: str = Field(sa_type=Text)


class IndexedPurpose(SQLModel, table=True):
    """A licence purpose the listing's terms permit (the purpose filter)."""

    __tablename__ = "search_purpose"

    listing_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("search_document.listing_id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    purpose: str = Field(sa_type=Text, primary_key=True)


def outside_metadata(name: str | None, type_: str, table_name: str | None) -> bool:
    """Whether a database object is the dialect's full-text index, which migration ``search``
    builds and the metadata does not declare (``table_name``: the table of a column or index)."""
    if type_ == "table":
        return name is not None and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_"))
    if type_ == "column":
        return table_name == "search_text" and name == VECTOR_COLUMN
    return type_ == "index" and name == VECTOR_INDEX
