"""The books' tables: accounts (with a cached balance the reconciliation checks against the
transfers), immutable transfers, escrow holds, and payments with the provider events seen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.books.lifecycle import INITIAL
from marketplace.db import ID_TYPE

SHA256_HEX_LENGTH = 64


class AccountKind(StrEnum):
    """An organisation's ``available`` and ``held`` money; the exchange's ``fee_revenue`` and
    ``arbitration_fees``; ``clearing``, the outside world (money in and out), the only account
    that may go negative. An organisation's ``withdrawing`` account holds its withdrawals in
    flight: asked for, not yet confirmed or refused by the payment provider."""

    available = "available"
    held = "held"
    withdrawing = "withdrawing"
    fee_revenue = "fee_revenue"
    arbitration_fees = "arbitration_fees"
    clearing = "clearing"


ORGANIZATION_KINDS = frozenset({AccountKind.available, AccountKind.held, AccountKind.withdrawing})


class TransferCode(StrEnum):
    deposit = "deposit"
    withdrawal_hold = "withdrawal_hold"  # available → withdrawing, when it is asked for
    withdrawal = "withdrawal"  # withdrawing → clearing, when the provider confirms it
    withdrawal_return = "withdrawal_return"  # withdrawing → available, when it fails
    withdrawal_bounce = "withdrawal_bounce"  # clearing → available: a paid-out one came back
    escrow_hold = "escrow_hold"
    escrow_release = "escrow_release"
    fee = "fee"
    escrow_refund = "escrow_refund"
    escrow_split = "escrow_split"  # a dispute's split: a share back to the payer
    arbitration_fee = "arbitration_fee"  # an arbitration fee forfeited to the exchange
    fee_return = "fee_return"  # the exchange's fee of a clawed-back trade, returned to the buyer


class BookAccount(SQLModel, table=True):
    """One account. ``key`` names it uniquely (``org:5:available:CNY``,
    ``exchange:fee_revenue:CNY``) since a unique index over a NULL organisation would not.
    ``balance_minor`` is credits minus debits, updated with each transfer under the row's lock;
    reconciliation checks it against the transfers."""

    __tablename__ = "book_account"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    key: str = Field(sa_type=String(100), unique=True)
    kind: str = Field(sa_type=Text)
    organization_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="organization.id", index=True
    )
    currency: str = Field(max_length=8)
    balance_minor: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class BookTransfer(SQLModel, table=True):
    """An immutable movement of ``amount_minor`` from the debit account to the credit account.
    ``transfer_id`` is the client's (unique); ``salt`` blinds the commitment the journal holds
    (``record_sha256``); ``seq`` is that journal entry's."""

    __tablename__ = "book_transfer"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    transfer_id: str = Field(sa_type=String(120), unique=True)
    debit_account_id: int = Field(sa_type=BigInteger, foreign_key="book_account.id", index=True)
    credit_account_id: int = Field(sa_type=BigInteger, foreign_key="book_account.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=8)
    code: str = Field(sa_type=Text)
    hold_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    reference: str = Field(default="", sa_type=Text)
    salt: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    record_sha256: str = Field(sa_type=String(SHA256_HEX_LENGTH))
    seq: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class Hold(SQLModel, table=True):
    """A two-phase escrow hold (``lifecycle.py``): the payer's money in its held account until
    it is released to a payee (``posted``) or refunded (``voided``)."""

    __tablename__ = "book_hold"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=8)
    status: str = Field(default=INITIAL.value, sa_type=Text, index=True)
    reference: str = Field(sa_type=Text)
    transfer_id: str = Field(sa_type=String(120), unique=True)
    payee_organization_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="organization.id"
    )
    fee_minor: int | None = Field(default=None, sa_type=BigInteger)
    held_seq: int = Field(default=0, sa_type=BigInteger)
    closed_seq: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class PaymentDirection(StrEnum):
    deposit = "deposit"
    withdrawal = "withdrawal"


class PaymentStatus(StrEnum):
    """``pending``: recorded, the provider not yet heard from; ``processing``: the provider
    accepted it and will confirm or refuse it later; ``confirmed`` and ``failed`` are final
    for a deposit; a withdrawal the provider paid out and its bank sent back is ``returned``,
    which is final (``payment_lifecycle.py``)."""

    pending = "pending"
    processing = "processing"
    confirmed = "confirmed"
    failed = "failed"
    returned = "returned"


class Payment(SQLModel, table=True):
    """A deposit or withdrawal through the payment provider. A deposit moves money when the
    provider confirms it; a withdrawal sets its money aside in the organisation's withdrawing
    account when it is asked for (``requested_seq``), which goes to clearing when the provider
    confirms it, or back to available when it fails. Withdrawals recorded before the outbox
    (``requested_seq`` NULL) left for clearing at once."""

    __tablename__ = "book_payment"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    organization_id: int = Field(sa_type=BigInteger, foreign_key="organization.id", index=True)
    direction: str = Field(sa_type=Text)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=8)
    status: str = Field(sa_type=Text)
    provider: str = Field(sa_type=Text)
    provider_ref: str = Field(sa_type=String(200), unique=True)
    transfer_id: str = Field(sa_type=String(120), unique=True)
    requested_by: int = Field(sa_type=BigInteger, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    confirmed_seq: int | None = Field(default=None, sa_type=BigInteger)
    requested_seq: int | None = Field(default=None, sa_type=BigInteger)
    failed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    failed_seq: int | None = Field(default=None, sa_type=BigInteger)
    failure_reason: str | None = Field(default=None, sa_type=Text)
    returned_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    returned_seq: int | None = Field(default=None, sa_type=BigInteger)
    return_reason: str | None = Field(default=None, sa_type=Text)


class OutboxStatus(StrEnum):
    pending = "pending"  # the provider is to be called (again) at ``next_attempt_at``
    sending = "sending"  # a worker (or the request) is calling it, until ``claimed_until``
    done = "done"  # the provider answered for good; nothing more to send


class PaymentOutbox(SQLModel, table=True):
    """The call to the payment provider a payment still owes, written in the transaction that
    records the payment and made after it commits: by the request, else by the payments worker,
    retried with ``idempotency_key`` until the provider answers."""

    __tablename__ = "book_payment_outbox"

    payment_id: int = Field(sa_type=BigInteger, foreign_key="book_payment.id", primary_key=True)
    idempotency_key: str = Field(sa_type=String(80), unique=True)
    status: str = Field(sa_type=Text, index=True)
    attempts: int = Field(default=0, sa_type=BigInteger)
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    claimed_by: str | None = Field(default=None, sa_type=Text)
    claimed_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    done_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PaymentEvent(SQLModel, table=True):
    """A provider's webhook event, once: its id is unique, and a replay answers ``outcome``."""

    __tablename__ = "book_payment_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_book_payment_event"),)

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    provider: str = Field(sa_type=String(40))
    event_id: str = Field(sa_type=String(200))
    payment_id: int | None = Field(default=None, sa_type=BigInteger)
    outcome: str = Field(sa_type=Text)
    received_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
