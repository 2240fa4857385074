"""GET /metrics reports the journal and anchoring progress read from the database."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from ledger.anchoring import AnchorConfig, AnchorWorker
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import journal_n


def _scrape(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    return {
        name: float(value)
        for name, value in re.findall(r"^(databourse_(?:journal|anchor)\S*) (\S+)$", text, re.M)
    }


def test_metrics_show_the_anchor_lag_then_zero_once_anchored(
    engine: Engine, client: TestClient
) -> None:
    journal_n(engine, 25)
    config = AnchorConfig(batch_entries_max=10, batch_age_s=0, poll_s=0.01)
    chain = FakeChain()
    worker = AnchorWorker(engine, lambda: chain, config)
    chain.automine = False
    worker.step(force_cut=True)  # batch 1 (1..10) signed and sent, not mined

    before = _scrape(client)
    assert before["databourse_journal_last_seq"] == 25
    assert before["databourse_anchor_last_anchored_seq"] == 0
    assert before["databourse_anchor_lag_entries"] == 25
    assert before['databourse_anchor_batches{status="pending"}'] == 1
    assert before['databourse_anchor_batches{status="confirmed"}'] == 0
    assert before["databourse_anchor_oldest_unanchored_age_seconds"] > 0

    chain.automine = True
    chain.mine()
    worker.run_until_anchored(timeout_s=10)
    after = _scrape(client)
    assert after["databourse_anchor_last_anchored_seq"] == 25
    assert after["databourse_anchor_lag_entries"] == 0
    assert after['databourse_anchor_batches{status="confirmed"}'] == 3
    assert after['databourse_anchor_batches{status="pending"}'] == 0
    assert after["databourse_anchor_oldest_unanchored_age_seconds"] == 0
