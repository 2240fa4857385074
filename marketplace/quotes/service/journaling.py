"""How a quote's changes are journaled: one entry per change, in the same transaction, under
the subject ``quote:{id}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from ledger import journal
from marketplace.identity.signing import ZERO_ADDRESS
from marketplace.quotes.models import Quote

#: The actor of what no one does: a quote expiring when its validity ends.
NOBODY = ZERO_ADDRESS


def subject(quote_id: int) -> str:
    return f"quote:{quote_id}"


def journal_quote(
    session: Session,
    kind: str,
    quote: Quote,
    actor: str,
    payload: Mapping[str, Any] | None = None,
    *,
    signature: str | None = None,
) -> int:
    """Append the quote's journal entry in the caller's transaction; its seq."""
    assert quote.id is not None
    entry = journal.append(
        session,
        kind=kind,
        subject=subject(quote.id),
        actor=actor,
        payload={"quote_id": quote.id, "demand_id": quote.demand_id, **(payload or {})},
        signature=signature,
    )
    return entry.seq
