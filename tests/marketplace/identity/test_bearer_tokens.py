"""Bearer-token rows do not pile up: each token issued deletes a bounded batch of those expired
more than ``limits.expired_token_kept_s`` ago, oldest first; a token expired more recently
still answers ``token_expired``, and live tokens are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ledger.models import utc_now
from marketplace import limits
from marketplace.identity.models import AuthToken
from tests.marketplace.identity.helpers import PASSWORD, bearer, signup

EMAIL = "ada@example.org"


def _login(api: TestClient) -> str:
    r = api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _token_ids(engine: Engine) -> list[int]:
    with Session(engine) as s:
        return [i for i in s.exec(select(AuthToken.id).order_by(col(AuthToken.id))) if i]


def _expire(engine: Engine, token_id: int, ago: timedelta) -> None:
    with Session(engine) as s:
        s.execute(
            update(AuthToken)
            .where(col(AuthToken.id) == token_id)
            .values(expires_at=utc_now() - ago)
        )
        s.commit()


def _error(api: TestClient, token: str) -> str:
    r = api.get("/me", headers=bearer(token))
    assert r.status_code == 401, r.text
    return str(r.json()["error"])


def test_a_login_deletes_a_batch_of_long_expired_tokens_and_keeps_the_rest(
    api: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = signup(api, EMAIL, "Ada Data Ltd", ["supplier"])["access_token"]
    old = [_login(api) for _ in range(3)]
    recent = _login(api)
    ids = _token_ids(engine)
    assert len(ids) == 5
    kept_s = timedelta(seconds=limits.expired_token_kept_s)
    for token_id in ids[1:4]:
        _expire(engine, token_id, kept_s + timedelta(hours=1))
    _expire(engine, ids[4], timedelta(days=1))  # expired, but not long ago
    monkeypatch.setattr(limits, "token_purge_rows_max", 2)

    newest = _login(api)

    remaining = _token_ids(engine)
    assert remaining[:3] == [ids[0], ids[3], ids[4]]  # the two oldest long-expired are gone
    assert len(remaining) == 4  # and the new one is there
    assert [_error(api, t) for t in old] == ["invalid_token", "invalid_token", "token_expired"]
    assert _error(api, recent) == "token_expired"
    for token in (live, newest):
        assert api.get("/me", headers=bearer(token)).status_code == 200
    _login(api)
    assert ids[3] not in _token_ids(engine)  # the next login takes the rest
