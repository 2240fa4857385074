"""Scenarios for the signed-action suite (test_signed_actions.py): for each EIP-712 document the
API accepts from a self-custody caller, the state just before the caller signs, the document the
exchange hands out to sign, and how the caller sends its signature.

A scenario's ``send`` reads what the body carries besides the signature (nonce and deadline, or
``submittedAt``) from the signed document's message, so a document altered before signing (an
expired deadline) is sent as signed."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from marketplace import limits
from marketplace.disputes.evidence_document import EvidenceToSign
from marketplace.identity import signing
from marketplace.quality import QualityReport, compare
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party, create, registered_listed, upload, verify
from tests.marketplace.delivery.helpers import issued, licence_of
from tests.marketplace.disputes.conftest import arbitrator, make_arbitrator
from tests.marketplace.disputes.helpers import after_evidence, at, open_dispute, paid_order
from tests.marketplace.identity.helpers import bearer, new_wallet, siwe_body
from tests.marketplace.listings.helpers import approved_self_signed, offer
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import deliver, fund
from tests.marketplace.quotes.helpers import demand, listing, quote_body, send_quote
from tests.marketplace.valuation.helpers import INCOME, grant

FEES_MINOR = 50_000  # more than a dispute's arbitration fee
Send = Callable[[dict[str, Any], str], httpx.Response]


@dataclass(frozen=True)
class World:
    """The test's app and the parties every scenario may use (custodial, verified)."""

    api: TestClient
    runtime: Runtime
    ops: Party
    supplier: Party
    buyer: Party
    monkeypatch: pytest.MonkeyPatch


@dataclass(frozen=True)
class Scenario:
    wallet: LocalAccount  # the self-custody caller's key
    typed: dict[str, Any]  # the EIP-712 document the exchange asks it to sign (wallet JSON)
    send: Send  # sends a signed document: the request the action takes


def self_custody(world: World, name: str, roles: list[str]) -> tuple[Party, LocalAccount]:
    """A verified organisation whose account holds its own key (signed in with Ethereum)."""
    wallet = new_wallet()
    body = siwe_body(world.api, wallet, organization={"name": name, "roles": roles})
    r = world.api.post("/auth/siwe", json=body)
    assert r.status_code in (200, 201), r.text
    token = r.json()["access_token"]
    me = world.api.get("/me", headers=bearer(token)).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    verify(world.api, world.ops, who)
    return who, wallet


def sign(wallet: LocalAccount, typed: dict[str, Any]) -> str:
    return signing.sign(bytes(wallet.key), typed)


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.is_success, r.text
    body: dict[str, Any] = r.json()
    return body


def _nonce_deadline(typed: dict[str, Any]) -> dict[str, int]:
    return {"nonce": int(typed["message"]["nonce"]), "deadline": int(typed["message"]["deadline"])}


def _signed_purchase(world: World, who: Party, wallet: LocalAccount) -> int:
    """A self-custody buyer's order, signed locally and paid from its deposit: the order id."""
    on = on_sale(world.api, world.supplier, world.ops)
    fund(world.runtime.engine, who.organization_id, PRICE_MINOR + FEES_MINOR)
    order = {"listing_id": on["id"], "purpose": "research"}
    draft = _ok(world.api.post("/orders/draft", json=order, headers=who.headers))
    typed = draft["typed_data"]
    signed = {**order, "signature": sign(wallet, typed), **_nonce_deadline(typed)}
    r = world.api.post("/orders/purchase", json=signed, headers=keyed(who.headers))
    return int(_ok(r)["id"])


def listing_offer(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Supply", ["supplier"])
    body = offer(approved_self_signed(world.api, who, wallet, world.ops))
    typed = _ok(world.api.post("/listings/draft", json=body, headers=who.headers))["typed_data"]

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {**body, "signature": signature, **_nonce_deadline(signed)}
        return world.api.post("/listings", json=payload, headers=who.headers)

    return Scenario(wallet, typed, send)


def asset_registration(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Registry", ["supplier"])
    asset_id = int(create(world.api, who)["id"])
    assert upload(world.api, who, asset_id, CSV).status_code == 201
    application = _ok(world.api.get(f"/assets/{asset_id}/application", headers=who.headers))

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {"signature": signature, **_nonce_deadline(signed)}
        return world.api.post(f"/assets/{asset_id}/submit", json=payload, headers=who.headers)

    return Scenario(wallet, application["typed_data"], send)


def quote(world: World) -> Scenario:
    offered = listing(world.api, world.supplier, world.ops)
    demand_id = demand(world.api, world.buyer)
    wallet, headers = _member(world, world.supplier)
    body = quote_body(offered["id"])
    path = f"/demands/{demand_id}/quotes"
    typed = _ok(world.api.post(f"{path}/draft", json=body, headers=headers))["typed_data"]

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {**body, "signature": signature, **_nonce_deadline(signed)}
        return world.api.post(path, json=payload, headers=headers)

    return Scenario(wallet, typed, send)


def _member(world: World, admin: Party) -> tuple[LocalAccount, dict[str, str]]:
    """A self-custody account joining ``admin``'s (verified) organisation by invite."""
    code = _ok(world.api.post("/organizations/me/invites", headers=admin.headers, json={}))
    wallet = new_wallet()
    r = world.api.post("/auth/siwe", json=siwe_body(world.api, wallet, invite_code=code["code"]))
    return wallet, bearer(_ok(r)["access_token"])


def quote_acceptance(world: World) -> Scenario:
    offered = listing(world.api, world.supplier, world.ops)
    demand_id = demand(world.api, world.buyer)
    sent = send_quote(world.api, world.supplier, demand_id, offered["id"])
    wallet, headers = _member(world, world.buyer)
    path = f"/quotes/{sent['id']}/accept"
    typed = _ok(world.api.post(f"{path}/draft", headers=headers))["typed_data"]

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {"signature": signature, **_nonce_deadline(signed)}
        return world.api.post(path, json=payload, headers=headers)

    return Scenario(wallet, typed, send)


def certified_valuation(world: World) -> Scenario:
    asset_id = registered_listed(world.api, world.supplier, world.ops)
    vera, wallet = self_custody(world, "Own Keys Appraisal", [])
    grant(world.api, world.ops, vera, "valuer")
    request = {"kind": "certified", "inputs": {"income": INCOME}}
    path = f"/assets/{asset_id}/valuations"
    draft = _ok(world.api.post(f"{path}/draft", json=request, headers=vera.headers))

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {**request, "issued_at": draft["issued_at"], "signature": signature,
                   **_nonce_deadline(signed)}  # fmt: skip
        return world.api.post(path, json=payload, headers=vera.headers)

    return Scenario(wallet, draft["typed_data"], send)


def order(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Buying", ["buyer"])
    on = on_sale(world.api, world.supplier, world.ops)
    fund(world.runtime.engine, who.organization_id, PRICE_MINOR)
    body = {"listing_id": on["id"], "purpose": "research"}
    typed = _ok(world.api.post("/orders/draft", json=body, headers=who.headers))["typed_data"]

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {**body, "signature": signature, **_nonce_deadline(signed)}
        return world.api.post("/orders/purchase", json=payload, headers=keyed(who.headers))

    return Scenario(wallet, typed, send)


def delivery_receipt(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Receiving", ["buyer"])
    licence_id = licence_of(world.runtime, _signed_purchase(world, who, wallet))
    url = issued(world.api, who, licence_id)
    received = world.api.get(url["path"]).content
    served = {"served_seq": url["served_seq"], "sha256": hashlib.sha256(received).hexdigest()}
    path = f"/licences/{licence_id}/receipt"
    typed = _ok(world.api.get(f"{path}/draft", params=served, headers=who.headers))

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        return world.api.post(path, json={**served, "signature": signature}, headers=who.headers)

    return Scenario(wallet, typed, send)


def quality_check(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Checking", ["buyer"])
    order_id = _signed_purchase(world, who, wallet)
    deliver(world.runtime.engine, order_id)
    found = _ok(world.api.get(f"/orders/{order_id}", headers=who.headers))
    asset = _ok(world.api.get(f"/listings/{found['listing_id']}", headers=who.headers))["asset_id"]
    quality = _ok(world.api.get(f"/assets/{asset}/quality", headers=who.headers))
    report = QualityReport.model_validate(quality["report"])
    body = {"comparison": compare(report, report).model_dump(mode="json")}
    path = f"/orders/{order_id}/quality-checks"
    typed = _ok(world.api.post(f"{path}/draft", json=body, headers=who.headers))

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        return world.api.post(path, json={**body, "signature": signature}, headers=who.headers)

    return Scenario(wallet, typed, send)


EVIDENCE = b"row,expected,received\n1,100,50\n"


def _evidence_typed(
    world: World, dispute_id: int, kind: str, content: bytes, title: str
) -> dict[str, Any]:
    """The ``Evidence`` document a self-custody party signs now (there is no draft to ask)."""
    domain = signing.domain(world.runtime.chain_id, world.runtime.contract_address)
    document = EvidenceToSign(
        dispute_id=dispute_id, kind=kind, sha256=hashlib.sha256(content).hexdigest(),
        title=title, submitted_at=int(time.time()),
    )  # fmt: skip
    return signing.wallet_json(document.typed_data(domain))


def evidence(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Disputing", ["buyer"])
    arbitrator(world.api, world.ops, 1)  # a dispute opens only with an arbitrator to draw
    dispute_id = int(open_dispute(world.api, who, _signed_purchase(world, who, wallet))["id"])
    typed = _evidence_typed(world, dispute_id, "file", EVIDENCE, "Comparison")

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        params = {"title": "Comparison", "signature": signature,
                  "submitted_at": signed["message"]["submittedAt"]}  # fmt: skip
        return world.api.post(
            f"/upload/disputes/{dispute_id}/evidence", content=EVIDENCE, params=params,
            headers={**keyed(who.headers), "Content-Type": "application/octet-stream"},
        )  # fmt: skip

    return Scenario(wallet, typed, send)


STATEMENT = "Half the rows the report promised are missing."


def statement(world: World) -> Scenario:
    who, wallet = self_custody(world, "Own Keys Stating", ["buyer"])
    arbitrator(world.api, world.ops, 1)
    dispute_id = int(open_dispute(world.api, who, _signed_purchase(world, who, wallet))["id"])
    typed = _evidence_typed(world, dispute_id, "statement", STATEMENT.encode(), "Statement")

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        body = {"text": STATEMENT, "title": "Statement", "signature": signature,
                "submitted_at": signed["message"]["submittedAt"]}  # fmt: skip
        return world.api.post(
            f"/disputes/{dispute_id}/evidence", json=body, headers=keyed(who.headers)
        )

    return Scenario(wallet, typed, send)


def ruling(world: World) -> Scenario:
    judge, wallet = self_custody(world, "Own Keys Arbitration", ["buyer"])
    make_arbitrator(world.api, world.ops, judge)
    paid = paid_order(world.api, world.runtime, world.supplier, world.buyer, world.ops)
    dispute = open_dispute(world.api, world.buyer, paid["id"])
    at(world.monkeypatch, after_evidence(dispute))
    body = {"outcome": "refund", "reasons": "The file lacks half the rows the report promised."}
    path = f"/disputes/{dispute['id']}/ruling"
    typed = _ok(world.api.post(f"{path}/draft", json=body, headers=judge.headers))["typed_data"]

    def send(signed: dict[str, Any], signature: str) -> httpx.Response:
        payload = {**body, "signature": signature, **_nonce_deadline(signed)}
        return world.api.post(path, json=payload, headers=judge.headers)

    return Scenario(wallet, typed, send)


def past_deadline(typed: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The document with a deadline a minute before ``now`` (the exchange's clock)."""
    return {**typed, "message": {**typed["message"], "deadline": int(now.timestamp()) - 60}}


def stale_submission(typed: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Evidence signed further in the past than the clock skew the exchange allows."""
    stale = int(now.timestamp()) - limits.evidence_clock_skew_s - 60
    return {**typed, "message": {**typed["message"], "submittedAt": stale}}
