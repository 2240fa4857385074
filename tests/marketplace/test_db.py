"""Timestamps come back from either database aware and in UTC (SQLite stores no offset)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select
from sqlalchemy.engine import Engine


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
