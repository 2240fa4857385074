"""``bourse.assets`` against a real server: the draft, its revisions, review, the catalog, the
certificate and registrations, and the owner's and operator's later changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from marketplace.assets.endpoints import revisions as revision_endpoints
from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.assets.helpers import CHECKLIST_OK, CSV, metadata
from tests.marketplace.client.conftest import listed, uploaded, verified_supplier
from tests.marketplace.identity.helpers import PASSWORD, new_wallet


def test_a_draft_is_registered_read_changed_found_and_deleted(
    supplier: Databourse, bourse: Databourse
) -> None:
    asset = supplier.assets.register(metadata(title="Fruit prices"))
    assert asset.status == "draft"
    assert supplier.assets.get(asset.id).title == "Fruit prices"
    changed = supplier.assets.update(asset.id, title="Wholesale fruit prices")
    assert changed.title == "Wholesale fruit prices"
    mine = supplier.assets.search(status="draft", q="wholesale")
    assert [a.id for a in mine.items] == [asset.id]
    assert bourse.assets.search(q="wholesale").total == 0  # drafts are their owner's alone
    dcat = supplier.assets.dcat(asset.id)
    assert dcat["@type"] == "dcat:Dataset"
    assert dcat["dct:title"] == "Wholesale fruit prices"
    deleted = supplier.assets.delete(asset.id)
    assert (deleted.asset_id, deleted.revisions_deleted) == (asset.id, 0)
    with pytest.raises(DatabourseClientError) as caught:
        supplier.assets.get(asset.id)
    assert caught.value.status == 404


def test_revisions_are_uploaded_read_corrected_and_downloaded(
    supplier: Databourse, tmp_path: Path
) -> None:
    asset_id = uploaded(supplier, tmp_path)
    (revision,) = supplier.assets.revisions(asset_id)
    assert (revision.number, revision.content_format, revision.size_bytes) == (1, "csv", len(CSV))
    assert revision.sha256 == hashlib.sha256(CSV).hexdigest()
    assert revision.table_schema is not None
    table_schema = dict(revision.table_schema)
    table_schema["fields"][2]["constraints"] = {"minimum": 0}
    corrected = supplier.assets.correct_schema(asset_id, 1, table_schema)
    assert corrected.schema_corrected is True
    assert corrected.table_schema is not None
    assert corrected.table_schema["fields"][2]["constraints"] == {"minimum": 0}
    copy = tmp_path / "copy.csv"
    assert supplier.assets.download_revision(asset_id, 1, copy) == len(CSV)
    assert copy.read_bytes() == CSV


def test_an_external_revision_keeps_its_url(
    supplier: Databourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revision_endpoints, "resolver", lambda host, port: ["93.184.216.34"])
    asset = supplier.assets.register(metadata())
    url = "https://data.example.org/api/v1/prices"
    revision = supplier.assets.add_external_revision(asset.id, url, kind="api")
    assert revision.source == "external_api"
    assert revision.external_url == url
    assert revision.sha256 is None
    assert [r.number for r in supplier.assets.revisions(asset.id)] == [1]


def test_review_then_list_delist_and_read_the_certificate(
    supplier: Databourse, ops: Databourse, bourse: Databourse, tmp_path: Path
) -> None:
    asset_id = uploaded(supplier, tmp_path)
    assert supplier.assets.submit(asset_id).status == "under_review"
    rejected = ops.assets.review(
        asset_id,
        decision="rejected",
        checklist={**CHECKLIST_OK, "authority": {"passed": False}},
        reasons="name the contract",
    )
    assert rejected.decision == "rejected"
    supplier.assets.submit(asset_id)
    ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    reviews = supplier.assets.reviews(asset_id)
    assert [(r.decision, r.reasons) for r in reviews] == [
        ("rejected", "name the contract"),
        ("approved", ""),
    ]
    assert supplier.assets.list_in_catalog(asset_id).status == "listed"
    assert [a.id for a in bourse.assets.search(q="fruit").items] == [asset_id]
    certificate = bourse.assets.certificate(asset_id)
    assert certificate["certificate"]["asset_id"] == asset_id
    assert certificate["anchor_status"] == "pending"
    registrations = bourse.assets.registrations(asset_id)
    assert [(r.registration_type, r.revision) for r in registrations] == [("initial", 1)]
    assert supplier.assets.delist(asset_id).status == "delisted"
    assert bourse.assets.search(q="fruit").total == 0


def test_a_self_custody_supplier_signs_its_application_locally(
    base_url: str, ops: Databourse, tmp_path: Path
) -> None:
    wallet = new_wallet()
    with Databourse(base_url) as keyholder:
        keyholder.identity.login_siwe(wallet.key, organization="Keyholders", roles=["supplier"])
        ops.identity.verify_organization(keyholder.identity.me().organization.id)
        asset_id = uploaded(keyholder, tmp_path)
        offer = keyholder.assets.application(asset_id)
        assert offer["application"]["asset_id"] == asset_id
        assert offer["typed_data"]["primaryType"] == "AssetRegistration"
        assert keyholder.assets.submit(asset_id, private_key=wallet.key).status == "under_review"


def test_the_operator_suspends_and_reinstates_an_asset(
    supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    assert ops.assets.suspend(asset_id, "court order pending").status == "suspended"
    with pytest.raises(DatabourseClientError) as caught:
        supplier.assets.reinstate(asset_id, "not mine to lift")
    assert caught.value.status == 403
    assert ops.assets.reinstate(asset_id, "order lifted").status == "listed"


def test_the_owner_transfers_an_asset_and_the_new_owner_cancels_it(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    with verified_supplier(base_url, ops, "rex@rival.test", "Rex Data") as heir:
        heir_org = heir.identity.me().organization.id
        moved = supplier.assets.transfer(asset_id, heir_org)
        assert (moved.owner_organization_id, moved.status) == (heir_org, "approved")
        cancelled = heir.assets.cancel(asset_id, "no longer collected")
        assert cancelled.status == "cancelled"
        kinds = [r.registration_type for r in heir.assets.registrations(asset_id)]
    assert kinds == ["initial", "transfer", "cancellation"]


def test_a_download_whose_hash_differs_from_the_declared_one_is_refused(tmp_path: Path) -> None:
    served = b"a,b\n1,2\n"
    declared = hashlib.sha256(b"a,b\n1,3\n").hexdigest()  # what the exchange registered

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=served, headers={"X-Content-SHA256": declared})

    client = Databourse("http://exchange.test", transport=httpx.MockTransport(handler))
    target = tmp_path / "copy.csv"
    with pytest.raises(DatabourseClientError) as caught:
        client.assets.download_revision(1, 1, target)
    assert caught.value.code == "content_mismatch"
    assert not target.exists()
    assert not list(tmp_path.iterdir())  # no partial file either


def test_a_download_matching_the_declared_hash_is_kept(tmp_path: Path) -> None:
    served = b"a,b\n1,2\n"

    def handler(_: httpx.Request) -> httpx.Response:
        sha = hashlib.sha256(served).hexdigest()
        return httpx.Response(200, content=served, headers={"X-Content-SHA256": sha})

    client = Databourse("http://exchange.test", transport=httpx.MockTransport(handler))
    target = tmp_path / "copy.csv"
    assert client.assets.download_revision(1, 1, target) == len(served)
    assert target.read_bytes() == served


def test_a_refused_download_raises_the_exchanges_error_and_writes_nothing(
    supplier: Databourse, base_url: str, tmp_path: Path
) -> None:
    asset_id = uploaded(supplier, tmp_path)
    with Databourse(base_url) as stranger:
        stranger.identity.signup("eve@example.org", PASSWORD, organization="Eve", roles=["buyer"])
        target = tmp_path / "out.csv"
        with pytest.raises(DatabourseClientError) as caught:
            stranger.assets.download_revision(asset_id, 1, target)
    assert (caught.value.status, caught.value.code) == (404, "asset_not_found")
    assert not target.exists()
    assert not (tmp_path / "out.csv.part").exists()
