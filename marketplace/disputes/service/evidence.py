"""The parties' evidence: files and statements, each stored encrypted, hashed, signed (EIP-712
``Evidence``) by its submitter and journaled as ``evidence.submitted``; and the reads of every
item, the exchange's records included (docs/disputes.md, "Evidence").

Submitting, in the caller's transaction (it never commits):

1. The dispute, under its row lock: 404 unless the caller may see it; 403 unless the caller's
   (verified) organisation is one of its two parties: arbitrators and operators read evidence,
   they do not submit it.
2. Submissions are open: the dispute is ``open`` (``lifecycle.TAKES_EVIDENCE``) and its
   deadline ``evidence_closes_at`` has not passed (409 ``evidence_closed`` naming it); the
   side has submitted fewer than ``evidence_items_per_side_max`` items (each side its own
   quota, the exchange's records apart, so neither side can crowd the other out); the same
   side has not submitted the same bytes as the same kind (409 ``evidence_exists``, which also
   makes a replayed signature useless).
3. The signature: a custodial submitter's is made with its exchange-held key over
   ``submittedAt`` = now; a self-custody submitter sends its own, with the ``submittedAt`` it
   signed (at most ``evidence_clock_skew_s`` from now, and before ``evidence_closes_at``: 409
   ``evidence_closed`` naming it, so no item is stamped after the deadline), and it must
   recover to its address.
4. The respondent's arbitration fee, with its side's first submission: ``arbitration_fee_minor``
   is held from its available money (transfer ``dispute-{id}-fee-respondent``: a books transfer
   id takes no colon); 409 ``insufficient_funds`` refuses the whole submission.
5. The bytes are encrypted under a fresh data key (wrapped by the master key, bound to the blob)
   and the blob is written; then the row and the journal entry. Nothing can refuse the request
   after the blob is written, so a refusal never leaves a blob; a failed commit may leave one,
   which is ciphertext whose key was never stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc
from marketplace import archives, limits
from marketplace.assets.service import SigningContext
from marketplace.blobs import BlobNotFound, DecryptionError
from marketplace.blobs.envelope import (
    StreamEncryptor,
    decrypt_stream,
    new_data_key,
    unwrap_key,
    wrap_key,
)
from marketplace.blobs.store import BlobStore
from marketplace.books import service as books
from marketplace.disputes import evidence_repository as repository
from marketplace.disputes.errors import EvidenceAltered, EvidenceClosed, NotDisputeParty
from marketplace.disputes.evidence_document import EvidenceToSign
from marketplace.disputes.evidence_errors import (
    EvidenceArchiveTooLarge,
    EvidenceExists,
    EvidenceLimitReached,
    EvidenceNotFound,
    EvidenceTooLarge,
    InvalidEvidence,
)
from marketplace.disputes.evidence_schemas import EvidenceList, EvidencePublic
from marketplace.disputes.lifecycle import TAKES_EVIDENCE, DisputeStatus
from marketplace.disputes.models import Dispute, Evidence, Side
from marketplace.disputes.service.access import (
    readable_dispute,
    side_of,
    visible_dispute,
)
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.principal import Principal, check_verified_organization
from marketplace.settings import Settings

SUBMITTED_KIND = "evidence.submitted"
FILE = "file"
STATEMENT = "statement"
STATEMENT_MEDIA_TYPE = "text/plain; charset=utf-8"
PARTY = "party"
SYSTEM = "system"


@dataclass(frozen=True)
class Submission:
    """What a party submits: the bytes, what they are, and (self-custody) its signature over
    the ``Evidence`` document with the ``submitted_at`` it signed."""

    kind: str
    content: bytes
    title: str
    media_type: str
    signature: str | None = None
    submitted_at: int | None = None


def fee_transfer_id(dispute_id: int) -> str:
    return f"dispute-{dispute_id}-fee-respondent"


def deadline_text(dispute: Dispute) -> str:
    return as_utc(dispute.evidence_closes_at).isoformat().replace("+00:00", "Z")


def check_open(dispute: Dispute, now: datetime) -> None:
    """409 ``evidence_closed`` naming the deadline unless the dispute takes evidence now."""
    closes = as_utc(dispute.evidence_closes_at)
    if DisputeStatus(dispute.status) not in TAKES_EVIDENCE or now >= closes:
        raise EvidenceClosed(
            f"submissions for dispute {dispute.id} closed at {deadline_text(dispute)} "
            f"(the evidence deadline); the dispute is {dispute.status}"
        )


def submit(
    session: Session,
    settings: Settings,
    store: BlobStore,
    principal: Principal,
    *,
    dispute_id: int,
    item: Submission,
    ctx: SigningContext,
    now: datetime,
) -> EvidencePublic:
    """Steps 1 to 5 of the module docstring; the item as the parties see it."""
    dispute = visible_dispute(session, principal, dispute_id, lock=True)
    assert dispute.id is not None
    side = side_of(dispute, principal)
    if side is None:
        raise NotDisputeParty(
            f"only the buyer and the supplier submit evidence in dispute {dispute.id}; "
            "arbitrators and operators read it"
        )
    check_verified_organization(principal)
    check_open(dispute, now)
    _check_item(session, dispute, side, item)
    document, signature = _signed(
        session, settings, principal, dispute, item=item, ctx=ctx, now=now
    )
    _hold_respondent_fee(session, settings, principal, dispute, side=side, now=now)
    blob_key, wrapped = _store(store, settings.master_key_bytes, item.content)
    row = Evidence(
        dispute_id=dispute.id, source=PARTY, side=side.value, submitted_by=principal.account_id,
        kind=item.kind, title=item.title, media_type=item.media_type,
        size_bytes=len(item.content), sha256=document.sha256, blob_key=blob_key,
        wrapped_key=wrapped, signer=principal.address, signature=signature,
        created_at=datetime.fromtimestamp(document.submitted_at, UTC),
    )  # fmt: skip
    repository.add(session, row)
    assert row.id is not None
    typed = document.typed_data(ctx.domain)
    digest = signing.digest(typed)
    entry = journal.append(
        session,
        kind=SUBMITTED_KIND,
        subject=f"dispute:{dispute.id}",
        actor=principal.address,
        payload={
            "dispute_id": dispute.id,
            "evidence_id": row.id,
            "side": side.value,
            "kind": item.kind,
            "sha256": document.sha256,
            "size_bytes": len(item.content),
            "submitted_at": document.submitted_at,
            "digest": digest,
            "signer": principal.address,
            "chain_id": ctx.chain_id,
            "verifying_contract": ctx.domain["verifyingContract"],
        },
        signature=signature,
    )
    row.journal_seq = entry.seq
    session.add(row)
    session.flush()
    return _public(row, signing.wallet_json(typed), digest)


def _check_item(session: Session, dispute: Dispute, side: Side, item: Submission) -> None:
    assert dispute.id is not None
    if item.kind not in (FILE, STATEMENT):
        raise InvalidEvidence(f"an item is a {FILE} or a {STATEMENT}, not {item.kind!r}")
    if len(item.content) > limits.evidence_file_bytes_max:
        raise EvidenceTooLarge(
            f"an evidence file is at most {limits.evidence_file_bytes_max} bytes; this one is "
            f"{len(item.content)}"
        )
    if not item.content:
        raise InvalidEvidence("an evidence item is not empty")
    _check_archive(item.content)
    if not 1 <= len(item.title) <= limits.evidence_title_chars_max:
        raise InvalidEvidence(f"a title is 1 to {limits.evidence_title_chars_max} characters")
    submitted = repository.count(session, dispute.id, side=side.value)
    if submitted >= limits.evidence_items_per_side_max:
        raise EvidenceLimitReached(
            f"your side has submitted {limits.evidence_items_per_side_max} items to dispute "
            f"{dispute.id}, the most each side may"
        )
    sha256 = hashlib.sha256(item.content).hexdigest()
    if repository.duplicate(session, dispute.id, side.value, item.kind, sha256):
        raise EvidenceExists(f"your side already submitted this {item.kind} (sha256 {sha256})")


def _check_archive(content: bytes) -> None:
    """A compressed file is expanded once against the archive bounds before anything is kept:
    the arbitrators who open it later must not meet a zip bomb."""
    try:
        archives.check_expansion(content)
    except archives.ArchiveRefused as refused:
        if refused.too_large:
            raise EvidenceArchiveTooLarge(str(refused)) from None
        raise InvalidEvidence(str(refused)) from None


def _signed(
    session: Session,
    settings: Settings,
    principal: Principal,
    dispute: Dispute,
    *,
    item: Submission,
    ctx: SigningContext,
    now: datetime,
) -> tuple[EvidenceToSign, str]:
    """The document and its signature: made with the custodial key over now, or the
    self-custody submitter's, checked."""
    assert dispute.id is not None
    now_s = int(now.timestamp())
    sha256 = hashlib.sha256(item.content).hexdigest()
    if item.signature is None:
        document = EvidenceToSign(
            dispute_id=dispute.id, kind=item.kind, sha256=sha256, title=item.title,
            submitted_at=now_s,
        )  # fmt: skip
        return document, identity.sign_as(
            session, settings, principal.account, document.typed_data(ctx.domain)
        )
    if item.submitted_at is None or abs(item.submitted_at - now_s) > limits.evidence_clock_skew_s:
        raise InvalidEvidence(
            f"a signed item carries the submitted_at it signed, within "
            f"{limits.evidence_clock_skew_s} s of the exchange's clock (now {now_s})"
        )
    if item.submitted_at >= int(as_utc(dispute.evidence_closes_at).timestamp()):
        raise EvidenceClosed(
            f"the item is signed at {item.submitted_at}, not before the evidence deadline "
            f"{deadline_text(dispute)}: submissions for dispute {dispute.id} are stamped before "
            "it closes"
        )
    document = EvidenceToSign(
        dispute_id=dispute.id, kind=item.kind, sha256=sha256, title=item.title,
        submitted_at=item.submitted_at,
    )  # fmt: skip
    try:
        signing.verify(document.typed_data(ctx.domain), item.signature, principal.address)
    except signing.SignatureError as exc:
        raise InvalidEvidence(
            f"the signature does not cover this item: {exc}; sign the EIP-712 Evidence document "
            f"(disputeId {dispute.id}, kind {item.kind}, sha256 0x{sha256}, the title, "
            "submittedAt) under the exchange's domain"
        ) from exc
    return document, item.signature


def _hold_respondent_fee(
    session: Session,
    settings: Settings,
    principal: Principal,
    dispute: Dispute,
    *,
    side: Side,
    now: datetime,
) -> None:
    """Step 4: the respondent's side pays its fee with its first submission."""
    assert dispute.id is not None
    fee = settings.arbitration_fee_minor
    if side.value == dispute.opener_side or dispute.respondent_fee_hold_id is not None or fee == 0:
        return
    org_id = principal.account.organization_id
    held = books.hold(
        session,
        org_id=org_id,
        amount_minor=fee,
        currency=dispute.currency,
        reference=f"dispute:{dispute.id}:fee",
        transfer_id=fee_transfer_id(dispute.id),
        actor=principal.address,
        now=now,
    )
    dispute.respondent_fee_hold_id = held.id
    dispute.updated_at = now
    session.add(dispute)


def _store(store: BlobStore, master_key: bytes, content: bytes) -> tuple[str, bytes]:
    """Encrypt ``content`` under a fresh data key into a new blob; (blob key, wrapped key)."""
    data_key = new_data_key()
    encryptor = StreamEncryptor(data_key)
    with store.writer() as writer:
        writer.write(encryptor.header)
        writer.write(encryptor.update(content))
        writer.write(encryptor.finish())
        blob_key = writer.digest()
        wrapped = wrap_key(master_key, data_key, blob_key.encode())
        writer.commit()
    return blob_key, wrapped


# Reads ----------------------------------------------------------------------------------------


def _public(row: Evidence, typed: dict[str, object] | None, digest: str | None) -> EvidencePublic:
    assert row.id is not None
    return EvidencePublic(
        id=row.id, dispute_id=row.dispute_id, source=row.source, side=row.side, kind=row.kind,
        title=row.title, media_type=row.media_type, size_bytes=row.size_bytes, sha256=row.sha256,
        record_seq=row.record_seq, signer=row.signer, signature=row.signature, digest=digest,
        journal_seq=row.journal_seq, submitted_at=as_utc(row.created_at), typed_data=typed,
    )  # fmt: skip


def signed_document(session: Session, row: Evidence) -> dict[str, Any] | None:
    """The EIP-712 ``Evidence`` document a party's item was signed over, rebuilt from the row
    and under the domain its ``evidence.submitted`` entry names; None for a system record."""
    if row.source != PARTY:
        return None
    entry = repository.journal_entry(session, row.journal_seq)
    assert entry is not None, f"evidence {row.id} has no journal entry"
    payload = json.loads(entry.payload_json)
    document = EvidenceToSign(
        dispute_id=row.dispute_id, kind=row.kind, sha256=row.sha256, title=row.title,
        submitted_at=int(payload["submitted_at"]),
    )  # fmt: skip
    domain = signing.domain(int(payload["chain_id"]), str(payload["verifying_contract"]))
    return document.typed_data(domain)


def public(session: Session, row: Evidence) -> EvidencePublic:
    """The item with the document its submitter signed (a system record has none)."""
    typed = signed_document(session, row)
    if typed is None:
        return _public(row, None, None)
    return _public(row, signing.wallet_json(typed), signing.digest(typed))


def list_evidence(session: Session, principal: Principal, dispute_id: int) -> EvidenceList:
    """Every item, oldest first, for anyone who may see the dispute (evidence is open)."""
    dispute = visible_dispute(session, principal, dispute_id)
    assert dispute.id is not None
    items = [public(session, row) for row in repository.of_dispute(session, dispute.id)]
    return EvidenceList(items=items, evidence_closes_at=as_utc(dispute.evidence_closes_at))


def _item(session: Session, dispute: Dispute, evidence_id: int) -> Evidence:
    assert dispute.id is not None
    row = repository.get(session, dispute.id, evidence_id)
    if row is None:
        raise EvidenceNotFound(f"dispute {dispute.id} has no evidence {evidence_id}")
    return row


def get_evidence(
    session: Session, principal: Principal, dispute_id: int, evidence_id: int
) -> EvidencePublic:
    dispute = visible_dispute(session, principal, dispute_id)
    return public(session, _item(session, dispute, evidence_id))


def read_file(
    session: Session,
    settings: Settings,
    store: BlobStore,
    principal: Principal,
    *,
    dispute_id: int,
    evidence_id: int,
) -> tuple[Evidence, bytes]:
    """The item and its bytes, for the parties and the arbitrators drawn for the dispute (404
    for anyone else, operators included). A party's file is decrypted and checked against its
    SHA-256 before a byte is served; a system record's bytes are its journal entry's canonical
    JSON."""
    dispute = readable_dispute(session, principal, dispute_id)
    row = _item(session, dispute, evidence_id)
    return row, content_of(session, settings, store, row)


def content_of(session: Session, settings: Settings, store: BlobStore, row: Evidence) -> bytes:
    """The item's plaintext bytes, checked against its ``sha256`` (the dossier reads them here
    too). 409 ``evidence_altered`` when the stored bytes are gone, no longer decrypt or no
    longer hash to the recorded SHA-256."""
    if row.source == SYSTEM:
        from marketplace.disputes.service.records import record_bytes

        assert row.record_seq is not None
        content = record_bytes(session, row.record_seq)
    else:
        assert row.blob_key is not None
        assert row.wrapped_key is not None
        try:
            key = unwrap_key(settings.master_key_bytes, row.wrapped_key, row.blob_key.encode())
            with store.open(row.blob_key) as source:
                content = b"".join(decrypt_stream(key, source))
        except (BlobNotFound, DecryptionError, OSError, ValueError) as exc:
            raise EvidenceAltered(
                f"evidence {row.id}'s stored bytes are missing or no longer decrypt ({exc})"
            ) from None
    found = hashlib.sha256(content).hexdigest()
    if found != row.sha256:
        raise EvidenceAltered(
            f"evidence {row.id}'s stored bytes hash to {found}, not its recorded {row.sha256}"
        )
    return content


def evidence_blob_keys(session: Session) -> set[str]:
    """The blob keys parties' evidence holds (``blobs.sweep`` deletes no blob named here)."""
    return repository.blob_keys(session)
