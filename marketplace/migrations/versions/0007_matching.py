"""matching: buyers' demands (需求) and the listing profiles matching reads

Revision ID: matching
Revises: notifications, search

It also joins the two heads (notifications; listings then search), which the matching tables
come after.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching"
down_revision: str | tuple[str, ...] | None = ("notifications", "search")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demand",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("buyer_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("posted_by", sa.BigInteger(), nullable=False),
        sa.Column("poster_address", sa.String(length=42), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("required_fields", sa.JSON(), nullable=False),
        sa.Column("quality_min", sa.Float(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("budget_min_minor", sa.BigInteger(), nullable=False),
        sa.Column("budget_max_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("fulfilled_by_quote_id", sa.BigInteger(), nullable=True),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["buyer_organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["posted_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_demand_buyer_organization_id", "demand", ["buyer_organization_id"])
    op.create_index("ix_demand_status_deadline", "demand", ["status", "deadline"])
    op.create_table(
        "matching_listing_profile",
        sa.Column("listing_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("supplier_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("headline_minor", sa.BigInteger(), nullable=True),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("profiled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("listing_id"),
    )


def downgrade() -> None:
    op.drop_table("matching_listing_profile")
    op.drop_index("ix_demand_status_deadline", table_name="demand")
    op.drop_index("ix_demand_buyer_organization_id", table_name="demand")
    op.drop_table("demand")
