"""Licences and signed downloads over HTTP: who may download, expiry, the download limit,
altered and expired URLs, Range resume, and the proof of delivery."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ledger.models import utc_now
from marketplace.delivery import service
from marketplace.delivery.errors import LicenceExists
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party
from tests.marketplace.delivery.helpers import expiring, grant, issued, licensed, url_for
from tests.marketplace.identity.helpers import serve
from tests.marketplace.orders.helpers import entries, keyed, on_sale, place


def _error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert r.json()["message"]


def test_the_buyer_downloads_its_licensed_revision_and_the_proof_matches(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    licence = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()
    assert licence["order_id"] == order["id"]
    assert licence["revision"] == 1
    assert licence["purpose"] == "research"
    assert licence["max_downloads"] == 5
    url = issued(api, buyer, licence_id)
    got = api.get(url["path"])  # no login: the token is the capability
    assert got.status_code == 200
    assert got.content == CSV
    assert got.headers["accept-ranges"] == "bytes"
    served = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]
    assert len(served) == 1
    assert served[0]["seq"] == url["served_seq"]
    assert served[0]["payload"]["sha256"] == hashlib.sha256(got.content).hexdigest()
    assert served[0]["payload"]["size_bytes"] == len(CSV)
    granted = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "licence.granted"]
    assert granted[0]["payload"]["licence_id"] == licence_id
    shown = api.get(f"/orders/{order['id']}", headers=buyer.headers).json()
    assert (shown["status"], shown["accept_by"] is not None) == ("delivered", True)


def test_another_buyer_cannot_download_the_licence(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    rival: Party,
) -> None:  # fmt: skip
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    _error(url_for(api, rival, licence_id), 404, "licence_not_found")
    _error(api.get(f"/licences/{licence_id}", headers=rival.headers), 404, "licence_not_found")
    assert api.get("/licences", headers=rival.headers).json()["items"] == []


def test_an_expired_licence_is_refused(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    expiring(asset_runtime, licence_id, utc_now() - timedelta(days=1))
    _error(url_for(api, buyer, licence_id), 403, "licence_expired")
    assert not [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]


def test_downloads_stop_at_the_limit(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer, terms={"max_downloads": 2})
    first, second = issued(api, buyer, licence_id), issued(api, buyer, licence_id)
    assert (first["downloads"], second["downloads"]) == (1, 2)
    _error(url_for(api, buyer, licence_id), 403, "download_limit_reached")
    licence = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()
    assert licence["downloads"] == 2


def test_an_altered_url_is_refused(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    path = issued(api, buyer, licence_id)["path"]
    version, licence, download, expires, mac = path.removeprefix("/downloads/").split(".")
    later = str(int(expires) + 3600)
    other_mac = ("A" if mac[0] != "A" else "B") + mac[1:]
    for token in (
        f"{version}.{licence}.{download}.{later}.{mac}",  # a longer life
        f"{version}.{int(licence) + 1}.{download}.{expires}.{mac}",  # another licence
        f"{version}.{licence}.{download}.{expires}.{other_mac}",  # a forged MAC
        "v1.1.1.1.x",
        f"{version}.\u00b2.{download}.{expires}.{mac}",  # a digit to str.isdigit, not to int()
        f"{version}.{licence}.{download}.\u00b9\u00b2.{mac}",
        "nonsense",
    ):
        _error(api.get(f"/downloads/{token}"), 403, "download_url_invalid")


def test_a_url_naming_an_id_past_the_id_range_is_refused_not_a_server_error(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    path = issued(api, buyer, licence_id)["path"]
    version, licence, _, expires, mac = path.removeprefix("/downloads/").split(".")
    past = str(2**63)  # 19 digits, one past a BIGINT: the database cannot even look it up
    for token in (
        f"{version}.{licence}.{past}.{expires}.{mac}",
        f"{version}.{past}.{past}.{expires}.{mac}",
    ):
        _error(api.get(f"/downloads/{token}"), 403, "download_url_invalid")


def test_an_expired_url_is_refused(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    settings = asset_runtime.settings
    asset_runtime.settings = settings.model_copy(update={"delivery_url_ttl_s": 1})
    try:
        path = issued(api, buyer, licence_id)["path"]
    finally:
        asset_runtime.settings = settings
    time.sleep(2.1)
    _error(api.get(path), 410, "download_url_expired")


def test_range_resumes_to_identical_bytes_without_another_download(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    url = issued(api, buyer, licence_id)
    head = api.get(url["path"], headers={"Range": "bytes=0-9"})
    assert head.status_code == 206
    assert head.headers["content-range"] == f"bytes 0-9/{len(CSV)}"
    tail = api.get(url["path"], headers={"Range": "bytes=10-"})
    assert tail.status_code == 206
    assert head.content + tail.content == CSV
    assert hashlib.sha256(head.content + tail.content).hexdigest() == url["sha256"]
    suffix = api.get(url["path"], headers={"Range": "bytes=-5"})
    assert suffix.content == CSV[-5:]
    licence = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()
    assert licence["downloads"] == 1  # resuming does not use another download
    r = api.get(url["path"], headers={"Range": f"bytes={len(CSV)}-"})
    _error(r, 416, "range_not_satisfiable")
    assert r.headers["content-range"] == f"bytes */{len(CSV)}"
    _error(api.get(url["path"], headers={"Range": "bytes=0-1,4-5"}), 416, "range_not_satisfiable")
    _error(api.get(url["path"], headers={"Range": "lines=1-2"}), 416, "range_not_satisfiable")


def test_a_resume_under_if_range_gets_the_range_only_for_the_same_bytes(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    """The URL's bytes never change: their SHA-256 is its strong ETag. A client resuming with
    ``If-Range`` gets the range only when it names that ETag; otherwise the whole file again
    (RFC 9110 §13.1.5), never a piece of other bytes glued to its copy."""
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    url = issued(api, buyer, licence_id)
    whole = api.get(url["path"])
    etag = whole.headers["etag"]
    assert etag == f'"{url["sha256"]}"'
    same = api.get(url["path"], headers={"Range": "bytes=10-", "If-Range": etag})
    assert (same.status_code, same.content) == (206, CSV[10:])
    for other in (f'"{"0" * 64}"', f"W/{etag}", "Sat, 01 Jan 2000 00:00:00 GMT"):
        again = api.get(url["path"], headers={"Range": "bytes=10-", "If-Range": other})
        assert (again.status_code, again.content) == (200, CSV), other
        assert "content-range" not in again.headers
    ignored = api.get(url["path"], headers={"Range": "bytes=0-1,4-5", "If-Range": '"x"'})
    assert (ignored.status_code, ignored.content) == (200, CSV)  # a range not asked for, no 416


def test_head_says_the_size_etag_and_ranges_through_a_real_server_without_a_body(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    """A download manager's HEAD, over uvicorn: GET's headers without its bytes, no download
    counted; a HEAD of a range says what GET would send; an altered URL is still a 403."""
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    url = issued(api, buyer, licence_id)
    with serve(api.app) as base, httpx.Client(base_url=base) as http:
        head = http.head(url["path"])
        assert head.status_code == 200, head.text
        assert head.content == b""
        assert head.headers["content-length"] == str(len(CSV))
        assert head.headers["accept-ranges"] == "bytes"
        assert head.headers["etag"] == f'"{url["sha256"]}"'
        assert head.headers["x-served-seq"] == str(url["served_seq"])
        part = http.head(url["path"], headers={"Range": "bytes=-5"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes {len(CSV) - 5}-{len(CSV) - 1}/{len(CSV)}"
        assert part.headers["content-length"] == "5"
        assert http.head(url["path"][:-2] + "AA").status_code == 403
        got = http.get(url["path"])  # the connection still serves whole answers after HEADs
        assert (got.status_code, got.content) == (200, CSV)
    licence = api.get(f"/licences/{licence_id}", headers=buyer.headers).json()
    assert licence["downloads"] == 1


def test_a_holder_of_an_unlimited_licence_reads_the_revision_content(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    rival: Party,
) -> None:  # fmt: skip
    order, _ = licensed(api, asset_runtime, supplier, ops, buyer, terms={"max_downloads": None})
    path = f"/assets/{order['asset_id']}/revisions/1/content"
    assert api.get(path, headers=buyer.headers).content == CSV
    assert api.get(path, headers=rival.headers).status_code == 403


def test_a_limited_licence_does_not_open_the_plain_content_endpoint(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    order, _ = licensed(api, asset_runtime, supplier, ops, buyer)
    path = f"/assets/{order['asset_id']}/revisions/1/content"
    assert api.get(path, headers=buyer.headers).status_code == 403


def test_one_licence_per_order(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    with pytest.raises(LicenceExists):
        grant(asset_runtime, order)
    assert [x["id"] for x in api.get("/licences", headers=buyer.headers).json()["items"]] == [
        licence_id
    ]


def test_a_placed_unpaid_order_gives_no_licence_and_no_download(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    listing = on_sale(api, supplier, ops)
    order = place(api, buyer, listing["id"])
    assert order["status"] == "placed"
    with Session(asset_runtime.engine) as session:
        assert service.licence_for_order(session, order["id"]) is None
    assert api.get("/licences", headers=buyer.headers).json()["items"] == []
    path = f"/assets/{order['asset_id']}/revisions/1/content"
    assert api.get(path, headers=buyer.headers).status_code == 403
    kinds = [e["kind"] for e in entries(api, f"order:{order['id']}")]
    assert kinds == ["order.placed"]

    paid = api.post(f"/orders/{order['id']}/pay", headers=keyed(buyer.headers))
    assert (paid.status_code, paid.json()["error"]) == (409, "insufficient_funds")
    with Session(asset_runtime.engine) as session:
        assert service.licence_for_order(session, order["id"]) is None


def test_a_licence_that_expires_after_its_url_was_issued_stops_the_download(
    api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party
) -> None:
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    expiring(asset_runtime, licence_id, utc_now() + timedelta(seconds=3))
    path = issued(api, buyer, licence_id)["path"]
    assert api.get(path).content == CSV
    time.sleep(3.5)
    _error(api.get(path), 403, "licence_expired")
