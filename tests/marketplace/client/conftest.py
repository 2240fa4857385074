"""A real exchange (uvicorn on 127.0.0.1, a free port) for the client's tests, and the people
who use it: the operator, verified suppliers, a listed asset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.assets.helpers import CHECKLIST_OK, CSV, metadata
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


@pytest.fixture
def bourse(base_url: str) -> Iterator[Databourse]:
    """An anonymous client."""
    with Databourse(base_url) as client:
        yield client


@pytest.fixture
def ops(base_url: str) -> Iterator[Databourse]:
    """The operator, logged in."""
    with Databourse(base_url) as client:
        client.identity.login(OPERATOR_EMAIL, PASSWORD)
        yield client


@pytest.fixture
def supplier(base_url: str, ops: Databourse) -> Iterator[Databourse]:
    """A verified supplier, logged in."""
    with verified_supplier(base_url, ops, "dora@supplier.test", "Dora Data") as client:
        yield client


def verified_supplier(base_url: str, ops: Databourse, email: str, name: str) -> Databourse:
    client = Databourse(base_url)
    client.identity.signup(email, PASSWORD, organization=name, roles=["supplier"])
    ops.identity.verify_organization(client.identity.me().organization.id)
    return client


def uploaded(supplier: Databourse, tmp_path: Path, **overrides: Any) -> int:
    """A draft asset with one CSV revision (``overrides``: its metadata's); returns its id."""
    asset = supplier.assets.register(metadata(**overrides))
    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    supplier.assets.upload_revision(asset.id, source, content_format="csv")
    return asset.id


def listed(supplier: Databourse, ops: Databourse, tmp_path: Path, **overrides: Any) -> int:
    """An asset approved by the operator and listed; returns its id."""
    asset_id = uploaded(supplier, tmp_path, **overrides)
    supplier.assets.submit(asset_id)
    ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    supplier.assets.list_in_catalog(asset_id)
    return asset_id
