"""A disputed case for the dossier tests, made directly in the tables and the journal: a real
paid order (the orders test helpers), a Dispute row and its ``dispute.opened`` entry, an
arbitrator drawn (an Assignment and its ``arbitrator.drawn`` entry), evidence from both parties
(files and a statement stored encrypted with the real blob store, signed EIP-712 by their
submitters, journaled as ``evidence.submitted``) and the exchange's own record of the signed
order. TO BE REPLACED after the merge by the real dispute and evidence services."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlmodel import Session

from ledger import journal
from ledger.models import utc_now
from marketplace.blobs import blob_store_from_url
from marketplace.db import unit_of_work
from marketplace.disputes.models import Assignment, Dispute, Evidence, Ruling
from marketplace.disputes.service.dossier import evidence_typed_data, store_evidence_blob
from marketplace.identity import signing
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, party
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import fund
from tests.marketplace.valuation.helpers import grant

EXCHANGE = Account.create()  # the exchange's submitter of its own records, in these tests
BUYER_CSV = b"day,price\n2024-01-01,3\n2024-01-02,not a number\n"
SUPPLIER_PDF = b"%PDF-1.4 delivery log: served 2024-01-03T10:00Z\n"
STATEMENT = "The file has 2 rows, the listing promised 365; see the attached CSV.\n"


@dataclass
class Case:
    dispute_id: int
    order_id: int
    arbitrator: Party
    evidence: dict[str, int] = field(default_factory=dict)  # name -> evidence id
    seqs: dict[str, int] = field(default_factory=dict)  # name -> evidence.submitted seq


def arbitrator_party(api: TestClient, ops: Party, email: str, org: str) -> Party:
    """A verified organisation holding the arbitrator role (granted by an operator)."""
    who = party(api, email, org, [])
    grant(api, ops, who, "arbitrator")
    return who


def account_id(api: TestClient, who: Party) -> int:
    return int(api.get("/me", headers=who.headers).json()["account"]["id"])


def _submit(
    session: Session,
    runtime: Runtime,
    dispute: Dispute,
    *,
    key: LocalAccount,
    side: str | None,
    kind: str,
    title: str,
    media_type: str,
    data: bytes,
    submitted_by: int | None = None,
    record_seq: int | None = None,
) -> Evidence:
    """What the evidence service does: store, hash, sign, journal."""
    store = blob_store_from_url(runtime.settings.blob_url)
    assert dispute.id is not None
    assert runtime.chain_id is not None
    row = Evidence(
        dispute_id=dispute.id,
        source="party" if record_seq is None else "system",
        side=side,
        submitted_by=submitted_by,
        kind=kind,
        title=title,
        media_type=media_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        blob_key=store_evidence_blob(runtime.settings, store, data),
        record_seq=record_seq,
    )
    session.add(row)
    session.flush()
    domain = signing.domain(runtime.chain_id, runtime.contract_address)
    payload: dict[str, object] = {
        "dispute_id": dispute.id,
        "evidence_id": row.id,
        "source": row.source,
        "kind": kind,
        "sha256": row.sha256,
        "chain_id": runtime.chain_id,
        "verifying_contract": domain["verifyingContract"],
    }
    signature = None
    if record_seq is None:
        typed = evidence_typed_data(row, domain)
        signature = signing.sign(key.key, typed)
        row.signer, row.signature = key.address, signature
        payload |= {"side": side, "evidence_digest": signing.digest(typed)}
    else:
        payload["record_seq"] = record_seq
    entry = journal.append(
        session,
        kind="evidence.submitted",
        subject=f"dispute:{dispute.id}",
        actor=key.address,
        payload=payload,
        signature=signature,
    )
    row.journal_seq = entry.seq
    session.add(row)
    session.flush()
    return row


RULING_TYPES = {
    "Ruling": [
        {"name": "disputeId", "type": "uint256"},
        {"name": "round", "type": "uint256"},
        {"name": "outcome", "type": "string"},
        {"name": "supplierBp", "type": "uint256"},
        {"name": "reasonsHash", "type": "bytes32"},
    ]
}


def _rule(
    session: Session, runtime: Runtime, dispute: Dispute, account: int, key: LocalAccount
) -> Ruling:
    """What the ruling service does: a signed split of 30% to the supplier, ``ruling.issued``."""
    assert dispute.id is not None
    assert runtime.chain_id is not None
    reasons = "The file holds 2 of the 365 rows promised; the supplier delivered a part."
    typed = signing.typed_data(
        primary_type="Ruling",
        types=RULING_TYPES,
        message={
            "disputeId": dispute.id, "round": 1, "outcome": "split", "supplierBp": 3_000,
            "reasonsHash": "0x" + hashlib.sha256(reasons.encode()).hexdigest(),
        },
        chain_id=runtime.chain_id,
        verifying_contract=runtime.contract_address,
    )  # fmt: skip
    signature = signing.sign(key.key, typed)
    row = Ruling(
        dispute_id=dispute.id, round=1, account_id=account, outcome="split", supplier_bp=3_000,
        reasons=reasons, document=typed, signer=key.address, signature=signature,
    )  # fmt: skip
    entry = journal.append(
        session,
        kind="ruling.issued",
        subject=f"dispute:{dispute.id}",
        actor=key.address,
        payload={
            "dispute_id": dispute.id, "round": 1, "outcome": "split", "supplier_bp": 3_000,
            "ruling_digest": signing.digest(typed),
        },
        signature=signature,
    )  # fmt: skip
    row.journal_seq = entry.seq
    session.add(row)
    session.flush()
    return row


def disputed_case(
    api: TestClient, runtime: Runtime, *, supplier: Party, buyer: Party, ops: Party
) -> tuple[Case, LocalAccount, LocalAccount]:
    """A quality dispute opened by the buyer on a paid order, with an arbitrator drawn and
    evidence from both sides and the exchange. Returns the case and the two parties' keys."""
    listing = on_sale(api, supplier, ops)
    fund(runtime.engine, buyer.organization_id, PRICE_MINOR)
    r = api.post(
        "/orders/purchase", json={"listing_id": listing["id"], "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    order = r.json()
    arbitrator = arbitrator_party(api, ops, "dan@arbitration.test", "Dan Arbitration")
    buyer_key, supplier_key, arbitrator_key = Account.create(), Account.create(), Account.create()
    ids = {who: account_id(api, p) for who, p in (("b", buyer), ("s", supplier), ("a", arbitrator))}
    case_seqs: dict[str, int] = {}
    evidence: dict[str, int] = {}
    with unit_of_work(runtime.engine) as session:
        dispute = Dispute(
            order_id=order["id"],
            buyer_organization_id=buyer.organization_id,
            supplier_organization_id=supplier.organization_id,
            opened_by=ids["b"],
            opener_side="buyer",
            reason="quality_below_report",
            amount_minor=order["price_minor"],
            currency=order["currency"],
            evidence_closes_at=utc_now() + timedelta(days=7),
        )
        session.add(dispute)
        session.flush()
        assert dispute.id is not None
        opened = journal.append(
            session,
            kind="dispute.opened",
            subject=f"dispute:{dispute.id}",
            actor=buyer.address,
            payload={"dispute_id": dispute.id, "order_id": order["id"], "reason": dispute.reason},
        )
        dispute.opened_seq = opened.seq
        drawn = journal.append(
            session,
            kind="arbitrator.drawn",
            subject=f"dispute:{dispute.id}",
            actor=EXCHANGE.address,
            payload={"dispute_id": dispute.id, "round": 1, "drawn": [arbitrator.address]},
        )
        session.add(
            Assignment(
                dispute_id=dispute.id,
                account_id=ids["a"],
                organization_id=arbitrator.organization_id,
                round=1,
                drawn_seq=drawn.seq,
            )
        )
        common = {"session": session, "runtime": runtime, "dispute": dispute}
        items = {
            "statement": _submit(
                **common, key=buyer_key, side="buyer", kind="statement",
                title="Buyer's statement", media_type="text/plain", data=STATEMENT.encode(),
                submitted_by=ids["b"],
            ),
            "buyer_csv": _submit(
                **common, key=buyer_key, side="buyer", kind="file", title="rows received.csv",
                media_type="text/csv", data=BUYER_CSV, submitted_by=ids["b"],
            ),
            "supplier_log": _submit(
                **common, key=supplier_key, side="supplier", kind="file",
                title="delivery log.pdf", media_type="application/pdf", data=SUPPLIER_PDF,
                submitted_by=ids["s"],
            ),
            "signed_order": _submit(
                **common, key=EXCHANGE, side=None, kind="order.placed",
                title="The signed order", media_type="application/json",
                data=json.dumps(order["signed_order"], sort_keys=True).encode(),
                record_seq=order["placed_seq"],
            ),
        }  # fmt: skip
        ruling = _rule(session, runtime, dispute, ids["a"], arbitrator_key)
        case_seqs["ruling"] = ruling.journal_seq
        for name, row in items.items():
            assert row.id is not None
            evidence[name] = row.id
            case_seqs[name] = row.journal_seq
        case_seqs["opened"], case_seqs["drawn"] = opened.seq, drawn.seq
        session.add(dispute)
        dispute_id = dispute.id
    case = Case(dispute_id, order["id"], arbitrator, evidence, case_seqs)
    return case, buyer_key, supplier_key
