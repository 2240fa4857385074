"""What quotes take from other domains, through their services only: the demand (matching),
the listing (listings), the order (orders) and the notifications. One module, so that the
quote rules read the same whatever those services' shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from marketplace.assets.service import SigningContext
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Terms
from marketplace.matching import service as matching
from marketplace.matching.errors import DemandNotFound
from marketplace.matching.schemas import DemandPublic
from marketplace.notifications import service as notifications
from marketplace.orders import service as orders
from marketplace.orders.schemas import OrderDraft, OrderSignature
from marketplace.principal import Principal
from marketplace.settings import Settings


@dataclass(frozen=True)
class Demand:
    """A demand as quotes read it: whose it is (None when the caller may not know), whether it
    takes quotes, and its purpose."""

    id: int
    owner_organization_id: int | None
    status: str  # as a reader sees it: an open demand past its deadline is expired
    purpose: str

    @property
    def open(self) -> bool:
        return self.status == "open"


def _demand(shown: DemandPublic) -> Demand:
    return Demand(
        id=shown.id,
        owner_organization_id=shown.buyer_organization_id,
        status=str(shown.status),
        purpose=str(shown.purpose),
    )


def demand_to_quote(session: Session, demand_id: int, now: datetime) -> Demand:
    """The open demand a quote answers, with its owner: 404 if there is none, 409 naming its
    state unless it is open."""
    return _demand(matching.open_for_quote(session, demand_id, now))


def demand_held_to_quote(session: Session, demand_id: int, now: datetime) -> Demand:
    """``demand_to_quote``, the demand's row share-locked until the transaction ends and read
    under the lock: a close or fulfilment (which lock it for update) waits for the quote, or the
    quote waits for it and is then refused (409 naming the state)."""
    return _demand(matching.held_open_for_quote(session, demand_id, now))


def demand_seen(
    session: Session, principal: Principal, demand_id: int, now: datetime
) -> Demand | None:
    """The demand as ``principal`` may see it (its owner shown only to the owner); None when
    it may not see it."""
    try:
        return _demand(matching.get(session, principal, demand_id, now))
    except DemandNotFound:
        return None


def lock_demand_to_award(session: Session, demand_id: int) -> None:
    """Lock the demand's row for update before anything else an acceptance locks (its offered
    quotes, the listing): a quote sent meanwhile is then either among the offered quotes the
    acceptance rejects, or waits and finds the demand fulfilled."""
    matching.lock_to_award(session, demand_id)


def fulfil(session: Session, demand_id: int, quote_id: int, now: datetime) -> None:
    """Lock the demand's row and mark it fulfilled by ``quote_id``; a 409 when it is no longer
    open (another acceptance won, or the buyer closed it, or its deadline passed)."""
    matching.fulfil(session, demand_id, quote_id, now=now)


def listing(session: Session, listing_id: int) -> ListingPublic:
    return listings.public(session, listing_id)


def purchasable(session: Session, listing_id: int, purpose: str) -> ListingPublic:
    return listings.purchasable(session, listing_id, purpose)


def held_for_sale(
    session: Session, listing_id: int, purpose: str, *, buyer_organization_id: int
) -> ListingPublic:
    """``purchasable`` to the buyer, the buyer's and the listing's supplier organisations, the
    listing and its asset share-locked until the transaction ends, as placing the order locks
    them: an acceptance takes them before its first journal append."""
    return listings.held_for_sale(
        session, listing_id, purpose, buyer_organization_id=buyer_organization_id
    )


def place_order(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quote_id: int,
    price_minor: int,
    terms: Terms,
    signed: OrderSignature | None,
    ctx: SigningContext,
    now: datetime,
) -> int:
    """Place the order an accepted quote makes, under the quote's terms (checked no wider than
    the listing's when the quote was sent); signed by the buyer (``signed``) or, custodial, by
    the exchange with its key. Its id."""
    order = orders.place(
        session, settings, principal, listing_id=listing_id, purpose=purpose, source="quote",
        source_id=quote_id, price_minor=price_minor, terms=terms,
        signature=None if signed is None else signed.signature,
        nonce=None if signed is None else signed.nonce,
        deadline=None if signed is None else signed.deadline, ctx=ctx, now=now,
    )  # fmt: skip
    return order.id


def draft_order(
    session: Session,
    principal: Principal,
    *,
    listing_id: int,
    purpose: str,
    quote_id: int,
    price_minor: int,
    terms: Terms,
    ctx: SigningContext,
    now: datetime,
) -> OrderDraft:
    """The order a self-custody buyer signs to accept the quote (writes nothing)."""
    return orders.draft(
        session, principal, listing_id=listing_id, purpose=purpose, quantity=None,
        source="quote", source_id=quote_id, price_minor=price_minor, terms=terms, ctx=ctx,
        now=now,
    )  # fmt: skip


def notify(
    session: Session, organization_id: int, kind: str, quote_id: int, payload: dict[str, Any]
) -> None:
    notifications.notify(
        session,
        organization_id=organization_id,
        kind=kind,
        subject=f"quote:{quote_id}",
        payload={"quote_id": quote_id, **payload},
    )
