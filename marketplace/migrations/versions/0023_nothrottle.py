"""nothrottle: the login_throttle table goes; the anchoring lease gets a fencing epoch

Revision ID: nothrottle
Revises: payouts

Failed logins are counted in the abuse-limit store (marketplace/identity/throttle.py, through the
``limits`` library) since that moved; nothing reads or writes ``login_throttle`` any more. Its
counters were short-lived (one window), so nothing of value is dropped with it; a downgrade
recreates it empty, as 0001 created it.

``anchor_worker_lease.epoch`` goes up by one each time the anchoring lease changes hands; every
batch write checks it, so a worker that outlived its lease cannot overwrite its successor's
work (ledger/lease.py). Existing leases start at epoch 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "nothrottle"
down_revision: str | None = "payouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("anchor_worker_lease", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("epoch", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("anchor_worker_lease", schema=None) as batch_op:
        batch_op.drop_column("epoch")
    op.create_table(
        "login_throttle",
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_digest"),
    )
