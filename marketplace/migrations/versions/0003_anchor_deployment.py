"""the anchor contract's deployment transaction and block

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("anchor_contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deploy_tx_hash", sa.String(length=66), nullable=True))
        batch_op.add_column(sa.Column("deploy_block_number", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("anchor_contract", schema=None) as batch_op:
        batch_op.drop_column("deploy_block_number")
        batch_op.drop_column("deploy_tx_hash")
