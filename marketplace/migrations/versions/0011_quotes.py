"""quotes: a supplier's signed answer to a demand

Revision ID: quotes
Revises: matching

One row per quote, with what the supplier signed (the offer's fields, the terms and their hash,
the signature, nonce and deadline), its status and the journal entries that record it. A partial
unique index allows at most one accepted quote per demand.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "quotes"
down_revision: str | None = "matching"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCEPTED = sa.text("status = 'accepted'")


def upgrade() -> None:
    op.create_table(
        "quote",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("demand_id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("offered_by", sa.BigInteger(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("terms_hash", sa.String(length=66), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("nonce", sa.String(length=80), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("offer_seq", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["demand_id"], ["demand.id"]),
        sa.ForeignKeyConstraint(["listing_id"], ["listing.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.ForeignKeyConstraint(["supplier_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["buyer_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["offered_by"], ["account.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_demand_id"), ["demand_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quote_supplier_organization_id"),
            ["supplier_organization_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_quote_accepted_per_demand",
            ["demand_id"],
            unique=True,
            sqlite_where=_ACCEPTED,
            postgresql_where=_ACCEPTED,
        )


def downgrade() -> None:
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index("uq_quote_accepted_per_demand")
        batch_op.drop_index(batch_op.f("ix_quote_supplier_organization_id"))
        batch_op.drop_index(batch_op.f("ix_quote_demand_id"))
    op.drop_table("quote")
