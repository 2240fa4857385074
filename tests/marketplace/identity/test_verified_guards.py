"""Every "verified X" guard refuses an organisation that holds the role but is not verified: the
routes are found by walking the app, so a new route with such a guard is tested too. Certifying
a valuation (checked in the service) is in tests/marketplace/valuation."""

from __future__ import annotations

import re

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from marketplace.identity.auth import require_verified_organization
from marketplace.pages.web import PageRoute
from marketplace.principal import OrgRole
from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import bearer, operator_token, signup
from tests.routes import walk

_VERIFIED_GUARDS = ("require_verified.<locals>.guard", require_verified_organization.__qualname__)


def _guarded(dependant: Dependant) -> bool:
    return any(
        getattr(d.call, "__qualname__", "") in _VERIFIED_GUARDS or _guarded(d)
        for d in dependant.dependencies
    )


def _verified_routes(api: TestClient) -> list[tuple[str, str, bool]]:
    """(method, path, is a page) of every route behind a verified guard."""
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "1", route.path), isinstance(route, PageRoute))
        for route in walk(api.app.routes)  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and _guarded(route.dependant)
        for method in route.methods or ()
    )


def _csrf(api: TestClient, headers: dict[str, str]) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', api.get("/", headers=headers).text)
    assert found is not None
    return found.group(1)


def test_every_verified_guard_refuses_an_unverified_organisation(
    api: TestClient, id_runtime: Runtime
) -> None:
    ops = bearer(operator_token(api, id_runtime))
    body = signup(api, "una@unverified.test", "Unverified Co", ["supplier", "buyer"])
    org_id = api.get("/me", headers=bearer(body["access_token"])).json()["organization"]["id"]
    for role in OrgRole:
        if role != OrgRole.operator:
            r = api.post(f"/organizations/{org_id}/roles", json={"role": role}, headers=ops)
            assert r.status_code == 200, r.text
    headers = bearer(body["access_token"])

    routes = _verified_routes(api)

    assert ("POST", "/assets", False) in routes
    assert ("POST", "/assets/1/objections", False) in routes
    assert ("POST", "/supplier/assets/new", True) in routes
    for method, path, is_page in routes:
        if is_page:  # the HTML 403 page; a form carries its CSRF token so the guard decides
            token = {"X-CSRF-Token": _csrf(api, headers)} if method != "GET" else {}
            r = api.request(method, path, headers={**headers, **token}, follow_redirects=False)
            assert r.status_code == 403, (method, path, r.text)
            assert "organisation not verified" in r.text, (method, path)
            continue
        r = api.request(method, path, json={}, headers=headers)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["error"] == "not_verified", (method, path)
