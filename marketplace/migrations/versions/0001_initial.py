"""initial schema: identity, ledger, assets

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "anchor_batch",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("prior_tx_hashes", sa.Text(), nullable=False),
        sa.Column("polls", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("first_seq"),
        sa.UniqueConstraint("last_seq"),
    )
    with op.batch_alter_table("anchor_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_anchor_batch_status"), ["status"], unique=False)

    op.create_table(
        "anchor_contract",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )
    op.create_table(
        "anchor_worker_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "journal_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=42), nullable=False),
        sa.Column("signature", sa.String(length=1024), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=66), nullable=False),
        sa.Column("entry_hash", sa.String(length=66), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entry_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_entry_subject"), ["subject"], unique=False)

    op.create_table(
        "journal_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "login_throttle",
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_digest"),
    )
    op.create_table(
        "organization",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "siwe_nonce",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("siwe_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_siwe_nonce_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "used_signature_nonce",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.String(length=80), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "nonce"),
    )
    op.create_table(
        "account",
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("custodial", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_role", sa.String(length=16), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=True),
        sa.Column("address_key", sa.String(length=42), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address_key"),
        sa.UniqueConstraint("email_key"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "organization_role",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "role"),
    )
    with op.batch_alter_table("organization_role", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_role_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "asset",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=10000), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("license", sa.String(length=64), nullable=False),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("spatial", sa.String(length=2000), nullable=True),
        sa.Column("accrual_periodicity", sa.String(length=32), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("landing_page", sa.String(length=2048), nullable=True),
        sa.Column("classification", sa.Text(), nullable=False),
        sa.Column("personal_information", sa.Boolean(), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=True),
        sa.Column("source_type", sa.Text(), nullable=False),
        sa.Column("authority_proof", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_organization_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("latest_revision", sa.BigInteger(), nullable=False),
        sa.Column("certified_revision", sa.BigInteger(), nullable=True),
        sa.Column("submitted_by", sa.BigInteger(), nullable=True),
        sa.Column("submission", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_asset_owner_organization_id"), ["owner_organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_asset_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_theme"), ["theme"], unique=False)

    op.create_table(
        "auth_token",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_digest"),
    )
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_token_account_id"), ["account_id"], unique=False)

    op.create_table(
        "custodial_key",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("address"),
    )
    op.create_table(
        "invite",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_digest"),
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invite_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "asset_objection",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("filed_by", sa.BigInteger(), nullable=False),
        sa.Column("claim", sa.String(length=2000), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("resolution", sa.String(length=4000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_objection_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "asset_registration",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("registration_type", sa.Text(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=True),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("holder_address", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journal_seq"),
    )
    with op.batch_alter_table("asset_registration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_asset_registration_asset_id"), ["asset_id"], unique=False
        )

    op.create_table(
        "asset_review",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.String(length=4000), nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), nullable=False),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_review_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "asset_revision",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content_format", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("chunk_root", sa.String(length=64), nullable=True),
        sa.Column("chunk_bytes", sa.BigInteger(), nullable=True),
        sa.Column("chunk_count", sa.BigInteger(), nullable=True),
        sa.Column("blob_key", sa.String(length=64), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("external_url", sa.String(length=2048), nullable=True),
        sa.Column("table_schema", sa.JSON(), nullable=True),
        sa.Column("schema_hash", sa.String(length=64), nullable=True),
        sa.Column("schema_corrected", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("asset_id", "number"),
    )
    with op.batch_alter_table("asset_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_revision_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_revision_asset_id"))

    op.drop_table("asset_revision")
    with op.batch_alter_table("asset_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_review_asset_id"))

    op.drop_table("asset_review")
    with op.batch_alter_table("asset_registration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_registration_asset_id"))

    op.drop_table("asset_registration")
    with op.batch_alter_table("asset_objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_objection_asset_id"))

    op.drop_table("asset_objection")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_organization_id"))

    op.drop_table("invite")
    op.drop_table("custodial_key")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_token_account_id"))

    op.drop_table("auth_token")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_theme"))
        batch_op.drop_index(batch_op.f("ix_asset_status"))
        batch_op.drop_index(batch_op.f("ix_asset_owner_organization_id"))

    op.drop_table("asset")
    with op.batch_alter_table("organization_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_role_organization_id"))

    op.drop_table("organization_role")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_organization_id"))

    op.drop_table("account")
    op.drop_table("used_signature_nonce")
    with op.batch_alter_table("siwe_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_siwe_nonce_expires_at"))

    op.drop_table("siwe_nonce")
    op.drop_table("organization")
    op.drop_table("login_throttle")
    op.drop_table("journal_head")
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entry_subject"))
        batch_op.drop_index(batch_op.f("ix_journal_entry_kind"))

    op.drop_table("journal_entry")
    op.drop_table("anchor_worker_lease")
    op.drop_table("anchor_contract")
    with op.batch_alter_table("anchor_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anchor_batch_status"))

    op.drop_table("anchor_batch")
