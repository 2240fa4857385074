"""The dispute dossier, on both databases, of a case made over HTTP with the real services: the
buyer opens a dispute (the one verified arbitrator, ``judge``, is drawn; the exchange's records
are attached), both parties submit evidence, the judge rules a split. The console shows every
record of the case in time order with its live checks (signature valid, hash matches, anchored
at batch N block B once the anchoring has run); the export verifies with `bourse verify` against
the in-process EVM; a byte changed in an evidence file, or a receipt swapped between items,
fails naming the item; a stranger and an arbitrator not drawn for the dispute get 404. The
acceptance test of the issue runs the whole case through execution and the books."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ledger.anchoring import AnchorConfig, AnchorWorker
from ledger.chain import Web3AnchorChain, connect
from ledger.trust import Pin
from ledger.verify.dossier import DossierInvalid, DossierReport, read_dossier, verify_dossier
from marketplace.app import create_app
from marketplace.cli import app as cli
from marketplace.client import Databourse
from marketplace.orders.settlement_job import run_once
from marketplace.runtime import Runtime
from tests.chain_fixtures import CHAIN_BACKENDS, RECORDER_KEY
from tests.conftest import settings_for
from tests.marketplace.assets.helpers import Party, operator, party, registered_listed, verify
from tests.marketplace.delivery.helpers import issued
from tests.marketplace.disputes.conftest import arbitrator
from tests.marketplace.disputes.helpers import (
    ARBITRATION_FEE,
    FUNDS,
    after_evidence,
    at,
    escalate,
    evidence_clock,
    execute,
    file_objection,
    open_dispute,
    paid_order,
    post_dispute,
    post_file,
    post_ruling,
    post_statement,
    sha256,
)
from tests.marketplace.orders.helpers import PRICE_MINOR, on_sale
from tests.marketplace.orders.money import balance, deliver, fee_revenue, fund, reconciled
from tests.marketplace.orders.test_periods import MONTHLY, PER_PERIOD
from tests.marketplace.orders.test_settlement_http import purchase

CONFIG = AnchorConfig(batch_entries_max=1000, batch_age_s=0, poll_s=0.01)
OPENING = "Half the rows are missing."  # the opener's statement (helpers.post_dispute)
BUYER_CSV = b"day,price\n2024-01-01,3\n2024-01-02,not a number\n"
SUPPLIER_PDF = b"%PDF-1.4 delivery log: served 2024-01-03T10:00Z\n"
STATEMENT = "The file has 2 rows, the listing promised 365; see the attached CSV.\n"


@dataclass
class Case:
    dispute_id: int
    order_id: int
    arbitrator: Party
    evidence: dict[str, int] = field(default_factory=dict)  # name -> evidence id
    seqs: dict[str, int] = field(default_factory=dict)  # name -> its journal entry


def _submitted(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def _open_with_evidence(
    api: TestClient, runtime: Runtime, *, supplier: Party, buyer: Party, ops: Party, judge: Party
) -> tuple[Case, dict[str, Any]]:
    """Over HTTP: the buyer disputes its paid order (the judge is drawn), states its case and
    files a CSV; the supplier (the respondent, funded for its fee) files a delivery log."""
    order = paid_order(api, runtime, supplier, buyer, ops)
    dispute = open_dispute(api, buyer, order["id"])
    assert [a["organization_id"] for a in dispute["assignments"]] == [judge.organization_id]
    fund(runtime.engine, supplier.organization_id, ARBITRATION_FEE)
    made = {
        "statement": post_statement(
            api, buyer, dispute["id"], STATEMENT, title="Buyer's statement"
        ),
        "buyer_csv": post_file(
            api, buyer, dispute["id"], BUYER_CSV, title="rows received.csv", media_type="text/csv"
        ),
        "supplier_log": post_file(
            api, supplier, dispute["id"], SUPPLIER_PDF, title="delivery log.pdf",
            media_type="application/pdf",
        ),
    }  # fmt: skip
    case = Case(dispute["id"], order["id"], judge, seqs={"opened": dispute["opened_seq"]})
    for name, r in made.items():
        item = _submitted(r)
        case.evidence[name], case.seqs[name] = item["id"], item["journal_seq"]
    listed = api.get(f"/disputes/{dispute['id']}/evidence", headers=judge.headers).json()
    placed = next(i for i in listed["items"] if i["kind"] == "order.placed")
    assert (placed["source"], placed["record_seq"]) == ("system", order["placed_seq"])
    case.evidence["signed_order"], case.seqs["signed_order"] = placed["id"], placed["record_seq"]
    return case, dispute


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
def case(
    api: TestClient,
    runtime: Runtime,
    *,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> Case:
    """The case with evidence from both sides, ruled (a split 30/70) once submissions close."""
    made, dispute = _open_with_evidence(
        api, runtime, supplier=supplier, buyer=buyer, ops=ops, judge=judge
    )
    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, made.dispute_id, "split", 3_000)
    assert r.status_code == 200, r.text
    return made


def _anchor(engine: Engine, chain: Web3AnchorChain) -> None:
    AnchorWorker(engine, lambda: chain, CONFIG).run_until_anchored(timeout_s=60)


def _receipted(
    api: TestClient, buyer: Party, licence_id: int, url: dict[str, Any]
) -> tuple[bytes, int]:
    """The buyer downloads ``url`` and signs a receipt for its bytes: the bytes, and the seq of
    its ``delivery.receipted`` entry."""
    got = api.get(url["path"])
    assert got.status_code == 200, got.text
    signed = api.post(
        f"/licences/{licence_id}/receipt",
        json={"served_seq": url["served_seq"], "sha256": sha256(got.content)},
        headers=buyer.headers,
    )
    assert signed.status_code == 201, signed.text
    return got.content, int(signed.json()["journal_seq"])


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
    opened_at = next(i for i, x in enumerate(records) if x["kind"] == "dispute.opened")
    assert [x["kind"] for x in records[opened_at:]] == [
        "dispute.opened", "arbitrator.drawn", *["evidence.submitted"] * 3, "ruling.issued",
    ]  # fmt: skip
    attached = records[:opened_at]  # the exchange's records of the order, attached at opening
    assert {"listing.created", "order.placed"} <= {x["kind"] for x in attached}
    assert all(x["evidence"]["source"] == "system" for x in attached)
    opened = records[opened_at]
    assert opened["hash"]["status"] == "matches"  # the opener's statement against its entry
    assert opened["hash"]["sha256"] == hashlib.sha256(OPENING.encode()).hexdigest()
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
            "evidence_id": None,
            "side": "buyer",
            "title": "Opening statement",
            "text": OPENING,
            "seq": case.seqs["opened"],
        },
        {
            "evidence_id": case.evidence["statement"],
            "side": "buyer",
            "title": "Buyer's statement",
            "text": STATEMENT,
            "seq": case.seqs["statement"],
        },
    ]
    assert view["terms_hash"].startswith("0x")
    download = api.get(
        f"/disputes/{case.dispute_id}/evidence/{case.evidence['buyer_csv']}/file",
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
        f"/disputes/{case.dispute_id}/evidence/{case.evidence['buyer_csv']}/file",
        headers=case.arbitrator.headers,
    )
    assert r.status_code == 409
    assert r.json()["error"] == "evidence_altered"
    assert found["signature"]["status"] == "valid"  # the signature is over the recorded hash


def test_a_stranger_and_an_arbitrator_not_drawn_get_404(
    api: TestClient, case: Case, ops: Party
) -> None:
    stranger = _party(api, ops, "eve@elsewhere.test", "Eve Corp", ["buyer"])
    other = arbitrator(api, ops, 9)  # verified after the draw: not drawn for this dispute
    for who in (stranger, other):
        for path in ("record", "dossier", f"evidence/{case.evidence['buyer_csv']}/file"):
            r = api.get(f"/disputes/{case.dispute_id}/{path}", headers=who.headers)
            assert r.status_code == 404, r.text
            assert r.json()["error"] == "dispute_not_found"
    assert api.get(f"/disputes/{case.dispute_id}/dossier").status_code == 401
    # Operators see the dispute's metadata, not its contents (docs/disputes.md, "Reads").
    assert api.get(f"/disputes/{case.dispute_id}", headers=ops.headers).status_code == 200
    for path in ("record", "dossier"):
        r = api.get(f"/disputes/{case.dispute_id}/{path}", headers=ops.headers)
        assert r.status_code == 404, r.text


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
    ids = [i["id"] for i in manifest["items"]]
    assert {f"evidence-{n}" for n in case.evidence.values()} <= set(ids)
    assert "statement-opening" in ids
    opening = next(i for i in manifest["items"] if i["id"] == "statement-opening")
    assert (opening["seq"], opening["file"]) == (case.seqs["opened"], "statements/opening.txt")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.read("statements/opening.txt").decode() == OPENING

    code, out = _verify(tmp_path, chain_url, data, "--contract", chain.contract_address)
    assert code == 0, out
    assert f"valid: dossier of dispute {case.dispute_id}: {len(ids)} items verified on chain" in out
    assert "FAILED" not in out

    code, out = _verify(tmp_path, chain_url, data)
    assert code == 3, out
    assert "NOT PINNED: this check trusted contract" in out
    assert "because the dossier names it" in out


def test_the_buyers_delivery_receipt_is_in_the_dossier_and_checked_against_its_download(
    api: TestClient,
    runtime: Runtime,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
) -> None:
    """The buyer downloaded, signed a receipt for the bytes, then disputed: the receipt is one
    of the exchange's records, the console shows the buyer's signature on it, and the verifier
    recovers that signature from the entry and ties it to the download it names; a dossier that
    leaves that download out fails on the receipt."""
    order = paid_order(api, runtime, supplier, buyer, ops)
    [licence] = api.get("/licences", headers=buyer.headers).json()["items"]
    url = issued(api, buyer, licence["id"])
    _, receipted_seq = _receipted(api, buyer, licence["id"], url)
    fund(runtime.engine, buyer.organization_id, ARBITRATION_FEE)
    dispute = open_dispute(api, buyer, order["id"])

    view = api.get(f"/disputes/{dispute['id']}/record", headers=judge.headers).json()
    [record] = [x for x in view["records"] if x["kind"] == "delivery.receipted"]
    assert record["seq"] == receipted_seq
    assert record["signature"] == {
        "status": "valid", "signer": buyer.address, "detail": f"signed by {buyer.address}",
    }  # fmt: skip

    _anchor(engine, chain)
    members = _members(_export(api, judge, Case(dispute["id"], order["id"], judge)))
    items = _manifest(members)
    [receipted] = [i for i in items if i["kind"] == "delivery.receipted"]
    [served] = [i for i in items if i["kind"] == "delivery.served"]
    assert (receipted["seq"], served["seq"]) == (receipted_seq, url["served_seq"])
    report = _report(chain_url, chain, _zipped(members))
    assert report.ok, [(r.item, r.reason) for r in report.failed]
    [result] = [r for r in report.items if r.item == receipted["id"]]
    assert f"entry signed by {buyer.address}" in result.checked
    assert f"the buyer's receipt of the download served in entry {served['seq']}" in result.checked

    without = {k: v for k, v in members.items() if k not in (served["receipt"], served["file"])}
    kept = [i for i in items if i["id"] != served["id"]]
    report = _report(chain_url, chain, _zipped(_with_items(without, kept)))
    assert _failed(report, receipted["id"]) == (
        f"entry {receipted_seq} is a receipt for entry {served['seq']}, which is not a "
        "delivery.served entry of this dossier"
    )

    # The console reads the entry as stored: a signature that does not recover shows invalid.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE journal_entry SET signature = '0x00' WHERE seq = :seq"),
            {"seq": receipted_seq},
        )
    view = api.get(f"/disputes/{dispute['id']}/record", headers=judge.headers).json()
    [record] = [x for x in view["records"] if x["kind"] == "delivery.receipted"]
    assert record["signature"]["status"] == "invalid"
    assert record["signature"]["detail"].startswith("the entry's signature does not recover")


def test_bourse_verify_ties_a_buyers_receipt_to_the_download_it_names(
    api: TestClient,
    engine: Engine,
    runtime: Runtime,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    tmp_path: Path,
    supplier: Party,
    buyer: Party,
    ops: Party,
) -> None:
    """Without a dispute: an auditor holding the buyer's receipt entry and the receipt of the
    ``delivery.served`` entry it names (both from the public journal) verifies them together
    with ``bourse verify --served``; the receipt of another download of the same licence, or
    of an entry that is no download, is refused naming why."""
    order = paid_order(api, runtime, supplier, buyer, ops)
    [licence] = api.get("/licences", headers=buyer.headers).json()["items"]
    first, second = issued(api, buyer, licence["id"]), issued(api, buyer, licence["id"])
    data, receipted_seq = _receipted(api, buyer, licence["id"], first)
    _anchor(engine, chain)
    files = {}
    for name, seq in (
        ("receipted", receipted_seq), ("served", first["served_seq"]),
        ("other_download", second["served_seq"]), ("placed", order["placed_seq"]),
    ):  # fmt: skip
        r = api.get(f"/ledger/entries/{seq}/receipt")
        assert r.status_code == 200, r.text
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(r.text)

    def verify(receipt: str, served: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli,
            ["verify", str(files[receipt]), "--served", str(files[served]), "--chain", chain_url,
             "--contract", chain.contract_address],
        )  # fmt: skip
        assert "Traceback" not in result.output
        return result.exit_code, " ".join(result.output.split())

    code, out = verify("receipted", "served")
    assert code == 0, out
    assert out.startswith(f"valid: entry {receipted_seq} ")
    assert f"signed by its actor {buyer.address}" in out
    assert out.endswith(
        f"the buyer's receipt of the download served in entry {first['served_seq']} "
        f"(verified too), sha256 {sha256(data)}"
    )
    assert verify("receipted", "other_download") == (
        1,
        f"INVALID: entry {receipted_seq} is a receipt for entry {first['served_seq']}, not "
        f"for delivery.served entry {second['served_seq']}",
    )
    assert verify("receipted", "placed") == (
        1,
        f"INVALID: entry {receipted_seq} is a receipt for entry {first['served_seq']}, not "
        f"for order.placed entry {order['placed_seq']}",
    )
    assert verify("served", "receipted") == (
        1,
        "INVALID: --served checks a delivery.receipted receipt; entry "
        f"{first['served_seq']} is delivery.served",
    )


@pytest.mark.parametrize(
    "item", ["buyer_csv", "supplier_log", "statement", "signed_order", "opening"]
)
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
    name = "statement-opening" if item == "opening" else f"evidence-{case.evidence[item]}"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
        entry = next(i for i in manifest["items"] if i["id"] == name)
        original = bytearray(z.read(entry["file"]))
    original[0] ^= 0x01
    code, out = _verify(
        tmp_path, chain_url, _rewritten(data, {entry["file"]: bytes(original)}),
        "--contract", chain.contract_address,
    )  # fmt: skip
    assert code == 1, out
    title = entry["title"] + (" (title not signed)" if item == "signed_order" else "")
    assert f"INVALID: item {name} ({title}): file {entry['file']} hashes to" in out

    # Changing the manifest to match does not help: the journal entry holds the hash (a system
    # record's file is the anchored entry itself).
    items = [
        {**i, "sha256": hashlib.sha256(bytes(original)).hexdigest()}
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
    assert f"INVALID: item {name}" in out
    if item == "signed_order":
        assert f"is not entry {entry['seq']} as anchored" in out
    else:
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


def test_the_full_case_over_http_executes_the_split_and_its_dossier_verifies(
    api: TestClient,
    runtime: Runtime,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's acceptance: dispute, evidence from both sides, assignment, a ruling split
    30/70, the appeal window ends, the execution job moves the books exactly (to the minor
    unit, fees included) and they reconcile to zero; the exported dossier verifies against the
    pinned contract once anchored; one byte changed in an evidence file fails naming it."""
    case, dispute = _open_with_evidence(
        api, runtime, supplier=supplier, buyer=buyer, ops=ops, judge=judge
    )
    assert dispute["status"] == "open"  # the judge is the dispute's assignment (checked above)
    assert balance(engine, supplier.organization_id) == (0, ARBITRATION_FEE)  # respondent's fee

    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, case.dispute_id, "split", 3_000)
    assert r.status_code == 200, r.text
    ruled = r.json()
    assert (ruled["status"], ruled["outcome"], ruled["supplier_bp"]) == ("ruled", "split", 3_000)
    appeal_closes = datetime.fromisoformat(ruled["appeal_closes_at"])
    assert execute(runtime, appeal_closes - timedelta(seconds=1)) == []  # the window is open
    assert execute(runtime, appeal_closes) == [case.dispute_id]
    assert execute(runtime, appeal_closes + timedelta(days=1)) == []  # exactly once

    # The price 125,000 (fee 3,125): the supplier grosses 37,500 and nets 36,563 (the exchange
    # keeps 937), the buyer gets 87,500 back. Of each side's 10,000 arbitration fee, the buyer
    # forfeits 3,000 (30 %) and the supplier 7,000 (70 %); the rest is returned.
    assert balance(engine, buyer.organization_id) == (
        FUNDS - PRICE_MINOR - ARBITRATION_FEE + 87_500 + ARBITRATION_FEE - 3_000, 0
    )  # fmt: skip
    assert balance(engine, supplier.organization_id) == (36_563 + ARBITRATION_FEE - 7_000, 0)
    assert fee_revenue(engine) == 937
    assert reconciled(engine)
    shown = api.get(f"/disputes/{case.dispute_id}", headers=buyer.headers).json()
    assert (shown["status"], shown["executed_seq"] is not None) == ("executed", True)

    _anchor(engine, chain)
    data = _export(api, judge, case)
    code, out = _verify(tmp_path, chain_url, data, "--contract", chain.contract_address)
    assert code == 0, out
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
    kinds = [i["kind"] for i in manifest["items"]]
    assert {"dispute.opened", "arbitrator.drawn", "ruling.issued", "ruling.executed"} <= set(kinds)
    sides = [i["side"] for i in manifest["items"] if i["type"] == "evidence" and i["side"]]
    assert sides == ["buyer", "buyer", "supplier"]  # evidence from both sides, signed
    assert f"valid: dossier of dispute {case.dispute_id}: {len(kinds)} items verified" in out

    log = next(
        i for i in manifest["items"] if i["id"] == f"evidence-{case.evidence['supplier_log']}"
    )
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        changed = bytearray(z.read(log["file"]))
    changed[7] ^= 0x20
    code, out = _verify(
        tmp_path, chain_url, _rewritten(data, {log["file"]: bytes(changed)}),
        "--contract", chain.contract_address,
    )  # fmt: skip
    assert code == 1, out
    assert f"INVALID: item evidence-{case.evidence['supplier_log']} (delivery log.pdf)" in out


# ------------------------------------------------------------------------------ tampering


def _report(chain_url: str, chain: Web3AnchorChain, data: bytes) -> DossierReport:
    """The verifier's report on ``data``, pinned to the test's contract."""
    pin = Pin(chain.contract_address)
    return verify_dossier(
        read_dossier(data),
        lambda address: connect(chain_url, recorder_key=None, contract_address=address),
        pin,
    )


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zipped(members: dict[str, bytes], extra: list[tuple[str, bytes]] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in [*members.items(), *(extra or [])]:
            z.writestr(name, content)
    return out.getvalue()


def _manifest(members: dict[str, bytes]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(members["manifest.json"])["items"]
    return items


def _with_items(members: dict[str, bytes], items: list[dict[str, Any]]) -> dict[str, bytes]:
    return {**members, "manifest.json": json.dumps({"version": 1, "items": items}).encode()}


def _failed(report: DossierReport, item_id: str) -> str:
    found = [r for r in report.failed if r.item == item_id]
    assert found, f"{item_id} did not fail: {[(r.item, r.reason) for r in report.failed]}"
    return found[0].reason


def _swap_in(
    members: dict[str, bytes], other: dict[str, bytes], item_id: str, other_item: dict[str, Any]
) -> dict[str, bytes]:
    """Item ``item_id`` of ``members`` replaced by the other dossier's item (its seq, receipt and
    file), the replaced item's own receipt and file taken out."""
    items = _manifest(members)
    mine = next(i for i in items if i["id"] == item_id)
    changed = {k: v for k, v in members.items() if k not in (mine["receipt"], mine["file"])}
    changed[other_item["receipt"]] = other[other_item["receipt"]]
    if other_item["file"]:
        changed[other_item["file"]] = other[other_item["file"]]
    swapped = {**other_item, "id": item_id}
    return _with_items(changed, [swapped if i["id"] == item_id else i for i in items])


def test_entries_of_another_dispute_and_another_order_swapped_in_fail_naming_the_item(
    api: TestClient,
    runtime: Runtime,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other, dispute = _open_with_evidence(
        api, runtime, supplier=supplier, buyer=buyer, ops=ops, judge=judge
    )
    at(monkeypatch, after_evidence(dispute))
    assert post_ruling(api, judge, other.dispute_id, "refund").status_code == 200
    _anchor(engine, chain)
    mine, theirs = _members(_export(api, judge, case)), _members(_export(api, judge, other))
    assert _report(chain_url, chain, _zipped(mine)).ok

    def item(members: dict[str, bytes], kind: str) -> dict[str, Any]:
        return next(i for i in _manifest(members) if i["kind"] == kind)

    for kind in ("ruling.issued", "arbitrator.drawn"):
        ours = item(mine, kind)
        report = _report(
            chain_url, chain, _zipped(_swap_in(mine, theirs, ours["id"], item(theirs, kind)))
        )
        assert _failed(report, ours["id"]) == (
            f"entry {item(theirs, kind)['seq']} ({kind}) is about dispute:{other.dispute_id}, "
            f"not dispute {case.dispute_id}"
        )
    ours, placed = item(mine, "order.placed"), item(theirs, "order.placed")
    report = _report(chain_url, chain, _zipped(_swap_in(mine, theirs, ours["id"], placed)))
    assert _failed(report, ours["id"]) == (
        f"entry {placed['seq']} (order.placed) is about order:{other.order_id}, not order "
        f"{case.order_id}"
    )
    # dossier.json naming the other order (no entry anchors it) disagrees with dispute.opened.
    meta = json.loads(mine["dossier.json"])
    meta["dispute"]["order_id"] = meta["order"]["id"] = other.order_id
    report = _report(chain_url, chain, _zipped({**mine, "dossier.json": json.dumps(meta).encode()}))
    assert not report.ok
    assert (
        f"dossier.json gives dispute.order_id {other.order_id}, another than its dispute.opened "
        f"(entry {case.seqs['opened']}): {case.order_id}"
    ) in report.problems


def _relabel(case: Case) -> tuple[str, dict[str, Any]]:
    return f"evidence-{case.evidence['buyer_csv']}", {
        "type": "record", "source": "journal", "kind": "evidence.submitted", "file": None,
        "sha256": None, "side": None, "signer": None, "signature": None, "typed_data": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("relabel", "is a party's evidence.submitted: the item must be that party's evidence"),
        ("unknown_source", "from source 'exchange' is not one a dossier holds"),
        ("unknown_type", "manifest item type 'exhibit' from source 'party'"),
        ("title", "the manifest titles it 'signed contract.pdf', its submitter signed "),
        ("side", "the manifest says the buyer submitted it, entry"),
        ("opener_side", "the manifest says the supplier opened, entry"),
        ("kind", "the manifest calls it a statement, entry"),
    ],
)
def test_a_relabelled_manifest_item_fails_naming_it(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    change: str,
    says: str,
) -> None:
    _anchor(engine, chain)
    members = _members(_export(api, case.arbitrator, case))
    items = _manifest(members)
    target, edit = {
        "relabel": _relabel(case),
        "unknown_source": (f"evidence-{case.evidence['signed_order']}", {"source": "exchange"}),
        "unknown_type": (f"evidence-{case.evidence['buyer_csv']}", {"type": "exhibit"}),
        "title": (f"evidence-{case.evidence['buyer_csv']}", {"title": "signed contract.pdf"}),
        "side": (f"evidence-{case.evidence['supplier_log']}", {"side": "buyer"}),
        "opener_side": ("statement-opening", {"side": "supplier"}),
        "kind": (f"evidence-{case.evidence['buyer_csv']}", {"kind": "statement"}),
    }[change]
    before = next(i for i in items if i["id"] == target)
    if change == "relabel":  # the file goes too: nothing in the manifest lists it any more
        members = {k: v for k, v in members.items() if k != before["file"]}
    forged = [{**i, **edit} if i["id"] == target else i for i in items]
    report = _report(chain_url, chain, _zipped(_with_items(members, forged)))
    assert says in _failed(report, target)


@pytest.mark.parametrize("kind", ["arbitrator.drawn", "ruling.issued", "dispute.opened"])
def test_a_dossier_missing_its_opening_draw_or_ruling_fails_saying_so(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    kind: str,
) -> None:
    _anchor(engine, chain)
    members = _members(_export(api, case.arbitrator, case))
    items = _manifest(members)
    gone = next(i for i in items if i["kind"] == kind)
    kept = {k: v for k, v in members.items() if k not in (gone["receipt"], gone["file"])}
    report = _report(
        chain_url, chain, _zipped(_with_items(kept, [i for i in items if i is not gone]))
    )
    assert not report.ok
    assert report.failed == []  # every item left verifies: what is missing is the case's
    expected = {
        "arbitrator.drawn": f"the dossier holds no arbitrator.drawn of dispute {case.dispute_id}",
        "ruling.issued": "dossier.json says the dispute is ruled, but the dossier holds no "
        "ruling.issued",
        "dispute.opened": f"the dossier holds no anchored dispute.opened of dispute "
        f"{case.dispute_id}: nothing ties its items to the dispute",
    }[kind]
    assert expected in report.problems
    if kind == "ruling.issued":  # and dossier.json's outcome has no anchored ruling behind it
        assert (
            "dossier.json gives dispute.outcome 'split'; the dossier holds no anchored ruling "
            "(ruling.issued, ruling.final, ruling.executed): it must be null"
        ) in report.problems


def test_a_zip_with_a_member_twice_is_refused(
    api: TestClient, engine: Engine, *, chain: Web3AnchorChain, case: Case
) -> None:
    _anchor(engine, chain)
    members = _members(_export(api, case.arbitrator, case))
    csv = next(i for i in _manifest(members) if i["id"] == f"evidence-{case.evidence['buyer_csv']}")
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = _zipped(members, [(csv["file"], b"day,price\n2024-01-01,300\n")])
    with pytest.raises(DossierInvalid, match=f"the zip holds {csv['file']} twice"):
        read_dossier(data)


def test_a_parties_address_added_to_dossier_json_fails(
    api: TestClient, engine: Engine, *, chain: Web3AnchorChain, chain_url: str, case: Case
) -> None:
    _anchor(engine, chain)
    members = _members(_export(api, case.arbitrator, case))
    meta = json.loads(members["dossier.json"])
    stranger = "0x" + "ab" * 20
    meta["parties"]["supplier"]["addresses"].append(stranger)
    report = _report(
        chain_url, chain, _zipped({**members, "dossier.json": json.dumps(meta).encode()})
    )
    assert [p for p in report.problems if "the supplier's addresses" in p and stranger in p]


def test_an_item_signed_after_the_evidence_deadline_fails_naming_it(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An exchange that took an item after the deadline (its check skipped here) cannot pass it
    off: the item's signed time is after the deadline its anchored dispute.opened names."""
    closes = api.get(f"/disputes/{case.dispute_id}/evidence", headers=buyer.headers).json()[
        "evidence_closes_at"
    ]
    monkeypatch.setattr("marketplace.disputes.service.evidence.check_open", lambda *_a: None)
    evidence_clock(monkeypatch, datetime.fromisoformat(closes) + timedelta(hours=1))
    late = _submitted(post_file(api, buyer, case.dispute_id, b"late,rows\n", title="late.csv"))
    _anchor(engine, chain)
    report = _report(chain_url, chain, _export(api, case.arbitrator, case))
    reason = _failed(report, f"evidence-{late['id']}")
    assert reason.startswith(f"signed at {int(datetime.fromisoformat(closes).timestamp()) + 3600}")
    assert f"not before the evidence deadline {closes[:19]}" in reason
    assert [r.item for r in report.failed] == [f"evidence-{late['id']}"]


def _tamper(members: dict[str, bytes], change: str, case: Case) -> tuple[dict[str, bytes], str]:
    """``members`` with one field of dossier.json (or a record's title in manifest.json)
    rewritten, and what the verifier must say of it (the field, the anchored value, the seq)."""
    meta, items = json.loads(members["dossier.json"]), _manifest(members)
    dispute, chain = meta["dispute"], meta["chain"]
    ruled = next(i for i in items if i["kind"] == "ruling.issued")["seq"]
    placed, opened = case.seqs["signed_order"], case.seqs["opened"]
    said = f"the latest anchored ruling, ruling.issued (entry {ruled}), says"
    edits: dict[str, tuple[Any, str]] = {
        "outcome": (("dispute", "outcome", "refund"), f"dispute.outcome 'refund'; {said} 'split'"),
        "supplier_bp": (
            ("dispute", "supplier_bp", 10_000),
            f"dispute.supplier_bp 10000; {said} 3000",
        ),
        "opened_seq": (
            ("dispute", "opened_seq", opened + 1),
            f"dispute.opened_seq {opened + 1}, but this dispute's anchored dispute.opened is "
            f"entry {opened}",
        ),
        "reason": (
            ("dispute", "reason", "late_delivery"),
            f"dispute.reason 'late_delivery', another than its dispute.opened (entry {opened}): "
            f"{dispute['reason']!r}",
        ),
        "placed_seq": (
            ("order", "placed_seq", placed + 1),
            f"order.placed_seq {placed + 1}, but the anchored order.placed of order "
            f"{case.order_id} is entry {placed}",
        ),
        "contract": (
            ("chain", "contract", "0x" + "cd" * 20),
            f"chain.contract '0x{'cd' * 20}'; the receipt of entry {items[0]['seq']} names "
            f"contract {chain['contract']}",
        ),
        "chain_id": (
            ("chain", "chain_id", chain["chain_id"] + 1),
            f"chain.chain_id {chain['chain_id'] + 1}; the receipt of entry {items[0]['seq']} "
            f"names chain {chain['chain_id']}",
        ),
        "unanchored": ((None, "unanchored", [opened]), f"unanchored entry {opened}, but entry"),
        "unanchored_strings": (
            (None, "unanchored", [str(opened)]),
            f"unanchored ['{opened}']: it must be a list of entry seqs",
        ),
    }
    if change == "record_title":
        drawn = next(i for i in items if i["kind"] == "arbitrator.drawn")
        forged = [{**i, "title": "ruling.final"} if i is drawn else i for i in items]
        return _with_items(members, forged), (
            f"INVALID: item {drawn['id']} (ruling.final): the manifest titles the record "
            f"'ruling.final'; a record's title is its entry's kind, entry {drawn['seq']} is "
            "arbitrator.drawn"
        )
    (section, key, value), says = edits[change]
    (meta if section is None else meta[section])[key] = value
    return {
        **members,
        "dossier.json": json.dumps(meta).encode(),
    }, f"INVALID: dossier.json gives {says}"


@pytest.mark.parametrize(
    "change",
    [
        "outcome", "supplier_bp", "opened_seq", "reason", "placed_seq", "contract", "chain_id",
        "unanchored", "unanchored_strings", "record_title",
    ],
)  # fmt: skip
def test_a_rewritten_dossier_json_or_record_title_fails_naming_the_field(
    api: TestClient,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    case: Case,
    tmp_path: Path,
    change: str,
) -> None:
    """Each field of dossier.json an anchored entry or receipt fixes (the outcome and split of the
    latest ruling, the opening's seq and reason, the order's placed_seq, the chain, what is
    unanchored), and a record's title (its entry's kind), rewritten: INVALID, naming the field,
    the anchored value and the entry."""
    _anchor(engine, chain)
    members = _members(_export(api, case.arbitrator, case))
    report = _report(chain_url, chain, _zipped(members))
    assert report.ok, (report.problems, [(r.item, r.reason) for r in report.failed])
    system = next(r for r in report.items if r.item == f"evidence-{case.evidence['signed_order']}")
    assert system.title.endswith(" (title not signed)")
    forged, says = _tamper(members, change, case)
    code, out = _verify(tmp_path, chain_url, _zipped(forged), "--contract", chain.contract_address)
    assert code == 1, out
    assert says in out


@pytest.mark.parametrize("chain_url", CHAIN_BACKENDS, indirect=True)
def test_an_objections_dossier_verifies_against_the_pinned_contract(
    api: TestClient,
    runtime: Runtime,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    supplier: Party,
    ops: Party,
    judge: Party,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An ownership objection escalated to arbitration is a case without an order: its dossier
    names the objection, asks its question, and verifies like an order's."""
    rival = _party(api, ops, "rita@rival.test", "Rival Data", ["supplier"])
    asset_id = registered_listed(api, supplier, ops)
    fund(runtime.engine, rival.organization_id, FUNDS)
    objection = file_objection(api, rival, asset_id)
    r = escalate(api, rival, asset_id, objection["id"])
    assert r.status_code == 201, r.text
    dispute = r.json()
    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, dispute["id"], "transfer")
    assert r.status_code == 200, r.text
    _anchor(runtime.engine, chain)
    r = api.get(f"/disputes/{dispute['id']}/dossier", headers=judge.headers)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        meta = json.loads(z.read("dossier.json"))
        kinds = {i.get("kind") for i in json.loads(z.read("manifest.json"))["items"]}
    assert meta["dispute"]["objection_id"] == objection["id"]
    assert (meta["dispute"]["reason"], meta["dispute"]["outcome"]) == ("ownership", "transfer")
    assert meta["rulingOptions"]["titles"] == ["transfer", "cancel", "dismiss"]
    assert {"asset.registered", "asset.objection_filed", "asset.objection_escalated"} <= kinds

    code, out = _verify(tmp_path, chain_url, r.content, "--contract", chain.contract_address)
    assert code == 0, out
    assert f"valid: dossier of dispute {dispute['id']}" in out
    assert "FAILED" not in out
    # The ruling the dossier states must be the anchored one.
    forged = dict(meta, dispute=dict(meta["dispute"], outcome="dismiss"))
    changed = _rewritten(r.content, {"dossier.json": json.dumps(forged).encode()})
    code, out = _verify(tmp_path, chain_url, changed, "--contract", chain.contract_address)
    assert code != 0, out
    assert "dossier.json gives dispute.outcome 'dismiss'" in out


def test_a_periods_dispute_holds_the_periods_entries_and_verifies(
    api: TestClient,
    runtime: Runtime,
    engine: Engine,
    *,
    chain: Web3AnchorChain,
    chain_url: str,
    supplier: Party,
    buyer: Party,
    ops: Party,
    judge: Party,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dispute of the one period of a subscription, settled by the job and clawed back: the
    dossier holds the period's own entries (charged, settled) as the exchange's records and its
    ``dispute.period``, verifies once anchored, and fails when dossier.json names another
    period than the anchored dispute.opened."""
    fund(engine, buyer.organization_id, PER_PERIOD + ARBITRATION_FEE)
    listing = on_sale(api, supplier, ops, price_model=MONTHLY)
    order = purchase(api, buyer, listing["id"]).json()
    deliver(engine, order["id"])
    [period] = api.get(f"/orders/{order['id']}/periods", headers=buyer.headers).json()
    end = datetime.fromisoformat(period["ends_at"])
    assert run_once(engine, runtime.settings, now=end).periods_settled == [(order["id"], 1)]
    at(monkeypatch, end + timedelta(minutes=5))
    r = post_dispute(api, buyer, order["id"], period=1)
    assert r.status_code == 201, r.text
    dispute = r.json()
    at(monkeypatch, after_evidence(dispute))
    r = post_ruling(api, judge, dispute["id"], "split", 5_000)
    assert r.status_code == 200, r.text
    assert execute(runtime, datetime.fromisoformat(r.json()["appeal_closes_at"])) == [dispute["id"]]
    assert reconciled(engine)

    _anchor(engine, chain)
    data = _export(api, judge, Case(dispute["id"], order["id"], judge))
    code, out = _verify(tmp_path, chain_url, data, "--contract", chain.contract_address)
    assert code == 0, out
    members = _members(data)
    kinds = [i["kind"] for i in _manifest(members)]
    assert {"period.charged", "period.settled", "order.placed", "ruling.executed"} <= set(kinds)
    meta = json.loads(members["dossier.json"])
    assert (meta["dispute"]["order_id"], meta["dispute"]["period"]) == (order["id"], 1)
    assert meta["title"] == f"Dispute {dispute['id']} on period 1 of order {order['id']}"

    meta["dispute"]["period"] = 2
    report = _report(
        chain_url, chain, _zipped({**members, "dossier.json": json.dumps(meta).encode()})
    )
    assert [p for p in report.problems if "dispute.period 2" in p]
