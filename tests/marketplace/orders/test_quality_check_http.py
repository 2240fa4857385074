"""The buyer's re-check attached to an order, on both databases: the comparison of the file
received with the anchored quality report of the revision bought, signed by the buyer (by the
exchange for a custodial account, locally for a self-custody one), journaled with its hashes,
listed on the order for both parties, refused to anyone else, and cited by the acceptance."""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from fastapi.testclient import TestClient

from marketplace.identity import signing
from marketplace.quality import QualityReport, compare
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.identity.helpers import siwe_body
from tests.marketplace.orders.helpers import PRICE_MINOR, entries, keyed, on_sale
from tests.marketplace.orders.money import deliver, fund


def bought(api: TestClient, runtime: Runtime, who: Party, listing_id: int, **body: Any) -> int:
    fund(runtime.engine, who.organization_id, PRICE_MINOR)
    r = api.post(
        "/orders/purchase", json={"listing_id": listing_id, "purpose": "research", **body},
        headers=keyed(who.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def anchored(api: TestClient, who: Party, asset_id: int) -> QualityReport:
    r = api.get(f"/assets/{asset_id}/quality", headers=who.headers)
    assert r.status_code == 200, r.text
    return QualityReport.model_validate(r.json()["report"])


def differing(report: QualityReport) -> QualityReport:
    """What a buyer's local evaluation of other bytes says: another content hash and a lower
    completeness score."""
    dims = [
        d.model_copy(update={"score": (d.score or 0) - 10}) if d.name == "completeness" else d
        for d in report.dimensions
    ]
    return report.model_copy(update={"content_sha256": "ab" * 32, "dimensions": dims})


def check(api: TestClient, who: Party, order_id: int, comparison: Any, **more: Any) -> Any:
    body = {"comparison": comparison.model_dump(mode="json"), **more}
    return api.post(f"/orders/{order_id}/quality-checks", json=body, headers=who.headers)


def test_the_buyer_attaches_a_signed_check_and_acceptance_cites_it(
    api: TestClient,
    asset_runtime: Runtime,
    *,
    supplier: Party,
    buyer: Party,
    rival: Party,
    ops: Party,
) -> None:
    listing = on_sale(api, supplier, ops)
    order_id = bought(api, asset_runtime, buyer, listing["id"])
    report = anchored(api, buyer, listing["asset_id"])
    comparison = compare(report, differing(report))

    early = check(api, buyer, order_id, comparison)  # paid, not downloaded yet
    assert (early.status_code, early.json()["error"]) == (409, "order_state")
    deliver(asset_runtime.engine, order_id)

    r = check(api, buyer, order_id, comparison)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["verdict"], made["file_sha256"], made["report_hash"]) == (
        "differs", "ab" * 32, report.report_hash(),
    )  # fmt: skip
    assert made["differences_hash"] == comparison.differences_hash()
    assert made["typed_data"]["primaryType"] == "QualityCheck"
    assert made["typed_data"]["message"]["verdict"] == "differs"
    signing.verify(made["typed_data"], made["signature"], buyer.address)  # the buyer's key
    (entry,) = [
        e for e in entries(api, f"order:{order_id}") if e["kind"] == "order.quality_checked"
    ]
    assert entry["seq"] == made["journal_seq"]
    payload = entry["payload"]
    assert payload["report_seq"] == made["report_seq"] > 0
    assert (payload["differences_hash"], payload["verdict"]) == (
        made["differences_hash"],
        "differs",
    )
    assert "comparison" not in payload  # hashes, not contents
    assert "completeness" not in json.dumps(payload)

    for party in (buyer, supplier):
        shown = api.get(f"/orders/{order_id}", headers=party.headers).json()
        assert [c["id"] for c in shown["quality_checks"]] == [made["id"]]
        assert shown["quality_checks"][0]["comparison"]["moved"] == ["completeness"]
    theirs = check(api, supplier, order_id, comparison)
    assert (theirs.status_code, theirs.json()["error"]) == (403, "not_order_buyer")
    stranger = check(api, rival, order_id, comparison)
    assert (stranger.status_code, stranger.json()["error"]) == (404, "order_not_found")
    again = check(api, buyer, order_id, comparison)
    assert (again.status_code, again.json()["error"]) == (409, "quality_check_exists")

    other = on_sale(api, supplier, ops)  # another asset's report is not the one bought
    foreign = compare(anchored(api, buyer, other["asset_id"]), report)
    wrong = check(api, buyer, order_id, foreign)
    assert (wrong.status_code, wrong.json()["error"]) == (422, "quality_check_mismatch")
    malformed = api.post(
        f"/orders/{order_id}/quality-checks", json={"comparison": {"moved": 1}},
        headers=buyer.headers,
    )  # fmt: skip
    assert malformed.status_code == 422
    assert set(malformed.json()) == {"error", "message"}

    fine = check(api, buyer, order_id, compare(report, report))
    assert (fine.status_code, fine.json()["verdict"]) == (201, "matches")
    accepted = api.post(f"/orders/{order_id}/accept", headers=keyed(buyer.headers))
    assert accepted.status_code == 200, accepted.text
    (entry,) = [e for e in entries(api, f"order:{order_id}") if e["kind"] == "order.accepted"]
    assert entry["payload"]["quality_check_seq"] == fine.json()["journal_seq"]


def test_an_acceptance_without_a_check_cites_none(
    api: TestClient, asset_runtime: Runtime, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    order_id = bought(api, asset_runtime, buyer, listing["id"])
    deliver(asset_runtime.engine, order_id)
    assert api.post(f"/orders/{order_id}/accept", headers=keyed(buyer.headers)).status_code == 200
    (entry,) = [e for e in entries(api, f"order:{order_id}") if e["kind"] == "order.accepted"]
    assert "quality_check_seq" not in entry["payload"]


def test_a_self_custody_buyer_signs_the_check_locally(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party
) -> None:
    wallet = Account.create()
    body = siwe_body(api, wallet, organization={"name": "Own Keys Ltd", "roles": ["buyer"]})
    token = api.post("/auth/siwe", json=body).json()["access_token"]
    me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    assert api.post(f"/organizations/{who.organization_id}/verify", headers=ops.headers).is_success
    listing = on_sale(api, supplier, ops)
    order = {"listing_id": listing["id"], "purpose": "research"}
    draft = api.post("/orders/draft", json=order, headers=who.headers).json()
    order_id = bought(
        api, asset_runtime, who, listing["id"],
        signature=signing.sign(bytes(wallet.key), draft["typed_data"]),
        nonce=int(draft["nonce"]), deadline=draft["deadline"],
    )  # fmt: skip
    deliver(asset_runtime.engine, order_id)
    report = anchored(api, who, listing["asset_id"])
    comparison = compare(report, report)

    unsigned = check(api, who, order_id, comparison)
    assert (unsigned.status_code, unsigned.json()["error"]) == (400, "not_custodial")
    path = f"/orders/{order_id}/quality-checks/draft"
    typed = api.post(
        path, json={"comparison": comparison.model_dump(mode="json")}, headers=who.headers
    ).json()
    assert typed["message"]["verdict"] == "matches"
    forged = check(
        api, who, order_id, comparison,
        signature=signing.sign(bytes(Account.create().key), typed),
    )  # fmt: skip
    assert (forged.status_code, forged.json()["error"]) == (422, "quality_check_mismatch")

    r = check(api, who, order_id, comparison, signature=signing.sign(bytes(wallet.key), typed))
    assert r.status_code == 201, r.text
    assert (r.json()["signer"], r.json()["verdict"]) == (who.address, "matches")
