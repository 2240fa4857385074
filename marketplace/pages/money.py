"""``/money``: the organisation's balance (available, held, withdrawing), its statement (each
transfer with its journal seq; CSV and JSON downloads) and its deposits and withdrawals, through
the same books services as ``/books/...``. Deposit and withdraw forms move money once per form
(``pages.once``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from marketplace import limits
from marketplace.books import payment_job
from marketplace.books.endpoints import statement_response
from marketplace.books.schemas import MoneyRequest, PaymentView
from marketplace.books.service import payments, statements
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.errors import DatabourseError
from marketplace.identity.auth import PageAccount
from marketplace.money import parse_amount
from marketplace.pages import once
from marketplace.pages.web import FormErrors, HTMLResponse, Page, PageDep, page_router, refused
from marketplace.principal import Principal
from marketplace.runtime import Runtime

router = page_router()


def N_(message: str) -> str:  # noqa: N802 -- gettext's marker: extracted, translated by page.text
    return message


TEMPLATE = "money.html"
AMOUNT_LENGTH_MAX = 40
KeyField = Annotated[str, Form(max_length=limits.idempotency_key_chars_max)]
AmountField = Annotated[str, Form(max_length=AMOUNT_LENGTH_MAX)]


def _render(
    page: Page,
    session: Session,
    principal: Principal,
    *,
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = statements.own_statement(session, principal, page.settings)
    made = payments.list_payments(session, principal, status=None).items
    forms = errors or {}
    return page.render(
        TEMPLATE,
        status=status,
        nav_active="money",
        statement=found,
        payments=made,
        deposit_errors=forms.get("deposit", FormErrors.empty()),
        withdraw_errors=forms.get("withdrawal", FormErrors.empty()),
        deposit_key=once.new_key(),
        withdraw_key=once.new_key(),
        done=page.request.query_params.get("done", ""),
    )


@router.get("/money", response_class=HTMLResponse)
def money_page(page: PageDep, principal: PageAccount, session: SessionDep) -> HTMLResponse:
    return _render(page, session, principal)


def _move(
    direction: Literal["deposit", "withdrawal"],
    *,
    page: Page,
    principal: Principal,
    session: Session,
    runtime: Runtime,
    amount: str,
    key: str,
) -> Response:
    settings = runtime.settings
    values = {"amount": amount}
    made: list[PaymentView] = []

    try:
        body = MoneyRequest(amount_minor=parse_amount(amount, settings.currency_scale))
    except (ValueError, ValidationError):
        errors = FormErrors({"amount": page.text(N_("Type an amount such as 12.50."))}, values, 400)
        return _render(page, session, principal, errors={direction: errors}, status=400)

    def action() -> str:
        view = payments.request_payment(
            session, settings, settings.payment_provider, principal, direction,
            amount_minor=body.amount_minor, currency=None, transfer_id=None,
        )  # fmt: skip
        made.append(view)
        return f"/money?done={view.id}"

    try:
        location = once.once(
            session, principal, route=f"POST /money/{direction}", key=key,
            fields={"amount": amount}, ttl_s=settings.idempotency_key_ttl_s, action=action,
        )  # fmt: skip
    except DatabourseError as exc:
        errors = refused(session, exc, values, field="amount")
        return _render(page, session, principal, errors={direction: errors}, status=errors.status)
    for view in made:
        if view.status == "pending" and view.provider_attempts == 0:
            payment_job.send_after_commit(runtime.engine, settings, view.id)
    return page.redirect(location)


@router.post("/money/deposit")
def deposit(
    *,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    amount: AmountField,
    idempotency_key: KeyField,
) -> Response:
    return _move(
        "deposit", page=page, principal=principal, session=session, runtime=runtime,
        amount=amount, key=idempotency_key,
    )  # fmt: skip


@router.post("/money/withdraw")
def withdraw(
    *,
    page: PageDep,
    principal: PageAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    amount: AmountField,
    idempotency_key: KeyField,
) -> Response:
    return _move(
        "withdrawal", page=page, principal=principal, session=session, runtime=runtime,
        amount=amount, key=idempotency_key,
    )  # fmt: skip


@router.get("/money/statement.{fmt}")
def statement_file(
    fmt: Literal["csv", "json"], principal: PageAccount, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The statement as ``GET /books/statement`` gives it, for the signed-in member."""
    found = statements.own_statement(session, principal, runtime.settings)
    return statement_response(found, fmt)
