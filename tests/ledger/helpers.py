"""Shared helpers for ledger tests."""

from __future__ import annotations

import re

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


_HEX_RUN = re.compile(r"(0x)?[0-9a-fA-F]{40,}")


def public_text(payload: object) -> str:
    """A journal payload's text without its hashes, signatures and addresses (runs of 40 or
    more hex digits), for checking that an amount is not in it: a random digest contains
    "300" one time in sixty or so."""
    return _HEX_RUN.sub("", str(payload))
