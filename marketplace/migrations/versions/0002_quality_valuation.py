"""quality evaluations and valuations

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_evaluation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("declared", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("report_hash", sa.String(length=66), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("journal_seq", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quality_evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_evaluation_asset_id"), ["asset_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quality_evaluation_status"), ["status"], unique=False)

    op.create_table(
        "valuation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.BigInteger(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("report_hash", sa.String(length=66), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=True),
        sa.Column("signature", sa.String(length=200), nullable=True),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("valuation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_valuation_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("valuation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_valuation_asset_id"))

    op.drop_table("valuation")
    with op.batch_alter_table("quality_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_evaluation_status"))
        batch_op.drop_index(batch_op.f("ix_quality_evaluation_asset_id"))

    op.drop_table("quality_evaluation")
