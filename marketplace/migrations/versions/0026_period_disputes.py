"""period_disputes: one period of a subscription or metered order may be disputed

Revision ID: period_disputes
Revises: suspension

``dispute.period`` is the number of the period disputed, 0 for a dispute of the whole order
(every dispute before this revision); the unique ``order_id`` becomes the unique pair
``(order_id, period)``, so each period has at most one dispute, and a one-off order still one.
``order_period.settled_at`` is when a period's hold was released to the supplier, from which
its dispute window counts; a period settled before this revision takes the time its row last
changed, which was its settlement.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "period_disputes"
down_revision: str | None = "suspension"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0020 created the unique order_id unnamed: PostgreSQL named it so, and SQLite's batch rebuild
# finds it by this convention.
_UNNAMED = {"uq": "%(table_name)s_%(column_0_name)s_key"}


def upgrade() -> None:
    with op.batch_alter_table(
        "dispute", naming_convention=_UNNAMED, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("period", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("dispute_order_id_key", type_="unique")
        batch_op.create_unique_constraint("uq_dispute_order_period", ["order_id", "period"])
    with op.batch_alter_table(
        "order_period", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE order_period SET settled_at = updated_at WHERE status = 'settled'")


def downgrade() -> None:
    # A period's dispute cannot be kept under a unique order_id, and dropping one would drop
    # the record of money it holds: refuse rather than lose it.
    disputes = op.get_bind().execute(sa.text("SELECT count(*) FROM dispute WHERE period > 0"))
    if disputes.scalar_one():
        raise RuntimeError("periods are disputed: this database cannot go back before them")
    with op.batch_alter_table(
        "order_period", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("settled_at")
    with op.batch_alter_table(
        "dispute", naming_convention=_UNNAMED, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint("uq_dispute_order_period", type_="unique")
        batch_op.create_unique_constraint("dispute_order_id_key", ["order_id"])
        batch_op.drop_column("period")
