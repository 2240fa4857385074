"""API shapes for the books. Requests refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from marketplace import limits

TRANSFER_ID_PATTERN = r"^[A-Za-z0-9._-]+$"
TransferId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=limits.books_transfer_id_length_max, pattern=TRANSFER_ID_PATTERN
    ),
]


class HoldView(BaseModel):
    """An escrow hold: ``pending`` while the payer's money is held, then ``posted`` (released
    to ``payee_organization_id`` minus ``fee_minor``) or ``voided`` (refunded)."""

    id: int
    organization_id: int
    amount_minor: int
    currency: str
    status: str
    reference: str
    transfer_id: str
    payee_organization_id: int | None
    fee_minor: int | None
    held_seq: int
    closed_seq: int | None
    created_at: datetime
    updated_at: datetime


class BalanceView(BaseModel):
    """``withdrawing_minor``: withdrawals asked for and not yet confirmed or refused by the
    payment provider (they return to available if they fail)."""

    organization_id: int
    currency: str
    available_minor: int
    held_minor: int
    withdrawing_minor: int = 0


class BalanceShown(BalanceView):
    """The balance as the API shows it: amounts are integers of 10**-``currency_scale``
    units."""

    currency_scale: int


class MoneyRequest(BaseModel):
    """A deposit or a withdrawal of ``amount_minor`` minor units of the exchange's currency.
    ``transfer_id`` is yours (letters, digits, ``.``, ``_``, ``-``): sending it again with the
    same amount returns the first payment; with another amount it is refused."""

    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(ge=1, le=limits.amount_minor_max, strict=True)
    currency: str | None = Field(default=None, min_length=1, max_length=8)
    transfer_id: TransferId | None = None


class PaymentView(BaseModel):
    """A deposit or withdrawal. ``status``: ``pending`` (recorded; the payment provider not yet
    heard from: ``provider_attempts`` calls so far, the last failing with ``last_error``),
    ``processing`` (the provider took it and will confirm or refuse it), ``confirmed`` or
    ``failed`` (``failure_reason``; a failed withdrawal's money is back in available), or
    ``returned`` (a withdrawal the provider paid out and the beneficiary's bank sent back,
    ``return_reason``: its money is back in available).
    ``requested_seq``, ``confirmed_seq``, ``failed_seq``, ``returned_seq``: the journal entries
    of each step."""

    id: int
    organization_id: int
    direction: Literal["deposit", "withdrawal"]
    amount_minor: int
    currency: str
    status: Literal["pending", "processing", "confirmed", "failed", "returned"]
    provider: str
    provider_ref: str
    transfer_id: str
    created_at: datetime
    requested_seq: int | None = None
    confirmed_at: datetime | None
    confirmed_seq: int | None
    failed_at: datetime | None = None
    failed_seq: int | None = None
    failure_reason: str | None = None
    returned_at: datetime | None = None
    returned_seq: int | None = None
    return_reason: str | None = None
    provider_attempts: int = 0
    last_error: str | None = None


class PaymentList(BaseModel):
    items: list[PaymentView]


class StatementLine(BaseModel):
    """One transfer touching the organisation's accounts. ``account`` is which of its accounts
    (available, held or withdrawing) and ``delta_minor`` what it did to it; ``balance_minor``
    that account's running balance. ``salt`` and ``record_sha256`` let you check the line
    against the journal entry ``seq`` (docs/books.md#what-the-journal-holds)."""

    seq: int
    transfer_id: str
    code: str
    account: str
    delta_minor: int
    balance_minor: int
    amount_minor: int
    currency: str
    debit_account_id: int
    credit_account_id: int
    reference: str
    hold_id: int | None
    created_at: datetime
    salt: str
    record_sha256: str


class Statement(BaseModel):
    organization_id: int
    currency: str
    currency_scale: int
    available_minor: int
    held_minor: int
    withdrawing_minor: int = 0
    lines: list[StatementLine]
    truncated: bool


class AccountCheck(BaseModel):
    account_id: int
    key: str
    cached_minor: int
    derived_minor: int


class ExchangeAccount(BaseModel):
    """One of the exchange's own accounts: its fee revenue, the arbitration fees it keeps, and
    clearing (minus all the money the exchange holds for everyone)."""

    key: str
    kind: str
    currency: str
    balance_minor: int


class Reconciliation(BaseModel):
    """``ok`` when the sum of every account is zero, every cached balance equals the sum of its
    transfers, no account but clearing is negative, and each organisation's held account
    equals its pending holds; ``problems`` says what is wrong otherwise."""

    ok: bool
    accounts: int
    transfers: int
    total_minor: int
    problems: list[str]
    mismatched: list[AccountCheck]
    exchange_accounts: list[ExchangeAccount] = Field(
        default_factory=list, description="The exchange's own accounts and their balances."
    )


class WebhookAnswer(BaseModel):
    event_id: str
    outcome: str
    payment_id: int | None
