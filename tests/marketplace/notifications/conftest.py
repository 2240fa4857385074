"""Notification fixtures: the assets' app and parties (``api``, ``ops``, ``supplier``,
``rival``) on a runtime that allows loopback webhooks with small, bounded backoffs, and a real
HTTP receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.marketplace.assets.conftest import api, blob_dir, ops, rival, supplier
from tests.marketplace.identity.helpers import CHAIN_ID
from tests.marketplace.notifications.helpers import Receiver

__all__ = ["api", "blob_dir", "ops", "rival", "supplier"]

#: Webhook settings for tests: loopback allowed, backoffs of tens of milliseconds.
WEBHOOK_TEST_SETTINGS: dict[str, object] = {
    "webhook_allow_loopback": True,
    "webhook_backoff_s_min": 0.05,
    "webhook_backoff_s_max": 0.2,
    "webhook_attempts_max": 3,
    "webhook_timeout_s": 2.0,
    "webhook_poll_s": 0.05,
}


@pytest.fixture
def asset_runtime(engine: Engine, blob_dir: Path) -> Runtime:
    settings = settings_for(engine, blob_url=f"file://{blob_dir}", **WEBHOOK_TEST_SETTINGS)
    runtime = Runtime(settings=settings, engine=engine)
    runtime.chain_id = CHAIN_ID
    return runtime


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver.running() as r:
        yield r
