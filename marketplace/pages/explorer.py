"""The ledger explorer's reads: ``/explorer`` (entries, keyset-paged, filtered by kind and
subject), ``/explorer/entries/{seq}`` (one entry, where it is anchored, its receipt) and
``/explorer/batches`` (anchor batches with their status). Templates: ``explorer.html``,
``entry.html``, ``batches.html``."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session

from ledger.verify.receipt import ReceiptInvalid, check_receipt_offline, parse_receipt
from marketplace import limits
from marketplace.transparency import service as transparency_service
from marketplace.transparency.schemas import BatchPage, BatchPublic, EntryPage, EntryPublic

#: Entries and batches per explorer page (tests lower it to see paging).
PAGE_SIZE = limits.page_size_default


@dataclass(frozen=True)
class EntryView:
    e: EntryPublic
    batch: BatchPublic | None
    has_next: bool


def entries(
    session: Session, *, after_seq: int, kind: str | None, subject: str | None
) -> EntryPage:
    return transparency_service.list_entries(
        session, after_seq=after_seq, limit=PAGE_SIZE, kind=kind, subject=subject
    )


def entry_view(session: Session, seq: int) -> EntryView:
    """404 (``entry_not_found``) for a seq the journal does not hold."""
    e = transparency_service.entry(session, seq)
    batch = None if e.batch_id is None else transparency_service.batch(session, e.batch_id)
    later = transparency_service.list_entries(
        session, after_seq=seq, limit=1, kind=None, subject=None
    )
    return EntryView(e, batch, bool(later.items))


def batches(session: Session, *, after_id: int) -> BatchPage:
    return transparency_service.list_batches(session, after_id=after_id, limit=PAGE_SIZE)


@dataclass(frozen=True)
class ReceiptCheck:
    ok: bool
    message: str  # why it failed; empty when ``ok``
    root: str


def receipt_check(session: Session, seq: int) -> ReceiptCheck:
    """The "check" action of an entry's receipt: the receipt the exchange serves for ``seq``,
    checked as ``bourse verify`` checks it offline (the entry's hash, its Merkle proof up to the
    batch root). 404 for an unknown seq, 409 until its batch is confirmed."""
    document = transparency_service.receipt(session, seq)
    try:
        parsed = parse_receipt(json.dumps(document))
        check_receipt_offline(parsed)
    except ReceiptInvalid as exc:
        return ReceiptCheck(False, str(exc), "")
    return ReceiptCheck(True, "", "0x" + parsed.root.hex())
