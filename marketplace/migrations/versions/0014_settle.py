"""orders: payment, delivery, acceptance and settlement

Revision ID: settle
Revises: books

The columns an order needs once it is paid: its acceptance window (fixed at placement), the
escrow hold and the exchange fee (fixed at payment), whether an operator must approve it before
delivery (important data), and when it was paid, delivered, must be accepted by, and settled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "settle"
down_revision: str | None = "books"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


_T = "purchase_order"


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch rebuild): SQLite keeps the table's AUTOINCREMENT.
    op.add_column(_T, sa.Column("acceptance_window_h", sa.BigInteger(), nullable=True))
    op.add_column(_T, sa.Column("hold_id", sa.BigInteger(), nullable=True))
    op.add_column(_T, sa.Column("fee_bp", sa.BigInteger(), nullable=True))
    op.add_column(_T, sa.Column("fee_minor", sa.BigInteger(), nullable=True))
    op.add_column(
        _T, sa.Column("needs_approval", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(_T, sa.Column("paid_at", _TS, nullable=True))
    op.add_column(_T, sa.Column("delivered_at", _TS, nullable=True))
    op.add_column(_T, sa.Column("accept_by", _TS, nullable=True))
    op.add_column(_T, sa.Column("settled_at", _TS, nullable=True))
    op.create_index(op.f("ix_purchase_order_accept_by"), _T, ["accept_by"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_purchase_order_accept_by"), table_name=_T)
    for name in (
        "settled_at", "accept_by", "delivered_at", "paid_at", "needs_approval",
        "fee_minor", "fee_bp", "hold_id", "acceptance_window_h",
    ):  # fmt: skip
        op.drop_column(_T, name)
