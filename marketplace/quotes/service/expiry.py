"""Expiry, applied when quotes are read: an offered quote whose validity has ended is moved to
``expired`` and journaled (``quote.expired``, actor: nobody) by whichever read or award first
finds it, exactly once (the rows are locked and re-checked)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from marketplace.quotes import lifecycle, repository
from marketplace.quotes.lifecycle import QuoteEvent
from marketplace.quotes.models import Quote
from marketplace.quotes.service.journaling import NOBODY, journal_quote


def expire(session: Session, quote: Quote, now: datetime) -> None:
    """Record the expiry of a locked, lapsed quote."""
    assert lifecycle.lapsed(quote, now)
    transition = lifecycle.apply(quote, QuoteEvent.expire)
    quote.decided_at = now
    valid_until = int(quote.valid_until.timestamp())
    quote.decision_seq = journal_quote(
        session, transition.kind, quote, NOBODY, {"valid_until": valid_until}
    )
    repository.add(session, quote)


def expire_lapsed(session: Session, quotes: Sequence[Quote], now: datetime) -> None:
    """Record the expiry of those of ``quotes`` that have lapsed (the objects are refreshed)."""
    due = [q.id for q in quotes if q.id is not None and lifecycle.lapsed(q, now)]
    for quote in repository.lock_lapsed(session, due, now):
        expire(session, quote, now)
