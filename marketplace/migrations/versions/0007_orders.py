"""orders: a buyer's signed order for a listing, an accepted quote or an auction result

Revision ID: orders_0001
Revises: listings_0001

One row per order. ``exclusive_listing_id`` is unique (one live order per exclusive listing) and
so is ``(source, source_id)`` (a quote or an auction result becomes one order).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "orders_0001"
down_revision: str | None = "listings_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_INDEXED = ("listing_id", "asset_id", "buyer_organization_id", "supplier_organization_id", "status")


def upgrade() -> None:
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("placed_by", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("terms_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("buyer_signer", sa.String(length=42), nullable=False),
        sa.Column("buyer_signature", sa.String(length=200), nullable=False),
        sa.Column("buyer_nonce", sa.String(length=78), nullable=False),
        sa.Column("buyer_deadline", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("verifying_contract", sa.String(length=42), nullable=False),
        sa.Column("exclusive_listing_id", sa.BigInteger(), nullable=True),
        sa.Column("placed_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listing.id"]),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"]),
        sa.ForeignKeyConstraint(["buyer_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["supplier_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["placed_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exclusive_listing_id"),
        sa.UniqueConstraint("source", "source_id", name="uq_purchase_order_source"),
        sqlite_autoincrement=True,
    )
    for column in _INDEXED:
        op.create_index(op.f(f"ix_purchase_order_{column}"), "purchase_order", [column])


def downgrade() -> None:
    op.drop_table("purchase_order")
