"""outbox: payments call their provider after the commit, from an outbox; withdrawals in flight

Revision ID: outbox
Revises: disputes

The provider call a payment owes (``book_payment_outbox``), and what a payment records of its
steps. Payments still pending were recorded before: their provider already has them, so they
become ``processing`` (awaiting its webhook); their withdrawals left for clearing when asked for
(``requested_seq`` stays NULL, which the books read as such).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outbox"
down_revision: str | None = "disputes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("book_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("failed_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("failed_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("failure_reason", sa.Text(), nullable=True))
    op.execute("UPDATE book_payment SET status = 'processing' WHERE status = 'pending'")
    op.create_table(
        "book_payment_outbox",
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", _WHEN, nullable=False),
        sa.Column("claimed_by", sa.Text(), nullable=True),
        sa.Column("claimed_until", _WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["payment_id"], ["book_payment.id"]),
        sa.PrimaryKeyConstraint("payment_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("book_payment_outbox", schema=None) as batch_op:
        for column in ("status", "next_attempt_at"):
            batch_op.create_index(
                batch_op.f(f"ix_book_payment_outbox_{column}"), [column], unique=False
            )


def downgrade() -> None:
    # The older code knows only pending and confirmed; a failed payment stays failed.
    op.execute("UPDATE book_payment SET status = 'pending' WHERE status = 'processing'")
    op.drop_table("book_payment_outbox")
    with op.batch_alter_table(
        "book_payment", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        for column in ("failure_reason", "failed_seq", "failed_at", "requested_seq"):
            batch_op.drop_column(column)
