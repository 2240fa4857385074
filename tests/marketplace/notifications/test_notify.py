"""``service.notify``: the inbox row and the webhook delivery row are written in the caller's
transaction, or not at all."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from marketplace.db import unit_of_work
from marketplace.notifications import service
from marketplace.notifications.errors import InvalidNotification
from marketplace.notifications.models import WebhookDelivery
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.notifications.helpers import Receiver, notify


def _deliveries(runtime: Runtime) -> int:
    with Session(runtime.engine) as s:
        return int(s.exec(select(func.count()).select_from(WebhookDelivery)).one())


def test_notify_puts_the_notification_in_the_inbox_without_a_webhook_no_delivery(
    api: TestClient, asset_runtime: Runtime, supplier: Party
) -> None:
    notify(asset_runtime.engine, supplier.organization_id)
    page = api.get("/inbox", headers=supplier.headers).json()
    assert [(n["kind"], n["subject"], n["unread"]) for n in page["items"]] == [
        ("demand.matched", "demand:1", True)
    ]
    assert page["items"][0]["payload"] == {"demand_id": 1, "score": 87, "title": "空气质量 PM2.5"}
    assert page["unread_total"] == 1
    assert _deliveries(asset_runtime) == 0


def test_notify_queues_a_delivery_when_the_organisation_has_a_webhook(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    r = api.put("/organizations/me/webhook", json={"url": receiver.url}, headers=supplier.headers)
    assert r.status_code == 200, r.text
    notify(asset_runtime.engine, supplier.organization_id, 2)
    assert _deliveries(asset_runtime) == 2


def test_a_rolled_back_transaction_leaves_neither_notification_nor_delivery(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    api.put("/organizations/me/webhook", json={"url": receiver.url}, headers=supplier.headers)

    class Boom(Exception):
        pass

    def notify_then_fail() -> None:
        with unit_of_work(asset_runtime.engine) as session:
            service.notify(
                session,
                organization_id=supplier.organization_id,
                kind="demand.matched",
                subject="demand:1",
                payload={},
            )
            raise Boom

    with pytest.raises(Boom):
        notify_then_fail()
    assert api.get("/inbox", headers=supplier.headers).json()["items"] == []
    assert _deliveries(asset_runtime) == 0


@pytest.mark.parametrize(
    "case",
    [
        ("Demand Matched", "demand:1", {}, "dotted lowercase"),
        ("matched", "demand:1", {}, "dotted lowercase"),
        ("demand.matched", "", {}, "subject"),
        ("demand.matched", "d" * 129, {}, "subject"),
        ("demand.matched", "demand:1", {"x": float("nan")}, "not JSON"),
        ("demand.matched", "demand:1", {"x": object()}, "not JSON"),
        ("demand.matched", "demand:1", {"x": "y" * 20_000}, "exceeds"),
    ],
)
def test_a_malformed_notification_is_refused_and_writes_nothing(
    api: TestClient,
    asset_runtime: Runtime,
    supplier: Party,
    case: tuple[str, str, dict[str, object], str],
) -> None:
    kind, subject, payload, says = case
    with (
        pytest.raises(InvalidNotification, match=says) as caught,
        unit_of_work(asset_runtime.engine) as session,
    ):
        service.notify(
            session,
            organization_id=supplier.organization_id,
            kind=kind,
            subject=subject,
            payload=payload,
        )
    assert caught.value.status == 400
    assert api.get("/inbox", headers=supplier.headers).json()["items"] == []


def test_notifying_an_unknown_organisation_is_refused(asset_runtime: Runtime) -> None:
    with (
        pytest.raises(InvalidNotification, match="no organisation"),
        unit_of_work(asset_runtime.engine) as session,
    ):
        service.notify(
            session, organization_id=999_999, kind="demand.matched", subject="demand:1", payload={}
        )
