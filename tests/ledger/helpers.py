"""Shared helpers for ledger tests."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger import journal

ACTOR = "0x" + "ab" * 20


def journal_n(engine: Engine, n: int, *, start: int = 0) -> list[journal.AppendedEntry]:
    """Append and commit ``n`` entries."""
    with Session(engine) as s:
        entries = journal.append_many(
            s,
            [
                journal.NewEntry("order.placed", f"order:{i}", ACTOR, {"amount_minor": i})
                for i in range(start, start + n)
            ],
        )
        s.commit()
    return entries
