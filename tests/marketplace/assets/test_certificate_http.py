"""Registration certificates: signed by the supplier, countersigned by the exchange, journaled,
anchored on the in-process EVM and verified by ``bourse verify``."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain, connect
from marketplace.app import create_app
from marketplace.assets.certificate import CertificateInvalid, check_certificate_document
from marketplace.cli import app as cli
from marketplace.identity import signing
from marketplace.runtime import Runtime
from tests.chain_fixtures import RECORDER_KEY
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import (
    CSV,
    Party,
    create,
    operator,
    party,
    review,
    upload,
    verify,
)
from tests.marketplace.identity.helpers import siwe_body

CONFIG = AnchorConfig(batch_entries_max=1000, batch_age_s=0, poll_s=0.01)


@pytest.fixture
def chain_url(tmp_path: Path) -> str:
    return f"eth-tester://{tmp_path / 'chain'}"


@pytest.fixture
def chain(chain_url: str) -> Iterator[Web3AnchorChain]:
    c = connect(chain_url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def chained_api(engine: Engine, chain: Web3AnchorChain, tmp_path: Path) -> Iterator[TestClient]:
    runtime = Runtime(
        settings=settings_for(engine, blob_url=f"file://{tmp_path / 'blobs'}"), engine=engine
    )
    runtime.chain_id = chain.chain_id
    runtime.contract_address = chain.contract_address
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as c:
        c.app_state_runtime = runtime  # type: ignore[attr-defined]
        yield c


def _approved(api: TestClient, runtime: Runtime) -> tuple[int, Party]:
    ops = operator(api, runtime)
    who = party(api, "carol@supplier.test", "Carol Data", ["supplier"])
    verify(api, ops, who)
    asset_id = int(create(api, who)["id"])
    assert upload(api, who, asset_id, CSV).status_code == 201
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers).status_code == 200
    assert review(api, ops, asset_id, "approved").status_code == 201
    return asset_id, who


def _verify(tmp_path: Path, url: str, doc: dict[str, Any]) -> tuple[int, str]:
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(doc))
    contract = doc["receipt"]["anchor"]["contract"]
    result = CliRunner().invoke(cli, ["verify", str(path), "--chain", url, "--contract", contract])
    return result.exit_code, result.output


def test_the_certificate_is_pending_until_anchored_then_verifies_with_bourse_verify(
    chained_api: TestClient,
    engine: Engine,
    chain: Web3AnchorChain,
    chain_url: str,
    tmp_path: Path,
) -> None:
    runtime: Runtime = chained_api.app_state_runtime  # type: ignore[attr-defined]
    asset_id, who = _approved(chained_api, runtime)
    pending = chained_api.get(f"/assets/{asset_id}/certificate", headers=who.headers).json()
    assert pending["anchor_status"] == "pending"
    assert pending["receipt"] is None
    cert = pending["certificate"]
    assert cert["rights"] == ["holding", "processing_use", "operation"]
    assert cert["rights_zh"] == ["持有权", "加工使用权", "经营权"]
    assert cert["owner"] == who.address
    assert cert["supplier"]["address"] == who.address
    assert cert["exchange"]["address"] == Account.from_key(RECORDER_KEY).address
    assert cert["content_hash"] == "0x" + hashlib.sha256(CSV).hexdigest()
    assert cert["domain"]["chainId"] == chain.chain_id

    AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)
    # Not listed yet: the public cannot see it, the owner can.
    assert chained_api.get(f"/assets/{asset_id}/certificate").status_code == 404
    doc = chained_api.get(f"/assets/{asset_id}/certificate", headers=who.headers).json()
    assert doc["anchor_status"] == "anchored"
    assert doc["receipt"]["entry"]["kind"] == "asset.registered"
    check_certificate_document(doc)

    code, out = _verify(tmp_path, chain_url, doc)
    assert code == 0, out
    assert out.startswith(f"valid certificate: asset {asset_id} revision 1")

    forged = copy.deepcopy(doc)
    forged["certificate"]["content_hash"] = "0x" + "11" * 32
    code, out = _verify(tmp_path, chain_url, forged)
    assert code != 0
    assert "INVALID" in out
    assert len(out.strip().splitlines()) == 1

    both = copy.deepcopy(forged)
    both["receipt"]["entry"]["payload"]["content_hash"] = "0x" + "11" * 32
    code, out = _verify(tmp_path, chain_url, both)
    assert code != 0
    assert "INVALID" in out


def test_a_self_custody_supplier_signs_its_own_application(
    chained_api: TestClient, chain: Web3AnchorChain
) -> None:
    runtime: Runtime = chained_api.app_state_runtime  # type: ignore[attr-defined]
    ops = operator(chained_api, runtime)
    wallet = Account.create()
    body = siwe_body(
        chained_api, wallet, organization={"name": "Self Custody Ltd", "roles": ["supplier"]}
    )
    r = chained_api.post("/auth/siwe", json=body)
    assert r.status_code in (200, 201), r.text
    token = r.json()["access_token"]
    me = chained_api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    who = Party(token, me["organization"]["id"], me["account"]["address"])
    verify(chained_api, ops, who)
    asset_id = int(create(chained_api, who)["id"])
    upload(chained_api, who, asset_id, CSV)
    # Without a signature a self-custody account is told to sign locally.
    r = chained_api.post(f"/assets/{asset_id}/submit", json={}, headers=who.headers)
    assert r.status_code == 400
    offer = chained_api.get(f"/assets/{asset_id}/application", headers=who.headers).json()
    app = offer["application"]
    typed = offer["typed_data"]
    from eth_account.messages import encode_typed_data

    signature = (
        "0x" + bytes(wallet.sign_message(encode_typed_data(full_message=typed)).signature).hex()
    )
    wrong = chained_api.post(
        f"/assets/{asset_id}/submit",
        json={"signature": signature, "nonce": int(app["nonce"]) + 1, "deadline": app["deadline"]},
        headers=who.headers,
    )
    assert wrong.status_code == 422
    r = chained_api.post(
        f"/assets/{asset_id}/submit",
        json={"signature": signature, "nonce": int(app["nonce"]), "deadline": app["deadline"]},
        headers=who.headers,
    )
    assert r.status_code == 200, r.text
    assert review(chained_api, ops, asset_id, "approved").status_code == 201
    doc = chained_api.get(f"/assets/{asset_id}/certificate", headers=who.headers).json()
    assert doc["certificate"]["supplier"]["signature"] == signature
    assert signing.recover(typed, signature) == wallet.address


def test_a_tampered_certificate_fails_the_offline_check() -> None:
    with pytest.raises(CertificateInvalid):
        check_certificate_document({"certificate": {"format": "x"}})
