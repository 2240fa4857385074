"""per-buyer fingerprints: a listing's option to mark each licensed copy

Revision ID: fprint
Revises: delivery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fprint"
down_revision: str | None = "delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Listings made before the option are not fingerprinted.
    op.add_column(
        "listing",
        sa.Column("fingerprint", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
