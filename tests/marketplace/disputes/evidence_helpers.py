"""Helpers for the dispute tests.

``dispute_row`` inserts a dispute straight into its table for a real paid order: it stands in
for opening a dispute (``POST /disputes``, built alongside) and is to be replaced by it. It holds
no opener's fee and leaves the order's status alone; the evidence tests need neither."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ledger.models import utc_now
from marketplace.db import unit_of_work
from marketplace.disputes.models import Assignment, Dispute, Reason, Side
from marketplace.identity.models import Account
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.orders.helpers import keyed


def dispute_row(
    engine: Engine,
    order: dict[str, Any],
    opened_by: str,
    *,
    opener: Side = Side.buyer,
    closes_in_s: int = 3600,
) -> int:
    """A dispute on ``order`` opened by the account at address ``opened_by`` for side
    ``opener``, taking evidence for ``closes_in_s`` more seconds (negative: closed already)."""
    opened_by_id = account_id(engine, opened_by)
    with unit_of_work(engine) as session:
        row = Dispute(
            order_id=order["id"],
            buyer_organization_id=order["buyer_organization_id"],
            supplier_organization_id=order["supplier_organization_id"],
            opened_by=opened_by_id,
            opener_side=opener.value,
            reason=Reason.quality_below_report.value,
            hold_id=order.get("hold_id"),
            amount_minor=order["price_minor"],
            currency=order["currency"],
            evidence_closes_at=utc_now() + timedelta(seconds=closes_in_s),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def account_id(engine: Engine, address: str) -> int:
    with Session(engine) as session:
        found = session.exec(select(Account.id).where(Account.address == address)).one()
    assert found is not None
    return int(found)


def assign(runtime: Runtime, dispute_id: int, who: Party) -> None:
    """Draw ``who`` for the dispute (as the seeded draw, built alongside, would)."""
    drawn = Assignment(
        dispute_id=dispute_id, account_id=account_id(runtime.engine, who.address),
        organization_id=who.organization_id, round=1, drawn_seq=1,
    )  # fmt: skip
    with unit_of_work(runtime.engine) as session:
        session.add(drawn)


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
    headers = keyed(who.headers) if key is None else {**who.headers, "Idempotency-Key": key}
    return api.post(
        f"/upload/disputes/{dispute_id}/evidence",
        content=content,
        params={"title": title, **params},
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


def post_statement(api: TestClient, who: Party, dispute_id: int, text: str, **body: Any) -> Any:
    return api.post(
        f"/disputes/{dispute_id}/evidence",
        json={"text": text, **body},
        headers=keyed(who.headers),
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
