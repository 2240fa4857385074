"""Books HTTP endpoints: the organisation's balance and statement (its members), deposits and
withdrawals (its admins, once verified), the payment provider's signed webhook, and the
operator's reconciliation of the whole books."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from marketplace import limits
from marketplace.books import service
from marketplace.books.errors import InvalidWebhook
from marketplace.books.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, provider_named
from marketplace.books.schemas import (
    BalanceShown,
    HoldView,
    MoneyRequest,
    PaymentView,
    Reconciliation,
    Statement,
    WebhookAnswer,
)
from marketplace.books.service import payments, statements
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount, Operator

router = APIRouter(tags=["books"])


def _org(principal: CurrentAccount) -> int:
    org_id = principal.organization.id
    assert org_id is not None
    return org_id


@router.get("/books/balance", summary="Your organisation's available and held money")
def get_balance(
    principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> BalanceShown:
    """Amounts are integers of 10**-``currency_scale`` units of ``currency``."""
    found = service.balance(session, org_id=_org(principal), currency=runtime.settings.currency)
    return BalanceShown(**found.model_dump(), currency_scale=runtime.settings.currency_scale)


@router.post(
    "/books/deposits", status_code=201, summary="Deposit money (the organisation's admins)"
)
@idempotent
def deposit(
    body: MoneyRequest, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> PaymentView:
    """Through the payment provider (``DATABOURSE_PAYMENT_PROVIDER``): the simulated bank
    confirms at once, so the money is available when this answers; a provider that confirms
    later leaves the deposit ``pending`` until its webhook event."""
    return payments.request_payment(
        session, runtime.settings, provider_named(runtime.settings.payment_provider), principal,
        "deposit", amount_minor=body.amount_minor, currency=body.currency,
        transfer_id=body.transfer_id,
    )  # fmt: skip


@router.post(
    "/books/withdrawals", status_code=201, summary="Withdraw money (the organisation's admins)"
)
@idempotent
def withdraw(
    body: MoneyRequest, principal: CurrentAccount, session: SessionDep, runtime: RuntimeDep
) -> PaymentView:
    """Refused (409 ``insufficient_funds``) when the available money is short; held money is
    not available."""
    return payments.request_payment(
        session, runtime.settings, provider_named(runtime.settings.payment_provider), principal,
        "withdrawal", amount_minor=body.amount_minor, currency=body.currency,
        transfer_id=body.transfer_id,
    )  # fmt: skip


@router.get(
    "/books/statement",
    summary="Your organisation's transfers with their ledger seq and running balances",
    response_model=Statement,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_statement(
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
    fmt: Annotated[
        Literal["json", "csv"], Query(alias="format", description="json or csv")
    ] = "json",
) -> Statement | Response:
    settings = runtime.settings
    found = statements.statement(
        session, org_id=_org(principal), currency=settings.currency, scale=settings.currency_scale
    )
    if fmt == "csv":
        return Response(
            statements.statement_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
        )
    return found


@router.get("/books/holds/{hold_id}", summary="An escrow hold (its payer's and payee's)")
def get_hold(
    hold_id: Annotated[int, Path(ge=1, le=limits.id_max)],
    principal: CurrentAccount,
    session: SessionDep,
) -> HoldView:
    """404 ``hold_not_found`` for another organisation's hold, as for one that does not exist."""
    return service.visible_hold(session, principal, hold_id)


@router.get("/books/reconcile", summary="Check the whole books (operators)")
def reconcile(principal: Operator, session: SessionDep) -> Reconciliation:
    """The sum of every account is zero, every cached balance equals its transfers, no account
    but clearing is negative, and each held account equals its pending holds."""
    return statements.reconcile(session)


async def raw_body(request: Request) -> bytes:
    """The exact bytes the provider signed."""
    body = await request.body()
    if len(body) > limits.books_webhook_body_bytes_max:
        raise InvalidWebhook(f"an event is at most {limits.books_webhook_body_bytes_max} bytes")
    return body


@router.post("/payments/webhook", summary="The payment provider's signed events")
def payment_webhook(
    body: Annotated[bytes, Depends(raw_body)],
    session: SessionDep,
    runtime: RuntimeDep,
    timestamp: Annotated[str, Header(alias=TIMESTAMP_HEADER, max_length=20)] = "",
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER, max_length=1000)] = "",
) -> WebhookAnswer:
    """``Databourse-Payment-Timestamp`` (Unix seconds) and ``Databourse-Payment-Signature``
    (``v1=`` + hex HMAC-SHA256 of timestamp + "." + body under the webhook secret); the body
    is ``{"event_id", "type": "payment.confirmed", "provider_ref", "amount_minor",
    "currency"}``. A replayed event id answers as the first time and changes nothing."""
    return payments.webhook(
        session, runtime.settings, provider_named(runtime.settings.payment_provider),
        body=body, timestamp=timestamp, signature=signature,
    )  # fmt: skip
