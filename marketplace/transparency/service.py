"""Transparency log rules: browsing the journal and its batches, receipts and the published
trust anchor. Never commits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_account import Account
from sqlmodel import Session

from ledger import receipts
from ledger.errors import EntryNotFound, NotAnchored
from ledger.progress import anchoring_progress
from ledger.trust import TrustAnchor, trust_anchor_of
from marketplace.runtime import Runtime
from marketplace.settings import Settings
from marketplace.transparency import repository
from marketplace.transparency.errors import ChainNotReadable, EntryNotAnchored, UnknownEntry
from marketplace.transparency.schemas import (
    BatchPage,
    BatchPublic,
    EntryPage,
    EntryPublic,
    TrustAnchorPublic,
)

if TYPE_CHECKING:  # the chain imports web3; this module is imported by every page
    from ledger.chain import Web3AnchorChain


def trust_anchor(chain: Web3AnchorChain, settings: Settings) -> TrustAnchor:
    """The trust anchor this exchange publishes: its chain, contract, the contract's deployment
    and the recorder address (the exchange's anchoring and countersigning key). Raises
    ``ChainError`` when the chain cannot be read."""
    recorder = Account.from_key(settings.anchor_recorder_key.get_secret_value()).address
    return trust_anchor_of(chain, recorder)


def published_trust_anchor(runtime: Runtime) -> TrustAnchorPublic:
    """The trust anchor of the chain and contract this service anchors to. Raises
    ``ChainNotReadable`` (503) while no chain is attached or it cannot be read."""
    from ledger.chain import ChainError

    handle = runtime.chain
    if handle is None:
        raise ChainNotReadable("this exchange has no anchor chain attached")
    try:
        anchor = trust_anchor(handle.get(), runtime.settings)
    except ChainError as exc:
        raise ChainNotReadable(f"the anchor chain cannot be read right now: {exc}") from None
    return TrustAnchorPublic.model_validate(anchor.document())


def connected_trust_anchor(runtime: Runtime) -> TrustAnchorPublic | None:
    """The trust anchor when the chain is already connected, else None: for pages, which must
    not wait for a chain that is down."""
    from ledger.chain import ChainError

    chain = None if runtime.chain is None else runtime.chain.connected
    if chain is None:
        return None
    try:
        return TrustAnchorPublic.model_validate(trust_anchor(chain, runtime.settings).document())
    except ChainError:
        return None


def list_entries(
    session: Session, *, after_seq: int, limit: int, kind: str | None, subject: str | None
) -> EntryPage:
    rows = repository.list_entries(
        session, after_seq=after_seq, limit=limit, kind=kind, subject=subject
    )
    batches = repository.batch_ids_for(session, rows[0].seq, rows[-1].seq) if rows else []
    items: list[EntryPublic] = []
    i = 0
    for row in rows:
        while i < len(batches) and batches[i][2] < row.seq:
            i += 1
        batch_id = batches[i][0] if i < len(batches) and batches[i][1] <= row.seq else None
        items.append(
            EntryPublic(
                seq=row.seq,
                kind=row.kind,
                subject=row.subject,
                actor=row.actor,
                payload=json.loads(row.payload_json),
                signature=row.signature,
                recorded_at=row.recorded_at,
                prev_hash=row.prev_hash,
                entry_hash=row.entry_hash,
                batch_id=batch_id,
            )
        )
    next_after = items[-1].seq if len(items) == limit else None
    return EntryPage(items=items, limit=limit, after_seq=after_seq, next_after_seq=next_after)


def list_batches(session: Session, *, after_id: int, limit: int) -> BatchPage:
    rows = repository.list_batches(session, after_id=after_id, limit=limit)
    items = [BatchPublic.model_validate(row, from_attributes=True) for row in rows]
    next_after = items[-1].id if len(items) == limit else None
    return BatchPage(items=items, limit=limit, after_id=after_id, next_after_id=next_after)


def receipt(session: Session, seq: int) -> dict[str, Any]:
    try:
        return receipts.build_receipt(session, seq)
    except EntryNotFound as exc:
        raise UnknownEntry(str(exc)) from None
    except NotAnchored as exc:
        raise EntryNotAnchored(str(exc)) from None


def entry(session: Session, seq: int) -> EntryPublic:
    """One entry with its batch id; 404 ``entry_not_found`` when there is none."""
    found = list_entries(session, after_seq=seq - 1, limit=1, kind=None, subject=None).items
    if not found or found[0].seq != seq:
        raise UnknownEntry(f"no journal entry {seq}")
    return found[0]


def batch(session: Session, batch_id: int) -> BatchPublic | None:
    found = list_batches(session, after_id=batch_id - 1, limit=1).items
    return found[0] if found and found[0].id == batch_id else None


@dataclass(frozen=True)
class LedgerSummary:
    entries: int  # the journal's last seq (seqs are gapless from 1)
    last_anchored_seq: int  # last seq of a mined (sent or confirmed) batch; 0 if none
    last_anchored_batch: BatchPublic | None


def summary(session: Session) -> LedgerSummary:
    """How long the journal is and how far it is anchored, with the batch that got there."""
    progress = anchoring_progress(session)
    last = progress.last_anchored_seq
    found = batch(session, entry(session, last).batch_id or 0) if last else None
    return LedgerSummary(progress.journal_last_seq, last, found)
