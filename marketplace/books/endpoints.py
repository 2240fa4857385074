"""Books HTTP endpoints: the organisation's balance and statement (its members), deposits and
withdrawals (its admins, once verified), the payment provider's signed webhook, and the
operator's reconciliation of the whole books."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from marketplace import limits
from marketplace.books import payment_job, service
from marketplace.books.errors import InvalidWebhook
from marketplace.books.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER
from marketplace.books.schemas import (
    BalanceShown,
    HoldView,
    MoneyRequest,
    PaymentList,
    PaymentView,
    Reconciliation,
    Statement,
    WebhookAnswer,
)
from marketplace.books.service import payments, statements
from marketplace.deps import RuntimeDep, SessionDep
from marketplace.idempotency import idempotent
from marketplace.identity.auth import CurrentAccount, Operator
from marketplace.paging import ID_DIGITS

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


class AfterCommit:
    """Work a request queues for after its transaction has committed (the provider call)."""

    def __init__(self) -> None:
        self.calls: list[Callable[[], None]] = []


def after_commit() -> Iterator[AfterCommit]:
    """Runs the queued calls once the endpoint has returned (``@idempotent`` has committed its
    work and stored its answer by then), before the answer is sent; never when it raised. It
    is an endpoint's first parameter, so that it ends after the request's session."""
    queued = AfterCommit()
    yield queued
    for call in queued.calls:
        call()


AfterCommitDep = Annotated[AfterCommit, Depends(after_commit, scope="function")]


def _request(
    direction: Literal["deposit", "withdrawal"],
    body: MoneyRequest,
    *,
    after: AfterCommit,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PaymentView:
    settings = runtime.settings
    view = payments.request_payment(
        session, settings, settings.payment_provider, principal, direction,
        amount_minor=body.amount_minor, currency=body.currency, transfer_id=body.transfer_id,
    )  # fmt: skip
    if view.status == "pending" and view.provider_attempts == 0:
        engine = runtime.engine
        after.calls.append(lambda: payment_job.send_after_commit(engine, settings, view.id))
    return view


@router.post(
    "/books/deposits", status_code=201, summary="Deposit money (the organisation's admins)"
)
@idempotent
def deposit(
    after: AfterCommitDep,
    body: MoneyRequest,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PaymentView:
    """Recorded ``pending``, then sent to the payment provider (``DATABOURSE_PAYMENT_PROVIDER``)
    once recorded, before this answers: ``GET /books/payments/{id}`` shows what it said. The
    simulated bank confirms at once, so the money is available when this answers; a provider
    that confirms later leaves the deposit ``processing`` until its webhook event."""
    return _request(
        "deposit", body, after=after, principal=principal, session=session, runtime=runtime
    )


@router.post(
    "/books/withdrawals", status_code=201, summary="Withdraw money (the organisation's admins)"
)
@idempotent
def withdraw(
    after: AfterCommitDep,
    body: MoneyRequest,
    principal: CurrentAccount,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PaymentView:
    """The amount leaves available for the organisation's withdrawing money at once (409
    ``insufficient_funds`` when available is short; held money is not available), then the
    payment provider is asked to pay it out, as for a deposit. It leaves the books when the
    provider confirms it, and returns to available if the provider refuses it."""
    return _request(
        "withdrawal", body, after=after, principal=principal, session=session, runtime=runtime
    )


@router.get("/books/payments", summary="Your organisation's deposits and withdrawals")
def list_payments(
    principal: CurrentAccount,
    session: SessionDep,
    status: Annotated[
        Literal["pending", "processing", "confirmed", "failed"] | None,
        Query(description="only the payments in this status"),
    ] = None,
) -> PaymentList:
    """Newest first, at most 100."""
    return payments.list_payments(session, principal, status=status)


@router.get("/books/payments/{payment_id}", summary="A deposit or withdrawal and its status")
def get_payment(
    payment_id: Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)],
    principal: CurrentAccount,
    session: SessionDep,
) -> PaymentView:
    """404 ``payment_not_found`` for another organisation's payment, as for one that does not
    exist."""
    return payments.visible_payment(session, principal, payment_id)


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
    found = statements.own_statement(session, principal, runtime.settings)
    if fmt == "csv":
        return statement_response(found, fmt)
    return found


def statement_response(found: Statement, fmt: Literal["csv", "json"]) -> Response:
    """The statement as a file to save: CSV (RFC 4180) or indented JSON."""
    if fmt == "csv":
        body, media_type = statements.statement_csv(found), "text/csv; charset=utf-8"
    else:
        body, media_type = found.model_dump_json(indent=2), "application/json"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="statement.{fmt}"'},
    )


@router.get("/books/holds/{hold_id}", summary="An escrow hold (its payer's and payee's)")
def get_hold(
    hold_id: Annotated[int, ID_DIGITS, Path(ge=1, le=limits.id_max)],
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
    is ``{"event_id", "type": "payment.confirmed" | "payment.failed", "provider_ref",
    "amount_minor", "currency", "reason"?}``. A replayed event id answers as the first time
    and changes nothing."""
    return payments.webhook(
        session, runtime.settings, runtime.settings.payment_provider,
        body=body, timestamp=timestamp, signature=signature,
    )  # fmt: skip
