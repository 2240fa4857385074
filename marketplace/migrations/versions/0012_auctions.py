"""sealed-bid auctions and their bids

Revision ID: auctions
Revises: quotes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "auctions"
down_revision: str | None = "quotes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "auction",
        sa.Column("id", _ID, nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("reserve_minor", sa.BigInteger(), nullable=False),
        sa.Column("deposit_minor", sa.BigInteger(), nullable=False),
        sa.Column("commit_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reveal_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("commitments", sa.BigInteger(), nullable=False),
        sa.Column("opened_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_seq", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("winner_bid_id", sa.BigInteger(), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["listing_id"], ["listing.id"]),
        sa.ForeignKeyConstraint(["supplier_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_listing_id"), ["listing_id"], unique=False)
    op.create_table(
        "auction_bid",
        sa.Column("id", _ID, nullable=False),
        sa.Column("auction_id", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("bidder", sa.String(length=42), nullable=False),
        sa.Column("custodial", sa.Boolean(), nullable=False),
        sa.Column("commitment", sa.String(length=66), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("commit_seq", sa.BigInteger(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("salt", sa.String(length=66), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reveal_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("auction_id", "organization_id", name="uq_auction_bid_organization"),
    )
    with op.batch_alter_table("auction_bid", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auction_bid_auction_id"), ["auction_id"], unique=False)


def downgrade() -> None:
    op.drop_table("auction_bid")
    op.drop_table("auction")
