"""PUT, GET and DELETE /organizations/me/webhook: admins set the URL; the secret is shown once;
the URL passes the SSRF rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ledger.models import JournalEntry
from marketplace.app import create_app
from marketplace.notifications.models import WebhookEndpoint
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, party
from tests.marketplace.notifications.helpers import Receiver, member, set_webhook


def test_setting_a_webhook_shows_the_secret_once_and_never_again(
    api: TestClient, supplier: Party, receiver: Receiver
) -> None:
    created = set_webhook(api, supplier, receiver.url)
    assert created["url"] == receiver.url
    assert created["secret"].startswith("whsec_")
    assert len(created["secret"]) > 40
    shown = api.get("/organizations/me/webhook", headers=supplier.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["secret"] is None
    assert created["secret"] not in shown.text
    assert shown.json()["secret_created_at"] == created["secret_created_at"]


def test_changing_the_url_keeps_the_secret_unless_rotated(
    api: TestClient, supplier: Party, receiver: Receiver
) -> None:
    first = set_webhook(api, supplier, receiver.url)
    moved = set_webhook(api, supplier, receiver.url + "/v2")
    assert moved["url"] == receiver.url + "/v2"
    assert moved["secret"] is None
    assert moved["secret_created_at"] == first["secret_created_at"]
    r = api.put(
        "/organizations/me/webhook",
        json={"url": receiver.url, "rotate_secret": True},
        headers=supplier.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["secret"] not in (None, first["secret"])


def test_the_secret_is_stored_only_encrypted(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    secret = set_webhook(api, supplier, receiver.url)["secret"]
    with Session(asset_runtime.engine) as s:
        row = s.exec(select(WebhookEndpoint)).one()
    assert secret.encode() not in row.secret_ciphertext
    assert len(row.secret_nonce) == 12


def test_setting_and_removing_are_journaled_without_url_or_secret(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    secret = set_webhook(api, supplier, receiver.url)["secret"]
    assert api.delete("/organizations/me/webhook", headers=supplier.headers).status_code == 204
    with Session(asset_runtime.engine) as s:
        entries = s.exec(
            select(JournalEntry)
            .where(JournalEntry.subject == f"organization:{supplier.organization_id}")
            .order_by(col(JournalEntry.seq))
        ).all()
    entries = [e for e in entries if e.kind.startswith("webhook.")]
    assert [e.kind for e in entries] == ["webhook.set", "webhook.removed"]
    text = " ".join(e.payload_json for e in entries)
    assert receiver.url not in text
    assert secret not in text


def test_removing_the_webhook_then_showing_it_is_not_found(
    api: TestClient, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    assert api.delete("/organizations/me/webhook", headers=supplier.headers).status_code == 204
    r = api.get("/organizations/me/webhook", headers=supplier.headers)
    assert r.status_code == 404
    assert r.json()["error"] == "webhook_not_found"
    again = api.delete("/organizations/me/webhook", headers=supplier.headers)
    assert again.status_code == 404


def test_a_member_who_is_not_an_admin_may_read_but_not_set_or_remove(
    api: TestClient, supplier: Party, receiver: Receiver
) -> None:
    colleague = member(api, supplier, "carol@supplier.test")
    r = api.put("/organizations/me/webhook", json={"url": receiver.url}, headers=colleague.headers)
    assert r.status_code == 403
    assert r.json()["error"] == "admin_required"
    assert api.get("/organizations/me/webhook", headers=colleague.headers).status_code == 404
    set_webhook(api, supplier, receiver.url)
    shown = api.get("/organizations/me/webhook", headers=colleague.headers)
    assert shown.json()["url"] == receiver.url
    r = api.delete("/organizations/me/webhook", headers=colleague.headers)
    assert r.status_code == 403
    assert api.get("/organizations/me/webhook", headers=supplier.headers).status_code == 200


def test_each_organisation_sees_only_its_own_webhook(
    api: TestClient, supplier: Party, rival: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    assert api.get("/organizations/me/webhook", headers=rival.headers).status_code == 404
    assert api.delete("/organizations/me/webhook", headers=rival.headers).status_code == 404
    assert api.get("/organizations/me/webhook", headers=supplier.headers).status_code == 200


def test_the_webhook_needs_a_login(api: TestClient) -> None:
    assert api.get("/organizations/me/webhook").status_code == 401
    assert api.put("/organizations/me/webhook", json={"url": "https://x.test"}).status_code == 401


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://127.0.0.1/hook", "https"),
        ("https://10.0.0.7/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://user:pw@127.0.0.1/hook", "credentials"),
        ("https://127.0.0.1/ho ok", "whitespace"),
        ("https:///hook", "no host"),
        ("https://" + "a" * 2100 + ".test/", "2048"),
    ],
)
def test_a_bad_webhook_url_is_refused_and_nothing_is_set(
    api: TestClient, supplier: Party, url: str, says: str
) -> None:
    r = api.put("/organizations/me/webhook", json={"url": url}, headers=supplier.headers)
    assert r.status_code in (400, 422), r.text
    assert says in r.json()["message"]
    assert api.get("/organizations/me/webhook", headers=supplier.headers).status_code == 404


def test_unknown_fields_and_missing_url_are_refused(api: TestClient, supplier: Party) -> None:
    for body in ({}, {"url": "https://x.test", "secret": "mine"}, {"url": ""}):
        r = api.put("/organizations/me/webhook", json=body, headers=supplier.headers)
        assert r.status_code == 422, (body, r.text)


@pytest.fixture
def strict_api(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """An app with the default rule: no loopback webhooks."""
    runtime = Runtime(settings=settings_for(engine, blob_url=f"file://{tmp_path}"), engine=engine)
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as c:
        yield c


def test_loopback_urls_are_refused_unless_the_development_setting_allows_them(
    strict_api: TestClient, receiver: Receiver
) -> None:
    who = party(strict_api, "eve@strict.test", "Strict Data", ["supplier"])
    for url in (receiver.url, "https://127.0.0.1/hook", "https://[::1]/hook"):
        r = strict_api.put("/organizations/me/webhook", json={"url": url}, headers=who.headers)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "webhook_url_refused"
        assert "loopback" in r.json()["message"] or "https" in r.json()["message"]
