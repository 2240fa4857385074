"""comps: the buyer's signed quality checks of an order

Revision ID: quality_checks
Revises: fprint
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "quality_checks"
down_revision: str | None = "fprint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "order_quality_check",
        sa.Column("id", _ID, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("report_hash", sa.String(length=66), nullable=False),
        sa.Column("report_seq", sa.BigInteger(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("differences_hash", sa.String(length=66), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["purchase_order.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "order_id",
            "file_sha256",
            "report_hash",
            "differences_hash",
            name="uq_order_quality_check",
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("order_quality_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_quality_check_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("order_quality_check")
