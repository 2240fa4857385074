"""payouts: payments the provider accepted are polled; withdrawals paid out may come back

Revision ID: payouts
Revises: outbox

A withdrawal the provider paid out and the beneficiary's bank sent back is ``returned``
(``returned_at``, ``returned_seq``, ``return_reason``).

A payment the provider accepted (``processing``) keeps its outbox row, which the payments worker
uses to ask the provider where it stands. Those processing before this revision had none (the
ones from before the outbox) or a closed one: each gets a pending row, due at once.
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "payouts"
down_revision: str | None = "outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(payment_id: int) -> str:
    return f"payment-{payment_id}-{secrets.token_hex(12)}"


def _reopen_processing_outboxes() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    bind.execute(
        sa.text(
            "UPDATE book_payment_outbox SET status = 'pending', next_attempt_at = :now, "
            "claimed_by = NULL, claimed_until = NULL, done_at = NULL "
            "WHERE status = 'done' AND payment_id IN "
            "(SELECT id FROM book_payment WHERE status = 'processing')"
        ),
        {"now": now},
    )
    missing = bind.execute(
        sa.text(
            "SELECT id FROM book_payment WHERE status = 'processing' AND id NOT IN "
            "(SELECT payment_id FROM book_payment_outbox)"
        )
    ).all()
    for (payment_id,) in missing:
        bind.execute(
            sa.text(
                "INSERT INTO book_payment_outbox (payment_id, idempotency_key, status, attempts,"
                " next_attempt_at, created_at) VALUES (:id, :key, 'pending', 1, :now, :now)"
            ),
            {"id": payment_id, "key": _key(payment_id), "now": now},
        )


def upgrade() -> None:
    with op.batch_alter_table("book_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("returned_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("return_reason", sa.Text(), nullable=True))
    _reopen_processing_outboxes()


def downgrade() -> None:
    # The older code reads a processing payment's pending row as a call to start again, with
    # the same key: the provider answers as it did (accepted). Close them as it would have.
    op.execute(
        "UPDATE book_payment_outbox SET status = 'done' WHERE status != 'done' AND payment_id IN "
        "(SELECT id FROM book_payment WHERE status = 'processing')"
    )
    # The older code does not know a return: a returned withdrawal reads as paid out (or failed,
    # if it never was), while its money is back in available (the transfer and the entry stay).
    op.execute(
        "UPDATE book_payment SET status = CASE WHEN confirmed_seq IS NULL THEN 'failed' "
        "ELSE 'confirmed' END WHERE status = 'returned'"
    )
    with op.batch_alter_table(
        "book_payment", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        for column in ("return_reason", "returned_seq", "returned_at"):
            batch_op.drop_column(column)
