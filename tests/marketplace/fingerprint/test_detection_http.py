"""Fingerprinted downloads and detection over HTTP: each buyer's download differs, is marked once
per licence and served from that copy, the proof of delivery hashes the marked bytes, and a
leaked copy sent by the asset's owner names the licence and the buyer, recorded in the journal
with the copy's SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.delivery.models import MarkedCopy
from marketplace.fingerprint import marking
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party, create, party, review, upload
from tests.marketplace.delivery.helpers import bought, issued, licence_of, url_for
from tests.marketplace.fingerprint.test_marking import dataset, leak
from tests.marketplace.listings.helpers import create_listing
from tests.marketplace.orders.helpers import entries, on_sale

TABLE = dataset(rows=600, seed=3)


def _fingerprinted(api: TestClient, supplier: Party, ops: Party) -> dict[str, Any]:
    asset_id = int(create(api, supplier)["id"])
    assert upload(api, supplier, asset_id, TABLE).status_code == 201
    assert api.post(f"/assets/{asset_id}/submit", json={}, headers=supplier.headers).is_success
    assert review(api, ops, asset_id, "approved").status_code == 201
    return create_listing(api, supplier, asset_id, fingerprint=True)


def _chunk_root(content: bytes) -> str:
    """RFC 6962's tree over 1 MiB chunks with 0x00/0x01 domain separation, from hashlib alone
    (docs/assets.md): a buyer's own check of the chunk root its download's entry names."""
    size = 1024 * 1024
    level = [hashlib.sha256(b"\x00" + content[i : i + size]).digest()
             for i in range(0, len(content), size)] or [hashlib.sha256(b"").digest()]  # fmt: skip

    def root(nodes: list[bytes]) -> bytes:
        if len(nodes) == 1:
            return nodes[0]
        split = 1 << ((len(nodes) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + root(nodes[:split]) + root(nodes[split:])).digest()

    return root(level).hex()


def _download(api: TestClient, who: Party, licence_id: int) -> tuple[bytes, dict[str, Any]]:
    url = issued(api, who, licence_id)
    got = api.get(url["path"])
    assert got.status_code == 200, got.text
    return got.content, url


def _detect(api: TestClient, who: Party, asset_id: int, content: bytes) -> Any:
    return api.post(
        f"/assets/{asset_id}/fingerprint-detections",
        content=content,
        headers={**who.headers, "content-type": "text/csv"},
    )


def test_each_buyer_gets_its_own_copy_and_the_owner_traces_a_leak_to_it(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    rival: Party,
) -> None:  # fmt: skip
    listing = _fingerprinted(api, supplier, ops)
    asset_id = listing["asset_id"]
    held = {
        licence_of(asset_runtime, bought(api, who, listing)["id"]): who
        for who in (buyer, rival, buyer)
    }
    copies = {licence_id: _download(api, who, licence_id) for licence_id, who in held.items()}
    assert len({content for content, _ in copies.values()}) == 3
    for licence_id, (content, _url) in copies.items():
        assert content != TABLE
        assert len(content) == len(TABLE)
        served = [e for e in entries(api, f"order:{_order_of(api, held[licence_id], licence_id)}")
                  if e["kind"] == "delivery.served"]  # fmt: skip
        assert served[-1]["payload"]["sha256"] == hashlib.sha256(content).hexdigest()
        assert served[-1]["payload"]["chunk_root"] == _chunk_root(content)
        assert content == _download(api, held[licence_id], licence_id)[0]  # the same each time

    rivals = next(i for i, who in held.items() if who is rival)
    leaked = leak(copies[rivals][0], seed=1)
    r = _detect(api, supplier, asset_id, leaked)
    assert r.status_code == 201, r.text
    found = r.json()
    assert found["licence_id"] == rivals
    assert found["buyer_organization_id"] == rival.organization_id
    assert found["p_value"] < found["p_value_max"]
    assert found["candidates"] == 3
    assert found["conclusion"].startswith(f"licence {rivals}:")
    recorded = [e for e in entries(api, f"asset:{asset_id}") if e["kind"] == "fingerprint.detected"]
    assert recorded[-1]["seq"] == found["journal_seq"]
    assert recorded[-1]["payload"]["sha256"] == hashlib.sha256(leaked).hexdigest()
    assert recorded[-1]["payload"]["licence_id"] == rivals

    r = _detect(api, ops, asset_id, leaked)  # operators too, and they see the buyer
    assert r.status_code == 201
    assert r.json()["buyer_organization_id"] == rival.organization_id


def _order_of(api: TestClient, who: Party, licence_id: int) -> int:
    order_id: int = api.get(f"/licences/{licence_id}", headers=who.headers).json()["order_id"]
    return order_id


def test_the_original_file_names_no_licence(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing = _fingerprinted(api, supplier, ops)
    licence_of(asset_runtime, bought(api, buyer, listing)["id"])
    r = _detect(api, supplier, listing["asset_id"], TABLE)
    assert r.status_code == 201, r.text
    assert r.json()["licence_id"] is None
    assert r.json()["buyer_organization_id"] is None
    assert r.json()["conclusion"].startswith("no licence")


def test_only_the_owner_operators_and_arbitrators_may_detect(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing = _fingerprinted(api, supplier, ops)
    licence_id = licence_of(asset_runtime, bought(api, buyer, listing)["id"])
    content, _ = _download(api, buyer, licence_id)
    r = _detect(api, buyer, listing["asset_id"], content)
    assert r.status_code == 403
    assert r.json()["error"] == "role_required"
    assert _detect(api, supplier, 999_999, content).status_code == 404


def test_an_arbitrator_names_the_licence_but_not_the_buyer(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing = _fingerprinted(api, supplier, ops)
    licence_id = licence_of(asset_runtime, bought(api, buyer, listing)["id"])
    content, _ = _download(api, buyer, licence_id)
    judge = party(api, "judge@arbitration.test", "Fair Rulings", ["buyer"])
    r = api.post(
        f"/organizations/{judge.organization_id}/roles",
        headers=ops.headers,
        json={"role": "arbitrator"},
    )
    assert r.status_code == 200, r.text
    r = _detect(api, judge, listing["asset_id"], leak(content, seed=8))
    assert r.status_code == 201, r.text
    assert r.json()["licence_id"] == licence_id
    assert r.json()["buyer_organization_id"] is None


def test_a_file_that_is_not_a_csv_table_is_refused_and_nothing_is_journaled(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = _fingerprinted(api, supplier, ops)["asset_id"]
    r = _detect(api, supplier, asset_id, b"\xff\xfe\x00binary")
    assert r.status_code == 422
    assert r.json()["error"] == "unreadable_copy"
    assert not [e for e in entries(api, f"asset:{asset_id}") if e["kind"] == "fingerprint.detected"]


def test_a_file_over_the_body_limit_is_refused(
    api: TestClient, supplier: Party, ops: Party
) -> None:
    asset_id = _fingerprinted(api, supplier, ops)["asset_id"]
    r = _detect(api, supplier, asset_id, b"a,b\n" + b"1.25,2.50\n" * 200_000)
    assert r.status_code == 413


def test_a_fingerprinted_listing_whose_table_cannot_carry_a_mark_is_not_served_unmarked(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing = on_sale(api, supplier, ops, fingerprint=True)  # three rows, one decimal
    licence_id = licence_of(asset_runtime, bought(api, buyer, listing)["id"])
    r = url_for(api, buyer, licence_id)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "not_fingerprintable"
    assert "markable cells" in r.json()["message"]


def _counting_marks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The licence ids the marking runs for, from now on (the real marking still runs)."""
    marked: list[int] = []
    real = marking.mark

    def counted(content: bytes, licence_id: int, key: bytes, **options: Any) -> bytes:
        marked.append(licence_id)
        return real(content, licence_id, key, **options)

    monkeypatch.setattr(marking, "mark", counted)
    return marked


def test_a_licence_is_marked_once_and_every_url_and_range_serves_that_copy(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    blob_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    listing = _fingerprinted(api, supplier, ops)
    order = bought(api, buyer, listing)
    licence_id = licence_of(asset_runtime, order["id"])
    marks = _counting_marks(monkeypatch)

    first = issued(api, buyer, licence_id)
    assert marks == [licence_id]
    whole = api.get(first["path"]).content
    half = len(whole) // 2
    head = api.get(first["path"], headers={"Range": f"bytes=0-{half - 1}"})
    tail = api.get(first["path"], headers={"Range": f"bytes={half}-"})
    last = api.get(first["path"], headers={"Range": "bytes=-1"})
    assert (head.status_code, tail.status_code, last.status_code) == (206, 206, 206)
    assert head.content + tail.content == whole  # a download resumed halfway
    assert last.content == whole[-1:]
    second = issued(api, buyer, licence_id)
    assert api.get(second["path"]).content == whole
    assert api.get(second["path"], headers={"Range": "bytes=-1"}).content == whole[-1:]
    assert marks == [licence_id]  # neither the second URL nor any range marked it again

    served = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]
    assert [e["seq"] for e in served] == [first["served_seq"], second["served_seq"]]
    for entry in served:
        assert entry["payload"]["sha256"] == hashlib.sha256(whole).hexdigest()
        assert entry["payload"]["size_bytes"] == len(whole)
        assert entry["payload"]["chunk_root"] == _chunk_root(whole)
    assert whole != TABLE
    stored = [p.read_bytes() for p in blob_dir.rglob("*") if p.is_file()]
    assert not any(whole[-256:] in blob for blob in stored)  # kept encrypted only
    found = _detect(api, supplier, listing["asset_id"], leak(whole, seed=4)).json()
    assert found["licence_id"] == licence_id


def test_a_url_whose_marked_copy_was_not_kept_is_refused_and_the_next_url_makes_the_same_copy(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    listing = _fingerprinted(api, supplier, ops)
    licence_id = licence_of(asset_runtime, bought(api, buyer, listing)["id"])
    marks = _counting_marks(monkeypatch)
    before = issued(api, buyer, licence_id)
    whole = api.get(before["path"]).content
    with Session(asset_runtime.engine) as session:  # as a URL issued before copies were kept
        session.delete(session.get(MarkedCopy, licence_id))
        session.commit()

    r = api.get(before["path"], headers={"Range": "bytes=-1"})
    assert r.status_code == 410, r.text
    assert r.json()["error"] == "download_url_expired"
    assert marks == [licence_id]  # refused, not marked again
    after = issued(api, buyer, licence_id)
    assert marks == [licence_id, licence_id]
    assert after["sha256"] == before["sha256"] == hashlib.sha256(whole).hexdigest()
    assert api.get(before["path"]).content == whole  # the same bytes: the old URL serves again
