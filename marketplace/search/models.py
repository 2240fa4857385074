"""The search index's tables: one row per findable listing with its segmented words, filter and
sort values, and one row per licence purpose its terms permit.

The full-text index itself depends on the database and is not in the metadata: migration
``search`` builds it.

- SQLite: the FTS5 table ``search_fts`` over the four ``*_terms`` columns (external content: it
  stores the index, not the text), kept in step by triggers on ``search_document``.
- PostgreSQL: the generated column ``search_document.search_vector`` (``tsvector``, the four
  fields weighted A to D) and its GIN index.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Text
from sqlmodel import Field, SQLModel

from marketplace import limits
from marketplace.db import ID_TYPE

FTS_TABLE: Final = "search_fts"
VECTOR_COLUMN: Final = "search_vector"
VECTOR_INDEX: Final = "ix_search_document_search_vector"
# The fields searched, best match first: FTS5 column order, PostgreSQL weights A, B, C, D.
TEXT_FIELDS: Final = ("title_terms", "keywords_terms", "columns_terms", "description_terms")


class IndexedListing(SQLModel, table=True):
    """One listing as the catalog finds it. The ``*_terms`` columns hold segmented words
    separated by spaces (``segmenter.index_text``), never the listing's text as written."""

    __tablename__ = "search_document"

    listing_id: int = Field(
        sa_type=ID_TYPE, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    asset_id: int = Field(sa_type=BigInteger, index=True)
    title_terms: str = Field(sa_type=Text)
    keywords_terms: str = Field(sa_type=Text)
    columns_terms: str = Field(sa_type=Text)
    description_terms: str = Field(sa_type=Text)
    theme: str | None = Field(default=None, max_length=limits.search_filter_length_max, index=True)
    classification: str | None = Field(default=None, sa_type=Text)
    update_frequency: str | None = Field(default=None, sa_type=Text)
    headline_minor: int | None = Field(default=None, sa_type=BigInteger)
    quality_score: float | None = Field(default=None, sa_type=Float)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    visible: bool = Field(sa_type=Boolean)
    under_objection: bool = Field(sa_type=Boolean)


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


def outside_metadata(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Whether a database object is the dialect's full-text index, which migration ``search``
    builds and the metadata does not declare (an Alembic ``include_name`` predicate, negated)."""
    if type_ == "table":
        return name is not None and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_"))
    if type_ == "column":
        return parent_names.get("table_name") == "search_document" and name == VECTOR_COLUMN
    return type_ == "index" and name == VECTOR_INDEX
