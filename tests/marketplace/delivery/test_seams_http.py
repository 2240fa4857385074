"""The seams other domains plug into: a plaintext transform per licence (fingerprints) changes
the bytes served and the hash recorded, ranges included, and runs once per licence; the served
hook hears of a licence's first download once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from marketplace.delivery import service
from marketplace.delivery.schemas import LicenceView
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import CSV, Party
from tests.marketplace.delivery.helpers import issued, licensed
from tests.marketplace.orders.helpers import entries


def _upper(chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.upper()


def _marking(
    _session: Session, licence: LicenceView, media_type: str
) -> service.PlaintextTransform | None:
    return _upper if media_type.startswith("text/csv") and licence.id > 0 else None


def test_a_transform_changes_the_bytes_served_and_their_recorded_hash(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(service.seams, "served_transforms", [_marking])
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    url = issued(api, buyer, licence_id)
    marked = CSV.upper()
    assert url["sha256"] == hashlib.sha256(marked).hexdigest()
    assert api.get(url["path"]).content == marked
    head = api.get(url["path"], headers={"Range": "bytes=0-6"}).content
    tail = api.get(url["path"], headers={"Range": "bytes=7-"}).content
    assert head + tail == marked
    served = [e for e in entries(api, f"order:{order['id']}") if e["kind"] == "delivery.served"]
    assert served[0]["payload"]["sha256"] == hashlib.sha256(marked).hexdigest()


def test_a_transform_runs_once_per_licence_and_its_output_is_served_from_then_on(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ran: list[int] = []

    def counted(
        _session: Session, licence: LicenceView, _media_type: str
    ) -> service.PlaintextTransform:
        def upper(chunks: Iterator[bytes]) -> Iterator[bytes]:
            ran.append(licence.id)
            yield from _upper(chunks)

        return upper

    monkeypatch.setattr(service.seams, "served_transforms", [counted])
    _, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    first, second = issued(api, buyer, licence_id), issued(api, buyer, licence_id)
    assert first["sha256"] == second["sha256"] == hashlib.sha256(CSV.upper()).hexdigest()
    for url in (first, second):
        assert api.get(url["path"]).content == CSV.upper()
        assert api.get(url["path"], headers={"Range": "bytes=3-"}).content == CSV.upper()[3:]
    assert ran == [licence_id]


def test_the_served_hook_hears_of_the_first_download_only(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    heard: list[int] = []

    def hook(_session: Session, *, order_id: int) -> None:
        heard.append(order_id)

    monkeypatch.setattr(service.seams, "served_hooks", [hook])
    order, licence_id = licensed(api, asset_runtime, supplier, ops, buyer)
    issued(api, buyer, licence_id)
    issued(api, buyer, licence_id)
    assert heard == [order["id"]]


def test_a_transformed_licence_does_not_open_the_plain_content_endpoint(
    *, api: TestClient, asset_runtime: Runtime, supplier: Party, ops: Party, buyer: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # An unlimited, plainly delivered licence may read the revision's content, but not when its
    # downloads are transformed (a fingerprint): the stored bytes would be an unmarked copy.
    monkeypatch.setattr(service.seams, "served_transforms", [_marking])
    order, _ = licensed(api, asset_runtime, supplier, ops, buyer, terms={"max_downloads": None})
    path = f"/assets/{order['asset_id']}/revisions/1/content"
    r = api.get(path, headers=buyer.headers)
    assert r.status_code == 403, r.status_code
