"""Bad input gets a 4xx with {"error", "message"} and writes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import PASSWORD, row_counts, signup

GOOD = {
    "email": "ada@example.org",
    "password": PASSWORD,
    "organization": {"name": "Ada Data Ltd", "roles": ["supplier"]},
}


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/auth/signup", b'{"email": "ada@example.org",'),
        ("/auth/login", b"not json at all"),
        ("/auth/siwe", b"[1, 2"),
    ],
)
def test_malformed_json_is_422_and_writes_nothing(
    api: TestClient, id_runtime: Runtime, path: str, content: bytes
) -> None:
    before = row_counts(id_runtime.engine)
    r = api.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json() == {"error": "invalid_request", "message": "the request body is not valid JSON"}
    assert row_counts(id_runtime.engine) == before


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({**GOOD, "is_operator": True}, "unknown field 'is_operator'"),
        (
            {**GOOD, "organization": {"name": "X", "roles": ["buyer"], "verified": True}},
            "unknown field 'organization.verified'",
        ),
        ({**GOOD, "email": 42}, "email"),
        ({**GOOD, "email": "not-an-email"}, "email"),
        ({**GOOD, "organization": {"name": "X", "roles": "buyer"}}, "roles"),
        ({**GOOD, "organization": {"name": "X", "roles": ["arbitrator"]}}, "roles"),
        ({**GOOD, "organization": {"name": "X", "roles": ["buyer", "buyer"]}}, "once"),
        ({**GOOD, "organization": {"name": "x" * 201, "roles": ["buyer"]}}, "name"),
        ({**GOOD, "organization": {"name": "   ", "roles": ["buyer"]}}, "name"),
        ({**GOOD, "password": "p" * 300}, "password"),
        ({"email": "ada@example.org", "password": PASSWORD}, "organization"),
        ({**GOOD, "invite_code": "dbi_x"}, "not both"),
    ],
)
def test_bad_signup_fields_are_422_naming_the_field(
    api: TestClient, id_runtime: Runtime, body: dict[str, object], fragment: str
) -> None:
    before = row_counts(id_runtime.engine)
    r = api.post("/auth/signup", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert (
        fragment in r.json()["message"]
        or fragment.replace("not both", "either") in (r.json()["message"])
    )
    assert row_counts(id_runtime.engine) == before


def test_oversize_body_is_413_and_writes_nothing(api: TestClient, id_runtime: Runtime) -> None:
    before = row_counts(id_runtime.engine)
    limit = id_runtime.settings.request_body_bytes_max
    r = api.post("/auth/signup", json={**GOOD, "padding": "x" * (limit + 10)})
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"
    assert row_counts(id_runtime.engine) == before


def test_oversize_siwe_message_is_refused(api: TestClient) -> None:
    r = api.post("/auth/siwe", json={"message": "x" * 5000, "signature": "0x00"})
    assert r.status_code == 422
    assert "message" in r.json()["message"]


def test_login_with_wrong_types_is_422(api: TestClient) -> None:
    r = api.post("/auth/login", json={"email": ["a"], "password": 1})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request"


def test_bad_invite_code_is_400_and_writes_nothing(api: TestClient, id_runtime: Runtime) -> None:
    signup(api, "ada@example.org", "Ada Data Ltd", ["supplier"])
    before = row_counts(id_runtime.engine)
    r = api.post(
        "/auth/signup",
        json={"email": "x@example.org", "password": PASSWORD, "invite_code": "dbi_" + "A" * 43},
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_invite"
    assert row_counts(id_runtime.engine) == before
