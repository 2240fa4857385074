"""Certified valuations (signed by a valuer, EIP-712), one valuation by id, and the market
approach's comparables seam, over HTTP on both databases."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ledger.models import JournalEntry
from marketplace.identity import signing
from marketplace.runtime import Runtime
from marketplace.valuation import repository
from marketplace.valuation.models import Valuation
from tests.marketplace.assets.helpers import CSV, Party, create, registered_listed, upload
from tests.marketplace.identity.helpers import bearer, new_wallet, siwe_body
from tests.marketplace.valuation.helpers import COST, INCOME, MARKET, grant, valuer


def _entries(runtime: Runtime) -> list[JournalEntry]:
    with Session(runtime.engine) as session:
        return list(
            session.exec(select(JournalEntry).where(JournalEntry.kind == "valuation.issued")).all()
        )


def _typed(document: dict[str, object]) -> dict[str, object]:
    message = dict(document["message"])  # type: ignore[call-overload]
    message["reportHash"] = bytes.fromhex(str(message["reportHash"]).removeprefix("0x"))
    return {**document, "message": message}


def test_a_custodial_valuer_certifies_and_the_entry_carries_its_signature(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    vera = valuer(api, ops)

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"kind": "certified", "inputs": {"cost": COST, "income": INCOME}},
        headers=vera.headers,
    )

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "certified"
    assert body["report"]["kind"] == "certified"
    (entry,) = _entries(asset_runtime)
    assert entry.seq == body["journal_seq"]
    assert entry.signature == body["signature"]
    assert entry.actor == vera.address
    payload = json.loads(entry.payload_json)
    assert payload["report_hash"] == body["report_hash"]
    assert payload["kind"] == "certified"
    # Anyone can check the signature from the entry alone.
    document = _typed(body["certification"]["typed_data"])
    assert signing.recover(document, str(entry.signature)) == vera.address
    assert document["message"]["reportHash"].hex() == body["report_hash"][2:]  # type: ignore[index]


def test_only_a_valuer_may_certify(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)

    for who in (supplier, ops):
        r = api.post(
            f"/assets/{asset_id}/valuations",
            json={"kind": "certified", "inputs": {"income": INCOME}},
            headers=who.headers,
        )
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "role_required"
    assert _entries(asset_runtime) == []


def test_an_unverified_valuer_may_neither_certify_nor_value(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    vera = valuer(api, ops, verified=False)

    for path, kind in (("valuations", "certified"), ("valuations/draft", "certified"),
                       ("valuations", "indicative")):  # fmt: skip
        r = api.post(
            f"/assets/{asset_id}/{path}",
            json={"kind": kind, "inputs": {"cost": COST, "income": INCOME}},
            headers=vera.headers,
        )
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "not_verified"
    assert _entries(asset_runtime) == []
    assert api.get(f"/assets/{asset_id}/valuations").json() == []


def test_a_valuation_without_a_value_is_never_certified(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    vera = valuer(api, ops)
    too_few = {**MARKET, "comparables": MARKET["comparables"][:2]}

    for path in ("valuations", "valuations/draft"):
        r = api.post(
            f"/assets/{asset_id}/{path}",
            json={"kind": "certified", "inputs": {"market": too_few}},
            headers=vera.headers,
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "no_value_to_certify"
        assert "insufficient comparables: 2 of at least 3" in r.json()["message"]
    assert _entries(asset_runtime) == []
    assert "No valuation yet." in api.get(f"/catalog/{asset_id}").text
    # An indicative report without a value is kept, but no page calls it a valuation.
    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"kind": "indicative", "inputs": {"market": too_few}},
        headers=supplier.headers,
    )
    assert r.status_code == 201, r.text
    page = api.get(f"/catalog/{asset_id}").text
    assert "No valuation yet." in page
    assert "no opinion" in page
    assert f"Valuation {r.json()['id']}" not in page


def test_a_self_custody_valuer_signs_the_draft_locally(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    wallet = new_wallet()
    r = api.post(
        "/auth/siwe",
        json=siwe_body(api, wallet, organization={"name": "Wallet Appraisal", "roles": []}),
    )
    assert r.status_code in (200, 201), r.text
    token = r.json()["access_token"]
    me = api.get("/me", headers=bearer(token)).json()
    vera = Party(token, me["organization"]["id"], me["account"]["address"])
    grant(api, ops, vera, "valuer")
    request = {"kind": "certified", "inputs": {"income": INCOME}}

    draft = api.post(
        f"/assets/{asset_id}/valuations/draft", json=request, headers=vera.headers
    ).json()
    signature = signing.sign(wallet.key, _typed(draft["typed_data"]))
    signed = request | {
        "issued_at": draft["issued_at"],
        "nonce": int(draft["nonce"]),
        "deadline": draft["deadline"],
        "signature": signature,
    }
    r = api.post(f"/assets/{asset_id}/valuations", json=signed, headers=vera.headers)

    assert r.status_code == 201, r.text
    assert r.json()["report_hash"] == draft["report_hash"]
    (entry,) = _entries(asset_runtime)
    assert entry.signature == signature
    # The same signed message is accepted once.
    again = api.post(f"/assets/{asset_id}/valuations", json=signed, headers=vera.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "nonce_reused"


def test_a_signature_over_other_inputs_is_refused(
    api: TestClient, supplier: Party, ops: Party, asset_runtime: Runtime
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    wallet = new_wallet()
    r = api.post(
        "/auth/siwe",
        json=siwe_body(api, wallet, organization={"name": "Wallet Appraisal", "roles": []}),
    )
    token = r.json()["access_token"]
    me = api.get("/me", headers=bearer(token)).json()
    vera = Party(token, me["organization"]["id"], me["account"]["address"])
    grant(api, ops, vera, "valuer")
    draft = api.post(
        f"/assets/{asset_id}/valuations/draft",
        json={"kind": "certified", "inputs": {"income": INCOME}},
        headers=vera.headers,
    ).json()
    signature = signing.sign(wallet.key, _typed(draft["typed_data"]))
    inflated = INCOME | {"annual_income_minor": 9_000_000}

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={
            "kind": "certified",
            "inputs": {"income": inflated},
            "issued_at": draft["issued_at"],
            "nonce": int(draft["nonce"]),
            "deadline": draft["deadline"],
            "signature": signature,
        },
        headers=vera.headers,
    )

    assert r.status_code == 400, r.text
    assert r.json()["error"] == "signature_rejected"
    assert _entries(asset_runtime) == []


def test_a_signature_on_an_indicative_request_is_422(api: TestClient, supplier: Party) -> None:
    r = api.post(
        "/assets/1/valuations",
        json={"inputs": {"income": INCOME}, "signature": "0x" + "11" * 65},
        headers=supplier.headers,
    )

    assert r.status_code == 422


def test_one_valuation_by_id_is_public_for_a_listed_asset(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = registered_listed(api, supplier, ops)
    issued = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"income": INCOME}},
        headers=supplier.headers,
    ).json()

    r = api.get(f"/assets/{asset_id}/valuations/{issued['id']}")

    assert r.status_code == 200, r.text
    assert r.json()["value_minor"] == 497_370
    assert r.json()["signature"] is None
    assert api.get(f"/assets/{asset_id}/valuations/{issued['id'] + 99}").status_code == 404
    assert api.get(f"/assets/{asset_id + 99}/valuations/{issued['id']}").status_code == 404


def test_market_comparables_are_the_valuers_own_until_trades_settle(
    api: TestClient, supplier: Party, asset_runtime: Runtime
) -> None:
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, CSV).status_code == 201

    r = api.post(
        f"/assets/{asset_id}/valuations",
        json={"inputs": {"market": MARKET}},
        headers=supplier.headers,
    )

    assert r.status_code == 201, r.text
    assert r.json()["value_minor"] == 1_600_000  # docs/valuation.md's worked example
    with Session(asset_runtime.engine) as session:
        stored = session.get(Valuation, r.json()["id"])
        assert stored is not None
        sources = [c["source"] for c in stored.inputs["market"]["comparables"]]
        seam = repository.market_comparables(session, asset_id, [])
    assert sources == ["valuer", "valuer", "valuer"]  # none passed off as the exchange's
    assert seam == []  # no settled trades exist yet, and none are invented
