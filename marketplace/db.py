"""Engines, sessions and the unit of work.

Services never commit. A request (or a worker's unit of work) opens one session, and the edge
commits it once, or rolls it back when anything raised.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, Table, event
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, create_engine

from ledger.models import row_as_loaded

SQLITE_BUSY_TIMEOUT_MS = 30_000
_KEPT = "marketplace.db.kept"
_GATE = "marketplace.db.write_gate"
_Row = TypeVar("_Row")
_Model = TypeVar("_Model", bound=SQLModel)
# The type of every table's id: 64-bit on PostgreSQL; on SQLite only an INTEGER PRIMARY KEY
# autoincrements (its rowid, 64-bit anyway).
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class _SqliteUtcDateTime(sqlite.DATETIME):
    """SQLite stores no UTC offset. For ``DateTime(timezone=True)`` columns, values are written
    as UTC and read back aware (UTC), as PostgreSQL's ``timestamptz`` does; otherwise responses
    would carry naive timestamps that are not RFC 3339 date-times."""

    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        write = super().bind_processor(dialect)
        if not self.timezone:
            return write

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC)
            return write(value) if write else value

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        read = super().result_processor(dialect, coltype)
        if not self.timezone:
            return read

        def process(value: Any) -> Any:
            moment = read(value) if read else value
            if isinstance(moment, datetime) and moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment

        return process


def _sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def kept(session: Session, row: _Row) -> _Row:
    """``row`` (a table row the session loaded), held by the session until its transaction
    ends. SQLAlchemy's identity map holds unchanged rows weakly, so a row one request reads in
    several places would be read from the database each time; held, ``session.get`` answers
    from it, exactly as it would while any caller still held it (a commit or rollback expires
    it as usual, and the next read is fresh)."""
    if row is not None:
        session.info.setdefault(_KEPT, {})[(type(row), id(row))] = row
    return row


def loaded(
    session: Session, model: type[_Model], stmt: Any, params: dict[str, Any]
) -> _Model | None:
    """The one ``model`` row that ``stmt`` finds, or None (``loaded_all``)."""
    rows = loaded_all(session, model, stmt, params)
    assert len(rows) <= 1, f"{len(rows)} {model.__name__} rows where one was expected"
    return rows[0] if rows else None


def loaded_all(
    session: Session, model: type[_Model], stmt: Any, params: dict[str, Any]
) -> list[_Model]:
    """The ``model`` rows that ``stmt`` (a Core statement built once, selecting every column of
    the table) finds, in its order: each held (``kept``) as the session's persistent row, fresh,
    as ``populate_existing`` gives them; a row the session already holds gets the values read.
    For the purchase path, where the ORM's own load of a row costs several times the query."""
    table = model.__table__  # type: ignore[attr-defined]
    (key,) = table.primary_key.columns
    rows: list[_Model] = []
    for found in session.execute(stmt, params).mappings():
        values = dict(found)
        held = session.identity_map.get(session.identity_key(model, values[key.key]))
        if held is not None:
            for name, value in values.items():
                set_committed_value(held, name, value)
            rows.append(kept(session, held))
            continue
        row = row_as_loaded(model, values)
        make_transient_to_detached(row)  # its fields are what the row holds: nothing to flush
        session.add(row)
        rows.append(kept(session, row))
    return rows


def insert_unless_taken(session: Session, row: SQLModel) -> bool:
    """Insert ``row`` (a new table row whose id the database assigns) unless a unique index
    already holds one of its keys: then False, and nothing is inserted. On PostgreSQL and SQLite
    one ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: no savepoint, and the caller's
    transaction stays usable (a concurrent insert of the same key is waited for, as a plain
    insert would). Inserted, ``row`` gets its id and joins the session as the persistent row,
    its fields as written (a savepoint and a flush on other databases)."""
    table = row.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    stmt = _insert_unless_taken(session.get_bind().dialect.name, table)
    if stmt is None:
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return False
        return True
    (key,) = table.primary_key.columns
    values = {c.key: getattr(row, c.key) for c in table.columns if c is not key}
    inserted = session.execute(stmt, values).first()
    if inserted is None:
        return False
    setattr(row, key.key, inserted[0])
    make_transient_to_detached(row)  # its fields are what the row holds: nothing to flush
    session.add(row)
    return True


def insert_values_unless_taken(
    session: Session, table: Table, values: dict[str, Any]
) -> int | None:
    """``insert_unless_taken`` for a row given as its values by column: no table row object is
    built and none joins the session. The id the database assigned, or None (nothing inserted)
    when a unique index already holds one of its keys."""
    stmt = _insert_unless_taken(session.get_bind().dialect.name, table)
    if stmt is None:
        (key,) = table.primary_key.columns
        try:
            with session.begin_nested():
                row = session.execute(table.insert().returning(key), values).first()
        except IntegrityError:
            return None
    else:
        row = session.execute(stmt, values).first()
    return None if row is None else int(row[0])


def insert_row_unless_taken(
    session: Session, model: type[_Model], values: dict[str, Any]
) -> _Model | None:
    """``insert_values_unless_taken`` for a table ``model``, returning its row object: built as
    the ORM builds a row it loads (``values``, the model's defaults for the columns not given,
    the id the database assigned; ``ledger.models.row_as_loaded``), in the session as a
    persistent row with nothing to flush. None (nothing inserted) when a unique index already
    holds one of its keys."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    (key,) = table.primary_key.columns
    assert key.key not in values, "the database assigns the id"
    full = dict(values)
    for column in table.columns:
        if column is not key and column.key not in full:
            full[column.key] = model.model_fields[column.key].get_default(call_default_factory=True)
    row_id = insert_values_unless_taken(session, table, full)
    if row_id is None:
        return None
    full[key.key] = row_id
    row = row_as_loaded(model, full)
    make_transient_to_detached(row)  # its fields are what the row holds: nothing to flush
    session.add(row)
    return row


@functools.cache
def _insert_unless_taken(dialect: str, table: Table) -> Any:
    """``insert_unless_taken``'s statement for ``table``, built once; None where the database
    has no ``ON CONFLICT DO NOTHING``."""
    dialect_insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if dialect_insert is None:
        return None
    (key,) = table.primary_key.columns
    return dialect_insert(table).on_conflict_do_nothing().returning(key)


@event.listens_for(Session, "after_transaction_end")
def _release_kept(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_KEPT, None)


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Build an engine for ``database_url``; SQLite gets WAL, foreign keys and write-serialising
    ``BEGIN IMMEDIATE`` transactions so that the journal's seq stays gapless across threads."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        engine.dialect.colspecs = {
            **engine.dialect.colspecs,
            sqltypes.DateTime: _SqliteUtcDateTime,
        }

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions, so that BEGIN IMMEDIATE sticks.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        _queue_writers(engine, SQLITE_BUSY_TIMEOUT_MS / 1000)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _queue_writers(engine: Engine, wait_s: float) -> None:
    """Every SQLite transaction is ``BEGIN IMMEDIATE`` (it takes the write lock). The writers of
    this process first queue on a lock of their own, which hands over the moment a transaction
    ends; in SQLite's busy handler they would poll with sleeps of up to 100 ms, and a purchase
    waiting there waits far longer than the transaction it waits for. Past ``wait_s`` a writer
    stops queueing here and waits in SQLite as before (other processes always meet there)."""
    gate = threading.Lock()

    def release(info: dict[Any, Any]) -> None:
        if info.pop(_GATE, False):
            gate.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.info.get(_GATE) and gate.acquire(timeout=wait_s):
            conn.info[_GATE] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            release(conn.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        release(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        release(conn.info)

    # A connection returned to the pool, or dropped, holds no transaction any more.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            release(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exc: Any) -> None:
        if record is not None:
            release(record.info)


class RevisionMismatch(Exception):
    """The database is not at this version's newest migration (``migrations.check_at_head``):
    the message says what to do."""


def ping(engine: Engine) -> None:
    """Runs ``SELECT 1`` outside any transaction: on SQLite every transaction is a write
    transaction (``BEGIN IMMEDIATE``), and a health check must not queue behind the writers."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    finally:
        connection.close()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends cleanly, roll back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
