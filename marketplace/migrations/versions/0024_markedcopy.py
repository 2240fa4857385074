"""markedcopy: a fingerprinted licence's marked copy is made once and kept

Revision ID: markedcopy
Revises: nothrottle

``delivery_marked_copy`` records, for each licence whose downloads are transformed (a
fingerprinted listing's), the encrypted blob holding the bytes its URLs serve: the blob key, the
wrapped data key, and the SHA-256, size and chunk root its ``delivery.served`` entries name. It
starts empty: a licence's copy is made when its next URL is issued (a URL issued before the
upgrade is refused with 410 ``download_url_expired``; the next one makes the copy).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "markedcopy"
down_revision: str | None = "nothrottle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_marked_copy",
        sa.Column("licence_id", sa.BigInteger(), nullable=False),
        sa.Column("blob_key", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("chunk_root", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licence.id"]),
        sa.PrimaryKeyConstraint("licence_id"),
    )


def downgrade() -> None:
    # The blobs the rows name stay in the store, unreadable without their wrapped keys.
    op.drop_table("delivery_marked_copy")
