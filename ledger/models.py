"""The ledger's tables: journal entries, the journal head, anchor batches, the anchor contract per
chain, and the anchoring worker's lease.

Hashes and addresses are stored as ``0x`` hex text (readable in any SQL console, identical on
SQLite and PostgreSQL). The journal is append-only: nothing here is ever updated except the head,
the batches' anchoring progress and the worker lease.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime, Text
from sqlalchemy.orm.base import instance_state, manager_of_class
from sqlmodel import Field, SQLModel

from ledger import limits

HASH_HEX_LENGTH = 66  # "0x" + 32 bytes
ADDRESS_HEX_LENGTH = 42  # "0x" + 20 bytes
ZERO_HASH_HEX = "0x" + "00" * 32


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored timestamp as an aware one: SQLite hands back naive datetimes (stored as UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class JournalEntryBase(SQLModel):
    seq: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    kind: str = Field(max_length=limits.journal_kind_length_max, index=True)
    subject: str = Field(max_length=limits.journal_subject_length_max, index=True)
    actor: str = Field(max_length=ADDRESS_HEX_LENGTH)
    signature: str | None = Field(default=None, max_length=limits.journal_signature_length_max)
    recorded_at: datetime = Field(sa_type=DateTime(timezone=True))
    prev_hash: str = Field(max_length=HASH_HEX_LENGTH)
    entry_hash: str = Field(max_length=HASH_HEX_LENGTH)


class JournalEntry(JournalEntryBase, table=True):
    """One journal entry. ``payload_json`` is the payload's RFC 8785 text, exactly the bytes that
    were hashed, so the verifier never re-serialises a payload."""

    __tablename__ = "journal_entry"

    payload_json: str = Field(sa_type=Text)


class JournalHead(SQLModel, table=True):
    """The single row every append locks: it serialises writers and keeps seq gapless."""

    __tablename__ = "journal_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_type=BigInteger)
    last_hash: str = Field(default=ZERO_HASH_HEX, max_length=HASH_HEX_LENGTH)


class BatchStatus:
    """A batch is ``pending`` (signed and stored, maybe broadcast), then ``sent`` (mined in
    ``block_number``), then ``confirmed`` (``anchor_confirmations`` deep)."""

    pending = "pending"
    sent = "sent"
    confirmed = "confirmed"


class AnchorBatchBase(SQLModel):
    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    first_seq: int = Field(sa_type=BigInteger, unique=True)
    last_seq: int = Field(sa_type=BigInteger, unique=True)
    root: str = Field(max_length=HASH_HEX_LENGTH)
    status: str = Field(default=BatchStatus.pending, max_length=16, index=True)
    chain_id: int = Field(sa_type=BigInteger)
    contract: str = Field(max_length=ADDRESS_HEX_LENGTH)
    tx_hash: str = Field(max_length=HASH_HEX_LENGTH)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AnchorBatch(AnchorBatchBase, table=True):
    """One batch of contiguous entries and its anchor transaction. ``id`` is the contract's
    batch id. ``raw_tx`` is the signed transaction, stored before it is broadcast;
    ``prior_tx_hashes`` lists earlier signings of the same batch (re-signed after a reorg or a
    dropped transaction), any of which may be the one that landed."""

    __tablename__ = "anchor_batch"

    raw_tx: str = Field(sa_type=Text)
    nonce: int = Field(sa_type=BigInteger)
    prior_tx_hashes: str = Field(default="", sa_type=Text)
    polls: int = Field(default=0, sa_type=BigInteger)


class AnchorContract(SQLModel, table=True):
    """The LedgerAnchor contract this exchange deployed on a chain, remembered by chain id."""

    __tablename__ = "anchor_contract"

    chain_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    address: str = Field(max_length=ADDRESS_HEX_LENGTH)
    deployed_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
    # The deploying transaction and its block (null for contracts remembered before they were
    # recorded: the trust anchor then finds them on the chain).
    deploy_tx_hash: str | None = Field(default=None, max_length=HASH_HEX_LENGTH)
    deploy_block_number: int | None = Field(default=None, sa_type=BigInteger)


class WorkerLease(SQLModel, table=True):
    """Which anchoring worker may act, until when. Several workers may run; one holds this.
    ``epoch`` is the fencing token: it goes up by one each time the lease changes hands, and
    every batch write checks, in its own transaction, that its worker's epoch is still current
    (``ledger/lease.py``)."""

    __tablename__ = "anchor_worker_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str | None = Field(default=None, max_length=128)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    epoch: int = Field(default=0, sa_type=BigInteger)


_Table = TypeVar("_Table", bound=SQLModel)


def row_as_loaded(model: type[_Table], values: Mapping[str, Any]) -> _Table:
    """A ``model`` row object holding ``values`` (every column's), built as the ORM builds a
    row it loads: for a row a Core statement just wrote, without the table model's instrumented
    ``__init__`` (a few hundred Python calls a row). It is transient; a session takes it as the
    persistent row with ``make_transient_to_detached`` and ``add`` (nothing to flush)."""
    assert values.keys() == _columns(model), f"a {model.__name__} row needs every column"
    row = manager_of_class(model).new_instance()
    instance_state(row).dict.update(values)
    return row


@cache
def _columns(model: type[SQLModel]) -> frozenset[str]:
    return frozenset(column.key for column in model.__table__.columns)  # type: ignore[attr-defined]
