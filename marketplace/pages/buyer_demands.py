"""The buyer's demands: ``/buyer/demands`` (post one; mine, newest first) and
``/buyer/demands/{id}`` (its ranked matches and the quotes suppliers sent, each to accept),
through the services ``/demands`` and ``/quotes`` call. Accepting a quote places the order at
the quote's price; the order page pays it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Form, Path
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from ledger.models import utc_now
from marketplace import limits
from marketplace.assets.service import signing_context
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.identity.auth import PageAccount, PageVerifiedBuyer
from marketplace.listings.terms import Purpose
from marketplace.matching import service as demands
from marketplace.matching.schemas import DemandCreate
from marketplace.money import parse_amount
from marketplace.pages.web import FormErrors, HTMLResponse, Page, PageDep, page_router, refused
from marketplace.paging import ID_DIGITS
from marketplace.principal import Principal
from marketplace.quality.service.evaluations import exchange_address
from marketplace.quotes import service as quotes

router = page_router()
DemandId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
QuoteId = Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)]
TEXT_LENGTH_MAX = 4000
SHORT_LENGTH_MAX = 200
MATCHES_SHOWN = 20


def N_(message: str) -> str:  # noqa: N802 -- gettext's marker: extracted, translated by page.text
    return message


def _list_page(
    page: Page, session: Session, principal: Principal, *, errors: FormErrors, status: int = 200
) -> HTMLResponse:
    found = demands.mine(session, principal, cursor=None, limit=limits.page_size_max, now=utc_now())
    return page.render(
        "buyer/demands.html",
        status=status,
        nav_active="buyer-demands",
        demands=found.items,
        purposes=[str(p) for p in Purpose],
        errors=errors,
    )


@router.get("/buyer/demands", response_class=HTMLResponse)
def my_demands(page: PageDep, principal: PageAccount, session: SessionDep) -> HTMLResponse:
    return _list_page(page, session, principal, errors=FormErrors.empty())


def _amount(text: str, scale: int) -> int:
    try:
        return parse_amount(text, scale)
    except ValueError:
        return 0  # refused by DemandCreate's validation, next to the field


def _deadline(text: str) -> datetime | str:
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time.max, UTC)
    except ValueError:
        return text


@router.post("/buyer/demands")
def post_demand(  # noqa: PLR0917 -- one parameter per form field
    page: PageDep,
    principal: PageVerifiedBuyer,
    session: SessionDep,
    runtime: RuntimeDep,
    title: Annotated[str, Form(max_length=SHORT_LENGTH_MAX)] = "",
    description: Annotated[str, Form(max_length=TEXT_LENGTH_MAX)] = "",
    keywords: Annotated[str, Form(max_length=TEXT_LENGTH_MAX)] = "",
    purpose: Annotated[str, Form(max_length=40)] = "",
    budget_min: Annotated[str, Form(max_length=40)] = "",
    budget_max: Annotated[str, Form(max_length=40)] = "",
    deadline: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Posts the demand as ``POST /demands`` does (``demand.posted``; suppliers notified)."""
    values = {
        "title": title, "description": description, "keywords": keywords, "purpose": purpose,
        "budget_min": budget_min, "budget_max": budget_max, "deadline": deadline,
    }  # fmt: skip
    scale = runtime.settings.currency_scale
    now = utc_now()
    try:
        body = DemandCreate.model_validate(
            {
                "title": title,
                "description": description,
                "keywords": [k.strip() for k in keywords.split(",") if k.strip()],
                "purpose": purpose,
                "budget_min_minor": _amount(budget_min, scale),
                "budget_max_minor": _amount(budget_max, scale),
                "deadline": _deadline(deadline),
            }
        )
        demands.expire_due(session, now, exchange_address(runtime.settings))
        demand = demands.post(session, principal, body, currency=runtime.settings.currency, now=now)
        demands.notify_suppliers(session, demand)
    except ValidationError as exc:
        errors = refused(session, exc, values)
        renamed = {
            {"budget_min_minor": "budget_min", "budget_max_minor": "budget_max"}.get(k, k): v
            for k, v in errors.messages.items()
        }
        errors = FormErrors(renamed, values, 400)
        return _list_page(page, session, principal, errors=errors, status=400)
    except DatabourseError as exc:
        errors = refused(session, exc, values)
        return _list_page(page, session, principal, errors=errors, status=errors.status)
    return page.redirect(f"/buyer/demands/{demand.id}")


def _demand_page(
    page: Page,
    session: Session,
    principal: Principal,
    demand_id: int,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = utc_now()
    demand = demands.get(session, principal, demand_id, now)
    found = demands.matches(session, principal, demand_id, now, MATCHES_SHOWN)
    sent = quotes.for_demand(
        session, principal, demand_id, offset=0, limit=limits.page_size_max, now=now
    )
    return page.render(
        "buyer/demand.html",
        status=status,
        nav_active="buyer-demands",
        demand=demand,
        matches=found.matches,
        quotes=sent.items,
        errors=errors or FormErrors.empty(),
    )


@router.get("/buyer/demands/{demand_id}", response_class=HTMLResponse)
def demand_page(
    demand_id: DemandId, page: PageDep, principal: PageAccount, session: SessionDep
) -> HTMLResponse:
    return _demand_page(page, session, principal, demand_id)


@router.post("/buyer/quotes/{quote_id}/accept")
def accept_quote(
    quote_id: QuoteId,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """As ``POST /quotes/{id}/accept`` for a custodial buyer: the order is placed at the
    quote's price (the exchange signs it); it is paid from the order's page."""
    settings = runtime.settings
    ctx = signing_context(settings, runtime.chain_id, runtime.contract_address)
    quote = quotes.get(session, principal, quote_id, now=utc_now())
    try:
        accepted = quotes.accept(session, settings, principal, quote_id, ctx=ctx, now=utc_now())
    except DatabourseError as exc:
        errors = refused(session, exc, {})
        return _demand_page(
            page, session, principal, quote.demand_id, errors=errors, status=errors.status
        )
    return page.redirect(f"/buyer/orders/{accepted.order_id}")
