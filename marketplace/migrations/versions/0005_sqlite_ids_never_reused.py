"""SQLite: ids of deleted rows are never reused (AUTOINCREMENT)

Revision ID: 0005
Revises: 0004

A draft can be deleted, with its revisions and quality evaluations. Without AUTOINCREMENT SQLite
gives the next row max(rowid) + 1, so deleting the newest asset handed its id to the next one and
the journal's ``asset:<id>`` (and a ``quality.assessed`` entry's ``evaluation_id``) named two
different things. This rebuilds those tables as ``INTEGER PRIMARY KEY AUTOINCREMENT`` keeping every
row, index and constraint, and seeds ``sqlite_sequence`` above every id the table or the journal
has ever held (so an id deleted before this migration is not handed out either).

PostgreSQL's sequences never reuse a value: nothing to do there. The rebuild drops and renames
tables that other tables reference, so env.py runs migrations with SQLite's foreign keys off and
runs ``PRAGMA foreign_key_check`` before committing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table whose rows can be deleted, and the highest of its ids the journal names (SQL
# returning one integer or NULL): those ids must not come back either.
_JOURNALED_ID_MAX = {
    "asset": (
        "SELECT max(CAST(substr(subject, 7) AS INTEGER)) FROM journal_entry "
        "WHERE subject LIKE 'asset:%'"
    ),
    "asset_revision": None,  # its id is internal; revisions are named by (asset, number)
    "quality_evaluation": (
        "SELECT max(CAST(json_extract(payload_json, '$.evaluation_id') AS INTEGER)) "
        "FROM journal_entry WHERE kind = 'quality.assessed'"
    ),
}


def _seed_sequence(conn: sa.Connection, table: str, journaled_sql: str | None) -> None:
    """Make ``sqlite_sequence`` (the largest id ever used) at least the table's and the
    journal's largest id; the copy into the rebuilt table already counted the rows it copied."""
    rows = sa.table(table, sa.column("id", sa.BigInteger()))
    floor = conn.execute(sa.select(sa.func.max(rows.c.id))).scalar_one() or 0
    if journaled_sql is not None:
        floor = max(floor, conn.exec_driver_sql(journaled_sql).scalar_one() or 0)
    if floor <= 0:
        return
    params = {"name": table, "floor": int(floor)}
    conn.execute(
        sa.text("UPDATE sqlite_sequence SET seq = :floor WHERE name = :name AND seq < :floor"),
        params,
    )
    conn.execute(
        sa.text(
            "INSERT INTO sqlite_sequence (name, seq) SELECT :name, :floor "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :name)"
        ),
        params,
    )


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table, journaled_sql in _JOURNALED_ID_MAX.items():
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
        _seed_sequence(conn, table, journaled_sql)


def downgrade() -> None:
    # Nothing to undo safely: going back to plain rowids would let SQLite reuse deleted ids again,
    # and AUTOINCREMENT tables work unchanged with the code of revision 0004.
    pass
