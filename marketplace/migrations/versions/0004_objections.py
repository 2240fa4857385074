"""objections by verified organisations, the under-objection flag and suspension

Revision ID: 0004
Revises: 0003

An objection no longer moves its asset: the asset keeps its status and counts its open
objections; an operator may suspend it as a separate step, remembering the status to restore.
Objections gain the objecting organisation (for visibility and the per-organisation rate limit),
a reason code and a list of evidence hashes; the claim becomes the statement.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_objection = sa.table(
    "asset_objection",
    sa.column("id", sa.BigInteger()),
    sa.column("filed_by", sa.BigInteger()),
    sa.column("organization_id", sa.BigInteger()),
    sa.column("reason_code", sa.Text()),
    sa.column("evidence_sha256", sa.String(64)),
    sa.column("evidence_hashes", sa.JSON()),
)
_account = sa.table(
    "account", sa.column("id", sa.BigInteger()), sa.column("organization_id", sa.BigInteger())
)


def _backfill_objections() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_objection.c.id, _objection.c.evidence_sha256, _account.c.organization_id).join(
            _account, _account.c.id == _objection.c.filed_by
        )
    ).all()
    for row_id, evidence, organization_id in rows:
        conn.execute(
            _objection.update()
            .where(_objection.c.id == row_id)
            .values(
                organization_id=organization_id,
                reason_code="other",
                evidence_hashes=[evidence] if evidence else [],
            )
        )


def upgrade() -> None:
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("reason_code", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("evidence_hashes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.BigInteger(), nullable=True))
        batch_op.alter_column(
            "claim", new_column_name="statement", existing_type=sa.String(length=2000)
        )
    _backfill_objections()
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.alter_column("organization_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("reason_code", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("evidence_hashes", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("evidence_sha256")
        batch_op.create_foreign_key(
            "fk_asset_objection_organization_id_organization",
            "organization",
            ["organization_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            "fk_asset_objection_decided_by_account", "account", ["decided_by"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_asset_objection_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_asset_objection_created_at"), ["created_at"], unique=False
        )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_objections", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("status_before_suspension", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.String(length=4000), nullable=True))
        batch_op.add_column(sa.Column("suspended_for_objection", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE asset SET open_objections = (SELECT count(*) FROM asset_objection o "
        "WHERE o.asset_id = asset.id AND o.status = 'open')"
    )


def downgrade() -> None:
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_column("suspended_for_objection")
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("status_before_suspension")
        batch_op.drop_column("open_objections")
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_objection_created_at"))
        batch_op.drop_index(batch_op.f("ix_asset_objection_organization_id"))
        batch_op.drop_constraint("fk_asset_objection_decided_by_account", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_asset_objection_organization_id_organization", type_="foreignkey"
        )
        batch_op.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
        batch_op.alter_column(
            "statement", new_column_name="claim", existing_type=sa.String(length=2000)
        )
        batch_op.drop_column("decided_by")
        batch_op.drop_column("evidence_hashes")
        batch_op.drop_column("reason_code")
        batch_op.drop_column("organization_id")
