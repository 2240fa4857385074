"""The delivery worker against a real HTTP receiver on 127.0.0.1: signed POSTs, retries with
backoff, giving up, no redirects, and no double delivery with several workers."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from ledger.models import utc_now
from marketplace.notifications import DeliveryWorker, attach_delivery, signing
from marketplace.notifications.models import WebhookDelivery
from marketplace.runtime import Runtime
from tests.marketplace.assets.helpers import Party
from tests.marketplace.notifications.helpers import (
    Receiver,
    delivery_state,
    drain,
    notify,
    set_webhook,
)


def _worker(runtime: Runtime, holder: str = "w1", jitter: float = 0.0) -> DeliveryWorker:
    return DeliveryWorker(runtime.engine, runtime.settings, holder=holder, jitter=lambda: jitter)


def test_a_notification_is_posted_signed_and_an_independent_hmac_verifies_it(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    secret = set_webhook(api, supplier, receiver.url)["secret"]
    notify(asset_runtime.engine, supplier.organization_id)
    worker = _worker(asset_runtime)
    try:
        assert worker.step() == 1
    finally:
        worker.stop()
    [got] = receiver.received
    assert got.path == "/hooks/databourse"
    assert got.headers["Content-Type"] == "application/json"
    timestamp = got.headers["Databourse-Webhook-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256
    ).hexdigest()
    assert got.headers["Databourse-Webhook-Signature"] == f"v1={expected}"
    assert signing.verify(
        secret, timestamp, got.body, got.headers["Databourse-Webhook-Signature"], time.time()
    )
    assert not signing.verify(secret, timestamp, got.body + b" ", f"v1={expected}", time.time())
    document = json.loads(got.body)
    inbox_item = api.get("/inbox", headers=supplier.headers).json()["items"][0]
    assert got.headers["Databourse-Webhook-Id"] == str(inbox_item["id"])
    assert document["id"] == inbox_item["id"]
    assert document["kind"] == "demand.matched"
    assert document["subject"] == "demand:1"
    assert document["organization_id"] == supplier.organization_id
    assert document["payload"] == {"demand_id": 1, "score": 87, "title": "空气质量 PM2.5"}
    assert delivery_state(asset_runtime.engine) == [(inbox_item["id"], "delivered", 1, None)]
    shown = api.get("/organizations/me/webhook", headers=supplier.headers).json()
    assert (shown["pending_deliveries"], shown["failed_deliveries"]) == (0, 0)


def test_server_errors_are_retried_with_growing_backoff_until_delivered(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    receiver.statuses = [500, 503]
    notify(asset_runtime.engine, supplier.organization_id)
    worker = _worker(asset_runtime)  # jitter 0: waits of exactly half the ceiling
    try:
        drain([worker], lambda: delivery_state(asset_runtime.engine)[0][1] == "delivered")
    finally:
        worker.stop()
    arrivals = [r.at for r in receiver.received]
    assert len(arrivals) == 3
    assert [r.headers["Databourse-Webhook-Attempt"] for r in receiver.received] == ["1", "2", "3"]
    assert len({r.headers["Databourse-Webhook-Id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    first_wait, second_wait = arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]
    settings = asset_runtime.settings
    assert first_wait >= settings.webhook_backoff_s_min * 0.5  # 1st failure: min * 2**0, halved
    assert second_wait >= settings.webhook_backoff_s_min  # 2nd failure: min * 2**1, halved
    [(_, status, attempts, error)] = delivery_state(asset_runtime.engine)
    assert (status, attempts, error) == ("delivered", 3, None)


def test_after_the_last_attempt_the_delivery_is_failed_and_never_sent_again(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    receiver.statuses = [500] * 10
    notify(asset_runtime.engine, supplier.organization_id)
    worker = _worker(asset_runtime)
    try:
        drain([worker], lambda: delivery_state(asset_runtime.engine)[0][1] == "failed")
        time.sleep(asset_runtime.settings.webhook_backoff_s_max)
        assert worker.step() == 0
    finally:
        worker.stop()
    assert len(receiver.received) == asset_runtime.settings.webhook_attempts_max == 3
    [(_, _, attempts, error)] = delivery_state(asset_runtime.engine)
    assert attempts == 3
    assert error == "HTTP 500: not a 2xx answer"
    shown = api.get("/organizations/me/webhook", headers=supplier.headers).json()
    assert (shown["pending_deliveries"], shown["failed_deliveries"]) == (0, 1)
    # The inbox keeps it all the same.
    assert len(api.get("/inbox", headers=supplier.headers).json()["items"]) == 1


def test_a_host_name_is_resolved_checked_and_connected_to_by_address_with_its_host_header(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    set_webhook(api, supplier, f"http://localhost:{port}/hooks")
    notify(asset_runtime.engine, supplier.organization_id)
    worker = _worker(asset_runtime)
    try:
        assert worker.step() == 1
    finally:
        worker.stop()
    [got] = receiver.received
    assert got.headers["Host"] == f"localhost:{port}"
    assert delivery_state(asset_runtime.engine)[0][1] == "delivered"


def test_a_redirect_is_not_followed(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    receiver.statuses = [307]
    receiver.extra_headers = {"Location": receiver.url + "/elsewhere"}
    notify(asset_runtime.engine, supplier.organization_id)
    worker = _worker(asset_runtime)
    try:
        assert worker.step() == 1
    finally:
        worker.stop()
    assert [r.path for r in receiver.received] == ["/hooks/databourse"]
    [(_, status, attempts, error)] = delivery_state(asset_runtime.engine)
    assert (status, attempts) == ("pending", 1)
    assert error == "HTTP 307: a redirect, not followed"


def test_an_unreachable_receiver_is_retried(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    closed = Receiver.running()
    with closed as gone:
        url = gone.url
    set_webhook(api, supplier, url)
    notify(asset_runtime.engine, supplier.organization_id)
    worker = _worker(asset_runtime)
    try:
        assert worker.step() == 1
    finally:
        worker.stop()
    [(_, status, attempts, error)] = delivery_state(asset_runtime.engine)
    assert (status, attempts) == ("pending", 1)
    assert error is not None
    assert "Connect" in error


def test_two_workers_deliver_every_notification_exactly_once(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    receiver.delay_s = 0.005
    notify(asset_runtime.engine, supplier.organization_id, 30)
    workers = [_worker(asset_runtime, "w1"), _worker(asset_runtime, "w2")]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 20
        while len(receiver.ids()) < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # a second delivery of anything would arrive by now
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        for w in workers:
            w.stop()
    ids = receiver.ids()
    assert len(ids) == 30
    assert len(set(ids)) == 30
    states = delivery_state(asset_runtime.engine)
    assert {(status, attempts) for _, status, attempts, _ in states} == {("delivered", 1)}


def test_a_claim_whose_worker_died_is_taken_over_and_the_dead_worker_records_nothing(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    notify(asset_runtime.engine, supplier.organization_id)
    dead, alive = _worker(asset_runtime, "dead"), _worker(asset_runtime, "alive")
    try:
        [(notification_id, _, _, _)] = delivery_state(asset_runtime.engine)
        attempt = dead.claim(notification_id)
        assert attempt is not None
        assert alive.step() == 0  # claimed, and the claim has not expired
        with Session(asset_runtime.engine) as s:
            s.execute(
                update(WebhookDelivery).values(claimed_until=utc_now() - timedelta(seconds=1))
            )
            s.commit()
        assert alive.step() == 1
        dead.record(attempt, dead.send(attempt))  # too late: changes nothing
    finally:
        dead.stop()
        alive.stop()
    assert len(receiver.received) == 2  # at least once: the receiver deduplicates on the id
    assert delivery_state(asset_runtime.engine) == [(notification_id, "delivered", 2, None)]


def test_removing_the_webhook_fails_what_was_not_delivered(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    notify(asset_runtime.engine, supplier.organization_id, 2)
    assert api.delete("/organizations/me/webhook", headers=supplier.headers).status_code == 204
    worker = _worker(asset_runtime)
    try:
        assert worker.step() == 0
    finally:
        worker.stop()
    assert receiver.received == []
    states = delivery_state(asset_runtime.engine)
    assert {(s, e) for _, s, _, e in states} == {("failed", "the organisation removed its webhook")}


def test_a_changed_url_gets_the_deliveries_still_pending(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url + "/old")
    notify(asset_runtime.engine, supplier.organization_id)
    set_webhook(api, supplier, receiver.url + "/new")
    worker = _worker(asset_runtime)
    try:
        assert worker.step() == 1
    finally:
        worker.stop()
    assert [r.path for r in receiver.received] == ["/hooks/databourse/new"]


def test_the_in_process_worker_delivers_and_stops_with_the_runtime(
    api: TestClient, asset_runtime: Runtime, supplier: Party, receiver: Receiver
) -> None:
    set_webhook(api, supplier, receiver.url)
    attach_delivery(asset_runtime, start_worker=True)
    notify(asset_runtime.engine, supplier.organization_id)
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    for close in reversed(asset_runtime.closers):
        close()
    asset_runtime.closers.clear()
    assert len(receiver.received) == 1
    assert not any(t.name == "webhook-delivery" for t in threading.enumerate())
