"""catalog search: the indexed listings, their purposes and the dialect's full-text index

Revision ID: search
Revises: listings_0001

``search_document`` (filter and sort values), ``search_text`` (segmented words) and
``search_purpose`` are plain tables on both databases. The full-text index depends on the
database (see ``marketplace/search/models.py``):

- SQLite: the FTS5 table ``search_fts`` with external content (``search_text``; rowid =
  ``listing_id``), tokenizer ``unicode61`` without diacritic folding (so it agrees with
  PostgreSQL's ``simple`` configuration), kept in step by three triggers. A later migration that
  rebuilds ``search_text`` with a batch operation drops these triggers and must recreate them
  (``_create_sqlite_index``) and rebuild the index.
- PostgreSQL: the stored generated column ``search_text.search_vector`` and its GIN index.

The words stored are already segmented (``marketplace/search/segmenter.py``); neither database
segments Chinese by itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "search"
down_revision: str | None = "listings_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELDS = ("title_terms", "keywords_terms", "columns_terms", "description_terms")


def _create_sqlite_index() -> None:
    fields = ", ".join(_FIELDS)
    new = ", ".join(f"new.{f}" for f in _FIELDS)
    old = ", ".join(f"old.{f}" for f in _FIELDS)
    op.execute(
        f"CREATE VIRTUAL TABLE search_fts USING fts5({fields}, content='search_text', "
        "content_rowid='listing_id', tokenize='unicode61 remove_diacritics 0')"
    )
    # The S608 below: every name is a constant of this file; nothing comes from input.
    op.execute(
        "CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(rowid, {fields}) VALUES (new.listing_id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(search_fts, rowid, {fields}) "
        f"VALUES ('delete', old.listing_id, {old}); END"
    )
    op.execute(
        "CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(search_fts, rowid, {fields}) "
        f"VALUES ('delete', old.listing_id, {old}); "
        f"INSERT INTO search_fts(rowid, {fields}) VALUES (new.listing_id, {new}); END"
    )


def _create_postgresql_index() -> None:
    weighted = " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, {field}), '{weight}')"
        for field, weight in zip(_FIELDS, "ABCD", strict=True)
    )
    op.execute(
        "ALTER TABLE search_text ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({weighted}) STORED"
    )
    op.execute("CREATE INDEX ix_search_text_search_vector ON search_text USING gin (search_vector)")


def upgrade() -> None:
    listing_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "search_document",
        sa.Column("listing_id", listing_id, autoincrement=False, nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("classification", sa.Text(), nullable=True),
        sa.Column("update_frequency", sa.Text(), nullable=True),
        sa.Column("headline_minor", sa.BigInteger(), nullable=True),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_asc_key", sa.BigInteger(), nullable=False),
        sa.Column("price_desc_key", sa.BigInteger(), nullable=False),
        sa.Column("quality_key", sa.Float(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("under_objection", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        for column in (
            "asset_id",
            "theme",
            "created_at",
            "price_asc_key",
            "price_desc_key",
            "quality_key",
        ):
            batch_op.create_index(batch_op.f(f"ix_search_document_{column}"), [column])
    op.create_table(
        "search_text",
        sa.Column("listing_id", listing_id, autoincrement=False, nullable=False),
        *(sa.Column(field, sa.Text(), nullable=False) for field in _FIELDS),
        sa.ForeignKeyConstraint(["listing_id"], ["search_document.listing_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    op.create_table(
        "search_purpose",
        sa.Column("listing_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["search_document.listing_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("listing_id", "purpose"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite_index()
    else:
        _create_postgresql_index()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")  # its triggers go with search_text
    op.drop_table("search_purpose")
    op.drop_table("search_text")
    op.drop_table("search_document")
