"""The dispute dossier: the console view (every record of the case in time order, each checked
live: signature, stored bytes, anchoring) and the exported zip that ``bourse verify`` checks
against the chain alone (docs/disputes.md, "The dossier and its verification").

Who sees it: ``access.readable_dispute`` (the parties and the drawn arbitrators: it holds the
evidence's contents; operators, who see a dispute's metadata, and anyone else get 404). Reading
it writes nothing.

The evidence is the evidence service's (``service/evidence.py``): a party's bytes are read with
``content_of`` (decrypted, checked against the recorded SHA-256), the document its submitter
signed with ``signed_document`` (the EIP-712 ``Evidence`` of ``evidence_document.py``), and its
``evidence.submitted`` entry holds ``sha256`` and ``digest``. A system record is the journal
entry itself (``records.py``): its bytes are the entry's canonical JSON. The opener's statement
is on the dispute row; its ``dispute.opened`` entry holds ``statement_sha256``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ledger.errors import NotAnchored
from ledger.journal import entry_document
from ledger.models import AnchorBatch, BatchStatus, JournalEntry, as_utc
from ledger.receipts import batch_of, build_receipt
from ledger.verify.dossier import DOSSIER_VERSION
from ledger.verify.signer import entry_signer
from marketplace import limits
from marketplace.blobs import BlobStore
from marketplace.disputes import repository
from marketplace.disputes.dossier_schemas import (
    AnchorCheck,
    DossierView,
    EvidenceItem,
    HashCheck,
    RecordView,
    SignatureCheck,
    Statement,
)
from marketplace.disputes.errors import DossierTooLarge, EvidenceAltered
from marketplace.disputes.models import Dispute, Evidence, Ruling
from marketplace.disputes.service import evidence as evidence_service
from marketplace.disputes.service.access import readable_dispute
from marketplace.identity import signing
from marketplace.orders import service as orders
from marketplace.principal import Principal
from marketplace.settings import Settings

EVIDENCE_SUBMITTED_KIND = evidence_service.SUBMITTED_KIND
OPENING_STATEMENT_FILE = "statements/opening.txt"
OPENING_STATEMENT_TITLE = "Opening statement"
_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _content(session: Session, settings: Settings, store: BlobStore, row: Evidence) -> bytes | None:
    """The item's bytes as the evidence service serves them; None when they are gone, no
    longer decrypt or no longer match the recorded hash."""
    try:
        return evidence_service.content_of(session, settings, store, row)
    except EvidenceAltered:
        return None


# ------------------------------------------------------------------------------ the checks


def _anchor(batch: AnchorBatch | None) -> AnchorCheck:
    if batch is None:
        return AnchorCheck(status="not_yet_anchored", detail="not yet anchored: in no batch yet")
    if batch.status != BatchStatus.confirmed or batch.block_number is None:
        return AnchorCheck(
            status="pending",
            batch=batch.id,
            chain_id=batch.chain_id,
            contract=batch.contract,
            detail=f"not yet anchored: batch {batch.id} is {batch.status}",
        )
    at = None if batch.confirmed_at is None else as_utc(batch.confirmed_at)
    return AnchorCheck(
        status="anchored",
        batch=batch.id,
        block_number=batch.block_number,
        chain_id=batch.chain_id,
        contract=batch.contract,
        tx_hash=batch.tx_hash,
        anchored_at=at,
        detail=f"anchored in batch {batch.id} at block {batch.block_number} on chain "
        f"{batch.chain_id}" + ("" if at is None else f", at {at.isoformat()}"),
    )


def _entry_signature(entry: JournalEntry) -> SignatureCheck:
    """An entry signed over a digest its payload holds: recovered against its actor."""
    if entry.signature is None:
        return SignatureCheck(status="unsigned", detail="the entry carries no signature")
    try:
        signer = entry_signer(entry_document(entry))
    except ValueError as exc:
        return SignatureCheck(status="invalid", detail=str(exc))
    if signer is None:
        return SignatureCheck(
            status="not_checked", detail="signed, but the entry holds no digest to check"
        )
    if signer.lower() != entry.actor.lower():
        return SignatureCheck(
            status="invalid", signer=signer, detail=f"recovers to {signer}, not {entry.actor}"
        )
    return SignatureCheck(status="valid", signer=signer, detail=f"signed by {signer}")


def _evidence_signature(
    session: Session, row: Evidence, entry: JournalEntry, payload: dict[str, Any]
) -> SignatureCheck:
    """A party's item: the submitter's EIP-712 signature over the evidence service's document,
    by the address the entry names; the entry holds that document's digest."""
    if row.signature is None or row.signer is None:
        return SignatureCheck(status="invalid", detail="a party's item carries no signature")
    try:
        typed = evidence_service.signed_document(session, row)
        assert typed is not None
        signer = signing.recover(typed, row.signature)
    except (KeyError, ValueError, signing.SignatureError) as exc:
        return SignatureCheck(status="invalid", detail=str(exc)[:200])
    problems = []
    if signer.lower() != row.signer.lower():
        problems.append(f"recovers to {signer}, not {row.signer}")
    if signer.lower() != entry.actor.lower():
        problems.append(f"the entry names {entry.actor}")
    if (entry.signature or "").lower() != row.signature.lower():
        problems.append("the entry carries another signature")
    if str(payload.get("digest", "")).lower() != signing.digest(typed).lower():
        problems.append("the entry holds the digest of another document")
    if problems:
        return SignatureCheck(status="invalid", signer=signer, detail="; ".join(problems))
    return SignatureCheck(status="valid", signer=signer, detail=f"signed by {signer}")


def _hash(row: Evidence, content: bytes | None, payload: dict[str, Any]) -> HashCheck:
    """The stored bytes against the row and the entry (a system record's entry is its record:
    its bytes are the entry's canonical JSON)."""
    if content is None:
        return HashCheck(
            status="missing",
            detail="the stored bytes are missing, do not decrypt or no longer match the record",
        )
    actual = hashlib.sha256(content).hexdigest()
    recorded = row.sha256 if row.source != "party" else str(payload.get("sha256", "")).lower()
    if actual != row.sha256 or actual != recorded.removeprefix("0x"):
        return HashCheck(
            status="differs",
            sha256=actual,
            detail=f"the stored bytes hash to {actual}; the record says {row.sha256}, the entry "
            f"{payload.get('sha256')}",
        )
    return HashCheck(status="matches", sha256=actual, detail="the stored bytes match the entry")


def _statement_hash(dispute: Dispute, payload: dict[str, Any]) -> HashCheck:
    """The opener's statement, stored on the dispute, against its ``dispute.opened`` entry."""
    actual = hashlib.sha256(dispute.statement.encode()).hexdigest()
    if actual != str(payload.get("statement_sha256", "")).lower():
        return HashCheck(
            status="differs",
            sha256=actual,
            detail=f"the opening statement hashes to {actual}; the entry says "
            f"{payload.get('statement_sha256')}",
        )
    return HashCheck(
        status="matches", sha256=actual, detail="the opening statement matches the entry"
    )


def _ruling_signature(ruling: Ruling, entry: JournalEntry) -> SignatureCheck:
    try:
        signer = signing.recover(ruling.document, ruling.signature)
    except signing.SignatureError as exc:
        return SignatureCheck(status="invalid", detail=str(exc)[:200])
    if signer.lower() not in (ruling.signer.lower(), entry.actor.lower()):
        return SignatureCheck(status="invalid", signer=signer, detail=f"recovers to {signer}")
    return SignatureCheck(status="valid", signer=signer, detail=f"signed by {signer}")


# ------------------------------------------------------------------------------ the case


@dataclass(frozen=True)
class _Case:
    dispute: Dispute
    evidence: list[Evidence]
    rulings: list[Ruling]
    entries: dict[int, JournalEntry]  # every entry the dossier shows or attaches, by seq
    record_seqs: list[int]  # the case's own entries and each evidence.submitted, in order


def _case(session: Session, dispute: Dispute) -> _Case:
    assert dispute.id is not None
    evidence = repository.evidence_of(session, dispute.id)
    rulings = repository.rulings_of(session, dispute.id)
    own = set(repository.entry_seqs_about(session, f"dispute:{dispute.id}"))
    own |= {dispute.opened_seq, dispute.executed_seq or 0}
    own |= {a.drawn_seq for a in repository.assignments(session, dispute.id)}
    own |= {r.journal_seq for r in rulings} | {e.journal_seq for e in evidence}
    own.discard(0)
    attached = {e.record_seq for e in evidence if e.record_seq}
    entries = {e.seq: e for e in repository.journal_entries(session, own | attached)}
    assert all(isinstance(s, int) for s in entries)
    return _Case(dispute, evidence, rulings, entries, sorted(s for s in own if s in entries))


def _payload(entry: JournalEntry) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(entry.payload_json)
    return found


def dossier_view(
    session: Session, settings: Settings, store: BlobStore, principal: Principal, dispute_id: int
) -> DossierView:
    """The console: every record of the case in time order, checked live."""
    dispute = readable_dispute(session, principal, dispute_id)
    case = _case(session, dispute)
    by_entry = {e.journal_seq: e for e in case.evidence}
    rulings = {r.journal_seq: r for r in case.rulings}
    records: list[RecordView] = []
    statements: list[Statement] = []
    for seq in case.record_seqs:
        entry = case.entries[seq]
        payload = _payload(entry)
        anchor = _anchor(batch_of(session, seq))
        row = by_entry.get(seq)
        item = None
        if row is None:
            ruling = rulings.get(seq)
            signature = (
                _entry_signature(entry) if ruling is None else _ruling_signature(ruling, entry)
            )
            if seq == dispute.opened_seq:
                hashed = _statement_hash(dispute, payload)
                statements.append(
                    Statement(
                        evidence_id=None,
                        side=dispute.opener_side,
                        title=OPENING_STATEMENT_TITLE,
                        text=dispute.statement,
                        seq=seq,
                    )
                )
            else:
                hashed = HashCheck(status="not_applicable", detail="the record is the entry")
        else:
            content = _content(session, settings, store, row)
            hashed = _hash(row, content, payload)
            if row.source == "party":
                signature = _evidence_signature(session, row, entry, payload)
            else:  # the exchange's record: its own signature (the buyer's, on the order)
                signature = _entry_signature(entry)
            assert row.id is not None
            item = EvidenceItem(
                id=row.id,
                source=row.source,
                side=row.side,
                kind=row.kind,
                title=row.title,
                media_type=row.media_type,
                size_bytes=row.size_bytes,
                sha256=row.sha256,
                record_seq=row.record_seq,
                record_kind=None if row.record_seq is None else entry.kind,
                record_anchor=None if row.record_seq is None else anchor,
            )
            if row.kind == "statement" and content is not None:
                statements.append(
                    Statement(
                        evidence_id=row.id,
                        side=row.side,
                        title=row.title,
                        text=content.decode("utf-8", errors="replace"),
                        seq=seq,
                    )
                )
        document = entry_document(entry)
        records.append(
            RecordView(
                seq=seq,
                kind=entry.kind,
                subject=entry.subject,
                actor=entry.actor,
                recorded_at=document["recorded_at"],
                payload=payload,
                evidence=item,
                signature=signature,
                hash=hashed,
                anchor=anchor,
            )
        )
    # A dispute on an ownership objection has no order: no terms, no quality checks.
    order = None if dispute.order_id is None else orders.get_order_view(session, dispute.order_id)
    assert dispute.id is not None
    return DossierView(
        dispute_id=dispute.id,
        order_id=dispute.order_id,
        period=dispute.period or None,
        objection_id=dispute.objection_id,
        status=dispute.status,
        reason=dispute.reason,
        round=dispute.round,
        opener_side=dispute.opener_side,
        evidence_closes_at=as_utc(dispute.evidence_closes_at),
        appeal_closes_at=None
        if dispute.appeal_closes_at is None
        else as_utc(dispute.appeal_closes_at),
        outcome=dispute.outcome,
        supplier_bp=dispute.supplier_bp,
        terms_hash=None if order is None else order.terms_hash,
        terms={} if order is None else order.terms,
        records=records,
        statements=statements,
        quality_checks=[]
        if dispute.order_id is None
        else orders.order_quality_checks(session, dispute.order_id),
    )


# ------------------------------------------------------------------------------ the export


def _file_name(row: Evidence) -> str:
    stem = _NAME.sub("-", row.title).strip("-.")[:60] or row.kind
    if row.kind == "statement" and not stem.endswith(".txt"):
        stem += ".txt"
    if row.source != "party" and not stem.endswith(".json"):
        stem += ".json"  # a system record: its journal entry's canonical JSON
    return f"evidence/{row.id}-{stem}"


class _Zip:
    """The zip in memory, refusing to grow past ``limits.dossier_bytes_max``."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.archive = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED)
        self.total = 0

    def add(self, name: str, data: bytes) -> None:
        self.total += len(data)
        if self.total > limits.dossier_bytes_max:
            raise DossierTooLarge(
                f"the dossier is over {limits.dossier_bytes_max} bytes; fetch the evidence files "
                "one by one"
            )
        self.archive.writestr(name, data)

    def close(self) -> bytes:
        self.archive.close()
        return self.buffer.getvalue()


def _json_bytes(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _receipt_name(
    session: Session, seq: int, out: _Zip, written: dict[int, str | None]
) -> str | None:
    """Write entry ``seq``'s receipt once; None when it is not anchored yet."""
    if seq not in written:
        try:
            receipt = build_receipt(session, seq)
        except NotAnchored:
            written[seq] = None
        else:
            name = f"receipts/{seq}.json"
            out.add(name, json.dumps(receipt, indent=2).encode())
            written[seq] = name
    return written[seq]


def _addresses(case: _Case) -> dict[str, set[str]]:
    """Each side's addresses: the opening entry's actor, and every party evidence's signer."""
    dispute = case.dispute
    addresses: dict[str, set[str]] = {"buyer": set(), "supplier": set()}
    opened = case.entries.get(dispute.opened_seq)
    if opened is not None:
        addresses[dispute.opener_side].add(opened.actor)
    for row in case.evidence:
        if row.source == "party" and row.side in addresses and row.signer:
            addresses[row.side].add(row.signer)
    return addresses


def _meta(
    session: Session, case: _Case, chain_id: int | None, contract: str | None
) -> dict[str, Any]:
    dispute = case.dispute
    if dispute.order_id is None:
        return _objection_meta(case, chain_id, contract)
    order = orders.get_order_view(session, dispute.order_id)
    addresses = _addresses(case)
    what = f"order {dispute.order_id}"
    if dispute.period:
        what = f"period {dispute.period} of {what}"
    return {
        "version": DOSSIER_VERSION,
        "title": f"Dispute {dispute.id} on {what}",
        "description": (
            f"The {dispute.opener_side} disputes {what} ({dispute.reason}). "
            "Every item below is a journal entry of the exchange, anchored on chain; its receipt "
            "is under receipts/. Verify with `bourse verify dossier.zip --chain URL`."
        ),
        "question": (
            f"How should the escrowed price of {what} be divided between its supplier and its "
            "buyer?"
        ),
        "rulingOptions": {
            "type": "split_bp",
            "titles": ["release", "refund", "split"],
            "descriptions": [
                "Release the price to the supplier (supplier_bp 10000).",
                "Refund the price to the buyer (supplier_bp 0).",
                "Split: supplier_bp basis points (0-10000) to the supplier, the rest refunded.",
            ],
        },
        "dispute": {
            "id": dispute.id,
            "order_id": dispute.order_id,
            "period": dispute.period or None,
            "reason": dispute.reason,
            "status": dispute.status,
            "round": dispute.round,
            "opener_side": dispute.opener_side,
            "opened_seq": dispute.opened_seq,
            "outcome": dispute.outcome,
            "supplier_bp": dispute.supplier_bp,
        },
        "parties": {
            side: {
                "organization_id": dispute.buyer_organization_id
                if side == "buyer"
                else dispute.supplier_organization_id,
                "addresses": sorted(found),
            }
            for side, found in addresses.items()
        },
        "order": {
            "id": order.id,
            "placed_seq": order.placed_seq,
            "terms_hash": order.terms_hash,
            "terms": order.terms,
        },
        "chain": {"chain_id": chain_id, "contract": contract},
    }


def _objection_meta(case: _Case, chain_id: int | None, contract: str | None) -> dict[str, Any]:
    """``dossier.json`` of a dispute on an ownership objection (docs/disputes.md): the objector
    stands on the buyer side, the asset's owner on the supplier side; no order, no escrow."""
    dispute = case.dispute
    addresses = _addresses(case)
    return {
        "version": DOSSIER_VERSION,
        "title": f"Dispute {dispute.id} on objection {dispute.objection_id}",
        "description": (
            f"The {'objector' if dispute.opener_side == 'buyer' else 'owner'} escalated "
            f"objection {dispute.objection_id} ({dispute.reason}) to arbitration. Every item "
            "below is a journal entry of the exchange, anchored on chain; its receipt is under "
            "receipts/. Verify with `bourse verify dossier.zip --chain URL`."
        ),
        "question": "Who owns the asset: should its registration be transferred to the objector, "
        "cancelled, or left with its owner?",
        "rulingOptions": {
            "type": "single_select",
            "titles": ["transfer", "cancel", "dismiss"],
            "descriptions": [
                "Transfer the asset to the objector's organisation.",
                "Cancel the asset's registration.",
                "Dismiss the objection: the asset stays with its owner.",
            ],
        },
        "dispute": {
            "id": dispute.id,
            "objection_id": dispute.objection_id,
            "reason": dispute.reason,
            "status": dispute.status,
            "round": dispute.round,
            "opener_side": dispute.opener_side,
            "opened_seq": dispute.opened_seq,
            "outcome": dispute.outcome,
        },
        "parties": {
            side: {
                "role": "objector" if side == "buyer" else "owner",
                "organization_id": dispute.buyer_organization_id
                if side == "buyer"
                else dispute.supplier_organization_id,
                "addresses": sorted(found),
            }
            for side, found in addresses.items()
        },
        "chain": {"chain_id": chain_id, "contract": contract},
    }


def dossier_zip(
    session: Session,
    settings: Settings,
    store: BlobStore,
    principal: Principal,
    dispute_id: int,
    *,
    chain_id: int | None,
    contract: str | None,
) -> bytes:
    """The exported case: ``dossier.json``, ``manifest.json``, ``evidence/<id>-<name>`` and
    ``receipts/<seq>.json`` (see the module docstring of ``ledger.verify.dossier``)."""
    dispute = readable_dispute(session, principal, dispute_id)
    case = _case(session, dispute)
    by_entry = {e.journal_seq: e for e in case.evidence}
    out = _Zip()
    written: dict[int, str | None] = {}
    items: list[dict[str, Any]] = []
    for seq in case.record_seqs:
        entry = case.entries[seq]
        receipt = _receipt_name(session, seq, out, written)
        row = by_entry.get(seq)
        if row is None and seq == dispute.opened_seq:  # the opener's statement
            out.add(OPENING_STATEMENT_FILE, dispute.statement.encode())
            items.append(
                {
                    "id": "statement-opening", "type": "statement", "kind": entry.kind,
                    "title": f"{OPENING_STATEMENT_TITLE} ({dispute.opener_side})",
                    "source": "party", "side": dispute.opener_side,
                    "file": OPENING_STATEMENT_FILE,
                    "sha256": hashlib.sha256(dispute.statement.encode()).hexdigest(),
                    "seq": seq, "receipt": receipt,
                }
            )  # fmt: skip
            continue
        if row is None:
            items.append(
                {
                    "id": f"entry-{seq}", "type": "record", "kind": entry.kind,
                    "title": entry.kind, "source": "journal", "side": None, "file": None,
                    "sha256": None, "seq": seq, "receipt": receipt,
                }
            )  # fmt: skip
            continue
        assert row.id is not None
        item: dict[str, Any] = {
            "id": f"evidence-{row.id}", "type": "evidence", "kind": row.kind, "title": row.title,
            "source": row.source, "side": row.side, "file": None, "sha256": row.sha256,
            "seq": seq, "receipt": receipt,
        }  # fmt: skip
        content = _content(session, settings, store, row)
        if content is not None:
            item["file"] = _file_name(row)
            out.add(item["file"], content)
        typed = evidence_service.signed_document(session, row)
        if typed is not None:
            item |= {
                "signer": row.signer,
                "signature": row.signature,
                "typed_data": signing.wallet_json(typed),
            }
        items.append(item)
    meta = _meta(session, case, chain_id, contract)
    meta["unanchored"] = sorted(seq for seq, name in written.items() if name is None)
    out.add("dossier.json", _json_bytes(meta))
    out.add("manifest.json", _json_bytes({"version": DOSSIER_VERSION, "items": items}))
    return out.close()
