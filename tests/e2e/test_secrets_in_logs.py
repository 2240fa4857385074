"""No secret reaches the logs. The whole demo (sign-up, login, listing, deposit, purchase,
download, auction, dispute, ruling) runs with every logger of the exchange at DEBUG into a file,
then a webhook is set; the file is grepped for the master key, the secret key, the payment
webhook secret, the recorder's key, every password and bearer token the clients sent, every
download token and webhook secret the exchange handed out, and every custodial private key."""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from marketplace import app as app_module
from marketplace.cli.demo import DEMO_PASSWORD, demo
from marketplace.db import make_engine
from marketplace.identity.keys import SealedKey, open_sealed
from marketplace.identity.models import CustodialKey
from marketplace.observability import LOGGER_ROOTS
from marketplace.settings import DEV_RECORDER_KEY, get_settings

SECRET_FIELDS = frozenset({"access_token", "password", "secret", "token", "code"})
SECRET_CHARS_MIN = 8


class Traffic:
    """Every secret that went over the wire, seen from the clients' side."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def request(self, request: httpx.Request) -> None:
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            self.found.add(authorization[7:])
        if "/downloads/" in request.url.path:
            self.found.add(request.url.path.rsplit("/", 1)[1])
        if request.headers.get("content-type", "").startswith("application/json"):
            self._walk(_json(request.content))

    def response(self, response: httpx.Response) -> None:
        if response.headers.get("content-type", "").startswith("application/json"):
            self._walk(_json(response.content))

    def _walk(self, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                self._walk(v, key)
        elif isinstance(value, str):
            if key in SECRET_FIELDS and len(value) >= SECRET_CHARS_MIN:
                self.found.add(value)
            if "/downloads/" in value:  # a signed download URL
                self.found.add(value.rsplit("/downloads/", 1)[1].split("?")[0])


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Traffic:
    seen = Traffic()
    sends = {httpx.Client: httpx.Client.send}

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        seen.request(request)
        response = sends[httpx.Client](self, request, **kwargs)
        response.read()
        seen.response(response)
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    return seen


@pytest.fixture
def settings_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """An exchange on files under tmp_path with secrets of its own, every logger at DEBUG."""
    own = {
        "DATABOURSE_MASTER_KEY": secrets.token_hex(32),
        "DATABOURSE_SECRET_KEY": secrets.token_urlsafe(32),
        "DATABOURSE_PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    }
    env = {
        **own,
        "DATABOURSE_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'databourse.db'}",
        "DATABOURSE_CHAIN_URL": f"eth-tester://{tmp_path / 'var' / 'chain'}",
        "DATABOURSE_BLOB_URL": f"file://{tmp_path / 'var' / 'blobs'}",
        "DATABOURSE_PUBLIC_URL": "http://127.0.0.1:9",  # nothing there: the demo starts its own
        "DATABOURSE_ANCHOR_BATCH_AGE_S": "0.2",
        "DATABOURSE_ANCHOR_POLL_S": "0.1",
        "DATABOURSE_LOG_LEVEL": "DEBUG",
        "DATABOURSE_WEBHOOK_ALLOW_LOOPBACK": "true",
    }
    for name in [n for n in os.environ if n.startswith("DATABOURSE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield [*own.values(), DEV_RECORDER_KEY, DEV_RECORDER_KEY.removeprefix("0x")]
    get_settings.cache_clear()


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every app the test makes logs at DEBUG, through its own formatter, into this file too."""
    path = tmp_path / "exchange.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    configure = app_module.configure_logging

    def at_debug_into_the_file(_: str, json_lines: bool, *args: Any) -> None:
        configure("DEBUG", json_lines, *args)
        for name in LOGGER_ROOTS:
            logger = logging.getLogger(name)
            handler.setFormatter(logger.handlers[0].formatter)
            logger.addHandler(handler)

    monkeypatch.setattr(app_module, "configure_logging", at_debug_into_the_file)
    yield path
    handler.close()
    for name in LOGGER_ROOTS:
        logging.getLogger(name).handlers[:] = []


def _custodial_keys() -> list[str]:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(CustodialKey)).all()
            keys = [
                open_sealed(
                    settings.master_key_bytes,
                    SealedKey(row.address, row.master_key_id, row.nonce, row.ciphertext),
                ).hex()
                for row in rows
            ]
    finally:
        engine.dispose()
    return keys


def _set_a_webhook() -> None:
    with TestClient(app_module.create_app(), raise_server_exceptions=False) as api:
        r = api.post(
            "/auth/signup",
            json={
                "email": "hooked@example.org",
                "password": DEMO_PASSWORD,
                "organization": {"name": "Hooked Co", "roles": ["buyer"]},
            },
        )
        assert r.status_code == 201, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        hook = api.put(
            "/organizations/me/webhook",
            json={"url": "http://127.0.0.1:9/hook"},
            headers=headers,
        )
        assert hook.status_code in (200, 201), hook.text
        assert api.get("/organizations/me/webhook", headers=headers).status_code == 200


@pytest.mark.slow
def test_a_full_run_at_debug_logs_no_secret(
    settings_secrets: list[str],
    log_file: Path,
    traffic: Traffic,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo(url=None)
    _set_a_webhook()
    out = capsys.readouterr().out
    assert "valid: dossier of dispute" in " ".join(out.split())  # the whole flow ran

    logged = log_file.read_text(encoding="utf-8")
    assert '"msg": "request"' in logged  # every request was logged
    assert '"level": "DEBUG"' in logged or '"level": "INFO"' in logged
    custodial = _custodial_keys()
    assert len(custodial) >= 5  # the demo's custodial accounts, and the webhook's owner
    assert any(len(s) >= 40 for s in traffic.found)  # tokens were seen on the wire
    wanted = {
        "settings": settings_secrets,
        "password": [DEMO_PASSWORD],
        "wire": sorted(traffic.found),
        "custodial key": [k for key in custodial for k in (key, f"0x{key}")],
    }
    leaks = {kind: [s for s in values if s in logged] for kind, values in wanted.items()}
    assert leaks == {kind: [] for kind in wanted}
