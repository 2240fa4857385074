"""books: accounts, transfers, escrow holds, payments and provider events

Revision ID: books
Revises: idempotency
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "books"
down_revision: str | None = "idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "book_account",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("book_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_book_account_organization_id"), ["organization_id"], unique=False
        )
    op.create_table(
        "book_transfer",
        sa.Column("id", _ID, nullable=False),
        sa.Column("transfer_id", sa.String(length=120), nullable=False),
        sa.Column("debit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["debit_account_id"], ["book_account.id"]),
        sa.ForeignKeyConstraint(["credit_account_id"], ["book_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transfer_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("book_transfer", schema=None) as batch_op:
        for column in ("debit_account_id", "credit_account_id", "hold_id"):
            batch_op.create_index(batch_op.f(f"ix_book_transfer_{column}"), [column], unique=False)
    op.create_table(
        "book_hold",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("transfer_id", sa.String(length=120), nullable=False),
        sa.Column("payee_organization_id", sa.BigInteger(), nullable=True),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("held_seq", sa.BigInteger(), nullable=False),
        sa.Column("closed_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["payee_organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transfer_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("book_hold", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_book_hold_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_book_hold_status"), ["status"], unique=False)
    op.create_table(
        "book_payment",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("provider_ref", sa.String(length=200), nullable=False),
        sa.Column("transfer_id", sa.String(length=120), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("confirmed_at", _TZ, nullable=True),
        sa.Column("confirmed_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_ref"),
        sa.UniqueConstraint("transfer_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("book_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_book_payment_organization_id"), ["organization_id"], unique=False
        )
    op.create_table(
        "book_payment_event",
        sa.Column("id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("received_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "event_id", name="uq_book_payment_event"),
    )


def downgrade() -> None:
    op.drop_table("book_payment_event")
    op.drop_table("book_payment")
    op.drop_table("book_hold")
    op.drop_table("book_transfer")
    op.drop_table("book_account")
