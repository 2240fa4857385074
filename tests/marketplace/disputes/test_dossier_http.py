"""The dispute dossier, on both databases: the console shows every record of the case in time
order with its live checks (signature valid, hash matches, anchored at batch N block B once the
anchoring has run); the export verifies with `bourse verify` against the in-process EVM; a byte
changed in an evidence file, or a receipt swapped between items, fails naming the item; a
stranger and an arbitrator not drawn for the dispute get 404."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain, connect
from marketplace.app import create_app
from marketplace.cli import app as cli
from marketplace.client import Databourse
from marketplace.runtime import Runtime
from tests.chain_fixtures import CHAIN_BACKENDS, RECORDER_KEY
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, operator, party, verify
from tests.marketplace.disputes.dossier_helpers import (
    BUYER_CSV,
    STATEMENT,
    Case,
    arbitrator_party,
    disputed_case,
)

CONFIG = AnchorConfig(batch_entries_max=1000, batch_age_s=0, poll_s=0.01)


@pytest.fixture
def chain_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The in-process EVM, or (``indirect`` parameter "anvil") a real anvil node."""
    if getattr(request, "param", "eth-tester") == "anvil":
        return str(request.getfixturevalue("anvil_node").url)
    return f"eth-tester://{tmp_path / 'chain'}"


@pytest.fixture
def chain(chain_url: str) -> Iterator[Web3AnchorChain]:
    c = connect(chain_url, recorder_key=RECORDER_KEY, contract_address=None)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def runtime(engine: Engine, chain: Web3AnchorChain, tmp_path: Path) -> Runtime:
    rt = Runtime(
        settings=settings_for(engine, blob_url=f"file://{tmp_path / 'blobs'}"), engine=engine
    )
    rt.chain_id = chain.chain_id
    rt.contract_address = chain.contract_address
    return rt


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def ops(api: TestClient, runtime: Runtime) -> Party:
    return operator(api, runtime)


def _party(api: TestClient, ops: Party, email: str, org: str, roles: list[str]) -> Party:
    who = party(api, email, org, roles)
    verify(api, ops, who)
    return who


@pytest.fixture
def supplier(api: TestClient, ops: Party) -> Party:
    return _party(api, ops, "alice@supplier.test", "Alice Data", ["supplier"])


@pytest.fixture
def buyer(api: TestClient, ops: Party) -> Party:
    return _party(api, ops, "carol@buyer.test", "Carol Analytics", ["buyer"])


@pytest.fixture
def case(api: TestClient, runtime: Runtime, supplier: Party, buyer: Party, ops: Party) -> Case:
    made, _, _ = disputed_case(api, runtime, supplier=supplier, buyer=buyer, ops=ops)
    return made


def _anchor(engine: Engine, chain: Web3AnchorChain) -> None:
    AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)


def _export(api: TestClient, who: Party, case: Case) -> bytes:
    r = api.get(f"/disputes/{case.dispute_id}/dossier", headers=who.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    return r.content


def _verify(tmp_path: Path, chain_url: str, data: bytes, *pin: str) -> tuple[int, str]:
    path = tmp_path / "dossier.zip"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["verify", str(path), "--chain", chain_url, *pin])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _rewritten(data: bytes, change: dict[str, bytes]) -> bytes:
    """The zip with some members' bytes replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change.get(info.filename, src.read(info)))
    return out.getvalue()


def test_the_console_shows_every_record_checked_live_then_anchored(
    api: TestClient, engine: Engine, chain: Web3AnchorChain, case: Case, buyer: Party
) -> None:
    r = api.get(f"/disputes/{case.dispute_id}/record", headers=case.arbitrator.headers)
    assert r.status_code == 200, r.text
    view = r.json()
    records = view["records"]
    assert [x["seq"] for x in records] == sorted(x["seq"] for x in records)
    assert [x["kind"] for x in records] == [
        "dispute.opened", "arbitrator.drawn", *["evidence.submitted"] * 4, "ruling.issued",
    ]  # fmt: skip
    ruling = records[-1]
    assert ruling["signature"]["status"] == "valid"
    assert ruling["hash"]["status"] == "not_applicable"
    assert ruling["payload"]["supplier_bp"] == 3_000
    for record in records:
        assert record["anchor"]["status"] == "not_yet_anchored"
        assert record["anchor"]["detail"].startswith("not yet anchored")
    by_evidence = {x["evidence"]["id"]: x for x in records if x["evidence"]}
    csv = by_evidence[case.evidence["buyer_csv"]]
    assert csv["signature"]["status"] == "valid"
    assert csv["hash"] == {
        "status": "matches",
        "sha256": csv["evidence"]["sha256"],
        "detail": "the stored bytes match the entry",
    }
    system = by_evidence[case.evidence["signed_order"]]
    assert system["evidence"]["record_kind"] == "order.placed"
    assert system["hash"]["status"] == "matches"
    # The signed order: the buyer's signature on order.placed, recovered from its digest.
    assert system["signature"] == {
        "status": "valid",
        "signer": buyer.address,
        "detail": f"signed by {buyer.address}",
    }
    assert view["statements"] == [
        {
            "evidence_id": case.evidence["statement"],
            "side": "buyer",
            "title": "Buyer's statement",
            "text": STATEMENT,
            "seq": case.seqs["statement"],
        }
    ]
    assert view["terms_hash"].startswith("0x")
    download = api.get(
        f"/disputes/{case.dispute_id}/record/{case.evidence['buyer_csv']}/file",
        headers=case.arbitrator.headers,
    )
    assert download.status_code == 200, download.text
    assert download.content == BUYER_CSV
    assert download.headers["x-content-sha256"] == csv["evidence"]["sha256"]
    assert download.headers["content-type"].startswith("text/csv")
    assert view["quality_checks"] == []

    _anchor(engine, chain)
    after = api.get(f"/disputes/{case.dispute_id}/record", headers=buyer.headers).json()
    for record in after["records"]:
        anchor = record["anchor"]
        assert anchor["status"] == "anchored"
        assert anchor["chain_id"] == chain.chain_id
        assert anchor["contract"] == chain.contract_address
        assert anchor["detail"].startswith(
            f"anchored in batch {anchor['batch']} at block {anchor['block_number']} on chain "
            f"{chain.chain_id}, at "
        )
    order_record = next(
        x for x in after["records"] if x["evidence"] and x["evidence"]["record_seq"]
    )
    assert order_record["evidence"]["record_anchor"]["status"] == "anchored"


def test_a_stored_file_altered_shows_as_differing_in_the_console(
    api: TestClient, runtime: Runtime, case: Case, tmp_path: Path
) -> None:
    """The blob store holds ciphertext: a changed byte no longer decrypts, and says so."""
    view = api.get(f"/disputes/{case.dispute_id}/record", headers=case.arbitrator.headers).json()
    target = next(
        x
        for x in view["records"]
        if x["evidence"] and x["evidence"]["id"] == case.evidence["buyer_csv"]
    )
    blobs = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    for path in blobs:  # every blob: the one of the CSV among them
        raw = bytearray(path.read_bytes())
        raw[-1] ^= 1
        path.write_bytes(bytes(raw))
    again = api.get(f"/disputes/{case.dispute_id}/record", headers=case.arbitrator.headers).json()
    found = next(x for x in again["records"] if x["seq"] == target["seq"])
    assert found["hash"]["status"] == "missing"
    r = api.get(
        f"/disputes/{case.dispute_id}/record/{case.evidence['buyer_csv']}/file",
        headers=case.arbitrator.headers,
    )
    assert r.status_code == 409
    assert r.json()["error"] == "evidence_altered"
    assert found["signature"]["status"] == "valid"  # the signature is over the recorded hash


def test_a_stranger_and_an_arbitrator_not_drawn_get_404(
    api: TestClient, case: Case, ops: Party
) -> None:
    stranger = _party(api, ops, "eve@elsewhere.test", "Eve Corp", ["buyer"])
    other = arbitrator_party(api, ops, "frank@arbitration.test", "Frank Arbitration")
    for who in (stranger, other):
        for path in ("record", "dossier", f"record/{case.evidence['buyer_csv']}/file"):
            r = api.get(f"/disputes/{case.dispute_id}/{path}", headers=who.headers)
            assert r.status_code == 404, r.text
            assert r.json()["error"] == "dispute_not_found"
    assert api.get(f"/disputes/{case.dispute_id}/dossier").status_code == 401
    r = api.get(f"/disputes/{case.dispute_id}/dossier", headers=ops.headers)
    assert r.status_code == 200


@pytest.mark.parametrize("chain_url", CHAIN_BACKENDS, indirect=True)
def test_the_exported_dossier_verifies_against_the_pinned_contract(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    tmp_path: Path,
) -> None:
    _anchor(engine, chain)
    data = _export(api, case.arbitrator, case)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        meta = json.loads(z.read("dossier.json"))
        manifest = json.loads(z.read("manifest.json"))
        csv_item = next(
            i for i in manifest["items"] if i["id"] == f"evidence-{case.evidence['buyer_csv']}"
        )
        assert z.read(csv_item["file"]) == BUYER_CSV
    assert csv_item["file"] == f"evidence/{case.evidence['buyer_csv']}-rows-received.csv"
    assert {"dossier.json", "manifest.json", f"receipts/{case.seqs['opened']}.json"} <= names
    assert meta["rulingOptions"]["titles"] == ["release", "refund", "split"]
    assert meta["chain"] == {"chain_id": chain.chain_id, "contract": chain.contract_address}
    assert meta["unanchored"] == []
    assert meta["parties"]["buyer"]["organization_id"] > 0
    assert len(manifest["items"]) == 7

    code, out = _verify(tmp_path, chain_url, data, "--contract", chain.contract_address)
    assert code == 0, out
    assert f"valid: dossier of dispute {case.dispute_id}: 7 items verified on chain" in out
    assert "FAILED" not in out

    code, out = _verify(tmp_path, chain_url, data)
    assert code == 3, out
    assert "NOT PINNED: this check trusted contract" in out
    assert "because the dossier names it" in out


@pytest.mark.parametrize("item", ["buyer_csv", "supplier_log", "statement", "signed_order"])
def test_one_byte_changed_in_any_evidence_file_fails_naming_the_item(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    tmp_path: Path,
    item: str,
) -> None:
    _anchor(engine, chain)
    data = _export(api, case.arbitrator, case)
    evidence_id = case.evidence[item]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
        entry = next(i for i in manifest["items"] if i["id"] == f"evidence-{evidence_id}")
        original = bytearray(z.read(entry["file"]))
    original[0] ^= 0x01
    code, out = _verify(
        tmp_path, chain_url, _rewritten(data, {entry["file"]: bytes(original)}),
        "--contract", chain.contract_address,
    )  # fmt: skip
    assert code == 1, out
    assert (
        f"INVALID: item evidence-{evidence_id} ({entry['title']}): file {entry['file']} hashes to"
        in out
    )

    # Changing the manifest to match does not help: the journal entry holds the hash.
    items = [
        {**i, "sha256": __import__("hashlib").sha256(bytes(original)).hexdigest()}
        if i["id"] == entry["id"] else i
        for i in manifest["items"]
    ]  # fmt: skip
    forged = json.dumps({"version": 1, "items": items}).encode()
    code, out = _verify(
        tmp_path, chain_url,
        _rewritten(data, {entry["file"]: bytes(original), "manifest.json": forged}),
        "--contract", chain.contract_address,
    )  # fmt: skip
    assert code == 1, out
    assert f"INVALID: item evidence-{evidence_id}" in out
    assert f"entry {entry['seq']} says" in out


def test_a_receipt_swapped_between_items_fails_naming_the_item(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    tmp_path: Path,
) -> None:
    _anchor(engine, chain)
    data = _export(api, case.arbitrator, case)
    csv_seq, log_seq = case.seqs["buyer_csv"], case.seqs["supplier_log"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        csv_receipt = z.read(f"receipts/{csv_seq}.json")
        log_receipt = z.read(f"receipts/{log_seq}.json")
    swapped = _rewritten(
        data, {f"receipts/{csv_seq}.json": log_receipt, f"receipts/{log_seq}.json": csv_receipt}
    )
    code, out = _verify(tmp_path, chain_url, swapped, "--contract", chain.contract_address)
    assert code == 1, out
    assert (
        f"INVALID: item evidence-{case.evidence['buyer_csv']} (rows received.csv): entry "
        f"{csv_seq}: receipts/{csv_seq}.json is the receipt of entry {log_seq}, not of entry "
        f"{csv_seq} (and 1 more)"
    ) in out


def test_an_export_before_anchoring_fails_verification_saying_so(
    api: TestClient, *, chain: Web3AnchorChain, chain_url: str, case: Case, tmp_path: Path
) -> None:
    data = _export(api, case.arbitrator, case)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert json.loads(z.read("dossier.json"))["unanchored"] != []
    code, out = _verify(tmp_path, chain_url, data, "--contract", chain.contract_address)
    assert code == 1
    assert "no receipt in the zip (not anchored when exported?)" in out


def test_bourse_dispute_dossier_writes_the_zip_that_bourse_verify_checks(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    buyer: Party,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command and the client over the app itself (the test client's transport)."""
    _anchor(engine, chain)

    def to_app(request: httpx.Request) -> httpx.Response:
        r = api.request(request.method, request.url.path, headers=dict(request.headers))
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)

    def client(_url: str | None) -> Databourse:
        token = buyer.headers["Authorization"].removeprefix("Bearer ")
        return Databourse("http://testserver", token=token, transport=httpx.MockTransport(to_app))

    monkeypatch.setattr("marketplace.cli.dispute_dossier.exchange_client", client)
    out = tmp_path / "case.zip"
    result = CliRunner().invoke(
        cli, ["dispute", "dossier", str(case.dispute_id), "-o", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert f"dossier of dispute {case.dispute_id} written to" in result.output
    code, text = _verify(
        tmp_path, chain_url, out.read_bytes(), "--contract", chain.contract_address
    )
    assert code == 0, text

    result = CliRunner().invoke(cli, ["dispute", "dossier", "999999", "-o", str(out)])
    assert result.exit_code == 1
    assert "dispute_not_found" in result.output


def test_a_dossier_over_the_size_limit_is_refused_with_413(
    api: TestClient, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("marketplace.limits.dossier_bytes_max", 64)
    r = api.get(f"/disputes/{case.dispute_id}/dossier", headers=case.arbitrator.headers)
    assert r.status_code == 413
    assert r.json()["error"] == "dossier_too_large"
    assert "over 64 bytes" in r.json()["message"]
