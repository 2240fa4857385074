"""subs: the plans and periods of subscription and metered orders

Revision ID: subs
Revises: quality_checks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "subs"
down_revision: str | None = "quality_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "order_plan",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("periods_bought", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=True),
        sa.Column("cap_minor", sa.BigInteger(), nullable=True),
        sa.Column("fee_bp", sa.BigInteger(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("renewal_allowed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("runs_until", _WHEN, nullable=True),
        sa.Column("stopped_at", _WHEN, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_table(
        "order_period",
        sa.Column("id", _ID, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("starts_at", _WHEN, nullable=False),
        sa.Column("ends_at", _WHEN, nullable=False),
        sa.Column("charge_at", _WHEN, nullable=False),
        sa.Column("settle_at", _WHEN, nullable=False),
        sa.Column("renewal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("charged_seq", sa.BigInteger(), nullable=True),
        sa.Column("closed_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "number", name="uq_order_period"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("order_period", schema=None) as batch_op:
        for column in ("order_id", "status", "charge_at", "settle_at"):
            batch_op.create_index(batch_op.f(f"ix_order_period_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("order_period")
    op.drop_table("order_plan")
