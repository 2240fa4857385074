"""The caller of an ``@idempotent`` route is checked before its key is claimed: no token, an
unknown or a revoked one is a 401, a caller without the route's role or not verified a 403, and
none of these claims the key: the same key then works for the right caller, and runs afresh."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.marketplace.assets.helpers import Party, party, verify
from tests.marketplace.identity.helpers import PASSWORD, bearer
from tests.marketplace.orders.helpers import on_sale, order_kinds

KEY = "0d8f1c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f"


def _place(api: TestClient, headers: dict[str, str], listing_id: int) -> Any:
    return api.post(
        "/orders",
        json={"listing_id": listing_id, "purpose": "research"},
        headers={**headers, "Idempotency-Key": KEY},
    )


def test_no_token_is_a_401_before_the_key_is_looked_at(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    body = {"listing_id": listing["id"], "purpose": "research"}
    for headers in ({}, {"Authorization": "Basic abc"}):
        r = api.post("/orders", json=body, headers=headers)  # no Idempotency-Key either
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "not_authenticated"
    assert order_kinds(api) == []


def test_an_unknown_or_revoked_token_is_a_401_and_leaves_the_key_free(
    api: TestClient, supplier: Party, buyer: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    body = {"listing_id": listing["id"], "purpose": "research"}
    keyless = api.post("/orders", json=body, headers=bearer("dbt_" + "A" * 43))
    assert keyless.status_code == 401  # the caller is found before the key is looked at
    assert keyless.json()["error"] == "invalid_token"
    unknown = _place(api, bearer("dbt_" + "A" * 43), listing["id"])
    assert unknown.status_code == 401, unknown.text
    assert unknown.json()["error"] == "invalid_token"
    assert api.post("/auth/logout", headers=buyer.headers).status_code == 200
    revoked = _place(api, buyer.headers, listing["id"])
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "token_revoked"
    assert order_kinds(api) == []

    login = api.post("/auth/login", json={"email": "carol@buyer.test", "password": PASSWORD})
    placed = _place(api, bearer(login.json()["access_token"]), listing["id"])
    assert placed.status_code == 201, placed.text
    assert "idempotent-replayed" not in placed.headers
    assert order_kinds(api) == ["order.placed"]


def test_a_caller_without_the_role_or_unverified_is_a_403_and_leaves_the_key_free(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    own = _place(api, supplier.headers, listing["id"])  # a supplier is not a buyer
    assert own.status_code == 403
    assert own.json()["error"] == "role_required"
    newcomer = party(api, "nia@buyer.test", "Nia Newcomer", ["buyer"])
    refused = _place(api, newcomer.headers, listing["id"])
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_verified"
    assert order_kinds(api) == []

    verify(api, ops, newcomer)
    placed = _place(api, newcomer.headers, listing["id"])
    assert placed.status_code == 201, placed.text
    assert "idempotent-replayed" not in placed.headers
    assert placed.json()["buyer_organization_id"] == newcomer.organization_id


def test_the_api_document_still_asks_for_the_bearer_token(api: TestClient) -> None:
    document = api.get("/openapi.json").json()
    purchase = document["paths"]["/orders/purchase"]["post"]
    assert purchase["security"] == [{"HTTPBearer": []}]
    assert "Idempotency-Key" in {p["name"] for p in purchase["parameters"]}
