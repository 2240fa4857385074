"""The quote lifecycle table, tried pair by pair against a table written out here by hand:
every allowed (state, event) moves the quote to the expected state and names the declared
journal kind; every other pair is a 409 naming the state the quote is in, and changes nothing.
Over HTTP the same refusals are tried in ``test_quotes_http.py``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.quotes import lifecycle
from marketplace.quotes.errors import QuoteStateConflict
from marketplace.quotes.lifecycle import QuoteEvent
from marketplace.quotes.models import Quote, QuoteStatus

#: event → {from: to}
EXPECTED: dict[str, dict[str, str]] = {
    "accept": {"offered": "accepted"},
    "withdraw": {"offered": "withdrawn"},
    "reject": {"offered": "rejected"},
    "supersede": {"offered": "rejected"},
    "expire": {"offered": "expired"},
}
KINDS = {
    "accept": "quote.accepted",
    "withdraw": "quote.withdrawn",
    "reject": "quote.rejected",
    "supersede": "quote.rejected",
    "expire": "quote.expired",
}

PAIRS = list(itertools.product(QuoteStatus, QuoteEvent))
ALLOWED = [(s, e) for s, e in PAIRS if s.value in EXPECTED[e.value]]
REFUSED = [(s, e) for s, e in PAIRS if s.value not in EXPECTED[e.value]]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _quote(state: QuoteStatus, valid_until: datetime = NOW + timedelta(days=1)) -> Quote:
    return Quote(status=state, valid_until=valid_until)


def test_the_table_is_the_one_written_out_here() -> None:
    table: dict[str, dict[str, str]] = {e.value: {} for e in QuoteEvent}
    for (state, event), t in lifecycle.TRANSITIONS.items():
        table[event.value][state.value] = t.target.value
    assert table == EXPECTED


def test_the_table_keeps_the_journal_kinds_verifiers_read() -> None:
    assert {t.event.value: t.kind for t in lifecycle.TRANSITIONS.values()} == KINDS
    assert lifecycle.CREATED_KIND == "quote.offered"
    assert QuoteStatus.offered == lifecycle.INITIAL


def test_every_state_but_offered_is_final() -> None:
    assert {s for s in QuoteStatus if s != QuoteStatus.offered} == lifecycle.FINAL


@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_an_allowed_pair_moves_to_the_expected_state_with_its_journal_kind(
    state: QuoteStatus, event: QuoteEvent
) -> None:
    quote = _quote(state)
    assert lifecycle.allowed(state, event)
    transition = lifecycle.apply(quote, event)
    assert quote.status == EXPECTED[event.value][state.value]
    assert transition.kind == KINDS[event.value]
    assert transition == lifecycle.TRANSITIONS[(state, event)]


@pytest.mark.parametrize(("state", "event"), REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_a_refused_pair_is_a_409_naming_the_state_and_changes_nothing(
    state: QuoteStatus, event: QuoteEvent
) -> None:
    quote = _quote(state)
    assert not lifecycle.allowed(state, event)
    with pytest.raises(QuoteStateConflict) as raised:
        lifecycle.apply(quote, event)
    assert raised.value.status == 409
    assert raised.value.code == "quote_state"
    assert str(raised.value) == (
        f"cannot {event.value} a quote that is {state.value}; it must be offered"
    )
    assert quote.status == state


@pytest.mark.parametrize("state", list(QuoteStatus))
def test_only_an_offered_quote_past_its_validity_has_lapsed(state: QuoteStatus) -> None:
    assert not lifecycle.lapsed(_quote(state, NOW + timedelta(seconds=1)), NOW)
    assert lifecycle.lapsed(_quote(state, NOW), NOW) == (state == QuoteStatus.offered)
    assert lifecycle.lapsed(_quote(state, NOW - timedelta(days=1)), NOW) == (
        state == QuoteStatus.offered
    )
