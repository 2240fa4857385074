"""Timestamps come back from either database aware and in UTC (SQLite stores no offset); a row
read by a Core statement (``db.loaded``) is the session's row, fresh and with nothing to flush."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, bindparam, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.models import JournalHead
from marketplace.db import loaded


def test_an_aware_time_is_read_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    table = Table(
        "tz_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True)),
    )
    table.create(engine)
    try:
        shanghai = datetime(2024, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
        with engine.begin() as conn:
            conn.execute(insert(table).values(id=1, at=shanghai))
            at = conn.execute(select(table.c.at)).scalar_one()
        assert at == shanghai
        assert at.utcoffset() == timedelta(0)
        assert at.astimezone(UTC) == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    finally:
        table.drop(engine)


def test_a_row_read_by_a_core_statement_is_the_sessions_row_fresh_with_nothing_to_flush(
    engine: Engine,
) -> None:
    head = cast(Table, JournalHead.__table__)  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(insert(head).values(id=1, last_seq=5, last_hash="a" * 64))
    by_id = select(head).where(head.c.id == bindparam("id"))
    with Session(engine) as session:
        assert loaded(session, JournalHead, by_id, {"id": 2}) is None
        row = loaded(session, JournalHead, by_id, {"id": 1})
        assert row is not None
        assert (row.last_seq, row.last_hash) == (5, "a" * 64)
        assert session.get(JournalHead, 1) is row  # the session's own row: no second read
        assert not session.dirty
        assert not session.new

        session.execute(update(head).values(last_seq=6))  # written behind the row's back
        assert row.last_seq == 5
        again = loaded(session, JournalHead, by_id, {"id": 1})
        assert again is row  # the held row, given what the database holds now
        assert row.last_seq == 6
        assert not session.dirty
        session.flush()  # nothing to write: the values are the row's committed state
        assert session.execute(select(head.c.last_seq)).scalar_one() == 6
