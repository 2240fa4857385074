"""Append entries to the tamper-evident journal, inside the caller's database transaction.

Each entry's canonical form is the RFC 8785 JSON of

    {"actor", "kind", "payload", "prev_hash", "recorded_at", "seq", "signature", "subject"}

and ``entry_hash = keccak256(canonical)``; ``prev_hash`` is the previous entry's hash (32 zero
bytes for seq 1). Appends lock the single ``journal_head`` row first (``SELECT ... FOR UPDATE``
on PostgreSQL; a no-op ``UPDATE`` on SQLite, which takes the database's write lock), so
concurrent writers queue and seq stays gapless: a rolled-back transaction rolls back its seq too.
A transaction locks and reads the head once; its later appends chain onto what it last wrote
(docs/ledger.md).
``append`` never commits: the entry commits or rolls back with the business change it describes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col

from ledger import limits
from ledger.canonical import NotCanonicalizable, canonical_json, keccak256, to_hex
from ledger.errors import InvalidEntry
from ledger.models import ZERO_HASH_HEX, JournalEntry, JournalHead, row_as_loaded

__all__ = [
    "ENTRY_FIELDS",
    "AppendedEntry",
    "NewEntry",
    "append",
    "append_entry",
    "append_many",
    "batched",
    "entry_canonical_bytes",
    "entry_document",
    "format_recorded_at",
    "head",
    "lock_head",
    "next_seq",
]

HEAD_ID = 1
JOURNAL_TABLE: Table = JournalEntry.metadata.tables["journal_entry"]
HEAD_TABLE: Table = JournalHead.metadata.tables["journal_head"]
# The statements of every append, built once (Core statements on the tables: no ORM
# bookkeeping; a JournalHead row object the session may hold is expired after a move).
_HEAD_ROW = HEAD_TABLE.c.id == bindparam("head_id")
_READ_HEAD = select(HEAD_TABLE.c.last_seq, HEAD_TABLE.c.last_hash).where(_HEAD_ROW)
_READ_HEAD_FOR_UPDATE = _READ_HEAD.with_for_update(key_share=True)
# A write is the portable lock (on SQLite it takes the database's write lock); it returns the
# row it locked, so locking and reading are one statement.
_TOUCH_HEAD = (
    update(HEAD_TABLE)
    .where(_HEAD_ROW)
    .values(last_seq=HEAD_TABLE.c.last_seq)
    .returning(HEAD_TABLE.c.last_seq, HEAD_TABLE.c.last_hash)
)
_MOVE_HEAD = (
    update(HEAD_TABLE)
    .where(
        _HEAD_ROW,
        HEAD_TABLE.c.last_seq == bindparam("from_seq"),
        HEAD_TABLE.c.last_hash == bindparam("from_hash"),
    )
    .values(last_seq=bindparam("to_seq"), last_hash=bindparam("to_hash"))
)
_INSERT_ENTRIES = insert(JOURNAL_TABLE)
_HEAD_IDENTITY = identity_key(JournalHead, HEAD_ID)
ENTRY_FIELDS = (
    "actor",
    "kind",
    "payload",
    "prev_hash",
    "recorded_at",
    "seq",
    "signature",
    "subject",
)
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]*")
_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# RFC 8785 escaping of a str: the C encoder json.dumps(..., ensure_ascii=False) itself uses
_dumps: Callable[[str], str] = encode_basestring


@dataclass(frozen=True, slots=True)
class AppendedEntry:
    """What ``append_many`` returns for each entry (lighter than a table row object)."""

    seq: int
    entry_hash: str
    prev_hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class NewEntry:
    kind: str
    subject: str
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)
    signature: str | None = None


def format_recorded_at(value: datetime | str) -> str:
    """The canonical text of a timestamp: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.

    Accepts an aware datetime, a naive one (taken as UTC: SQLite drops the zone), or SQLite's
    stored text ``YYYY-MM-DD HH:MM:SS.ffffff`` (the verifier reads raw rows)."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_canonical_bytes(
    *,
    seq: int,
    kind: str,
    subject: str,
    actor: str,
    payload_json: str,
    signature: str | None,
    recorded_at: str,
    prev_hash: str,
) -> bytes:
    """RFC 8785 bytes of the entry, splicing the payload's stored canonical text in unchanged.

    Equal to ``canonical_json(entry_document(...))`` (a property test holds them equal); keys are
    ASCII and in sorted order here, so no re-serialisation of the payload is needed."""
    sig = "null" if signature is None else _dumps(signature)
    return (
        f'{{"actor":{_dumps(actor)},"kind":{_dumps(kind)},"payload":{payload_json},'
        f'"prev_hash":{_dumps(prev_hash)},"recorded_at":{_dumps(recorded_at)},"seq":{seq},'
        f'"signature":{sig},"subject":{_dumps(subject)}}}'
    ).encode()


def entry_document(entry: JournalEntry) -> dict[str, Any]:
    """The entry as the JSON object its hash covers (what a receipt's ``entry`` holds)."""
    return {
        "actor": entry.actor,
        "kind": entry.kind,
        "payload": json.loads(entry.payload_json),
        "prev_hash": entry.prev_hash,
        "recorded_at": format_recorded_at(entry.recorded_at),
        "seq": entry.seq,
        "signature": entry.signature,
        "subject": entry.subject,
    }


def _validate(new: NewEntry) -> tuple[str, str]:
    """Check one entry; return (checksummed actor, canonical payload text)."""
    if not _KIND.fullmatch(new.kind) or len(new.kind) > limits.journal_kind_length_max:
        raise InvalidEntry(f"kind {new.kind!r:.80} must look like 'order.placed' (max 64)")
    if (
        not new.subject
        or len(new.subject) > limits.journal_subject_length_max
        or not new.subject.isprintable()
    ):
        raise InvalidEntry(f"subject {new.subject!r:.80} must be 1-128 printable characters")
    if not isinstance(new.actor, str) or not _ADDRESS.fullmatch(new.actor):
        raise InvalidEntry(f"actor {new.actor!r:.80} must be an EVM address")
    if new.signature is not None and (
        not _SIGNATURE.fullmatch(new.signature)
        or len(new.signature) > limits.journal_signature_length_max
    ):
        raise InvalidEntry("signature must be 0x-prefixed hex of at most 1024 characters")
    if not isinstance(new.payload, dict):
        raise InvalidEntry("payload must be a JSON object")
    try:
        payload_bytes = canonical_json(new.payload)
    except NotCanonicalizable as exc:
        raise InvalidEntry(f"payload: {exc}") from None
    if len(payload_bytes) > limits.journal_payload_bytes_max:
        raise InvalidEntry(
            f"payload is {len(payload_bytes)} bytes; the limit is "
            f"{limits.journal_payload_bytes_max}"
        )
    return _checksum(new.actor), payload_bytes.decode()


@lru_cache(maxsize=4096)
def _checksum(address: str) -> str:
    return str(to_checksum_address(address))


#: ``session.info`` key of the head this transaction locked and last wrote: (transaction,
#: savepoint, last_seq, last_hash). Later appends in the same transaction (and savepoint) skip
#: re-locking and re-reading the head; ``_write``'s guarded head update checks it still holds.
_HEAD_INFO = "ledger.journal.head"


def _transaction_key(session: Session) -> tuple[object, object]:
    """The transaction and innermost savepoint now open: a cached head is trusted only in the
    same pair (a savepoint rolled back, or a new transaction, makes it a miss)."""
    return session.get_transaction(), session.get_nested_transaction()


def _cached_head(session: Session) -> tuple[int, str] | None:
    cached = session.info.get(_HEAD_INFO)
    if cached is None:
        return None
    transaction, savepoint, last_seq, last_hash = cached
    if transaction is None or (transaction, savepoint) != _transaction_key(session):
        return None
    return int(last_seq), str(last_hash)


def _remember_head(session: Session, last_seq: int, last_hash: str) -> None:
    session.info[_HEAD_INFO] = (*_transaction_key(session), last_seq, last_hash)


def _lock_head(session: Session) -> tuple[int, str]:
    """Lock the head row (creating it on first use) and return (last_seq, last_hash). Once
    locked in a transaction, it stays locked until the transaction ends: later calls in the
    same transaction and savepoint answer from what this transaction last read or wrote (or,
    inside ``batched``, chained in memory and not yet written)."""
    batch: _Batch | None = session.info.get(_BATCH_INFO)
    if batch is not None and batch.rows:
        return batch.last_seq, batch.last_hash
    cached = _cached_head(session)
    if cached is not None:
        return cached
    last_seq, last_hash = _lock_head_row(session)
    _remember_head(session, last_seq, last_hash)
    return last_seq, last_hash


def next_seq(session: Session) -> int:
    """The seq this transaction's next append will get: the head is locked (as ``append``
    would lock it), so no other transaction can take it. A row that records the seq of the
    entry about to describe it is inserted with it, instead of updated after the append; the
    caller asserts the entry got it."""
    return _lock_head(session)[0] + 1


def lock_head(session: Session) -> tuple[int, str]:
    """Lock the head for the rest of this transaction, as its first append would, without
    appending, and return (last_seq, last_hash): for a caller that writes rows which other
    transactions write only once they hold the head, and so must come after it in every
    transaction's lock order, or that needs the hash the next entry will chain to."""
    return _lock_head(session)


def _lock_head_row(session: Session) -> tuple[int, str]:
    """Lock the head row in the database and read it."""
    dialect = session.get_bind().dialect.name
    for _ in range(2):
        if dialect == "postgresql":
            row = session.execute(_READ_HEAD_FOR_UPDATE, {"head_id": HEAD_ID}).first()
        else:
            row = session.execute(_TOUCH_HEAD, {"head_id": HEAD_ID}).first()
        if row is not None:
            return int(row[0]), str(row[1])
        values = {"id": HEAD_ID, "last_seq": 0, "last_hash": ZERO_HASH_HEX}
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(JournalHead).values(values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            stmt = sqlite.insert(JournalHead).values(values).on_conflict_do_nothing()
        else:
            stmt = insert(JournalHead).values(values)
        session.execute(stmt)
    raise AssertionError("journal head row could not be created")


def append_many(session: Session, entries: Sequence[NewEntry]) -> list[AppendedEntry]:
    """Append ``entries`` in order, inside the caller's transaction; return them with seq and
    hashes set. Validates every entry before writing any."""
    if not entries:
        return []
    if len(entries) > limits.journal_append_many_entries_max:
        raise InvalidEntry(
            f"at most {limits.journal_append_many_entries_max} entries per append_many"
        )
    return _write(session, entries, [_validate(new) for new in entries])


def _chain(
    entries: Sequence[NewEntry],
    checked: Sequence[tuple[str, str]],
    last_seq: int,
    prev_hash: str,
) -> tuple[list[dict[str, Any]], list[AppendedEntry]]:
    """The rows of ``entries`` (validated into ``checked``) chained onto (last_seq, prev_hash),
    and what ``append_many`` returns for them."""
    now = datetime.now(UTC)
    recorded_text = format_recorded_at(now)
    rows: list[dict[str, Any]] = []
    out: list[AppendedEntry] = []
    for new, (actor, payload_json) in zip(entries, checked, strict=True):
        last_seq += 1
        entry_hash = to_hex(
            keccak256(
                entry_canonical_bytes(
                    seq=last_seq,
                    kind=new.kind,
                    subject=new.subject,
                    actor=actor,
                    payload_json=payload_json,
                    signature=new.signature,
                    recorded_at=recorded_text,
                    prev_hash=prev_hash,
                )
            )
        )
        rows.append(
            {
                "seq": last_seq,
                "kind": new.kind,
                "subject": new.subject,
                "actor": actor,
                "payload_json": payload_json,
                "signature": new.signature,
                "recorded_at": now,
                "prev_hash": prev_hash,
                "entry_hash": entry_hash,
            }
        )
        out.append(AppendedEntry(last_seq, entry_hash, prev_hash, now))
        prev_hash = entry_hash
    return rows, out


def _move_and_insert(
    session: Session,
    rows: Sequence[dict[str, Any]],
    from_head: tuple[int, str],
) -> bool:
    """Move the head from ``from_head`` to the last of ``rows`` and insert them; False (nothing
    written) if the head is not at ``from_head``."""
    assert rows
    last = rows[-1]
    # The head moves only from the state these entries chain onto: a head that is not there
    # (a stale cached head) updates nothing.
    moved = session.execute(
        _MOVE_HEAD,
        {
            "head_id": HEAD_ID,
            "from_seq": from_head[0],
            "from_hash": from_head[1],
            "to_seq": last["seq"],
            "to_hash": last["entry_hash"],
        },
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.info.pop(_HEAD_INFO, None)
        return False
    session.execute(_INSERT_ENTRIES, list(rows))
    _remember_head(session, last["seq"], last["entry_hash"])
    if (held := session.identity_map.get(_HEAD_IDENTITY)) is not None:
        session.expire(held)
    return True


def _write(
    session: Session, entries: Sequence[NewEntry], checked: Sequence[tuple[str, str]]
) -> list[AppendedEntry]:
    """Chain and insert ``entries``, already validated into ``checked`` (actor, payload); inside
    ``batched``, chain them onto the block's pending entries, to be written at its end."""
    assert entries
    assert len(checked) == len(entries)
    batch: _Batch | None = session.info.get(_BATCH_INFO)
    if batch is not None:
        last_seq, prev_hash = _lock_head(session)
        if not batch.rows:
            batch.transaction = session.get_transaction()
            batch.from_head = (last_seq, prev_hash)
        assert session.get_transaction() is batch.transaction, "a batch is one transaction's"
        rows, out = _chain(entries, checked, last_seq, prev_hash)
        batch.rows.extend(rows)
        batch.last_seq, batch.last_hash = out[-1].seq, out[-1].entry_hash
        assert out[0].seq == last_seq + 1
        return out
    for _ in range(2):
        last_seq, prev_hash = _lock_head(session)
        rows, out = _chain(entries, checked, last_seq, prev_hash)
        if not _move_and_insert(session, rows, (last_seq, prev_hash)):
            continue  # the head is read afresh
        assert out[0].seq == last_seq + 1
        assert out[-1].seq == last_seq + len(entries)
        return out
    raise AssertionError("the journal head moved under a transaction that had locked it")


#: ``session.info`` key of the ``batched`` block open in this session.
_BATCH_INFO = "ledger.journal.batch"


@dataclass
class _Batch:
    transaction: object = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    from_head: tuple[int, str] = (0, ZERO_HASH_HEX)
    last_seq: int = 0
    last_hash: str = ZERO_HASH_HEX


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Inside the block, this session's appends chain in memory: each entry gets its seq and
    hashes at once, exactly as it would have (``next_seq`` answers from them too), and all are
    written at the block's end by one guarded head move and one ``INSERT``, instead of one of
    each per entry. Entries, seqs, hashes and the lock order (the head is locked by the first
    append or ``next_seq``, as before) are unchanged. For a transaction's run of appends that
    reads none of its own entries back from the database inside the block (what ``append``
    returns may be held in the session), and rolls back no savepoint holding an append. The
    pending entries are written when the block ends by an exception too, as they would have
    been already; a nested block leaves the writing to the outer one."""
    if session.info.get(_BATCH_INFO) is not None:
        yield
        return
    batch = _Batch()
    session.info[_BATCH_INFO] = batch
    try:
        yield
    except BaseException:
        # Write what the block appended before it failed, as unbatched appends would have
        # written it; if the transaction cannot take it any more, the block's own error is
        # the one to report (the transaction cannot commit either way).
        with suppress(Exception):
            _end_batch(session, batch)
        raise
    else:
        _end_batch(session, batch)
    finally:
        session.info.pop(_BATCH_INFO, None)


def _end_batch(session: Session, batch: _Batch) -> None:
    session.info.pop(_BATCH_INFO, None)
    if not batch.rows:
        return
    assert session.get_transaction() is batch.transaction, "a batch is one transaction's"
    written = _move_and_insert(session, batch.rows, batch.from_head)
    assert written, "the journal head moved under a transaction that had locked it"
    assert batch.rows[0]["seq"] == batch.from_head[0] + 1


def append(
    session: Session,
    *,
    kind: str,
    subject: str,
    actor: str,
    payload: dict[str, Any],
    signature: str | None = None,
) -> JournalEntry:
    """Append one entry inside the caller's transaction (never commits) and return it.

    ``actor`` is an EVM address (stored checksummed); ``payload`` is a JSON object of hashes,
    identifiers, terms and integer amounts (no floats, no raw or personal data), at most
    ``journal_payload_bytes_max`` bytes canonical. Raises ``InvalidEntry`` on bad input."""
    new = NewEntry(kind=kind, subject=subject, actor=actor, payload=payload, signature=signature)
    actor_checked, payload_json = checked = _validate(new)
    (done,) = _write(session, [new], [checked])
    values = {
        "seq": done.seq,
        "kind": kind,
        "subject": subject,
        "actor": actor_checked,
        "payload_json": payload_json,
        "signature": signature,
        "recorded_at": done.recorded_at,
        "prev_hash": done.prev_hash,
        "entry_hash": done.entry_hash,
    }
    return row_as_loaded(JournalEntry, values)  # the row as written, no instrumented __init__


def append_entry(
    session: Session,
    *,
    kind: str,
    subject: str,
    actor: str,
    payload: dict[str, Any],
    signature: str | None = None,
) -> AppendedEntry:
    """``append``, for a caller that needs only the entry's seq and hashes: the same entry,
    written the same way, without building a table row object for it."""
    new = NewEntry(kind=kind, subject=subject, actor=actor, payload=payload, signature=signature)
    (done,) = _write(session, [new], [_validate(new)])
    return done


def head(session: Session) -> tuple[int, str]:
    """(last seq, last entry hash) as committed; (0, zero hash) for an empty journal."""
    row = session.execute(
        select(col(JournalHead.last_seq), col(JournalHead.last_hash)).where(
            col(JournalHead.id) == HEAD_ID
        )
    ).first()
    return (0, ZERO_HASH_HEX) if row is None else (int(row[0]), str(row[1]))
