"""Subscription and metered orders (docs/orders.md#subscriptions-and-metered-usage): the plan an
order was paid under, fixed at payment, and one row per period with its own charge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from ledger.models import utc_now
from marketplace.db import ID_TYPE
from marketplace.orders.period_lifecycle import INITIAL


class OrderPlan(SQLModel, table=True):
    """How a periodic order is charged. ``kind`` is ``subscription`` (``amount_minor`` at the
    start of each period, ``periods_bought`` of them, then renewed one at a time while
    ``auto_renew``) or ``metered`` (the period's usage at its end, ``unit_price_minor`` a unit,
    at most ``cap_minor`` a period, until ``runs_until``). ``stopped_at``: a charge was refused,
    so no period follows and the licence ends there."""

    __tablename__ = "order_plan"

    order_id: int = Field(sa_type=BigInteger, foreign_key="purchase_order.id", primary_key=True)
    kind: str = Field(sa_type=Text)
    period: str = Field(sa_type=Text)
    periods_bought: int | None = Field(default=None, sa_type=BigInteger)
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    unit: str | None = Field(default=None, sa_type=Text)
    unit_price_minor: int | None = Field(default=None, sa_type=BigInteger)
    cap_minor: int | None = Field(default=None, sa_type=BigInteger)
    fee_bp: int = Field(sa_type=BigInteger)
    auto_renew: bool = Field(
        default=False, sa_type=Boolean, sa_column_kwargs={"server_default": false()}
    )
    renewal_allowed: bool = Field(
        default=False, sa_type=Boolean, sa_column_kwargs={"server_default": false()}
    )
    runs_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    stopped_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class OrderPeriod(SQLModel, table=True):
    """One period of a plan. ``(order_id, number)`` is unique: a period is charged once, however
    many job runners reach it. ``charge_at`` is when the job charges it (a subscription's
    period start; a metered period's end), ``settle_at`` when the hold is released (the
    period's end: the period is its acceptance window), ``settled_at`` when it was (a dispute
    of the period is open to its parties for the order's ``dispute_window_h`` from then)."""

    __tablename__ = "order_period"
    __table_args__ = (
        UniqueConstraint("order_id", "number", name="uq_order_period"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_type=ID_TYPE, primary_key=True)
    order_id: int = Field(sa_type=BigInteger, foreign_key="purchase_order.id", index=True)
    number: int = Field(sa_type=BigInteger)
    status: str = Field(default=INITIAL.value, sa_type=Text, index=True)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    charge_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    settle_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    renewal: bool = Field(
        default=False, sa_type=Boolean, sa_column_kwargs={"server_default": false()}
    )
    units: int = Field(default=0, sa_type=BigInteger)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    fee_minor: int = Field(default=0, sa_type=BigInteger)
    hold_id: int | None = Field(default=None, sa_type=BigInteger)
    charged_seq: int | None = Field(default=None, sa_type=BigInteger)
    closed_seq: int | None = Field(default=None, sa_type=BigInteger)
    # When the hold was released to the supplier: a dispute window counts from it.
    settled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
