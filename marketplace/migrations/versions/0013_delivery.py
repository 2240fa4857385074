"""delivery: licences, delivery keys, issued downloads and receipts

Revision ID: delivery
Revises: auctions
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "delivery"
down_revision: str | None = "auctions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "licence",
        sa.Column("id", _ID, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("buyer_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("delivery_mode", sa.Text(), nullable=False),
        sa.Column("max_downloads", sa.BigInteger(), nullable=True),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("granted_at", _WHEN, nullable=False),
        sa.Column("granted_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.ForeignKeyConstraint(["listing_id"], ["listing.id"]),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"]),
        sa.ForeignKeyConstraint(["buyer_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["supplier_organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_licence_buyer_organization_id"), ["buyer_organization_id"], unique=False
        )
    op.create_table(
        "delivery_key",
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("registered_by", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", _WHEN, nullable=False),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["registered_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )
    op.create_table(
        "delivery_download",
        sa.Column("id", _ID, nullable=False),
        sa.Column("licence_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("chunk_root", sa.String(length=64), nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("issued_by", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", _WHEN, nullable=False),
        sa.Column("served_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licence.id"]),
        sa.ForeignKeyConstraint(["issued_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("delivery_download", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_download_licence_id"), ["licence_id"], unique=False
        )
    op.create_table(
        "delivery_receipt",
        sa.Column("id", _ID, nullable=False),
        sa.Column("download_id", sa.BigInteger(), nullable=False),
        sa.Column("licence_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("served_seq", sa.BigInteger(), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["download_id"], ["delivery_download.id"]),
        sa.ForeignKeyConstraint(["licence_id"], ["licence.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("download_id"),
    )
    with op.batch_alter_table("delivery_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_receipt_licence_id"), ["licence_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("delivery_receipt")
    op.drop_table("delivery_download")
    op.drop_table("delivery_key")
    op.drop_table("licence")
