# ruff: noqa: E501  # the matrix is a table: one route per line, read across
"""The authorisation matrix: every route the app serves, asked by anonymous, by an organisation
holding each role alone, by the owner of the object and by another organisation holding the
owner's role, answers with the status a user should get (OWASP API1 object level, API3 property
level, API5 function level).

The routes are read from the app, so a route missing from ``TABLE`` fails with its name, and so
does a row for a route the app no longer serves. Expectations follow docs/api.md: 401 without a
token, 403 for a role that may not call the route (or for an object that is public but not
yours), 404 for another organisation's private object (its existence is not revealed). The world
is built once per database (tests/marketplace/authz_world.py); each request either is refused or
targets an object set aside for it, so no cell changes what another cell sees.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketplace.auctions.commitment import commitment
from tests.conftest import DATABASES
from tests.marketplace.assets.helpers import CHECKLIST_OK, Party
from tests.marketplace.assets.helpers import metadata as asset_metadata
from tests.marketplace.auctions.helpers import auction_body, salt
from tests.marketplace.authz_world import OBJECTION, World, build, world_app
from tests.marketplace.identity.helpers import PASSWORD, bearer, new_wallet, siwe_body
from tests.marketplace.listings.helpers import offer
from tests.marketplace.matching.helpers import demand_body
from tests.marketplace.quotes.helpers import quote_body
from tests.marketplace.valuation.helpers import COST, INCOME
from tests.routes import served_routes

ANON, SUPPLIER, BUYER, OPERATOR = "anonymous", "supplier", "buyer", "operator"
ARBITRATOR, VALUER, OWNER, OTHER = "arbitrator", "valuer", "owner", "other"
PRINCIPALS = (ANON, SUPPLIER, BUYER, OPERATOR, ARBITRATOR, VALUER, OTHER, OWNER)  # owner last
ROLES = (SUPPLIER, BUYER, OPERATOR, ARBITRATOR, VALUER)

# Who the owner of a row's object is, and the other organisation holding the same role.
OWNERS = {
    "supplier": ("supplier_a", "supplier_b"),
    "buyer": ("buyer_a", "buyer_b"),
    "arbitrator": ("arbitrator_a", "arbitrator_b"),
}
# The world id each path parameter takes unless a row says otherwise.
PARAMS = {
    "asset_id": "asset",
    "number": "revision",
    "listing_id": "listing",
    "order_id": "order",
    "demand_id": "demand",
    "quote_id": "quote",
    "auction_id": "auction",
    "licence_id": "licence",
    "token": "download_token",
    "dispute_id": "dispute",
    "evidence_id": "evidence",
    "objection_id": "objection",
    "notification_id": "notification",
    "payment_id": "payment",
    "hold_id": "hold",
    "seq": "seq",
    "valuation_id": "valuation",
    "organization_id": "organization",
    "name": "static_file",
    "fmt": "statement_format",
}

Request = dict[str, Any]  # keyword arguments of TestClient.request


@dataclass(frozen=True)
class Caller:
    """One principal of a row: its name in the matrix and the world's party it is (none for
    anonymous)."""

    name: str
    key: str | None
    party: Party | None

    @property
    def headers(self) -> dict[str, str]:
        return self.party.headers if self.party else {}


Body = Callable[[TestClient, World, Caller], Request]
Prepare = Callable[[TestClient, World, Caller], dict[str, str] | None]  # may swap the headers
Check = Callable[[Caller, Any], None]  # asserts on a 2xx response to the caller


def cells(default: int, **by: int) -> dict[str, int]:
    """One expected status per principal: ``default`` unless named (``anonymous=401`` ...)."""
    unknown = set(by) - set(PRINCIPALS)
    assert not unknown, unknown
    return {p: by.get(p, default) for p in PRINCIPALS}


def anyone(status: int, **by: int) -> dict[str, int]:
    return cells(status, **by)


def token(status: int, **by: int) -> dict[str, int]:
    """Any signed-in caller; anonymous 401."""
    return cells(status, **{ANON: 401, **by})


def verified_supplier(owner: int, others: int = 403, **by: int) -> dict[str, int]:
    """Verified suppliers only (other roles 403); another supplier gets ``others``."""
    return token(403, **{OWNER: owner, SUPPLIER: others, OTHER: others, **by})


def verified_buyer(ok: int, **by: int) -> dict[str, int]:
    """Verified buyers only (other roles 403)."""
    return token(403, **{BUYER: ok, OWNER: ok, OTHER: ok, **by})


def operators(ok: int) -> dict[str, int]:
    return token(403, operator=ok)


def private(owner: int, **by: int) -> dict[str, int]:
    """The owner's organisation; every other signed-in caller 404 (the object is private)."""
    return token(404, **{OWNER: owner, **by})


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: dict[str, int]
    owner: str = "supplier"
    label: str = ""
    targets: dict[str, str] = field(default_factory=dict)
    body: Body | None = None
    prepare: Prepare | None = None
    check: Check | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.label}]" if self.label else "")


def js(value: Any) -> Body:
    """A JSON body: ``value``, or what it makes of the world."""
    return lambda api, w, c: {"json": value(w) if callable(value) else value}


def _signup(api: TestClient, w: World, c: Caller) -> Request:
    n = uuid.uuid4().hex[:12]
    org = {"name": f"New {n}", "roles": ["buyer"]}
    return {"json": {"email": f"{n}@new.test", "password": PASSWORD, "organization": org}}


def _siwe(api: TestClient, w: World, c: Caller) -> Request:
    org = {"name": f"Wallet {uuid.uuid4().hex[:12]}", "roles": ["buyer"]}
    return {"json": siwe_body(api, new_wallet(), organization=org)}


def _new_asset(api: TestClient, w: World, c: Caller) -> Request:
    return {"json": asset_metadata(title="Another price series")}


def _evidence_file(api: TestClient, w: World, c: Caller) -> Request:
    return {
        "content": b"rows 1-50 of 100 received",
        "params": {"title": "Comparison"},
        "headers": {"Content-Type": "application/octet-stream"},
    }


def _csv(api: TestClient, w: World, c: Caller) -> Request:
    return {"content": b"id,name,price\n1,apple,2.5\n", "headers": {"Content-Type": "text/csv"}}


def _upload(api: TestClient, w: World, c: Caller) -> Request:
    return {"content": b"id,secret\n2,y\n", "params": {"format": "csv"}}


def _auction(api: TestClient, w: World, c: Caller) -> Request:
    return {"json": auction_body(int(w.ids["exclusive_listing"]), w.clock)}


def _bid(api: TestClient, w: World, c: Caller) -> Request:
    address = c.party.address if c.party else new_wallet().address
    sealed = commitment(int(w.ids["auction_to_bid"]), address, 150_000, salt(1))
    return {"json": {"commitment": sealed, "purpose": "research"}}


def _transfer_to_self(api: TestClient, w: World, c: Caller) -> Request:
    return {"json": {"to_organization_id": w.parties["supplier_a"].organization_id}}


def _auctions_of_listing(api: TestClient, w: World, c: Caller) -> Request:
    return {"params": {"listing_id": w.ids["exclusive_listing"]}}


def _receipt_query(api: TestClient, w: World, c: Caller) -> Request:
    return {"params": w.bodies["receipt"]}


def _fresh_token(api: TestClient, w: World, c: Caller) -> dict[str, str] | None:
    """Logging out revokes the token: each caller logs out a token of its own."""
    if c.key is None:
        return None
    r = api.post("/auth/login", json={"email": w.emails[c.key], "password": PASSWORD})
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


def _member_token(api: TestClient, w: World, c: Caller) -> dict[str, str] | None:
    """Logging out everywhere revokes every token of an account: each caller does it as a new
    member of its organisation (same roles, same verification), invited by the world's party."""
    if c.party is None:
        return None
    invite = api.post("/organizations/me/invites", json={}, headers=c.headers)
    assert invite.status_code == 201, invite.text
    body = {
        "email": f"{uuid.uuid4().hex[:12]}@member.test",
        "password": PASSWORD,
        "invite_code": invite.json()["code"],
    }
    r = api.post("/auth/signup", json=body)
    assert r.status_code == 201, r.text
    return bearer(r.json()["access_token"])


def page(ok: int, role: str) -> dict[str, int]:
    """A signed-in page of ``role``: anonymous callers are sent to sign in (303), other roles
    get the 403 page."""
    return cells(403, **{ANON: 303, role: ok})


def _no_redirect(api: TestClient, w: World, c: Caller) -> Request:
    """A page answer as it is: a redirect is the answer, not the page it leads to."""
    return {"follow_redirects": False}


def _csrf(api: TestClient, headers: dict[str, str]) -> str:
    """The CSRF token a page gives this session (it binds to the caller's token)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', api.get("/", headers=headers).text)
    assert found is not None, "the home page has no CSRF field"
    return found.group(1)


def form(fields: dict[str, str]) -> Body:
    """A page form post as the browser sends it: the fields with the caller's CSRF token, so that
    authorisation, not the CSRF check, decides."""

    def body(api: TestClient, w: World, c: Caller) -> Request:
        data = {**fields, "csrf_token": _csrf(api, c.headers)}
        return {"data": data, "follow_redirects": False}

    return body


def page_as(
    role: str, ok: int, *, mine: int | None = None, others: int | None = None
) -> dict[str, int]:
    """A signed-in page of ``role``: the owner gets ``mine``, the role's other organisations
    ``others`` (both ``ok`` unless given); anonymous callers are sent to sign in, other roles 403."""
    theirs = ok if others is None else others
    return cells(
        403, **{ANON: 303, role: theirs, OTHER: theirs, OWNER: ok if mine is None else mine}
    )


def _html(api: TestClient, w: World, c: Caller) -> Request:
    """A page the browser asks for at one of the API's own paths (Accept: text/html)."""
    return {"headers": {"Accept": "text/html"}, "follow_redirects": False}


def html_form(fields: dict[str, str]) -> Body:
    """A form post to a page at one of the API's own paths."""

    def body(api: TestClient, w: World, c: Caller) -> Request:
        return {**form(fields)(api, w, c), "headers": {"Accept": "text/html"}}

    return body


def _page_upload(api: TestClient, w: World, c: Caller) -> Request:
    """The supplier page's upload: the raw file, the CSRF token in its header."""
    headers = {"X-CSRF-Token": _csrf(api, c.headers), "Content-Type": "application/octet-stream"}
    return {
        "content": b"id,name\n1,x\n",
        "params": {"format": "nonsense"},
        "headers": headers,
        "follow_redirects": False,
    }


def _evidence_upload(api: TestClient, w: World, c: Caller) -> Request:
    """The dispute page's upload: an empty file (refused after the access checks), the CSRF
    token in its header."""
    headers = {"X-CSRF-Token": _csrf(api, c.headers), "Content-Type": "application/octet-stream"}
    return {
        "content": b"",
        "params": {"title": "empty"},
        "headers": headers,
        "follow_redirects": False,
    }


def _sign_out_form(api: TestClient, w: World, c: Caller) -> Request:
    """Signing out of a page revokes the session's token: each caller signs out a fresh one."""
    headers = _fresh_token(api, w, c) or {}
    data = {"csrf_token": _csrf(api, headers)}
    return {"headers": headers, "data": data, "follow_redirects": False}


def _put_webhook(api: TestClient, w: World, c: Caller) -> None:
    if c.party:
        r = api.put("/organizations/me/webhook", json=WEBHOOK, headers=c.headers)
        assert r.status_code == 200, r.text


def _put_delivery_key(api: TestClient, w: World, c: Caller) -> None:
    if c.party:
        r = api.put("/organizations/me/delivery-key", json=DELIVERY_KEY, headers=c.headers)
        assert r.status_code == 200, r.text


def _fields(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (name, value) of a JSON document, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _fields(v)
    elif isinstance(value, list):
        for v in value:
            yield from _fields(v)


def no_owner_fields(*names: str, owner_sees: bool) -> Check:
    """No caller but operators (and the owner, when ``owner_sees``) gets a value for any of
    ``names`` in a 2xx response; when ``owner_sees``, the owner does get one (so the check
    bites)."""

    def check(caller: Caller, response: Any) -> None:
        given = sorted({k for k, v in _fields(response.json()) if k in names and v})
        if caller.name == OWNER and owner_sees:
            assert given, f"the owner sees none of {names}"
        elif caller.name != OPERATOR:
            assert not given, f"{caller.name} sees owner-only fields {given}"

    return check


def only_own(what: str, *fields: str, wider: tuple[str, ...] = (OPERATOR,)) -> Check:
    """A list route shows each caller (but the ``wider`` ones) only items that name its own
    organisation in one of ``fields``."""

    def check(caller: Caller, response: Any) -> None:
        if caller.name not in wider and caller.party is not None:
            own = caller.party.organization_id
            body = response.json()
            items = body["items"] if isinstance(body, dict) else body
            foreign = [item["id"] for item in items if own not in {item.get(f) for f in fields}]
            assert not foreign, f"{caller.name} sees {what} {foreign} of other organisations"

    return check


FIXED_BODY = js({"reason": "authorisation matrix"})
WEBHOOK = {"url": "http://127.0.0.1:9/databourse"}
DELIVERY_KEY = {"public_key": "11" * 32}
CHECKLIST = {"decision": "approved", "checklist": CHECKLIST_OK}
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "secret", "type": "string"}]}
ORDER = js(lambda w: {"listing_id": w.ids["listing"], "purpose": "research"})
COMPARISON = js(lambda w: {"comparison": w.bodies["comparison"]})
RULING = {"outcome": "refund", "reasons": "The rows are missing."}
DISPUTE = {"reason": "not_delivered", "statement": "Nothing arrived."}
DRAFT, LISTED = {"asset_id": "draft"}, {"asset_id": "asset"}
MINE = ("buyer_organization_id", "supplier_organization_id")

# One row per route (a route may have several, labelled): the expected status for each caller.
# fmt: off
TABLE: tuple[Row, ...] = (
    # Health, docs and the public journal.
    Row("GET", "/health", anyone(200)),
    Row("GET", "/metrics", anyone(200)),
    Row("GET", "/currency", anyone(200)),
    Row("GET", "/openapi.json", anyone(200)),
    Row("GET", "/docs", anyone(200)),
    Row("GET", "/docs/init.js", anyone(200)),
    Row("GET", "/ledger/entries", anyone(200)),
    Row("GET", "/ledger/batches", anyone(200)),
    Row("GET", "/ledger/entries/{seq}/receipt", anyone(409)),  # not anchored: no chain here
    Row("GET", "/.well-known/databourse.json", anyone(503)),  # no chain to read the anchor from
    # Identity.
    Row("POST", "/auth/signup", anyone(201), body=_signup),
    Row("POST", "/auth/login", anyone(200), body=js({"email": "new@spare.test", "password": PASSWORD})),
    Row("GET", "/auth/siwe/nonce", anyone(200)),
    Row("POST", "/auth/siwe", anyone(200), body=_siwe),
    Row("POST", "/auth/logout", token(200), prepare=_fresh_token),
    Row("POST", "/auth/logout-all", token(200), prepare=_member_token),
    Row("POST", "/auth/password", token(400), label="the same password again", body=js({"current_password": PASSWORD, "new_password": PASSWORD})),
    Row("GET", "/me", token(200)),
    Row("POST", "/organizations/me/invites", token(201), body=js({})),
    Row("GET", "/organizations", operators(200)),
    Row("POST", "/organizations/{organization_id}/verify", operators(200)),
    Row("POST", "/organizations/{organization_id}/roles", operators(200), body=js({"role": "buyer"})),
    Row("POST", "/organizations/{organization_id}/suspend", operators(200), targets={"organization_id": "organization_to_suspend"}, body=FIXED_BODY),
    Row("POST", "/organizations/{organization_id}/reinstate", operators(200), targets={"organization_id": "organization_suspended"}),
    # Assets: a listed asset is public; a draft is its owner's and the operators' (404 else).
    Row("POST", "/assets", verified_supplier(201, 201), body=_new_asset),
    Row("GET", "/assets", anyone(200)),
    Row("GET", "/assets/{asset_id}", anyone(200), label="listed"),
    Row("GET", "/assets/{asset_id}", private(200, anonymous=404, operator=200), label="draft", targets=DRAFT),
    Row("PATCH", "/assets/{asset_id}", verified_supplier(200, 404), label="draft", targets=DRAFT, body=js({"description": "Revised"})),
    Row("PATCH", "/assets/{asset_id}", verified_supplier(200, 403), label="listed", targets={"asset_id": "asset_to_patch"}, body=js({"description": "Revised"})),
    Row("DELETE", "/assets/{asset_id}", private(200, operator=403), targets={"asset_id": "draft_to_delete"}),
    Row("GET", "/assets/{asset_id}/dcat", anyone(200)),
    Row("PUT", "/upload/assets/{asset_id}/revisions", verified_supplier(201, 404), targets=DRAFT, body=_upload),
    Row("POST", "/assets/{asset_id}/revisions", verified_supplier(422, 404), targets=DRAFT, body=js({"url": "https://127.0.0.1/prices.csv"})),
    Row("GET", "/assets/{asset_id}/revisions", anyone(200), label="listed"),
    Row("GET", "/assets/{asset_id}/revisions", private(200, anonymous=404, operator=200), label="draft", targets=DRAFT),
    Row("GET", "/assets/{asset_id}/revisions/{number}", anyone(200), label="listed"),
    Row("GET", "/assets/{asset_id}/revisions/{number}", private(200, anonymous=404, operator=200), label="draft", targets=DRAFT),
    Row("PUT", "/assets/{asset_id}/revisions/{number}/schema", verified_supplier(200, 404), targets=DRAFT, body=js({"table_schema": SCHEMA})),
    Row("GET", "/assets/{asset_id}/revisions/{number}/content", token(403, owner=200), label="listed"),
    Row("GET", "/assets/{asset_id}/revisions/{number}/content", private(200, operator=403), label="draft", targets=DRAFT),
    Row("GET", "/assets/{asset_id}/application", verified_supplier(200, 404), targets=DRAFT),
    Row("POST", "/assets/{asset_id}/submit", verified_supplier(409, 403), body=js({})),
    Row("POST", "/assets/{asset_id}/reviews", operators(409), body=js(CHECKLIST)),
    Row("GET", "/assets/{asset_id}/reviews", token(403, owner=200, operator=200), label="listed"),
    Row("GET", "/assets/{asset_id}/reviews", private(200, operator=200), label="draft", targets=DRAFT),
    Row("POST", "/assets/{asset_id}/list", verified_supplier(409, 403)),
    Row("POST", "/assets/{asset_id}/delist", private(409, operator=409), targets=DRAFT),
    Row("GET", "/assets/{asset_id}/certificate", anyone(200)),
    Row("GET", "/assets/{asset_id}/registrations", anyone(200)),
    Row("POST", "/assets/{asset_id}/objections", token(201, owner=403, operator=403), targets={"asset_id": "objected_asset"}, body=js(OBJECTION)),
    Row("GET", "/assets/{asset_id}/objections", token(200), owner="buyer", targets={"asset_id": "objected_asset"}),
    Row("GET", "/objections", token(200)),
    Row("GET", "/objections/{objection_id}", private(200, operator=200, arbitrator=200), owner="buyer"),
    Row("POST", "/objections/{objection_id}/decision", operators(200), targets={"objection_id": "objection_to_decide"}, body=js({"decision": "dismissed", "reasons": "No proof."})),
    Row("POST", "/assets/{asset_id}/suspend", operators(200), targets={"asset_id": "asset_to_suspend"}, body=FIXED_BODY),
    Row("POST", "/assets/{asset_id}/reinstate", operators(200), targets={"asset_id": "asset_to_reinstate"}, body=FIXED_BODY),
    Row("POST", "/assets/{asset_id}/transfer", verified_supplier(422, 403), body=_transfer_to_self),
    Row("POST", "/assets/{asset_id}/cancel", verified_supplier(200, 404), targets={"asset_id": "draft_to_cancel"}, body=FIXED_BODY),
    # Quality and valuation.
    Row("POST", "/assets/{asset_id}/revisions/{number}/quality", token(403, owner=202, operator=202), body=js({})),
    Row("GET", "/assets/{asset_id}/revisions/{number}/quality", anyone(200)),
    Row("GET", "/assets/{asset_id}/quality", anyone(200), check=no_owner_fields("samples", owner_sees=True)),
    Row("GET", "/assets/{asset_id}/quality/report.html", anyone(200)),
    Row("POST", "/assets/{asset_id}/valuations", token(403, owner=201, operator=201, valuer=201), body=js({"kind": "indicative", "inputs": {"cost": COST}})),
    Row("POST", "/assets/{asset_id}/valuations/draft", token(403, valuer=200), body=js({"kind": "certified", "inputs": {"cost": COST, "income": INCOME}})),
    Row("GET", "/assets/{asset_id}/valuations", anyone(200)),
    Row("GET", "/assets/{asset_id}/valuations/{valuation_id}", anyone(200)),
    Row("GET", "/assets/{asset_id}/valuations/{valuation_id}/report.html", anyone(200)),
    Row("GET", "/valuations/{valuation_id}", anyone(200)),
    Row("GET", "/assets/{asset_id}/price-suggestion", token(403, owner=200)),
    # Listings.
    Row("POST", "/listings/draft", verified_supplier(409, 403), body=js(lambda w: offer(w.ids["asset"]))),
    Row("POST", "/listings", verified_supplier(409, 403), body=js(lambda w: offer(w.ids["asset"]))),
    Row("GET", "/listings", anyone(200)),
    Row("GET", "/listings/{listing_id}", anyone(200)),
    Row("GET", "/listings/{listing_id}/odrl", anyone(200)),
    Row("POST", "/listings/{listing_id}/pause", token(403, owner=200), targets={"listing_id": "listing_to_pause"}),
    Row("POST", "/listings/{listing_id}/resume", token(403, owner=409)),
    Row("POST", "/listings/{listing_id}/withdraw", token(403, owner=200), targets={"listing_id": "listing_to_withdraw"}),
    Row("GET", "/listings/{listing_id}/revenue", token(403, owner=409, operator=409)),
    # Notifications.
    Row("GET", "/inbox", token(200)),
    Row("POST", "/inbox/{notification_id}/read", private(200), owner="buyer"),
    Row("GET", "/organizations/me/webhook", token(200), prepare=_put_webhook),
    Row("PUT", "/organizations/me/webhook", token(200), body=js(WEBHOOK)),
    Row("DELETE", "/organizations/me/webhook", token(204), prepare=_put_webhook),
    # Orders: the buyer's or the supplier's organisation; anyone else 404.
    Row("POST", "/orders", verified_buyer(201), owner="buyer", body=ORDER),
    Row("POST", "/orders/purchase", verified_buyer(201), owner="buyer", body=ORDER),
    Row("POST", "/orders/draft", verified_buyer(200), owner="buyer", body=ORDER),
    Row("GET", "/orders", token(200), owner="buyer", check=only_own("orders", *MINE)),
    Row("GET", "/orders/awaiting-approval", operators(200)),
    Row("GET", "/orders/{order_id}", private(200), owner="buyer"),
    Row("GET", "/orders/{order_id}", private(200), owner="supplier", label="supplier"),
    Row("POST", "/orders/{order_id}/cancel", private(409), owner="buyer"),
    Row("POST", "/orders/{order_id}/pay", private(409), owner="buyer"),
    Row("POST", "/orders/{order_id}/accept", private(200), owner="buyer", targets={"order_id": "order_to_accept"}),
    Row("POST", "/orders/{order_id}/accept", private(403), owner="supplier", label="supplier", targets={"order_id": "order_to_accept"}),
    Row("POST", "/orders/{order_id}/quality-checks/draft", private(200), owner="buyer", body=COMPARISON),
    Row("POST", "/orders/{order_id}/quality-checks", private(201), owner="buyer", body=COMPARISON),
    Row("POST", "/orders/{order_id}/quality-checks", private(403), owner="supplier", label="supplier", body=COMPARISON),
    Row("POST", "/orders/{order_id}/approve", operators(409), body=FIXED_BODY),
    Row("POST", "/orders/{order_id}/refuse", operators(409), body=FIXED_BODY),
    Row("GET", "/orders/{order_id}/periods", private(200), owner="buyer"),
    Row("POST", "/orders/{order_id}/usage", private(409), owner="supplier", body=js({"units": 10})),
    Row("POST", "/orders/{order_id}/usage", private(403), owner="buyer", label="buyer", body=js({"units": 10})),
    Row("POST", "/orders/{order_id}/renewal", private(409), owner="buyer", body=js({"auto_renew": True})),
    # ... and the counterparty: it sees the order, it may not act as the other side.
    Row("POST", "/orders/{order_id}/cancel", private(403), owner="supplier", label="supplier"),
    Row("POST", "/orders/{order_id}/pay", private(403), owner="supplier", label="supplier"),
    Row("POST", "/orders/{order_id}/renewal", private(403), owner="supplier", label="supplier", body=js({"auto_renew": True})),
    Row("GET", "/orders/{order_id}/periods", private(200), owner="supplier", label="supplier"),
    # Demands and quotes: suppliers see open demands, not who asks.
    Row("POST", "/demands", verified_buyer(201), owner="buyer", body=js(lambda w: demand_body())),
    Row("GET", "/demands/mine", token(200), owner="buyer", check=only_own("demands", *MINE)),
    Row("GET", "/demands", token(403, owner=200, other=200, supplier=200, operator=200), check=no_owner_fields("buyer_organization_id", owner_sees=False)),
    Row("GET", "/demands/matched", token(403, owner=200, other=200, supplier=200), check=no_owner_fields("buyer_organization_id", owner_sees=False)),
    Row("GET", "/demands/{demand_id}", private(200, operator=200, supplier=200), owner="buyer", check=no_owner_fields("buyer_organization_id", owner_sees=True)),
    Row("POST", "/demands/{demand_id}/close", private(200, supplier=403, operator=403), owner="buyer", targets={"demand_id": "demand_to_close"}),
    Row("GET", "/demands/{demand_id}/matches", private(200, supplier=403, operator=403), owner="buyer"),
    Row("POST", "/demands/{demand_id}/quotes", verified_supplier(201, 403), body=js(lambda w: quote_body(w.ids["listing"])), check=no_owner_fields("buyer_organization_id", owner_sees=False)),
    Row("POST", "/demands/{demand_id}/quotes/draft", verified_supplier(200, 403), body=js(lambda w: quote_body(w.ids["listing"]))),
    Row("GET", "/demands/{demand_id}/quotes", private(200, supplier=200, operator=200), owner="buyer", check=only_own("quotes", *MINE)),
    Row("GET", "/quotes/{quote_id}", private(200), owner="buyer"),
    Row("GET", "/quotes/{quote_id}", private(200), owner="supplier", label="supplier", check=no_owner_fields("buyer_organization_id", owner_sees=False)),
    Row("POST", "/quotes/{quote_id}/accept/draft", private(200), owner="buyer", targets={"quote_id": "quote_to_accept"}),
    Row("POST", "/quotes/{quote_id}/accept", private(200), owner="buyer", targets={"quote_id": "quote_to_accept"}, body=js(None)),
    Row("POST", "/quotes/{quote_id}/reject", private(200), owner="buyer", targets={"quote_id": "quote_to_reject"}),
    Row("POST", "/quotes/{quote_id}/withdraw", private(200), targets={"quote_id": "quote_to_withdraw"}),
    Row("POST", "/quotes/{quote_id}/accept", private(403), label="its supplier", body=js(None)),
    Row("POST", "/quotes/{quote_id}/withdraw", private(403), owner="buyer", label="demand's owner"),
    # Auctions: sealed bids; the winner's order.
    Row("POST", "/auctions", verified_supplier(409, 403), body=_auction),
    Row("GET", "/auctions", anyone(200), body=_auctions_of_listing),
    Row("GET", "/auctions/{auction_id}", anyone(200)),
    Row("POST", "/auctions/{auction_id}/bids", verified_buyer(201), owner="buyer", targets={"auction_id": "auction_to_bid"}, body=_bid),
    Row("GET", "/auctions/{auction_id}/bids/mine", verified_buyer(404, owner=200), owner="buyer"),
    Row("POST", "/auctions/{auction_id}/reveal", verified_buyer(404, owner=409), owner="buyer", body=js({"amount_minor": 150_000, "salt": salt(1)})),
    Row("POST", "/auctions/{auction_id}/resolve", anyone(409)),
    Row("POST", "/auctions/{auction_id}/cancel", verified_supplier(409, 403)),
    Row("POST", "/auctions/{auction_id}/order/draft", verified_buyer(403, owner=409), owner="buyer", targets={"auction_id": "auction_sold"}),
    Row("POST", "/auctions/{auction_id}/order", verified_buyer(403, owner=409), owner="buyer", targets={"auction_id": "auction_sold"}, body=js(None)),
    # Books.
    Row("GET", "/books/balance", token(200)),
    Row("POST", "/books/deposits", token(201), body=js({"amount_minor": 1_000})),
    Row("POST", "/books/withdrawals", token(201), body=js({"amount_minor": 1_000})),
    Row("GET", "/books/payments", token(200), owner="buyer", check=only_own("payments", "organization_id")),
    Row("GET", "/books/payments/{payment_id}", private(200, operator=200), owner="buyer"),
    Row("GET", "/books/statement", token(200)),
    Row("GET", "/books/holds/{hold_id}", private(200, operator=200), owner="buyer"),
    Row("GET", "/books/holds/{hold_id}", private(200, operator=200), owner="supplier", label="payee", targets={"hold_id": "settled_hold"}),
    Row("GET", "/books/reconcile", operators(200)),
    Row("POST", "/payments/webhook", anyone(401), body=js({"event_id": "evt-x", "type": "payment.confirmed"})),
    # Delivery.
    Row("GET", "/licences", token(200), owner="buyer", check=only_own("licences", *MINE)),
    Row("GET", "/licences/{licence_id}", private(200), owner="buyer"),
    Row("POST", "/licences/{licence_id}/download-url", private(201), owner="buyer"),
    Row("GET", "/licences/{licence_id}", private(404), owner="supplier", label="supplier"),
    Row("POST", "/licences/{licence_id}/download-url", private(404), owner="supplier", label="supplier"),
    Row("GET", "/downloads/{token}", anyone(200)),
    Row("PUT", "/organizations/me/delivery-key", token(200), body=js(DELIVERY_KEY)),
    Row("GET", "/organizations/me/delivery-key", token(200), prepare=_put_delivery_key),
    Row("GET", "/licences/{licence_id}/receipt/draft", private(200), owner="buyer", body=_receipt_query),
    Row("POST", "/licences/{licence_id}/receipt", private(201), owner="buyer", body=js(lambda w: w.bodies["receipt"])),
    Row("POST", "/assets/{asset_id}/fingerprint-detections", token(403, owner=201, operator=201, arbitrator=201), body=_csv),
    # Disputes: parties, drawn arbitrators and operators as documented; anyone else 404.
    Row("POST", "/orders/{order_id}/disputes", private(409), owner="buyer", targets={"order_id": "disputed_order"}, body=js(DISPUTE)),
    Row("POST", "/assets/{asset_id}/objections/{objection_id}/escalate", private(201), owner="buyer", targets={"asset_id": "objected_asset"}, body=js({"statement": "We own it."})),
    Row("GET", "/disputes", token(200), owner="buyer", check=only_own("disputes", *MINE, wider=(OPERATOR, ARBITRATOR))),
    Row("GET", "/disputes/{dispute_id}", private(200, operator=200), owner="buyer"),
    Row("GET", "/disputes/{dispute_id}", private(200, operator=200), owner="arbitrator", label="drawn arbitrator"),
    Row("POST", "/disputes/{dispute_id}/ruling", private(409, operator=403), owner="arbitrator", body=js(RULING)),
    Row("POST", "/disputes/{dispute_id}/ruling", private(403, operator=403), owner="buyer", label="party", body=js(RULING)),
    Row("POST", "/disputes/{dispute_id}/ruling/draft", private(200, operator=403), owner="arbitrator", body=js(RULING)),
    Row("POST", "/disputes/{dispute_id}/appeal", private(409, operator=403), owner="buyer"),
    Row("POST", "/disputes/{dispute_id}/votes", private(403, operator=403), owner="arbitrator", body=js(RULING)),
    Row("POST", "/disputes/{dispute_id}/redraw", operators(409), owner="buyer"),  # nothing to re-draw
    Row("POST", "/upload/disputes/{dispute_id}/evidence", private(201, operator=403), owner="buyer", body=_evidence_file),
    Row("POST", "/upload/disputes/{dispute_id}/evidence", private(403, operator=403), owner="arbitrator", label="drawn arbitrator", body=_evidence_file),
    Row("POST", "/disputes/{dispute_id}/evidence", private(201, operator=403), owner="buyer", body=js({"text": "Rows 51-100 are missing."})),
    Row("GET", "/disputes/{dispute_id}/evidence", private(200, operator=200), owner="buyer"),
    Row("GET", "/disputes/{dispute_id}/evidence/{evidence_id}", private(200, operator=200), owner="buyer"),
    Row("GET", "/disputes/{dispute_id}/evidence/{evidence_id}/file", private(200), owner="buyer"),
    Row("GET", "/disputes/{dispute_id}/evidence/{evidence_id}/file", private(200), owner="arbitrator", label="drawn arbitrator"),
    Row("GET", "/disputes/{dispute_id}/record", private(200), owner="buyer"),
    Row("GET", "/disputes/{dispute_id}/record", private(200), owner="arbitrator", label="drawn arbitrator"),
    Row("GET", "/disputes/{dispute_id}/record", private(200), owner="supplier", label="respondent"),
    Row("POST", "/disputes/{dispute_id}/evidence", private(201, operator=403), owner="supplier", label="respondent", body=js({"text": "All 100 rows were sent."})),
    Row("GET", "/disputes/{dispute_id}/dossier", private(200), owner="buyer"),
    # Pages.
    Row("GET", "/", anyone(200)),
    Row("GET", "/catalog", anyone(200)),
    Row("GET", "/catalog/{asset_id}", anyone(200)),
    Row("GET", "/explorer", anyone(200)),
    Row("GET", "/explorer/entries/{seq}", anyone(200)),
    Row("GET", "/explorer/batches", anyone(200)),
    Row("GET", "/catalog/{asset_id}/certificate/check", anyone(200)),
    Row("GET", "/explorer/entries/{seq}/check", anyone(409), label="not anchored in this world"),
    Row("GET", "/static/{name}", anyone(200)),
    Row("GET", "/login", anyone(303, anonymous=200), body=_no_redirect),
    Row("POST", "/login", anyone(400), label="no password", body=form({"email": "x@y.test"})),
    Row("POST", "/logout", anyone(303), body=_sign_out_form),
    Row("POST", "/lang", anyone(303), body=form({"lang": "en", "next": "/"})),
    # Operator pages.
    Row("GET", "/operator/reviews", page(200, OPERATOR), body=_no_redirect),
    Row("GET", "/operator/reviews/{asset_id}", page(200, OPERATOR), body=_no_redirect),
    Row("POST", "/operator/reviews/{asset_id}", page(400, OPERATOR), label="no decision", body=form({"decision": ""})),
    Row("GET", "/operator/organizations", page(200, OPERATOR), body=_no_redirect),
    Row("POST", "/operator/organizations/{organization_id}/verify", page(303, OPERATOR), body=form({})),
    Row("POST", "/operator/organizations/{organization_id}/roles", page(303, OPERATOR), body=form({"role": "buyer"})),
    Row("POST", "/operator/organizations/{organization_id}/suspend", page(303, OPERATOR), targets={"organization_id": "page_to_suspend"}, body=form({"reason": "authorisation matrix"})),
    Row("POST", "/operator/organizations/{organization_id}/reinstate", page(303, OPERATOR), targets={"organization_id": "page_suspended"}, body=form({})),
    Row("GET", "/operator/arbitrators", page(200, OPERATOR), body=_no_redirect),
    Row("GET", "/operator/fees", page(200, OPERATOR), body=_no_redirect),
    Row("GET", "/operator/health", page(200, OPERATOR), body=_no_redirect),
    # Supplier pages (the owner is supplier A; another supplier is B).
    Row("GET", "/supplier/assets", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("GET", "/supplier/assets/new", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("POST", "/supplier/assets/new", page_as(SUPPLIER, 400), label="no title", body=form({"title": ""})),
    Row("GET", "/supplier/assets/{asset_id}", page_as(SUPPLIER, 200, others=403), body=_no_redirect),
    Row("GET", "/supplier/assets/{asset_id}/edit", page_as(SUPPLIER, 200, others=403), body=_no_redirect),
    Row("POST", "/supplier/assets/{asset_id}/edit", page_as(SUPPLIER, 400), label="empty title", body=form({"title": ""})),
    Row("POST", "/supplier/assets/{asset_id}/list", page_as(SUPPLIER, 409, others=403), label="already listed", body=form({})),
    Row("POST", "/supplier/assets/{asset_id}/submit", page_as(SUPPLIER, 409, others=403), label="already listed", body=form({})),
    Row("POST", "/supplier/assets/{asset_id}/revisions/{number}/schema", page_as(SUPPLIER, 400), label="not JSON", body=form({"schema": "{"})),
    Row("PUT", "/upload/supplier/assets/{asset_id}/revisions", page_as(SUPPLIER, 400), label="unknown format", body=_page_upload),
    Row("GET", "/supplier/listings", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("GET", "/supplier/listings/new", page_as(SUPPLIER, 400), label="no asset chosen", body=_no_redirect),
    Row("POST", "/supplier/listings/new", page_as(SUPPLIER, 400), label="no asset", body=form({})),
    Row("GET", "/supplier/demands", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("GET", "/supplier/demands/all", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("GET", "/supplier/demands/{demand_id}", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("POST", "/supplier/demands/{demand_id}/quotes", page_as(SUPPLIER, 400), label="no price", body=form({})),
    Row("GET", "/supplier/auctions", page_as(SUPPLIER, 200), body=_no_redirect),
    Row("POST", "/supplier/auctions", page_as(SUPPLIER, 400), label="no listing", body=form({})),
    Row("GET", "/supplier/sales", page_as(SUPPLIER, 200), body=_no_redirect),
    # Buyer pages (the owner is buyer A; another buyer is B).
    Row("GET", "/buyer/buy/{listing_id}", page_as(BUYER, 200), owner="buyer", body=_no_redirect),
    Row("POST", "/buyer/buy/{listing_id}", page_as(BUYER, 400), owner="buyer", label="no purpose", body=form({})),
    Row("GET", "/buyer/orders", token(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("GET", "/buyer/orders/{order_id}", private(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("POST", "/buyer/orders/{order_id}/pay", private(409, anonymous=303), owner="buyer", label="already paid", body=form({"idempotency_key": "a" * 32})),
    Row("POST", "/buyer/orders/{order_id}/accept", private(409, anonymous=303), owner="buyer", label="disputed", targets={"order_id": "disputed_order"}, body=form({})),
    Row("POST", "/buyer/orders/{order_id}/download", private(200, anonymous=303), owner="buyer", body=form({})),
    Row("GET", "/buyer/demands", token(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("POST", "/buyer/demands", page_as(BUYER, 400), owner="buyer", label="no title", body=form({})),
    Row("GET", "/buyer/demands/{demand_id}", page_as(BUYER, 200, others=404) | {ARBITRATOR: 404, VALUER: 404}, owner="buyer", body=_no_redirect),
    Row("POST", "/buyer/quotes/{quote_id}/accept", private(404, anonymous=303), owner="buyer", label="no such quote", targets={"quote_id": "quote_missing"}, body=form({})),
    Row("GET", "/buyer/auctions/{auction_id}", page_as(BUYER, 200), owner="buyer", body=_no_redirect),
    Row("POST", "/buyer/auctions/{auction_id}/bid", page_as(BUYER, 400), owner="buyer", label="no amount", body=form({})),
    Row("POST", "/buyer/auctions/{auction_id}/reveal", page_as(BUYER, 400), owner="buyer", label="no amount", body=form({})),
    # Balance pages: suppliers' and buyers' own books.
    Row("GET", "/money", token(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("GET", "/money/statement.{fmt}", token(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("POST", "/money/deposit", token(400, anonymous=303), owner="buyer", label="no amount", body=form({})),
    Row("POST", "/money/withdraw", token(400, anonymous=303), owner="buyer", label="no amount", body=form({})),
    # Dispute pages (the owner is the opening buyer); some at the API's own paths, for HTML.
    Row("GET", "/disputes/new", token(400, anonymous=303), owner="buyer", label="no order", body=_html),
    Row("POST", "/disputes/new", token(400, anonymous=303), owner="buyer", label="no order", body=html_form({})),
    Row("GET", "/disputes/{dispute_id}/dossier.zip", private(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("GET", "/disputes/{dispute_id}/evidence/{evidence_id}/download", private(200, anonymous=303), owner="buyer", body=_no_redirect),
    Row("POST", "/disputes/{dispute_id}/statement", private(400, anonymous=303, operator=400), owner="buyer", label="empty", body=form({"text": ""})),
    Row("POST", "/disputes/{dispute_id}/file", token(400, anonymous=303), owner="buyer", label="no file", body=form({})),
    Row("PUT", "/upload/disputes/{dispute_id}/file", private(422, anonymous=303, operator=403), owner="buyer", label="empty file", body=_evidence_upload),
    Row("POST", "/disputes/{dispute_id}/appeals", private(409, anonymous=303, operator=403), owner="buyer", label="not ruled", body=form({})),
    Row("POST", "/disputes/{dispute_id}/rule", private(400, anonymous=303, operator=400), owner="arbitrator", label="drawn arbitrator, no outcome", body=form({})),
    Row("POST", "/disputes/{dispute_id}/vote", private(400, anonymous=303, operator=400), owner="arbitrator", label="drawn arbitrator, no vote", body=form({})),
)
# fmt: on


@dataclass
class Matrix:
    api: TestClient
    world: World


@pytest.fixture(scope="module", params=DATABASES)
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """One app and one world per database, shared by every row of the module."""
    with (
        world_app(
            request,
            tmp_path_factory,
            "authz",
            upload_bytes_max=1_000_000,
            webhook_allow_loopback=True,  # a webhook URL that resolves without a network
        ) as (app, runtime, clock),
        TestClient(app, raise_server_exceptions=False) as api,
    ):
        yield Matrix(api, build(api, runtime, clock))


def _callers(row: Row, world: World) -> Iterator[Caller]:
    owner, other = OWNERS[row.owner]
    keys = {ANON: None, OWNER: owner, OTHER: other} | {role: role for role in ROLES}
    for name in PRINCIPALS:
        key = keys[name]
        yield Caller(name, key, world.parties[key] if key else None)


def _url(row: Row, world: World) -> str:
    params = {name: world.ids[row.targets.get(name, key)] for name, key in PARAMS.items()}
    return row.path.format(**{k: v for k, v in params.items() if "{" + k + "}" in row.path})


def _ask(m: Matrix, row: Row, caller: Caller) -> Any:
    headers = dict(caller.headers)
    if row.prepare is not None:
        headers = row.prepare(m.api, m.world, caller) or headers
    request = row.body(m.api, m.world, caller) if row.body else {}
    headers |= {"Idempotency-Key": uuid.uuid4().hex} | request.pop("headers", {})
    return m.api.request(row.method, _url(row, m.world), headers=headers, **request)


@pytest.mark.parametrize("row", TABLE, ids=[row.id for row in TABLE])
def test_each_caller_gets_the_status_a_user_should_get(matrix: Matrix, row: Row) -> None:
    wrong = []
    for caller in _callers(row, matrix.world):
        r = _ask(matrix, row, caller)
        expected = row.expect[caller.name]
        if r.status_code != expected:
            wrong.append(f"{caller.name}: {r.status_code} (expected {expected}) {r.text[:160]}")
        elif r.is_success and row.check is not None:
            row.check(caller, r)
    assert not wrong, f"{row.id}:\n" + "\n".join(wrong)


def test_every_route_the_app_serves_has_a_row_and_every_row_a_route(matrix: Matrix) -> None:
    served = set(served_routes(matrix.api.app.routes))  # type: ignore[attr-defined]
    tabled = {(row.method, row.path) for row in TABLE}

    assert len(served) > 100  # the walk found the included routers' routes
    missing = sorted(f"{m} {p}" for m, p in served - tabled)
    assert not missing, "routes missing from the authorisation matrix: " + ", ".join(missing)
    stale = sorted(f"{m} {p}" for m, p in tabled - served)
    assert not stale, "matrix rows for routes the app no longer serves: " + ", ".join(stale)


@dataclass(frozen=True)
class Reserved:
    """A request that tries to set what only the exchange sets (OWASP API3, mass assignment):
    it is refused (422), or answered as if the field had not been sent (``unchanged`` holds)."""

    id: str
    who: str
    method: str
    path: str
    body: Callable[[World], dict[str, Any]]
    unchanged: Callable[[World, dict[str, Any]], bool]


def _org(w: World, key: str) -> int:
    return w.parties[key].organization_id


RESERVED: tuple[Reserved, ...] = (
    Reserved(
        "sign-up grants itself the operator role",
        ANON,
        "POST",
        "/auth/signup",
        lambda w: {
            "email": "op@self.test",
            "password": PASSWORD,
            "organization": {"name": "Self-made operators", "roles": ["operator"]},
        },
        lambda w, body: False,  # any 2xx is wrong: only operators grant that role
    ),
    Reserved(
        "a supplier registers an asset as listed and as another's",
        "supplier",
        "POST",
        "/assets",
        lambda w: {
            **asset_metadata(title="Forged"),
            "status": "listed",
            "owner_organization_id": _org(w, "supplier_a"),
        },
        lambda w, body: (
            body["status"] == "draft" and body["owner_organization_id"] == _org(w, "supplier")
        ),
    ),
    Reserved(
        "the owner patches its draft's status",
        OWNER,
        "PATCH",
        "/assets/{draft}",
        lambda w: {"status": "listed", "owner_organization_id": _org(w, "supplier")},
        lambda w, body: (
            body["status"] == "draft" and body["owner_organization_id"] == _org(w, "supplier_a")
        ),
    ),
    Reserved(
        "a buyer names its own price, status and buyer",
        "buyer",
        "POST",
        "/orders",
        lambda w: {
            "listing_id": w.ids["listing"],
            "purpose": "research",
            "price_minor": 1,
            "status": "settled",
            "buyer_organization_id": _org(w, "buyer_a"),
        },
        lambda w, body: (
            body["price_minor"] == 125_000
            and body["status"] == "placed"
            and body["buyer_organization_id"] == _org(w, "buyer")
        ),
    ),
    Reserved(
        "a buyer posts a demand as another buyer",
        "buyer",
        "POST",
        "/demands",
        lambda w: {**demand_body(), "buyer_organization_id": _org(w, "buyer_a")},
        lambda w, body: body["buyer_organization_id"] == _org(w, "buyer"),
    ),
    Reserved(
        "a deposit credits another organisation",
        "buyer",
        "POST",
        "/books/deposits",
        lambda w: {"amount_minor": 1_000, "organization_id": _org(w, "buyer_a")},
        lambda w, body: body["organization_id"] == _org(w, "buyer"),
    ),
    Reserved(
        "the owner certifies its own valuation",
        OWNER,
        "POST",
        "/assets/{asset}/valuations",
        lambda w: {"kind": "certified", "inputs": {"cost": COST, "income": INCOME}},
        lambda w, body: body["kind"] != "certified",
    ),
)


@pytest.mark.parametrize("case", RESERVED, ids=[case.id for case in RESERVED])
def test_no_caller_sets_a_field_reserved_to_the_exchange(matrix: Matrix, case: Reserved) -> None:
    w = matrix.world
    party = w.parties["supplier_a" if case.who == OWNER else case.who] if case.who != ANON else None
    path = case.path.format(**w.ids)
    r = matrix.api.request(
        case.method, path, json=case.body(w),
        headers={**(party.headers if party else {}), "Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert r.status_code in (403, 422) or (r.is_success and case.unchanged(w, r.json())), (
        f"{case.id}: {r.status_code} {r.text[:300]}"
    )
