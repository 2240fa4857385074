"""``bourse download``, ``bourse licence`` and ``bourse delivery-key`` against a served exchange:
the buyer downloads a licensed revision (checked against delivery.served) and signs its
receipt; a key-wrapped delivery opens only with the key the buyer registered."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.cli import app as cli
from marketplace.client import Databourse
from marketplace.client.delivery import Delivery
from tests.marketplace.assets.helpers import CSV
from tests.marketplace.cli.test_orders import listing
from tests.marketplace.client.conftest import listed, verified_supplier
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange
from tests.marketplace.listings.helpers import FIXED, terms
from tests.marketplace.orders.helpers import PRICE_MINOR


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


@pytest.fixture
def ops(base_url: str) -> Iterator[Databourse]:
    with Databourse(base_url) as client:
        client.identity.login(OPERATOR_EMAIL, PASSWORD)
        yield client


@pytest.fixture
def buyer(
    base_url: str, ops: Databourse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Databourse]:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    with Databourse(base_url) as client:
        client.identity.signup(
            "carol@buyer.test", PASSWORD, organization="Carol Analytics", roles=["buyer"]
        )
        ops.identity.verify_organization(client.identity.me().organization.id)
        (config / "credentials.json").write_text(json.dumps({base_url: client.token}))
        yield client


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "400"})  # long tmp paths


def _licensed(engine: Engine, buyer: Databourse, listing_id: int) -> tuple[int, int]:
    """The buyer deposits and buys (order + escrow); the payment granted the licence."""
    buyer.books.deposit(PRICE_MINOR)
    order = buyer.orders.buy(listing_id, purpose="research")
    return order.id, buyer.delivery.licence_for_order(order.id).id


def test_the_buyer_downloads_checks_and_signs_a_receipt(
    engine: Engine, base_url: str, ops: Databourse, buyer: Databourse, tmp_path: Path
) -> None:
    order_id, licence_id = _licensed(engine, buyer, listing(base_url, ops, tmp_path))
    out = tmp_path / "got.csv"
    result = run(
        "download", str(order_id), "--order", "-o", str(out), "--receipt", "--url", base_url
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == CSV
    digest = hashlib.sha256(CSV).hexdigest()
    assert f"sha256 {digest} matches delivery.served" in result.output
    assert "(delivery.receipted)" in result.output
    kinds = [e.kind for e in buyer.ledger.entries(subject=f"order:{order_id}").items]
    assert kinds.count("delivery.served") == 1
    assert kinds.count("delivery.receipted") == 1
    shown = run("licence", "show", str(licence_id), "--url", base_url)
    assert shown.exit_code == 0, shown.output
    assert "downloads 1 of 5" in shown.output


def test_a_key_wrapped_download_decrypts_with_the_registered_key(
    engine: Engine,
    base_url: str,
    *,
    ops: Databourse,
    buyer: Databourse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrapped = {"terms": terms(delivery_mode="key_wrapped")}
    _, licence_id = _licensed(engine, buyer, listing(base_url, ops, tmp_path, **wrapped))
    out = tmp_path / "got.csv"
    refused = run("download", str(licence_id), "-o", str(out), "--url", base_url)
    assert refused.exit_code == 1
    assert "key_required" in refused.output  # asked before a URL, which would count one
    assert buyer.delivery.licence(licence_id).downloads == 0
    assert "bourse delivery-key create" in " ".join(refused.output.split())
    key = tmp_path / "delivery.pem"
    created = run("delivery-key", "create", str(key), "--url", base_url)
    assert created.exit_code == 0, created.output
    assert key.stat().st_mode & 0o777 == 0o600
    result = run("download", str(licence_id), "-o", str(out), "--key", str(key), "--url", base_url)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == CSV
    assert "key_wrapped" in result.output
    plain = hashlib.sha256(CSV).hexdigest()
    assert f"the data's sha256 {plain} matches the revision's asset.revision_added" in (
        " ".join(result.output.split())
    )
    assert not list(tmp_path.glob("*.part"))
    # An exchange that served other data, however well encrypted, is caught by the plaintext's
    # hash: the revision's anchored entry names another one, and nothing is written.
    out.unlink()
    monkeypatch.setattr(Delivery, "_revision_hash", lambda *_: "00" * 32)
    caught = run("download", str(licence_id), "-o", str(out), "--key", str(key), "--url", base_url)
    assert caught.exit_code == 1
    assert "content_mismatch" in caught.output
    assert not out.exists()
    assert not list(tmp_path.glob("*.part"))


def test_an_order_of_important_data_says_it_waits_for_approval(
    base_url: str, ops: Databourse, buyer: Databourse, tmp_path: Path
) -> None:
    with verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data") as supplier:
        asset_id = listed(supplier, ops, tmp_path, classification="important")
        listing_id = supplier.listings.create(
            asset_id, terms(delivery_mode="key_wrapped"), FIXED
        ).id
    buyer.books.deposit(PRICE_MINOR)
    order = buyer.orders.buy(listing_id, purpose="research")
    assert order.needs_approval
    out = tmp_path / "got.csv"
    result = run("download", str(order.id), "--order", "-o", str(out), "--url", base_url)
    assert result.exit_code == 1
    assert "awaiting_approval" in result.output
    assert "waits for an operator's approval" in result.output
    assert not out.exists()
    # The operators' queue names it, until one decides.
    config = tmp_path / "config" / "credentials.json"
    config.write_text(json.dumps({base_url: ops.token}))
    queue = run("order", "list", "--awaiting-approval", "--url", base_url)
    assert queue.exit_code == 0, queue.output
    assert f"\n│ {order.id} " in queue.output
    ops.orders.approve(order.id, reason="security assessment on file")
    queue = run("order", "list", "--awaiting-approval", "--url", base_url)
    assert "no orders wait for approval" in queue.output
