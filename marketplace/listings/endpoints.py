"""Listing HTTP endpoints. Reads (a listing, its ODRL policy) need no login; creating, pausing,
resuming and withdrawing need a verified supplier of the owning organisation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.endpoints.params import SigningDep
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.identity.auth import CurrentAccount, VerifiedSupplier
from marketplace.listings import service, terms
from marketplace.listings.lifecycle import ListingEvent
from marketplace.listings.schemas import (
    ListingCreate,
    ListingDraft,
    ListingOffer,
    ListingPage,
    ListingPublic,
    ListingSearch,
)
from marketplace.matching import service as matching
from marketplace.paging import ID_DIGITS
from marketplace.search import service as search

router = APIRouter(tags=["listings"])
ListingId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max, description="listing id")]
ODRL_MEDIA_TYPE = "application/ld+json"


@router.post(
    "/listings/draft",
    summary="The offer to sign with your own key (self-custody suppliers; writes nothing)",
)
def draft_listing(
    body: ListingOffer,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningDep,
) -> ListingDraft:
    """EIP-712 typed data (``ListingOffer``): sign it and send the signature, ``nonce`` and
    ``deadline`` with the same offer to ``POST /listings``."""
    return service.draft(
        session, principal, body, currency=runtime.settings.currency_unit, ctx=ctx, now=utc_now()
    )


@router.post("/listings", status_code=201, summary="List an approved asset under signed terms")
def create_listing(
    body: ListingCreate,
    principal: VerifiedSupplier,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningDep,
) -> ListingPublic:
    """Custodial suppliers send no signature: the exchange signs the offer with their key.
    The first listing of an approved asset lists the asset. Writes ``listing.created``; the new
    listing is matched against the open demands (``matching.service.match_new_listing``)."""
    now = utc_now()
    listing = service.create(session, runtime.settings, principal, body, ctx=ctx, now=now)
    matching.match_new_listing(session, listing.id, now)
    return listing


@router.get("/listings", summary="Search the catalog: words, filters, order, a page at a time")
def search_listings(query: Annotated[ListingSearch, Query()], session: SessionDep) -> ListingPage:
    """Listings on offer (active, their asset listed; a suspended supplier's are shown with
    ``unavailable_reason: supplier_suspended``) whose title, description, keywords or column
    names hold every word of ``q`` (Chinese is cut into words; full-width characters count as
    their plain forms; quotes, ``*``, ``NEAR``, ``AND``/``OR``/``NOT``, parentheses and ``:^-``
    are plain separators), filtered and ordered as asked. Each listing shows its price and terms
    in plain words. Pass ``next_cursor`` back as ``cursor`` for the next page, with the same
    words, filters and order (another combination: 422 ``invalid_cursor``)."""
    page = search.search(session, query)
    return ListingPage(items=service.public_many(session, page.ids), next_cursor=page.next_cursor)


@router.get("/listings/{listing_id}", summary="One listing: price and terms in plain words")
def get_listing(listing_id: ListingId, session: SessionDep) -> ListingPublic:
    return service.public(session, listing_id)


@router.get(
    "/listings/{listing_id}/odrl",
    response_class=JSONResponse,
    # The policy is JSON-LD; its errors are the house JSON body, like every route's.
    responses={200: {"content": {ODRL_MEDIA_TYPE: {"schema": {"type": "object"}}}}},
    summary="The listing's usage policy as ODRL 2.2 JSON-LD (an odrl:Offer)",
)
def get_listing_odrl(listing_id: ListingId, session: SessionDep, request: Request) -> JSONResponse:
    policy: dict[str, Any] = terms.odrl(service.public(session, listing_id), str(request.base_url))
    return JSONResponse(policy, media_type=ODRL_MEDIA_TYPE)


def _change(
    session: SessionDep, principal: CurrentAccount, listing_id: int, event: ListingEvent
) -> ListingPublic:
    return service.change(session, principal, listing_id, event, utc_now())


@router.post("/listings/{listing_id}/pause", summary="Pause a listing (its supplier)")
def pause_listing(
    listing_id: ListingId, principal: CurrentAccount, session: SessionDep
) -> ListingPublic:
    return _change(session, principal, listing_id, ListingEvent.pause)


@router.post("/listings/{listing_id}/resume", summary="Resume a paused listing (its supplier)")
def resume_listing(
    listing_id: ListingId, principal: CurrentAccount, session: SessionDep
) -> ListingPublic:
    return _change(session, principal, listing_id, ListingEvent.resume)


@router.post("/listings/{listing_id}/withdraw", summary="Withdraw a listing for good")
def withdraw_listing(
    listing_id: ListingId, principal: CurrentAccount, session: SessionDep
) -> ListingPublic:
    return _change(session, principal, listing_id, ListingEvent.withdraw)
