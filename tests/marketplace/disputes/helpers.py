"""Helpers for the dispute tests: a paid (or delivered, or settled) order, opening a dispute (or
escalating an objection to one), ruling, and running the execution job at a moment of the
test's choosing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.models import utc_now
from marketplace.disputes import execution_job
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import PRICE_MINOR, keyed, on_sale
from tests.marketplace.orders.money import fund

FEE = PRICE_MINOR * 250 // 10_000  # the order's exchange fee (2.5 %): 3,125
ARBITRATION_FEE = 10_000  # the default arbitration_fee_minor
APPEAL_FEE = 30_000  # the default appeal_fee_minor
FUNDS = 200_000


def paid_order(
    api: TestClient,
    runtime: Runtime,
    supplier: Party,
    buyer: Party,
    ops: Party,
    **listing_overrides: Any,
) -> dict[str, Any]:
    """A paid order of a new listing (``listing_overrides`` as ``on_sale`` takes them)."""
    fund(runtime.engine, buyer.organization_id, FUNDS)
    listing = on_sale(api, supplier, ops, **listing_overrides)
    r = api.post(
        "/orders/purchase", json={"listing_id": listing["id"], "purpose": "research"},
        headers=keyed(buyer.headers),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def post_dispute(api: TestClient, who: Party, order_id: int, **body: Any) -> Any:
    payload = {"reason": "quality_below_report", "statement": "Half the rows are missing.", **body}
    return api.post(f"/orders/{order_id}/disputes", json=payload, headers=keyed(who.headers))


def open_dispute(api: TestClient, who: Party, order_id: int) -> dict[str, Any]:
    r = post_dispute(api, who, order_id)
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The dispute endpoints' clock reads ``moment``."""
    monkeypatch.setattr("marketplace.disputes.endpoints.case.utc_now", lambda: moment)


def after_evidence(dispute: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(dispute["evidence_closes_at"]) + timedelta(seconds=1)


def post_ruling(
    api: TestClient, who: Party, dispute_id: int, outcome: str, bp: int | None = None
) -> Any:
    body: dict[str, Any] = {"outcome": outcome, "reasons": "Compared with the anchored report."}
    if bp is not None:
        body["supplier_bp"] = bp
    return api.post(f"/disputes/{dispute_id}/ruling", json=body, headers=who.headers)


def execute(runtime: Runtime, moment: datetime | None = None) -> list[int]:
    run = execution_job.run_once(runtime.engine, runtime.settings, now=moment or utc_now())
    assert not run.failed, run.failed
    return run.executed


def post_file(
    api: TestClient,
    who: Party,
    dispute_id: int,
    content: bytes,
    *,
    title: str = "Comparison",
    key: str | None = None,
    **params: Any,
) -> Any:
    """A party submits a file as evidence (the raw body)."""
    headers = keyed(who.headers) if key is None else {**who.headers, "Idempotency-Key": key}
    return api.post(
        f"/upload/disputes/{dispute_id}/evidence",
        content=content,
        params={"title": title, **params},
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


def post_statement(api: TestClient, who: Party, dispute_id: int, text: str, **body: Any) -> Any:
    """A party submits a written statement as evidence."""
    return api.post(
        f"/disputes/{dispute_id}/evidence", json={"text": text, **body}, headers=keyed(who.headers)
    )


def evidence_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """The evidence endpoints' clock reads ``moment``."""
    monkeypatch.setattr("marketplace.disputes.endpoints.evidence.utc_now", lambda: moment)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_objection(api: TestClient, who: Party, asset_id: int) -> dict[str, Any]:
    r = api.post(
        f"/assets/{asset_id}/objections",
        json={
            "reason_code": "ownership",
            "statement": "We collected these prices at our own stalls; contract ref 2024-17.",
            "evidence_hashes": ["ab" * 32],
        },
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def escalate(api: TestClient, who: Party, asset_id: int, objection_id: int) -> Any:
    return api.post(
        f"/assets/{asset_id}/objections/{objection_id}/escalate",
        json={"statement": "The operator cannot weigh our contracts; we ask for arbitration."},
        headers=keyed(who.headers),
    )
