"""The dispute dossier: the console view (every record of the case in time order, each checked
live: signature, stored bytes, anchoring) and the exported zip that ``bourse verify`` checks
against the chain alone (docs/disputes.md, "The dossier and its verification").

Who sees it: ``access.visible_dispute`` (the parties, the drawn arbitrators, operators; 404 to
anyone else). Reading it writes nothing.

What the dossier relies on, from the evidence service (docs/disputes.md lists it):

- a party's item is stored as ``wrapped data key || envelope ciphertext`` under ``blob_key``,
  the data key wrapped by the master key with the context ``dispute-evidence|<sha256>``
  (``evidence_plaintext``, ``store_evidence_blob``);
- its ``evidence.submitted`` entry is signed by the submitter (``actor``, ``signature``) and its
  payload holds ``dispute_id``, ``evidence_id``, ``sha256``, ``evidence_digest`` (the EIP-712
  digest of ``evidence_typed_data``), ``chain_id`` and ``verifying_contract``, and for a system
  item ``record_seq``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ledger.errors import NotAnchored
from ledger.journal import entry_document
from ledger.models import AnchorBatch, BatchStatus, JournalEntry, as_utc
from ledger.receipts import batch_of, build_receipt
from ledger.verify.dossier import DOSSIER_VERSION, entry_signer
from marketplace import limits
from marketplace.blobs import BlobNotFound, BlobStore, DecryptionError, decrypt_stream, unwrap_key
from marketplace.blobs.envelope import (
    KEY_BYTES,
    TAG_BYTES,
    WRAP_NONCE_BYTES,
    StreamEncryptor,
    new_data_key,
    wrap_key,
)
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
from marketplace.disputes.evidence_errors import EvidenceNotFound
from marketplace.disputes.models import Dispute, Evidence, Ruling
from marketplace.disputes.service.access import visible_dispute
from marketplace.identity import signing
from marketplace.orders import service as orders
from marketplace.principal import Principal
from marketplace.settings import Settings

EVIDENCE_SUBMITTED_KIND = "evidence.submitted"
WRAPPED_KEY_BYTES = WRAP_NONCE_BYTES + KEY_BYTES + TAG_BYTES
_NAME = re.compile(r"[^A-Za-z0-9._-]+")

#: The EIP-712 document a party signs when it submits an item (the evidence service's).
EVIDENCE_TYPES: dict[str, list[dict[str, str]]] = {
    "Evidence": [
        {"name": "disputeId", "type": "uint256"},
        {"name": "side", "type": "string"},
        {"name": "kind", "type": "string"},
        {"name": "title", "type": "string"},
        {"name": "mediaType", "type": "string"},
        {"name": "sizeBytes", "type": "uint256"},
        {"name": "sha256", "type": "bytes32"},
    ]
}


def evidence_typed_data(row: Evidence, domain: Mapping[str, Any]) -> dict[str, Any]:
    """The document ``row``'s submitter signed, under the exchange's EIP-712 ``domain``."""
    message = {
        "disputeId": row.dispute_id,
        "side": row.side or "",
        "kind": row.kind,
        "title": row.title,
        "mediaType": row.media_type,
        "sizeBytes": row.size_bytes,
        "sha256": "0x" + row.sha256,
    }
    return signing.typed_data_in(domain, "Evidence", EVIDENCE_TYPES, message)


def _context(sha256_hex: str) -> bytes:
    return b"dispute-evidence|" + sha256_hex.encode()


def store_evidence_blob(settings: Settings, store: BlobStore, plaintext: bytes) -> str:
    """Encrypt and store an item's bytes; return its blob key (the evidence service's layout)."""
    data_key = new_data_key()
    encryptor = StreamEncryptor(data_key)
    digest = hashlib.sha256(plaintext).hexdigest()
    with store.writer() as writer:
        writer.write(wrap_key(settings.master_key_bytes, data_key, _context(digest)))
        writer.write(encryptor.header)
        writer.write(encryptor.update(plaintext))
        writer.write(encryptor.finish())
        return writer.commit()


def evidence_plaintext(settings: Settings, store: BlobStore, row: Evidence) -> bytes | None:
    """The item's stored bytes, decrypted; None when it has no blob, or the blob is missing or
    does not decrypt (altered, or under another key)."""
    if row.blob_key is None:
        return None
    try:
        with store.open(row.blob_key) as source:
            wrapped = source.read(WRAPPED_KEY_BYTES)
            data_key = unwrap_key(settings.master_key_bytes, wrapped, _context(row.sha256))
            return b"".join(decrypt_stream(data_key, source))
    except (BlobNotFound, DecryptionError, OSError, ValueError):
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
    signer = entry_signer(entry_document(entry))
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
    row: Evidence, entry: JournalEntry, payload: dict[str, Any]
) -> SignatureCheck:
    """A party's item: the submitter's EIP-712 signature over the document the entry holds the
    digest of, by the address the entry names."""
    if row.signature is None or row.signer is None:
        return SignatureCheck(status="invalid", detail="a party's item carries no signature")
    try:
        domain = signing.domain(int(payload["chain_id"]), str(payload["verifying_contract"]))
        typed = evidence_typed_data(row, domain)
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
    if str(payload.get("evidence_digest", "")).lower() != signing.digest(typed).lower():
        problems.append("the entry holds the digest of another document")
    if problems:
        return SignatureCheck(status="invalid", signer=signer, detail="; ".join(problems))
    return SignatureCheck(status="valid", signer=signer, detail=f"signed by {signer}")


def _hash(row: Evidence, plaintext: bytes | None, payload: dict[str, Any]) -> HashCheck:
    if row.blob_key is None:
        return HashCheck(status="not_applicable", detail="no stored bytes: the record is the entry")
    if plaintext is None:
        return HashCheck(status="missing", detail="the stored bytes are missing or do not decrypt")
    actual = hashlib.sha256(plaintext).hexdigest()
    if actual != row.sha256 or actual != str(payload.get("sha256", "")).lower().removeprefix("0x"):
        return HashCheck(
            status="differs",
            sha256=actual,
            detail=f"the stored bytes hash to {actual}; the record says {row.sha256}, the entry "
            f"{payload.get('sha256')}",
        )
    return HashCheck(status="matches", sha256=actual, detail="the stored bytes match the entry")


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
    dispute = visible_dispute(session, principal, dispute_id)
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
            hashed = HashCheck(status="not_applicable", detail="the record is the entry")
        else:
            plaintext = evidence_plaintext(settings, store, row)
            hashed = _hash(row, plaintext, payload)
            record = case.entries.get(row.record_seq or 0)
            if row.source == "party":
                signature = _evidence_signature(row, entry, payload)
            else:  # the exchange's record: its own signature (the buyer's, on the order)
                signature = _entry_signature(entry if record is None else record)
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
                record_kind=None if record is None else record.kind,
                record_anchor=None if record is None else _anchor(batch_of(session, record.seq)),
            )
            if row.kind == "statement" and plaintext is not None:
                statements.append(
                    Statement(
                        evidence_id=row.id,
                        side=row.side,
                        title=row.title,
                        text=plaintext.decode("utf-8", errors="replace"),
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


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    media_type: str
    sha256: str
    content: bytes


def evidence_file(
    session: Session,
    settings: Settings,
    store: BlobStore,
    principal: Principal,
    *,
    dispute_id: int,
    evidence_id: int,
) -> EvidenceFile:
    """One item's stored bytes, decrypted and checked against its hash, for the console's
    readers; 404 for an item of another dispute, 409 when the bytes no longer match."""
    dispute = visible_dispute(session, principal, dispute_id)
    assert dispute.id is not None
    row = next(
        (e for e in repository.evidence_of(session, dispute.id) if e.id == evidence_id), None
    )
    if row is None or row.blob_key is None:
        raise EvidenceNotFound(f"dispute {dispute_id} has no evidence file {evidence_id}")
    plaintext = evidence_plaintext(settings, store, row)
    if plaintext is None or hashlib.sha256(plaintext).hexdigest() != row.sha256:
        raise EvidenceAltered(
            f"evidence {evidence_id}'s stored bytes are missing or no longer match its hash "
            f"{row.sha256}"
        )
    return EvidenceFile(
        _file_name(row).removeprefix("evidence/"), row.media_type, row.sha256, plaintext
    )


# ------------------------------------------------------------------------------ the export


def _file_name(row: Evidence) -> str:
    stem = _NAME.sub("-", row.title).strip("-.")[:60] or row.kind
    if row.kind == "statement" and not stem.endswith(".txt"):
        stem += ".txt"
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


def _meta(
    session: Session, case: _Case, chain_id: int | None, contract: str | None
) -> dict[str, Any]:
    dispute = case.dispute
    if dispute.order_id is None:
        return _objection_meta(case, chain_id, contract)
    order = orders.get_order_view(session, dispute.order_id)
    addresses: dict[str, set[str]] = {"buyer": set(), "supplier": set()}
    opened = case.entries.get(dispute.opened_seq)
    if opened is not None:
        addresses[dispute.opener_side].add(opened.actor)
    for row in case.evidence:
        if row.source == "party" and row.side in addresses and row.signer:
            addresses[row.side].add(row.signer)
    return {
        "version": DOSSIER_VERSION,
        "title": f"Dispute {dispute.id} on order {dispute.order_id}",
        "description": (
            f"The {dispute.opener_side} disputes order {dispute.order_id} ({dispute.reason}). "
            "Every item below is a journal entry of the exchange, anchored on chain; its receipt "
            "is under receipts/. Verify with `bourse verify dossier.zip --chain URL`."
        ),
        "question": (
            f"How should the escrowed price of order {dispute.order_id} be divided between its "
            "supplier and its buyer?"
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
    addresses: dict[str, set[str]] = {"buyer": set(), "supplier": set()}
    opened = case.entries.get(dispute.opened_seq)
    if opened is not None:
        addresses[dispute.opener_side].add(opened.actor)
    for row in case.evidence:
        if row.source == "party" and row.side in addresses and row.signer:
            addresses[row.side].add(row.signer)
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
    dispute = visible_dispute(session, principal, dispute_id)
    case = _case(session, dispute)
    by_entry = {e.journal_seq: e for e in case.evidence}
    out = _Zip()
    written: dict[int, str | None] = {}
    items: list[dict[str, Any]] = []
    for seq in case.record_seqs:
        entry = case.entries[seq]
        receipt = _receipt_name(session, seq, out, written)
        row = by_entry.get(seq)
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
            "seq": seq, "receipt": receipt, "signer": row.signer, "signature": row.signature,
        }  # fmt: skip
        plaintext = evidence_plaintext(settings, store, row)
        if plaintext is not None:
            item["file"] = _file_name(row)
            out.add(item["file"], plaintext)
        if row.source == "party" and row.signature is not None:
            payload = _payload(entry)
            domain = signing.domain(int(payload["chain_id"]), str(payload["verifying_contract"]))
            item["typed_data"] = evidence_typed_data(row, domain)
        if row.record_seq:
            item["record_seq"] = row.record_seq
            item["record_receipt"] = _receipt_name(session, row.record_seq, out, written)
        items.append(item)
    meta = _meta(session, case, chain_id, contract)
    meta["unanchored"] = sorted(seq for seq, name in written.items() if name is None)
    out.add("dossier.json", _json_bytes(meta))
    out.add("manifest.json", _json_bytes({"version": DOSSIER_VERSION, "items": items}))
    return out.close()
