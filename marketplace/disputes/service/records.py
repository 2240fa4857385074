"""The records the exchange already holds about a disputed order, attached as evidence
(``source`` ``system``) when the dispute opens (docs/disputes.md, "Evidence").

For the dispute's order, one item per journal entry, in this order:

- ``listing.created``: the listing's signed terms (the supplier's EIP-712 offer);
- ``order.placed``: the buyer's signed order;
- on a period's dispute, the period's own entries: ``period.charged`` (its hold; a metered
  period's count) and ``period.settled`` (when it had been released to the supplier);
- ``asset.registered``: the certificate(s) of the revision bought;
- ``quality.assessed``: the anchored quality report of that revision;
- ``delivery.served``: every download served under the order's licence;
- ``delivery.receipted``: the buyer's signed receipt of each of those downloads it receipted;
- ``order.quality_checked``: every re-check the buyer signed;
- ``fingerprint.detected``: every detection that named the order's licence.

Each item's ``record_seq`` (and ``journal_seq``) is the entry's seq, so its ledger receipt is
``GET /ledger/entries/{seq}/receipt``. Its bytes are the entry itself as the receipt holds it
(``receipt["entry"]``), in RFC 8785 canonical JSON, and ``sha256`` is of those bytes: a verifier
recomputes ``sha256(canonical(receipt.entry))`` and, from the same bytes, ``keccak256`` equal
to the anchored ``entry_hash``. The signed documents an entry commits to (the order's EIP-712
digest, a certificate's registration hash, a report's hash, a served file's SHA-256) are in its
payload and signature, so the entry is the record for every kind.

Seqs are read through the other domains' services, never their tables; a detection is read
from the journal (fingerprinting keeps no table of its own).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from ledger.canonical import canonical_json
from ledger.journal import entry_document
from marketplace import limits
from marketplace.assets import service as assets
from marketplace.delivery import service as delivery
from marketplace.disputes import evidence_repository as repository
from marketplace.disputes.models import Dispute, Evidence
from marketplace.fingerprint.service import DETECTED_KIND
from marketplace.listings import service as listings
from marketplace.orders import service as orders
from marketplace.quality import service as quality

SYSTEM = "system"
RECORD_MEDIA_TYPE = "application/json"


def record_seqs(session: Session, order_id: int, period_seqs: Sequence[int] = ()) -> list[int]:
    """The journal seqs of the order's records, each once, the weightiest first: the listing,
    the signed order, the disputed period's entries (``period_seqs``), the certificates, the
    quality report, the buyer's re-checks, fingerprint detections, then the downloads served
    (the first and last ``evidence_served_records_max`` / 2 of them: a buyer that downloaded a
    thousand times does not crowd out the rest), each followed by the buyer's receipt of it, if
    it signed one."""
    order = orders.get_order_view(session, order_id)
    seqs = [listings.public(session, order.listing_id).journal_seq, order.placed_seq]
    seqs += period_seqs
    seqs += assets.certificate_seqs(session, order.asset_id, order.revision)
    report = quality.report_seq(session, order.asset_id, order.revision)
    seqs += [] if report is None else [report]
    seqs += orders.quality_check_seqs(session, order_id)
    licence = delivery.licence_for_order(session, order_id)
    if licence is not None:
        for entry in repository.journal_entries(session, DETECTED_KIND, f"asset:{order.asset_id}"):
            if json.loads(entry.payload_json).get("licence_id") == licence.id:
                seqs.append(entry.seq)
        served = delivery.served_seqs(session, licence.id)
        half = limits.evidence_served_records_max // 2
        receipts = delivery.receipts_for_order(session, order_id)
        receipted = {r["served_seq"]: r["journal_seq"] for r in receipts}
        for seq in served if len(served) <= 2 * half else served[:half] + served[-half:]:
            seqs += [seq, receipted.get(seq) or 0]
    return list(dict.fromkeys(seq for seq in seqs if seq > 0))


def record_bytes(session: Session, seq: int) -> bytes:
    """The entry's RFC 8785 canonical JSON: what an attached record's ``sha256`` covers."""
    entry = repository.journal_entry(session, seq)
    assert entry is not None, f"no journal entry {seq}"
    return canonical_json(entry_document(entry))


def attach(
    session: Session, dispute: Dispute, now: datetime, *, period_seqs: Sequence[int] = ()
) -> list[Evidence]:
    """Attach the order's records (with ``period_seqs``, a disputed period's entries) not
    attached yet (at most ``evidence_records_max`` records in
    all, apart from the parties' quotas) and return the new items. Writes no journal entry:
    each item is an entry already. Call it in the transaction that opens the dispute; it never
    commits."""
    assert dispute.id is not None
    assert dispute.order_id is not None  # an objection's records: service/objections.py
    attached = repository.record_seqs(session, dispute.id)
    room = limits.evidence_records_max - repository.count(session, dispute.id, source=SYSTEM)
    added: list[Evidence] = []
    for seq in record_seqs(session, dispute.order_id, period_seqs):
        if seq in attached or len(added) >= room:
            continue
        entry = repository.journal_entry(session, seq)
        assert entry is not None
        content = record_bytes(session, seq)
        row = Evidence(
            dispute_id=dispute.id, source=SYSTEM, kind=entry.kind,
            title=f"{entry.kind} (journal entry {seq}, {entry.subject})",
            media_type=RECORD_MEDIA_TYPE, size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(), record_seq=seq, journal_seq=seq,
            created_at=now,
        )  # fmt: skip
        repository.add(session, row)
        added.append(row)
    return added
