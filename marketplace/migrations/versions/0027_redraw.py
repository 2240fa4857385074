"""redraw: an arbitrator's assignment may be replaced by a new draw

Revision ID: redraw
Revises: period_disputes

``dispute_assignment.replaced_seq`` is the ``arbitrator.drawn`` entry that drew another
arbitrator in its place (its organisation was suspended before it ruled); null while it stands.
Every existing assignment stands.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "redraw"
down_revision: str | None = "period_disputes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dispute_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_seq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # A replaced assignment would stand again beside its replacement: delete them first.
    op.execute("DELETE FROM dispute_assignment WHERE replaced_seq IS NOT NULL")
    with op.batch_alter_table("dispute_assignment", schema=None) as batch_op:
        batch_op.drop_column("replaced_seq")
