"""The parties' evidence over HTTP, on disputes opened over HTTP (the drawn arbitrator is the
``judge`` fixture, the one verified arbitrator): submitted, signed, journaled, read back and
refused."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.disputes.evidence_document import EvidenceToSign
from marketplace.identity import signing
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import (
    after_evidence,
    evidence_clock,
    open_dispute,
    paid_order,
    post_file,
    post_statement,
    sha256,
)
from tests.marketplace.identity.helpers import CHAIN_ID, siwe_body
from tests.marketplace.orders.helpers import entries, keyed, on_sale, place
from tests.marketplace.orders.money import balance, fund

FEE_MINOR = limits.arbitration_fee_minor_default
REPORT = b"%PDF-1.4 the buyer's re-check: 12% of rows missing\n" * 20


@pytest.fixture
def opened(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    ops: Party,
    buyer: Party,
    judge: Party,
) -> dict[str, Any]:
    """A dispute the buyer opened over HTTP on its paid order; ``judge`` is drawn."""
    order = paid_order(api, asset_runtime, supplier, buyer, ops)
    found = open_dispute(api, buyer, order["id"])
    assert [a["organization_id"] for a in found["assignments"]] == [judge.organization_id]
    return found


@pytest.fixture
def dispute(opened: dict[str, Any]) -> int:
    return int(opened["id"])


def _party_items(api: TestClient, who: Party, dispute_id: int) -> list[dict[str, Any]]:
    """The parties' items (the exchange's records, attached at opening, aside)."""
    r = api.get(f"/disputes/{dispute_id}/evidence", headers=who.headers)
    assert r.status_code == 200, r.text
    return [i for i in r.json()["items"] if i["source"] == "party"]


def _submitted(api: TestClient, dispute_id: int) -> list[dict[str, Any]]:
    return [e for e in entries(api, f"dispute:{dispute_id}") if e["kind"] == "evidence.submitted"]


def _blobs(blob_dir: Path) -> set[Path]:
    """The blobs stored (temporary files aside)."""
    return {p for p in blob_dir.rglob("*") if p.is_file() and not p.name.endswith(".part")}


def _recovered(entry: dict[str, Any], item: dict[str, Any]) -> str:
    """The signer of an ``evidence.submitted`` entry, from the item's metadata and the entry,
    with eth_account alone; the entry's digest is checked on the way."""
    payload = entry["payload"]
    document = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Evidence": [
                {"name": "disputeId", "type": "uint256"},
                {"name": "kind", "type": "string"},
                {"name": "sha256", "type": "bytes32"},
                {"name": "title", "type": "string"},
                {"name": "submittedAt", "type": "uint256"},
            ],
        },
        "primaryType": "Evidence",
        "domain": {
            "name": "Databourse",
            "version": "1",
            "chainId": payload["chain_id"],
            "verifyingContract": payload["verifying_contract"],
        },
        "message": {
            "disputeId": payload["dispute_id"],
            "kind": payload["kind"],
            "sha256": "0x" + payload["sha256"],
            "title": item["title"],
            "submittedAt": payload["submitted_at"],
        },
    }
    signable = encode_typed_data(full_message=document)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert "0x" + digest.hex() == payload["digest"]
    return str(Account.recover_message(signable, signature=entry["signature"]))


def test_both_parties_submit_and_the_journal_proves_each_item(
    api: TestClient,
    asset_runtime: Runtime,
    dispute: int,
    buyer: Party,
    supplier: Party,
) -> None:
    fund(asset_runtime.engine, supplier.organization_id, FEE_MINOR)
    r = post_file(
        api, buyer, dispute, REPORT, title="Re-check report", media_type="application/pdf"
    )
    assert r.status_code == 201, r.text
    filed = r.json()
    assert (filed["side"], filed["kind"], filed["sha256"]) == ("buyer", "file", sha256(REPORT))
    r = post_statement(api, supplier, dispute, "The rows were all there when delivered.")
    assert r.status_code == 201, r.text
    stated = r.json()
    assert (stated["side"], stated["kind"]) == ("supplier", "statement")

    journaled = _submitted(api, dispute)
    assert [e["payload"]["evidence_id"] for e in journaled] == [filed["id"], stated["id"]]
    for entry, item, who in ((journaled[0], filed, buyer), (journaled[1], stated, supplier)):
        got = api.get(f"/disputes/{dispute}/evidence/{item['id']}/file", headers=who.headers)
        assert got.status_code == 200, got.text
        assert sha256(got.content) == entry["payload"]["sha256"]
        assert _recovered(entry, item).lower() == who.address.lower()
        assert entry["payload"]["digest"] == item["digest"]
        assert item["title"] not in str(entry["payload"])  # titles stay off the public journal


def test_the_other_party_reads_the_evidence_and_a_stranger_does_not_see_it(
    *,
    api: TestClient,
    dispute: int,
    buyer: Party,
    supplier: Party,
    rival: Party,
    judge: Party,
    ops: Party,
) -> None:
    outside_arbitrator = arbitrator(api, ops, 9)  # verified after the draw: never drawn
    item = post_file(api, buyer, dispute, REPORT).json()
    assert [i["id"] for i in _party_items(api, supplier, dispute)] == [item["id"]]
    got = api.get(f"/disputes/{dispute}/evidence/{item['id']}/file", headers=supplier.headers)
    assert got.content == REPORT
    assert got.headers["x-content-sha256"] == sha256(REPORT)

    for path in ("evidence", f"evidence/{item['id']}", f"evidence/{item['id']}/file"):
        for who in (rival, outside_arbitrator):  # the arbitrator is not drawn for this dispute
            r = api.get(f"/disputes/{dispute}/{path}", headers=who.headers)
            assert r.status_code == 404, (path, r.text)
            assert r.json()["error"] == "dispute_not_found"
    assert api.get(f"/disputes/{dispute}/evidence", headers=ops.headers).status_code == 200
    r = api.get(f"/disputes/{dispute}/evidence/{item['id']}/file", headers=ops.headers)
    assert r.status_code == 404

    r = api.get(f"/disputes/{dispute}/evidence/{item['id']}/file", headers=judge.headers)
    assert r.status_code == 200  # the drawn arbitrator reads it
    assert r.content == REPORT
    r = post_statement(api, judge, dispute, "I would like to add something")
    assert r.status_code == 403
    assert r.json()["error"] == "not_dispute_party"
    r = post_statement(api, rival, dispute, "me too")
    assert r.status_code == 404


def test_late_evidence_is_refused_naming_the_deadline(
    api: TestClient,
    opened: dict[str, Any],
    buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = opened["id"]
    deadline = api.get(f"/disputes/{closed}/evidence", headers=buyer.headers).json()
    closes_at = deadline["evidence_closes_at"]
    evidence_clock(monkeypatch, after_evidence(opened))
    r = post_statement(api, buyer, closed, "one more thing")
    assert r.status_code == 409
    assert r.json()["error"] == "evidence_closed"
    assert closes_at[:19] in r.json()["message"]  # the ISO time, to the second
    assert post_file(api, buyer, closed, REPORT).status_code == 409
    assert _party_items(api, buyer, closed) == []
    assert _submitted(api, closed) == []


def test_an_oversize_file_is_refused_with_the_limit_and_nothing_is_stored(
    api: TestClient,
    dispute: int,
    buyer: Party,
    blob_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "evidence_file_bytes_max", 1000)
    blobs = _blobs(blob_dir)
    r = post_file(api, buyer, dispute, b"x" * 1001)
    assert r.status_code == 413
    assert r.json()["error"] == "evidence_too_large"
    assert "1000 bytes" in r.json()["message"]
    assert _blobs(blob_dir) == blobs
    assert post_file(api, buyer, dispute, b"x" * 1000).status_code == 201
    assert [i["size_bytes"] for i in _party_items(api, buyer, dispute)] == [1000]
    assert len(_submitted(api, dispute)) == 1


def test_hostile_upload_headers_are_refused_and_nothing_is_stored(
    api: TestClient, dispute: int, buyer: Party, blob_dir: Path
) -> None:
    blobs = _blobs(blob_dir)
    url = f"/upload/disputes/{dispute}/evidence"
    headers = {**keyed(buyer.headers), "Content-Type": "application/octet-stream"}
    # More digits than int() reads (4,300): over any limit, not a 500.
    huge = api.post(url, params={"title": "t"}, content=b"hello",
                    headers={**headers, "Content-Length": "9" * 4301})  # fmt: skip
    assert huge.status_code == 413, huge.text
    assert huge.json()["error"] == "evidence_too_large"
    form = api.post(url, params={"title": "t"}, files={"file": ("a.txt", b"hello")},
                    headers=keyed(buyer.headers))  # fmt: skip
    assert form.status_code == 415, form.text  # as the assets' raw-body upload answers
    assert form.json()["error"] == "multipart_upload"
    assert _blobs(blob_dir) == blobs
    assert _party_items(api, buyer, dispute) == []


def test_a_respondent_without_the_fee_is_refused_and_nothing_is_stored(
    api: TestClient, asset_runtime: Runtime, dispute: int, supplier: Party, blob_dir: Path
) -> None:
    before = balance(asset_runtime.engine, supplier.organization_id)
    blobs = _blobs(blob_dir)
    r = post_file(api, supplier, dispute, REPORT)
    assert r.status_code == 409
    assert r.json()["error"] == "insufficient_funds"
    assert _blobs(blob_dir) == blobs
    assert _party_items(api, supplier, dispute) == []
    assert _submitted(api, dispute) == []
    assert balance(asset_runtime.engine, supplier.organization_id) == before


def test_the_respondent_pays_its_fee_once_with_its_first_item(
    api: TestClient, asset_runtime: Runtime, dispute: int, supplier: Party, buyer: Party
) -> None:
    fund(asset_runtime.engine, supplier.organization_id, FEE_MINOR)
    assert post_statement(api, buyer, dispute, "the opener pays nothing here").status_code == 201
    assert balance(asset_runtime.engine, supplier.organization_id) == (FEE_MINOR, 0)
    r = post_file(api, supplier, dispute, REPORT, key="respondent-first")
    assert r.status_code == 201, r.text
    assert balance(asset_runtime.engine, supplier.organization_id) == (0, FEE_MINOR)
    replay = post_file(api, supplier, dispute, REPORT, key="respondent-first")
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == r.json()["id"]
    assert post_statement(api, supplier, dispute, "and a second item").status_code == 201
    assert balance(asset_runtime.engine, supplier.organization_id) == (0, FEE_MINOR)
    holds = [e for e in entries(api, f"dispute:{dispute}") if e["kind"] == "escrow.held"]
    assert holds == []  # the hold's entry is about the hold, not the dispute


def test_each_side_has_its_own_quota_so_neither_crowds_the_other_out(
    *,
    api: TestClient,
    asset_runtime: Runtime,
    dispute: int,
    supplier: Party,
    buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "evidence_items_per_side_max", 2)
    for n in range(2):
        assert post_statement(api, buyer, dispute, f"point {n}").status_code == 201
    before = _submitted(api, dispute)
    r = post_statement(api, buyer, dispute, "one point too many")
    assert (r.status_code, r.json()["error"]) == (409, "evidence_limit")
    assert "2 items" in r.json()["message"]
    assert _submitted(api, dispute) == before
    fund(asset_runtime.engine, supplier.organization_id, FEE_MINOR)
    r = post_statement(api, supplier, dispute, "the answer still gets in")
    assert r.status_code == 201, r.text


def test_bad_submissions_are_refused_and_change_nothing(
    api: TestClient, dispute: int, buyer: Party
) -> None:
    r = api.post(f"/disputes/{dispute}/evidence", json={"text": "no key"}, headers=buyer.headers)
    assert r.status_code == 400
    too_long = "x" * (limits.dispute_statement_chars_max + 1)
    assert post_statement(api, buyer, dispute, too_long).status_code == 422
    assert post_file(api, buyer, dispute, b"").status_code == 422
    assert post_file(api, buyer, dispute, REPORT, media_type="not a type").status_code == 422
    forged = {"signature": "0x" + "11" * 65, "submitted_at": 1}
    assert post_file(api, buyer, dispute, REPORT, **forged).status_code == 422
    assert post_file(api, buyer, dispute, REPORT).status_code == 201
    again = post_file(api, buyer, dispute, REPORT)
    assert again.status_code == 409
    assert again.json()["error"] == "evidence_exists"
    assert len(_submitted(api, dispute)) == 1


def test_a_self_custody_party_signs_its_evidence_locally(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wallet = Account.create()
    body = siwe_body(api, wallet, organization={"name": "Own Keys Ltd", "roles": ["buyer"]})
    token = api.post("/auth/siwe", json=body).json()["access_token"]
    me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    assert api.post(f"/organizations/{who.organization_id}/verify", headers=ops.headers).is_success
    # The self-custody buyer signs its order locally, pays it and opens the dispute.
    listing = on_sale(api, supplier, ops)
    draft = api.post(
        "/orders/draft", json={"listing_id": listing["id"], "purpose": "research"},
        headers=who.headers,
    ).json()  # fmt: skip
    signed = signing.sign(bytes(wallet.key), draft["typed_data"])
    order = place(
        api, who, listing["id"], signature=signed, nonce=int(draft["nonce"]),
        deadline=draft["deadline"],
    )  # fmt: skip
    fund(asset_runtime.engine, who.organization_id, 200_000)
    paid = api.post(f"/orders/{order['id']}/pay", headers=keyed(who.headers))
    assert paid.status_code == 200, paid.text
    dispute = open_dispute(api, who, order["id"])
    dispute_id = dispute["id"]

    unsigned = post_file(api, who, dispute_id, REPORT)
    assert (unsigned.status_code, unsigned.json()["error"]) == (400, "not_custodial")
    submitted_at = int(time.time())
    domain = signing.domain(CHAIN_ID, asset_runtime.settings.anchor_contract_address)
    document = EvidenceToSign(
        dispute_id=dispute_id, kind="file", sha256=sha256(REPORT), title="Comparison",
        submitted_at=submitted_at,
    ).typed_data(domain)  # fmt: skip
    forged = signing.sign(bytes(Account.create().key), document)
    r = post_file(api, who, dispute_id, REPORT, signature=forged, submitted_at=submitted_at)
    assert (r.status_code, r.json()["error"]) == (422, "invalid_evidence")
    signature = signing.sign(bytes(wallet.key), document)
    r = post_file(api, who, dispute_id, REPORT, signature=signature, submitted_at=submitted_at)
    assert r.status_code == 201, r.text
    assert (r.json()["signer"], r.json()["signature"]) == (who.address, signature)
    (entry,) = _submitted(api, dispute_id)
    assert _recovered(entry, r.json()) == who.address

    # Within the clock skew but stamped after the deadline: refused, naming it (the item's own
    # signed time is what the dossier shows, so it must fall before the deadline).
    closes = datetime.fromisoformat(dispute["evidence_closes_at"])
    evidence_clock(monkeypatch, closes - timedelta(seconds=60))
    late = int(closes.timestamp()) + 60
    document = EvidenceToSign(
        dispute_id=dispute_id, kind="file", sha256=sha256(b"late"), title="Late",
        submitted_at=late,
    ).typed_data(domain)  # fmt: skip
    signature = signing.sign(bytes(wallet.key), document)
    r = post_file(api, who, dispute_id, b"late", title="Late", signature=signature,
                  submitted_at=late)  # fmt: skip
    assert (r.status_code, r.json()["error"]) == (409, "evidence_closed"), r.text
    assert dispute["evidence_closes_at"][:19] in r.json()["message"]
    assert len(_submitted(api, dispute_id)) == 1
