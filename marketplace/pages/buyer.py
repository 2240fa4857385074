"""The buyer's pages: buying from a listing (``/buyer/buy/{listing_id}``), the orders
(``/buyer/orders``, ``/buyer/orders/{id}``) with their journal entries, a subscription's or
metered order's periods (each one the disputes service says may be disputed now linked to the
dispute form), a signed download and the SHA-256 it serves, and acceptance. Every action calls
the service its API endpoint calls; buying is answered once per form (``pages.once``), as
``POST /orders/purchase`` is once per ``Idempotency-Key``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path
from sqlmodel import Session
from starlette.responses import Response

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.auctions import service as auctions
from marketplace.books.service.holds import subject as hold_subject
from marketplace.delivery import service as delivery
from marketplace.delivery.schemas import DownloadUrl
from marketplace.deps import BlobStoreDep, RuntimeDep, SessionDep
from marketplace.digits import ascii_digits
from marketplace.disputes.service import opening as disputes
from marketplace.errors import DatabourseError
from marketplace.identity.auth import PageAccount, PageVerifiedBuyer
from marketplace.listings import service as listings
from marketplace.listings.schemas import ListingPublic
from marketplace.listings.terms import Purpose
from marketplace.orders import service as orders
from marketplace.orders.schemas import OrderPublic
from marketplace.pages import once
from marketplace.pages.web import FormErrors, HTMLResponse, Page, PageDep, page_router, refused
from marketplace.paging import ID_DIGITS
from marketplace.principal import Principal
from marketplace.transparency import service as transparency

router = page_router()


def N_(message: str) -> str:  # noqa: N802 -- gettext's marker: extracted, translated by page.text
    return message


ListingId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
OrderId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
KeyField = Annotated[str, Form(max_length=limits.idempotency_key_chars_max)]
PURPOSE_LENGTH_MAX = 40
# Orders whose file the buyer may fetch, and the one the buyer may accept.
DOWNLOADABLE = frozenset({"paid", "approved", "delivered", "accepted", "settled"})
ACCEPTABLE = "delivered"
PAYABLE = "placed"  # an order placed by accepting a quote, paid from its page
DISPUTABLE = frozenset({"paid", "approved", "delivered", "accepted", "settled"})
INSUFFICIENT_FUNDS = "insufficient_funds"  # the books' error code: the page links to /money
QUANTITY_KINDS = frozenset({"subscription", "metered", "tiered"})


def _buy_page(
    page: Page,
    listing: ListingPublic,
    *,
    errors: FormErrors,
    status: int = 200,
    short_of_money: bool = False,
) -> HTMLResponse:
    return page.render(
        "buyer/buy.html",
        status=status,
        listing=listing,
        purposes=[str(p) for p in listing.terms.purposes],
        asks_quantity=listing.price_model.kind in QUANTITY_KINDS,
        errors=errors,
        idempotency_key=once.new_key(),
        short_of_money=short_of_money,
    )


@router.get("/buyer/buy/{listing_id}", response_class=HTMLResponse)
def buy_form(
    listing_id: ListingId, page: PageDep, principal: PageVerifiedBuyer, session: SessionDep
) -> HTMLResponse:
    listing = listings.public(session, listing_id)
    return _buy_page(page, listing, errors=FormErrors.empty())


@router.post("/buyer/buy/{listing_id}")
def buy(
    listing_id: ListingId,
    *,
    page: PageDep,
    principal: PageVerifiedBuyer,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: KeyField,
    purpose: Annotated[str, Form(max_length=PURPOSE_LENGTH_MAX)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Places the order and pays it into escrow, as ``POST /orders/purchase`` does."""
    values = {"purpose": purpose, "quantity": quantity}
    listing = listings.public(session, listing_id)
    if purpose not in set(Purpose):
        errors = FormErrors({"purpose": page.text(N_("Choose a purpose."))}, values, 400)
        return _buy_page(page, listing, errors=errors, status=400)
    count: int | None = None
    if quantity.strip():
        if (
            not ascii_digits(quantity.strip())
            or not 1 <= int(quantity) <= limits.order_quantity_max
        ):
            message = page.text(N_("Type a whole number of at least 1."))
            return _buy_page(page, listing, errors=FormErrors({"quantity": message}, values, 400))
        count = int(quantity)
    settings = runtime.settings

    def action() -> str:
        now = utc_now()
        auctions.refuse_if_under_way(session, listing_id, now)
        ctx = signing_context(settings, runtime.chain_id, runtime.contract_address)
        paid = orders.place_and_pay(
            session, settings, principal, listing_id=listing_id, purpose=purpose,
            quantity=count, ctx=ctx, now=now,
        )  # fmt: skip
        return f"/buyer/orders/{paid.id}"

    try:
        location = once.once(
            session, principal, route="POST /buyer/buy/{listing_id}", key=idempotency_key,
            fields={"listing_id": str(listing_id), **values},
            ttl_s=settings.idempotency_key_ttl_s, action=action,
        )  # fmt: skip
    except DatabourseError as exc:
        errors = refused(session, exc, values)
        short = exc.code == INSUFFICIENT_FUNDS
        return _buy_page(page, listing, errors=errors, status=errors.status, short_of_money=short)
    return page.redirect(location)


@router.get("/buyer/orders", response_class=HTMLResponse)
def my_orders(page: PageDep, principal: PageAccount, session: SessionDep) -> HTMLResponse:
    found = orders.my_orders(
        session, page.settings, principal, before_id=None, limit=limits.page_size_max
    )
    mine = principal.organization.id
    bought = [o for o in found.items if o.buyer_organization_id == mine]
    return page.render("buyer/orders.html", nav_active="buyer-orders", orders=bought)


def _order_page(
    page: Page,
    principal: Principal,
    session: Session,
    order: OrderPublic,
    *,
    download: DownloadUrl | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    short_of_money: bool = False,
) -> HTMLResponse:
    subjects = [f"order:{order.id}"]
    if order.hold_id is not None:
        subjects.append(hold_subject(order.hold_id))  # escrow.held, settlement.released, ...
    found = {
        entry.seq: entry
        for subject in subjects
        for entry in transparency.list_entries(
            session, after_seq=0, limit=limits.page_size_max, kind=None, subject=subject
        ).items
    }
    entries = [found[seq] for seq in sorted(found)]
    licence = delivery.licence_for_order(session, order.id)
    seqs = ([licence.granted_seq, *delivery.served_seqs(session, licence.id)]) if licence else []
    others = [seq for seq in seqs if seq not in found]  # the licence's entries, if not above
    periods = orders.order_periods(
        session, page.settings, principal, order.id, limit=limits.page_size_max, offset=0
    )  # none but a subscription's or metered order's, whose periods are disputed one by one
    now = utc_now()
    open_periods = disputes.open_periods(session, order.id, periods, now=now)
    disputed = not periods and disputes.order_disputed(session, order.id)
    return page.render(
        "buyer/order.html",
        status=status,
        nav_active="buyer-orders",
        order=order,
        entries=entries,
        licence=licence,
        others=others,
        download=download,
        downloadable=licence is not None and order.status in DOWNLOADABLE,
        acceptable=order.status == ACCEPTABLE,
        payable=order.status == PAYABLE,
        idempotency_key=once.new_key(),
        # A settled order past its dispute window, or one disputed before (settled by a
        # ruling), is no longer disputable (409 from the API).
        disputable=not periods
        and order.status in DISPUTABLE
        and (order.dispute_closes_at is None or now < order.dispute_closes_at)
        and not disputed,
        disputed=disputed,
        now=now,
        periods=periods,
        open_periods=open_periods,
        errors=errors or FormErrors.empty(),
        short_of_money=short_of_money,
    )


@router.get("/buyer/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    order_id: OrderId, page: PageDep, principal: PageAccount, session: SessionDep
) -> HTMLResponse:
    order = orders.get_order(session, page.settings, principal, order_id)
    return _order_page(page, principal, session, order)


@router.post("/buyer/orders/{order_id}/download", response_class=HTMLResponse)
def download(
    order_id: OrderId,
    *,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    store: BlobStoreDep,
) -> HTMLResponse:
    """A signed download URL for the order's licence, as ``POST /licences/{id}/download-url``
    issues it (one download counted, ``delivery.served`` written with the bytes' SHA-256)."""
    order = orders.get_order(session, page.settings, principal, order_id)
    licence = delivery.licence_for_order(session, order.id)
    if licence is None:
        message = page.text(N_("This order has no licence yet: nothing can be downloaded."))
        return _order_page(
            page, principal, session, order, errors=FormErrors({"": message}, {}, 409), status=409
        )
    try:
        issued = delivery.issue_url(
            session, runtime.settings, store, principal, licence.id,
            base_url=runtime.settings.public_url,
        )  # fmt: skip
    except DatabourseError as exc:
        errors = refused(session, exc, {})
        return _order_page(page, principal, session, order, errors=errors, status=errors.status)
    session.flush()
    fresh = orders.get_order(session, page.settings, principal, order_id)
    return _order_page(page, principal, session, fresh, download=issued)


@router.post("/buyer/orders/{order_id}/accept")
def accept(
    order_id: OrderId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """``order.accepted`` then ``order.settled``, as ``POST /orders/{id}/accept``. The service
    refuses an order in any other state than delivered, so a second click changes nothing."""
    try:
        orders.accept(session, runtime.settings, principal, order_id, now=utc_now())
    except DatabourseError as exc:
        errors = refused(session, exc, {})
        order = orders.get_order(session, page.settings, principal, order_id)
        return _order_page(page, principal, session, order, errors=errors, status=errors.status)
    return page.redirect(f"/buyer/orders/{order_id}")


@router.post("/buyer/orders/{order_id}/pay")
def pay(
    order_id: OrderId,
    *,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency_key: KeyField,
) -> Response:
    """Pays a placed order into escrow, as ``POST /orders/{id}/pay``, once per form."""
    settings = runtime.settings

    def action() -> str:
        orders.pay(session, settings, principal, order_id, now=utc_now())
        return f"/buyer/orders/{order_id}"

    try:
        location = once.once(
            session, principal, route="POST /buyer/orders/{order_id}/pay", key=idempotency_key,
            fields={"order_id": str(order_id)}, ttl_s=settings.idempotency_key_ttl_s,
            action=action,
        )  # fmt: skip
    except DatabourseError as exc:
        errors = refused(session, exc, {})
        order = orders.get_order(session, page.settings, principal, order_id)
        short = exc.code == INSUFFICIENT_FUNDS
        return _order_page(
            page,
            principal,
            session,
            order,
            errors=errors,
            status=errors.status,
            short_of_money=short,
        )
    return page.redirect(location)
