"""Alembic environment: runs against the engine handed over in ``config.attributes``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection, Engine
from sqlmodel.sql.sqltypes import AutoString

from marketplace.tables import include_name, metadata

config = context.config
engine: Engine = config.attributes["engine"]


def render_item(kind: str, obj: Any, _ctx: AutogenContext) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain ``sa.String`` so revisions need no sqlmodel."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite ignores ``PRAGMA foreign_keys`` inside a transaction, so it goes straight to the
    driver (which opens none: see ``make_engine``), before the migration transaction begins."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    """Inside the migration transaction: any row left pointing at nothing aborts the upgrade."""
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:
        shown = ", ".join(
            f"{table} rowid {rowid} -> {parent}" for table, rowid, parent, _ in dangling[:10]
        )
        raise RuntimeError(f"migration left {len(dangling)} dangling foreign key(s): {shown}")


# On SQLite, batch migrations rebuild a table by copying it, dropping it and renaming the copy.
# With foreign keys on, dropping a table that others reference fails (or would cascade), so they
# are off while the migrations run and checked as a whole before the transaction commits
# (https://alembic.sqlalchemy.org/en/latest/batch.html, "Dealing with Referencing Foreign Keys").
sqlite = engine.dialect.name == "sqlite"
_UPGRADE_LOCK = 0x64625F6D6967  # "db_mig": PostgreSQL's advisory lock of `bourse db upgrade`
with engine.connect() as connection:
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            # One transaction for the whole upgrade, on SQLite too (alembic assumes its DDL is
            # not transactional, but make_engine's connections run it inside BEGIN IMMEDIATE):
            # the foreign key check below then refuses the upgrade as a whole.
            transactional_ddl=True,
            compare_type=True,
            include_name=include_name,
            render_item=render_item,
        )
        with context.begin_transaction():
            if not sqlite:
                # Two upgrades at once (two deploys, a migrate service restarted): the second
                # waits here for the first to commit, then finds the database at its revision.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
        connection.commit()
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)
