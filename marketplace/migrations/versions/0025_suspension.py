"""suspension: an operator may suspend an organisation

Revision ID: suspension
Revises: markedcopy

``organization_suspension`` holds one row per suspended organisation (when, by which operator's
account, why); reinstating deletes it. It starts empty: no organisation is suspended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "suspension"
down_revision: str | None = "markedcopy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organization_suspension",
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suspended_by", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )


def downgrade() -> None:
    # Every suspension is lifted; the journal keeps the history.
    op.drop_table("organization_suspension")
