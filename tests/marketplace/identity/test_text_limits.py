"""Found by the API fuzzer: a NUL character in a login name reached PostgreSQL (a 500)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from marketplace.runtime import Runtime
from tests.marketplace.identity.helpers import (
    PASSWORD,
    bearer,
    operator_token,
    row_counts,
    signup,
)


def test_a_nul_character_in_a_login_name_is_422_and_counts_no_failure(
    api: TestClient, id_runtime: Runtime
) -> None:
    signup(api, "ann@example.test", "Ann Org", ["buyer"])
    before = row_counts(id_runtime.engine)
    r = api.post("/auth/login", json={"email": "ann@example.test\u0000", "password": PASSWORD})
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "message"}
    assert row_counts(id_runtime.engine) == before


def test_a_nul_character_in_a_sign_up_is_422_and_writes_nothing(
    api: TestClient, id_runtime: Runtime
) -> None:
    before = row_counts(id_runtime.engine)
    r = api.post(
        "/auth/signup",
        json={
            "email": "bo\u0000b@example.test",
            "password": PASSWORD,
            "organization": {"name": "Bob Org", "roles": ["buyer"]},
        },
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert row_counts(id_runtime.engine) == before


def test_organisation_ids_past_64_bits_are_422(api: TestClient, id_runtime: Runtime) -> None:
    headers = bearer(operator_token(api, id_runtime))
    for raw in ["9223372036854775808", "99999999999999999999"]:
        r = api.post(f"/organizations/{raw}/verify", headers=headers)
        assert r.status_code == 422, r.text
        assert set(r.json()) == {"error", "message"}
