"""``/buyer/auctions/{id}``: a sealed-bid auction as its bidders see it, with the forms to commit
a sealed bid and, once committing is over, to reveal it; through the service ``POST
/auctions/{id}/bids`` and ``/reveal`` call.

The page seals the bid for the buyer: it draws the salt and computes the commitment
(``auctions.commitment``) over the buyer's address, commits only the hash, and shows the amount
and salt once, for the buyer to keep until the reveal (the exchange does not store them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Form, Path
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from marketplace import limits
from marketplace.assets.service import SigningContext
from marketplace.auctions import service as auctions
from marketplace.auctions.commitment import commitment, new_salt
from marketplace.auctions.endpoints import Now, SigningIfReady
from marketplace.auctions.errors import NoBid
from marketplace.auctions.schemas import BidCommit, BidPublic, BidReveal
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.identity.auth import PageVerifiedBuyer
from marketplace.listings import service as listings
from marketplace.money import parse_amount
from marketplace.pages.web import FormErrors, HTMLResponse, Page, PageDep, page_router, refused
from marketplace.paging import ID_DIGITS
from marketplace.principal import Principal

router = page_router()
AuctionId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
AmountField = Annotated[str, Form(max_length=40)]
SALT_LENGTH_MAX = 66


def N_(message: str) -> str:  # noqa: N802 -- gettext's marker: extracted, translated by page.text
    return message


def _page(
    page: Page,
    session: Session,
    principal: Principal,
    auction_id: int,
    *,
    ctx: SigningContext | None,
    now: datetime,
    errors: FormErrors | None = None,
    sealed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    auction = auctions.get(session, page.settings, auction_id, ctx, now)
    listing = listings.public(session, auction.listing_id)
    bid: BidPublic | None
    try:
        bid = auctions.my_bid(session, principal, auction_id)
    except NoBid:
        bid = None
    return page.render(
        "buyer/auction.html",
        status=status,
        auction=auction,
        listing=listing,
        purposes=[str(p) for p in listing.terms.purposes],
        bid=bid,
        sealed=sealed,
        errors=errors or FormErrors.empty(),
    )


@router.get("/buyer/auctions/{auction_id}", response_class=HTMLResponse)
def auction_page(  # noqa: PLR0917 -- FastAPI's dependencies
    auction_id: AuctionId,
    page: PageDep,
    principal: PageVerifiedBuyer,
    session: SessionDep,
    ctx: SigningIfReady,
    now: Now,
) -> HTMLResponse:
    return _page(page, session, principal, auction_id, ctx=ctx, now=now)


@router.post("/buyer/auctions/{auction_id}/bid", response_class=HTMLResponse)
def commit_bid(
    auction_id: AuctionId,
    *,
    page: PageDep,
    principal: PageVerifiedBuyer,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningIfReady,
    now: Now,
    amount: AmountField = "",
    purpose: Annotated[str, Form(max_length=limits.auction_purpose_length_max)] = "",
) -> HTMLResponse:
    """Seals ``amount`` with a fresh salt and commits the hash (``bid.committed``); the page
    answers with the amount and salt to keep. One bid per organisation: a second is refused."""
    values = {"amount": amount, "purpose": purpose}
    try:
        minor = parse_amount(amount, runtime.settings.currency_scale)
    except ValueError:
        message = page.text(N_("Type an amount such as 12.50."))
        errors = FormErrors({"amount": message}, values, 400)
        return _page(page, session, principal, auction_id, ctx=ctx, now=now, errors=errors,
                     status=400)  # fmt: skip
    salt = new_salt()
    sealed = commitment(auction_id, principal.address, minor, salt)
    try:
        body = BidCommit(commitment=sealed, purpose=purpose)
        auctions.commit(session, principal, auction_id, body, now)
    except (ValidationError, DatabourseError) as exc:
        errors = refused(session, exc, values)
        return _page(page, session, principal, auction_id, ctx=ctx, now=now, errors=errors,
                     status=errors.status)  # fmt: skip
    session.flush()
    kept = {"amount": amount.strip(), "salt": salt}
    return _page(page, session, principal, auction_id, ctx=ctx, now=now, sealed=kept)


@router.post("/buyer/auctions/{auction_id}/reveal")
def reveal_bid(
    auction_id: AuctionId,
    *,
    page: PageDep,
    principal: PageVerifiedBuyer,
    session: SessionDep,
    runtime: RuntimeDep,
    ctx: SigningIfReady,
    now: Now,
    amount: AmountField = "",
    salt: Annotated[str, Form(max_length=SALT_LENGTH_MAX)] = "",
) -> Response:
    """Opens the sealed bid (``bid.revealed``), as ``POST /auctions/{id}/reveal``."""
    values = {"amount": amount, "salt": salt}
    try:
        body = BidReveal(
            amount_minor=parse_amount(amount, runtime.settings.currency_scale), salt=salt.strip()
        )
    except ValueError:
        message = page.text(N_("Type the amount and the salt you were given when you bid."))
        errors = FormErrors({"": message}, values, 400)
        return _page(page, session, principal, auction_id, ctx=ctx, now=now, errors=errors,
                     status=400)  # fmt: skip
    try:
        auctions.reveal(session, principal, auction_id, body, now)
    except DatabourseError as exc:
        errors = refused(session, exc, values)
        return _page(page, session, principal, auction_id, ctx=ctx, now=now, errors=errors,
                     status=errors.status)  # fmt: skip
    return page.redirect(f"/buyer/auctions/{auction_id}")
