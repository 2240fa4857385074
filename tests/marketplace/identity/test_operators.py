"""Operator endpoints (403 for everyone else) and the verified-role guards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from marketplace.app import create_app
from marketplace.identity import VerifiedBuyer, VerifiedSupplier
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import bearer, operator_token, row_counts, signup

# A tiny market, mounted only in these tests, guarded the way listing and buying will be.
market = APIRouter()


@market.post("/_test/listings")
def list_something(supplier: VerifiedSupplier) -> dict[str, int]:
    return {"organization_id": supplier.organization.id or 0}


@market.post("/_test/purchases")
def buy_something(buyer: VerifiedBuyer) -> dict[str, int]:
    return {"organization_id": buyer.organization.id or 0}


@pytest.fixture
def market_api(id_runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime=id_runtime)
    app.include_router(market)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _org_id(api: TestClient, token: str) -> int:
    return int(api.get("/me", headers=bearer(token)).json()["organization"]["id"])


def test_operator_verifies_an_organisation_which_may_then_list_and_buy(
    api: TestClient, id_runtime: Runtime
) -> None:
    ops = operator_token(api, id_runtime)
    ada = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier", "buyer"])["access_token"]
    org_id = _org_id(api, ada)
    r = api.post(f"/organizations/{org_id}/verify", headers=bearer(ops))
    assert r.status_code == 200, r.text
    assert r.json()["verified"] is True
    me = api.get("/me", headers=bearer(ada)).json()
    assert me["organization"]["verified"] is True
    assert me["can_list"] is True
    assert me["can_buy"] is True


def test_verifying_twice_changes_nothing(api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(api, id_runtime)
    ada = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    org_id = _org_id(api, ada)
    first = api.post(f"/organizations/{org_id}/verify", headers=bearer(ops)).json()
    before = row_counts(id_runtime.engine)
    second = api.post(f"/organizations/{org_id}/verify", headers=bearer(ops)).json()
    assert second["verified_at"] == first["verified_at"]
    assert row_counts(id_runtime.engine) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/organizations/{id}/verify", None),
        ("POST", "/organizations/{id}/roles", {"role": "arbitrator"}),
        ("GET", "/organizations", None),
    ],
)
def test_non_operator_gets_403_on_operator_endpoints(
    api: TestClient, id_runtime: Runtime, method: str, path: str, body: object
) -> None:
    ada = signup(api, "ada@example.org", "Ada Data Ltd", ["supplier", "buyer"])["access_token"]
    before = row_counts(id_runtime.engine)
    r = api.request(method, path.format(id=_org_id(api, ada)), headers=bearer(ada), json=body)
    assert r.status_code == 403
    assert r.json()["error"] == "role_required"
    assert "operator role" in r.json()["message"]
    assert row_counts(id_runtime.engine) == before


def test_operator_endpoints_without_a_token_are_401(api: TestClient) -> None:
    assert api.post("/organizations/1/verify").status_code == 401


def test_operator_grants_arbitrator_role(api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(api, id_runtime)
    judge = signup(api, "judge@example.org", "Fair Rulings", ["buyer"])["access_token"]
    org_id = _org_id(api, judge)
    r = api.post(f"/organizations/{org_id}/roles", headers=bearer(ops), json={"role": "arbitrator"})
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["arbitrator", "buyer"]
    again = api.post(
        f"/organizations/{org_id}/roles", headers=bearer(ops), json={"role": "arbitrator"}
    )
    assert again.json()["roles"] == ["arbitrator", "buyer"]


def test_unknown_role_is_422(api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(api, id_runtime)
    r = api.post("/organizations/1/roles", headers=bearer(ops), json={"role": "king"})
    assert r.status_code == 422


def test_verifying_an_unknown_organisation_is_404(api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(api, id_runtime)
    r = api.post("/organizations/999999/verify", headers=bearer(ops))
    assert r.status_code == 404
    r = api.post(f"/organizations/{2**63}/verify", headers=bearer(ops))
    assert r.status_code == 422


def test_operator_lists_organisations_and_filters_unverified(
    api: TestClient, id_runtime: Runtime
) -> None:
    ops = operator_token(api, id_runtime)
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    signup(api, "bob@example.org", "Bob Buys", ["buyer"])
    everyone = api.get("/organizations", headers=bearer(ops)).json()
    assert everyone["total"] == 3
    assert [o["name"] for o in everyone["items"]] == [
        "Exchange operations",
        "Ada Data Ltd",
        "Bob Buys",
    ]
    queue = api.get("/organizations?verified=false&limit=1", headers=bearer(ops)).json()
    assert queue["total"] == 2
    assert [o["name"] for o in queue["items"]] == ["Ada Data Ltd"]


def test_unverified_supplier_cannot_list(market_api: TestClient) -> None:
    ada = signup(market_api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    r = market_api.post("/_test/listings", headers=bearer(ada))
    assert r.status_code == 403
    assert r.json()["error"] == "not_verified"
    assert r.json()["message"].startswith("organisation not verified")


def test_unverified_buyer_cannot_buy(market_api: TestClient) -> None:
    bob = signup(market_api, "bob@example.org", "Bob Buys", ["buyer"])["access_token"]
    r = market_api.post("/_test/purchases", headers=bearer(bob))
    assert r.status_code == 403
    assert r.json()["message"].startswith("organisation not verified")


def test_verified_buyer_without_supplier_role_cannot_list(
    market_api: TestClient, id_runtime: Runtime
) -> None:
    ops = operator_token(market_api, id_runtime)
    bob = signup(market_api, "bob@example.org", "Bob Buys", ["buyer"])["access_token"]
    market_api.post(f"/organizations/{_org_id(market_api, bob)}/verify", headers=bearer(ops))
    assert market_api.post("/_test/purchases", headers=bearer(bob)).status_code == 200
    r = market_api.post("/_test/listings", headers=bearer(bob))
    assert r.status_code == 403
    assert r.json()["error"] == "role_required"
    assert "supplier role" in r.json()["message"]


def test_verified_supplier_may_list(market_api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(market_api, id_runtime)
    ada = signup(market_api, "ada@example.org", "Ada Data Ltd", ["supplier"])["access_token"]
    org_id = _org_id(market_api, ada)
    market_api.post(f"/organizations/{org_id}/verify", headers=bearer(ops))
    r = market_api.post("/_test/listings", headers=bearer(ada))
    assert r.status_code == 200
    assert r.json() == {"organization_id": org_id}


def test_an_arbitration_body_signs_up_with_no_role_and_waits_for_the_operator(
    api: TestClient, id_runtime: Runtime
) -> None:
    token = signup(api, "chamber@example.org", "Arbitration Chamber", [])["access_token"]
    me = api.get("/me", headers=bearer(token)).json()
    assert me["organization"]["roles"] == []
    assert (me["can_list"], me["can_buy"]) == (False, False)
    ops = operator_token(api, id_runtime)
    org_id = _org_id(api, token)
    r = api.post(f"/organizations/{org_id}/roles", headers=bearer(ops), json={"role": "arbitrator"})
    assert r.json()["roles"] == ["arbitrator"]


def test_the_operator_role_is_never_granted_over_http(api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(api, id_runtime)
    other = signup(api, "mallory@example.org", "Mallory Ops", ["buyer"])["access_token"]
    org_id = _org_id(api, other)
    r = api.post(f"/organizations/{org_id}/roles", headers=bearer(ops), json={"role": "operator"})
    assert r.status_code == 403
    assert r.json()["error"] == "grant_refused"
    assert "bourse operator grant" in r.json()["message"]
    assert api.get("/me", headers=bearer(other)).json()["organization"]["roles"] == ["buyer"]


def test_an_operator_grants_no_role_to_its_own_organisation(
    api: TestClient, id_runtime: Runtime
) -> None:
    ops = operator_token(api, id_runtime)
    own = _org_id(api, ops)
    for role in ("valuer", "arbitrator", "supplier", "operator"):
        r = api.post(f"/organizations/{own}/roles", headers=bearer(ops), json={"role": role})
        assert r.status_code == 403, role
        assert r.json()["error"] == "grant_refused"
    assert api.get("/me", headers=bearer(ops)).json()["organization"]["roles"] == ["operator"]


def test_an_unknown_organisation_is_named_in_the_404(api: TestClient, id_runtime: Runtime) -> None:
    ops = operator_token(api, id_runtime)
    r = api.post("/organizations/999/verify", headers=bearer(ops))
    assert r.status_code == 404
    assert r.json() == {"error": "organization_not_found", "message": "no organisation 999"}
