"""The objection journey through the client and ``bourse objection``, against a real server."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.assets.helpers import CHECKLIST_OK, CSV, metadata
from tests.marketplace.identity.helpers import PASSWORD, serve_exchange

STATEMENT = "We collected these prices ourselves; see the signed contract."


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


def _verified(base_url: str, ops: Databourse, email: str, name: str) -> Databourse:
    client = Databourse(base_url)
    client.identity.signup(email=email, password=PASSWORD, organization=name, roles=["supplier"])
    ops.identity.verify_organization(client.identity.me().organization.id)
    return client


def _listed(client: Databourse, ops: Databourse, tmp_path: Path) -> int:
    asset = client.assets.register(metadata())
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    client.assets.upload_revision(asset.id, source, content_format="csv")
    client.assets.submit(asset.id)
    ops.assets.review(asset.id, decision="approved", checklist=CHECKLIST_OK)
    return client.assets.list_in_catalog(asset.id).id


def test_the_objection_journey_through_the_client_and_the_cli(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = Databourse(base_url)
    ops.identity.login("ops@databourse.test", PASSWORD)
    supplier = _verified(base_url, ops, "dora@supplier.test", "Dora Data")
    rival = _verified(base_url, ops, "rex@rival.test", "Rex Data")
    asset_id = _listed(supplier, ops, tmp_path)
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))

    def bourse(who: Databourse, *args: str) -> tuple[int, str]:
        (config / "credentials.json").write_text(json.dumps({base_url: who.token}))
        result = CliRunner().invoke(cli, [*args, "--url", base_url])
        return result.exit_code, result.output

    evidence = tmp_path / "contract.pdf"
    evidence.write_bytes(b"%PDF-1.7 signed contract")
    code, out = bourse(
        rival, "objection", "file", str(asset_id), "--reason", "ownership",
        "--statement", STATEMENT, "--evidence", str(evidence),
    )  # fmt: skip
    assert code == 0, out
    assert "open" in out
    assert hashlib.sha256(evidence.read_bytes()).hexdigest() in out
    (filed,) = rival.objections.search().items
    assert out.splitlines()[-1] == str(filed.id)  # the new objection's id, alone
    assert supplier.assets.get(asset_id).under_objection is True
    code, out = bourse(rival, "asset", "show", str(asset_id))
    assert code == 0, out
    assert "listed, under objection" in out

    code, out = bourse(
        ops, "objection", "suspend", str(asset_id), "--reason", "rights contested",
        "--objection", str(filed.id),
    )  # fmt: skip
    assert code == 0, out
    assert "suspended: rights contested" in out
    code, out = bourse(rival, "objection", "show", str(filed.id))
    assert code == 0, out
    assert f"objection {filed.id} on asset {asset_id}: open" in out
    code, out = bourse(rival, "objection", "list")
    assert code == 0, out
    assert "ownership" in out

    code, out = bourse(
        ops, "objection", "decide", str(filed.id), "--decision", "dismissed",
        "--reasons", "the contract predates the claim",
    )  # fmt: skip
    assert code == 0, out
    assert f"asset {asset_id} is now listed" in out
    assert rival.objections.get(filed.id).status == "dismissed"
    with pytest.raises(DatabourseClientError) as err:
        rival.objections.decide(filed.id, decision="upheld", reasons="mine")
    assert err.value.status == 403

    code, out = bourse(rival, "objection", "file", str(asset_id), "--reason", "ownership",
                       "--statement", "x", "--evidence", str(evidence))  # fmt: skip
    assert code == 1
    assert "statement" in out
    for client in (ops, supplier, rival):
        client.close()


def test_concurrent_filings_share_one_rate_limit(engine: Engine, tmp_path: Path) -> None:
    with serve_exchange(
        engine, blob_url=f"file://{tmp_path / 'blobs'}", objection_filings_per_window_max=2
    ) as base_url:
        _file_concurrently(base_url, tmp_path)


def _file_concurrently(base_url: str, tmp_path: Path) -> None:
    ops = Databourse(base_url)
    ops.identity.login("ops@databourse.test", PASSWORD)
    supplier = _verified(base_url, ops, "dora@supplier.test", "Dora Data")
    rival = _verified(base_url, ops, "rex@rival.test", "Rex Data")
    assets = [_listed(supplier, ops, tmp_path) for _ in range(5)]
    barrier = threading.Barrier(len(assets))

    def attempt(asset_id: int) -> int:
        with Databourse(base_url, token=rival.token) as client:
            barrier.wait(timeout=30)
            try:
                client.objections.file(
                    asset_id, reason_code="ownership", statement=STATEMENT,
                    evidence_hashes=["ab" * 32],
                )  # fmt: skip
            except DatabourseClientError as exc:
                return exc.status
            return 201

    with ThreadPoolExecutor(len(assets)) as pool:
        statuses = sorted(pool.map(attempt, assets))

    assert statuses == [201, 201, 429, 429, 429]
    assert rival.objections.search().total == 2
    for client in (ops, supplier, rival):
        client.close()


def test_escalating_an_objection_through_the_client_and_the_cli(
    base_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.marketplace.orders.money import fund

    ops = Databourse(base_url)
    ops.identity.login("ops@databourse.test", PASSWORD)
    supplier = _verified(base_url, ops, "dora@supplier.test", "Dora Data")
    rival = _verified(base_url, ops, "rex@rival.test", "Rex Data")
    judge = _verified(base_url, ops, "jo@arbiters.test", "Arbiters")
    ops.identity.grant_role(judge.identity.me().organization.id, "arbitrator")
    fund(engine, rival.identity.me().organization.id, 50_000)
    asset_id = _listed(supplier, ops, tmp_path)
    filed = rival.objections.file(
        asset_id, reason_code="ownership", statement=STATEMENT, evidence_hashes=["ab" * 32]
    )
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    (config / "credentials.json").write_text(json.dumps({base_url: rival.token}))

    result = CliRunner().invoke(
        cli, ["objection", "escalate", str(filed.id), "--statement", "Arbitrate, please.",
              "--url", base_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"objection {filed.id} escalated: dispute" in result.output
    assert rival.objections.get(filed.id).status == "escalated"
    (dispute,) = rival.disputes.list().items
    assert (dispute.objection_id, dispute.order_id) == (filed.id, None)
    with pytest.raises(DatabourseClientError) as err:
        supplier.objections.escalate(filed.id, statement="Us too.")
    assert err.value.status == 409
    for client in (ops, supplier, rival, judge):
        client.close()
