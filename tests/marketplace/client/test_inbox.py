"""``bourse.inbox`` against a served exchange: paging the inbox, marking read, and the
webhook's set, show and remove with the secret shown once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.client.conftest import verified_supplier
from tests.marketplace.identity.helpers import serve_exchange
from tests.marketplace.notifications.conftest import WEBHOOK_TEST_SETTINGS
from tests.marketplace.notifications.helpers import Receiver, notify


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    overrides = {"blob_url": f"file://{tmp_path / 'blobs'}", **WEBHOOK_TEST_SETTINGS}
    with serve_exchange(engine, **overrides) as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver.running() as r:
        yield r


def test_the_inbox_pages_and_marks_read(
    engine: Engine, supplier: Databourse, ops: Databourse
) -> None:
    del ops
    organization_id = supplier.identity.me().organization.id
    notify(engine, organization_id, 5)
    first = supplier.inbox.page(limit=2)
    assert [n.subject for n in first.items] == ["demand:5", "demand:4"]
    assert first.unread_total == 5
    assert first.next_cursor is not None
    second = supplier.inbox.page(limit=2, cursor=first.next_cursor)
    assert [n.subject for n in second.items] == ["demand:3", "demand:2"]
    assert [n.subject for n in supplier.inbox.all()] == [f"demand:{i}" for i in (5, 4, 3, 2, 1)]
    read = supplier.inbox.mark_read(first.items[0].id)
    assert read.unread is False
    assert [n.subject for n in supplier.inbox.all(unread=True)] == [
        f"demand:{i}" for i in (4, 3, 2, 1)
    ]


def test_another_organisations_notification_is_not_found(
    engine: Engine, base_url: str, supplier: Databourse, ops: Databourse
) -> None:
    notify(engine, supplier.identity.me().organization.id)
    [mine] = supplier.inbox.page().items
    with verified_supplier(base_url, ops, "rex@rival.test", "Rex Data") as rival:
        with pytest.raises(DatabourseClientError) as caught:
            rival.inbox.mark_read(mine.id)
        assert caught.value.status == 404
        assert rival.inbox.page().items == []


def test_the_webhook_is_set_shown_without_secret_and_removed(
    supplier: Databourse, receiver: Receiver
) -> None:
    created = supplier.inbox.set_webhook(receiver.url)
    assert created.secret is not None
    assert created.secret.startswith("whsec_")
    shown = supplier.inbox.webhook()
    assert (shown.url, shown.secret) == (receiver.url, None)
    rotated = supplier.inbox.set_webhook(receiver.url, rotate_secret=True)
    assert rotated.secret not in (None, created.secret)
    supplier.inbox.remove_webhook()
    with pytest.raises(DatabourseClientError) as caught:
        supplier.inbox.webhook()
    assert caught.value.code == "webhook_not_found"


def test_a_refused_url_is_a_client_error_naming_why(supplier: Databourse) -> None:
    with pytest.raises(DatabourseClientError) as caught:
        supplier.inbox.set_webhook("https://10.0.0.1/hook")
    assert caught.value.status == 400
    assert caught.value.code == "webhook_url_refused"
    assert "private" in caught.value.message
