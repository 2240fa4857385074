"""``bourse inbox`` and ``bourse webhook`` against a served exchange, and ``bourse worker``
delivering a webhook as a separate process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.app import create_app
from marketplace.cli import app as cli
from marketplace.client import Databourse
from marketplace.db import make_engine
from marketplace.migrations import upgrade
from marketplace.notifications import signing
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import party
from tests.marketplace.identity.helpers import PASSWORD, serve_exchange
from tests.marketplace.notifications.conftest import WEBHOOK_TEST_SETTINGS
from tests.marketplace.notifications.helpers import Receiver, notify, set_webhook


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    overrides = {"blob_url": f"file://{tmp_path / 'blobs'}", **WEBHOOK_TEST_SETTINGS}
    with serve_exchange(engine, **overrides) as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def supplier(base_url: str, config: Path) -> Iterator[Databourse]:
    """A supplier organisation's admin, logged in for the CLI too."""
    client = Databourse(base_url)
    client.identity.signup(
        email="dora@supplier.test", password=PASSWORD, organization="Dora Data", roles=["supplier"]
    )
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))
    with client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver.running() as r:
        yield r


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    return result


def test_webhook_set_prints_the_secret_once_show_never_and_remove_removes(
    base_url: str, supplier: Databourse, receiver: Receiver
) -> None:
    result = run("webhook", "set", receiver.url, "--url", base_url)
    assert result.exit_code == 0, result.output
    assert f"webhook: {receiver.url}" in result.output
    [secret] = [w for w in result.output.split() if w.startswith("whsec_")]
    shown = run("webhook", "show", "--url", base_url)
    assert shown.exit_code == 0, shown.output
    assert receiver.url in shown.output
    assert "whsec_" not in shown.output
    again = run("webhook", "set", receiver.url, "--url", base_url)
    assert "whsec_" not in again.output  # the same secret, not shown
    rotated = run("webhook", "set", receiver.url, "--rotate-secret", "--url", base_url)
    assert "whsec_" in rotated.output
    assert secret not in rotated.output
    removed = run("webhook", "remove", "--url", base_url)
    assert removed.exit_code == 0, removed.output
    gone = run("webhook", "show", "--url", base_url)
    assert gone.exit_code == 1
    assert "no webhook: set one with bourse webhook set URL" in gone.output


def test_webhook_set_refuses_a_private_url_in_one_clear_line(
    base_url: str, supplier: Databourse
) -> None:
    result = run("webhook", "set", "https://192.168.1.10/hook", "--url", base_url)
    assert result.exit_code == 1
    assert "webhook_url_refused" in result.output
    assert "private" in result.output


def test_inbox_lists_newest_first_and_read_marks_one(
    engine: Engine, base_url: str, supplier: Databourse
) -> None:
    assert "no notifications" in run("inbox", "--url", base_url).output
    notify(engine, supplier.identity.me().organization.id, 3)
    listed = run("inbox", "--limit", "2", "--url", base_url)
    assert listed.exit_code == 0, listed.output
    assert listed.output.index("demand:3") < listed.output.index("demand:2")
    assert "demand:1" not in listed.output
    assert "3 unread in all" in listed.output
    assert "bourse inbox --cursor" in listed.output
    newest = supplier.inbox.page().items[0].id
    marked = run("inbox", "read", str(newest), "--url", base_url)
    assert marked.exit_code == 0, marked.output
    unread = run("inbox", "--unread", "--url", base_url)
    assert "demand:3" not in unread.output
    assert "2 unread in all" in unread.output
    missing = run("inbox", "read", "999999", "--url", base_url)
    assert missing.exit_code == 1
    assert "notification_not_found" in missing.output


def test_inbox_says_when_it_shortens_a_payload_and_json_prints_it_whole(
    engine: Engine, base_url: str, supplier: Databourse
) -> None:
    reason = "the columns pm25 and pm10 are swapped in every row after 2024-03-01; " * 3
    notify(engine, supplier.identity.me().organization.id, payload={"reason": reason})
    table = run("inbox", "--url", base_url)
    assert table.exit_code == 0, table.output
    assert reason not in table.output
    assert "--json prints them whole" in table.output
    as_json = run("inbox", "--json", "--url", base_url)
    assert as_json.exit_code == 0, as_json.output
    page = json.loads(as_json.output)
    assert [n["payload"] for n in page["items"]] == [{"reason": reason}]
    assert page["unread_total"] == 1


def test_bourse_worker_delivers_webhooks_as_its_own_process(
    tmp_path: Path, receiver: Receiver
) -> None:
    database_url = f"sqlite:///{tmp_path / 'exchange.sqlite'}"
    engine = make_engine(database_url)
    upgrade(engine)
    runtime = Runtime(settings=settings_for(engine, **WEBHOOK_TEST_SETTINGS), engine=engine)
    with TestClient(create_app(runtime=runtime)) as api:
        who = party(api, "wes@worker.test", "Worker Data", ["supplier"])
        secret = set_webhook(api, who, receiver.url)["secret"]
    notify(engine, who.organization_id)
    engine.dispose()
    env = {
        **os.environ,
        "DATABOURSE_DATABASE_URL": database_url,
        "DATABOURSE_CHAIN_URL": f"eth-tester://{tmp_path / 'chain'}",
        "DATABOURSE_MODE": "development",
        "DATABOURSE_LOG_LEVEL": "WARNING",
        "DATABOURSE_WEBHOOK_ALLOW_LOOPBACK": "true",
        "DATABOURSE_WEBHOOK_POLL_S": "0.1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "from marketplace.cli import main; main()", "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not receiver.received and time.monotonic() < deadline:
            assert worker.poll() is None, worker.communicate()[0].decode()[-2000:]
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=60)[0].decode()
    assert worker.returncode == 0, output[-2000:]
    [got] = receiver.received
    timestamp = got.headers["Databourse-Webhook-Timestamp"]
    assert signing.verify(
        secret, timestamp, got.body, got.headers["Databourse-Webhook-Signature"], time.time()
    )
