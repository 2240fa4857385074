"""order_dispute_window: an order keeps the dispute window its terms signed

Revision ID: order_dispute_window
Revises: redraw

``purchase_order.dispute_window_h`` is the ``dispute_window_h`` of the terms the order was priced
with (hours after its settlement, or a period's), fixed at placement. An existing order takes
its listing's: a listing's terms never change, and a quote may not change the window, so that
is the window the order's terms carried. NULL (no listing terms with a window) falls back to
the exchange's ``dispute_window_s``.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "order_dispute_window"
down_revision: str | None = "redraw"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = "purchase_order"
_ORDER = sa.table(_T, sa.column("listing_id", sa.BigInteger), sa.column("dispute_window_h"))
_LISTING = sa.table("listing", sa.column("id", sa.BigInteger), sa.column("terms", sa.JSON))


def _window_h(terms: Any) -> int | None:
    found = (json.loads(terms) if isinstance(terms, str) else terms or {}).get("dispute_window_h")
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def _backfill() -> None:
    """Each ordered listing's window onto its orders, one UPDATE per listing."""
    bind = op.get_bind()
    ordered = bind.execute(
        sa.select(_LISTING.c.id, _LISTING.c.terms).where(
            _LISTING.c.id.in_(sa.select(_ORDER.c.listing_id).distinct())
        )
    ).all()
    windows = [
        {"listing": listing_id, "window_h": window_h}
        for listing_id, terms in ordered
        if (window_h := _window_h(terms)) is not None
    ]
    if windows:
        bind.execute(
            sa.update(_ORDER)
            .where(_ORDER.c.listing_id == sa.bindparam("listing"))
            .values(dispute_window_h=sa.bindparam("window_h")),
            windows,
        )


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite keeps the table's AUTOINCREMENT.
    op.add_column(_T, sa.Column("dispute_window_h", sa.BigInteger(), nullable=True))
    _backfill()


def downgrade() -> None:
    # The older code gives every order the exchange's dispute_window_s.
    op.drop_column(_T, "dispute_window_h")
