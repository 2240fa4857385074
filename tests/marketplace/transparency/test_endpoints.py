"""GET /ledger/entries, /ledger/batches and /ledger/entries/{seq}/receipt."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger import journal
from ledger.anchoring import AnchorConfig, AnchorWorker
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import ACTOR, journal_n


def _anchor_all(engine: Engine) -> FakeChain:
    chain = FakeChain()
    config = AnchorConfig(batch_entries_max=4, batch_age_s=0, poll_s=0.01)
    AnchorWorker(engine, lambda: chain, config).run_until_anchored(timeout_s=10)
    return chain


def test_entries_are_paged_by_seq(client: TestClient, engine: Engine) -> None:
    journal_n(engine, 5)
    first = client.get("/ledger/entries", params={"limit": 2}).json()
    assert [e["seq"] for e in first["items"]] == [1, 2]
    assert first["next_after_seq"] == 2
    rest = client.get("/ledger/entries", params={"limit": 10, "after_seq": 2}).json()
    assert [e["seq"] for e in rest["items"]] == [3, 4, 5]
    assert rest["next_after_seq"] is None
    assert rest["items"][0]["payload"] == {"amount_minor": 2}


def test_entries_filter_by_kind_and_subject(client: TestClient, engine: Engine) -> None:
    journal_n(engine, 3)
    with Session(engine) as s:
        journal.append(s, kind="asset.registered", subject="asset:7", actor=ACTOR, payload={})
        s.commit()
    by_kind = client.get("/ledger/entries", params={"kind": "asset.registered"}).json()
    assert [e["seq"] for e in by_kind["items"]] == [4]
    by_subject = client.get("/ledger/entries", params={"subject": "order:1"}).json()
    assert [e["subject"] for e in by_subject["items"]] == ["order:1"]


def test_bad_paging_is_a_422_with_the_error_shape(client: TestClient) -> None:
    response = client.get("/ledger/entries", params={"limit": 0})
    assert response.status_code == 422
    assert set(response.json()) == {"error", "message"}


def test_batches_list_their_anchor(client: TestClient, engine: Engine) -> None:
    journal_n(engine, 6)
    _anchor_all(engine)
    items = client.get("/ledger/batches").json()["items"]
    assert [(b["first_seq"], b["last_seq"], b["status"]) for b in items] == [
        (1, 4, "confirmed"),
        (5, 6, "confirmed"),
    ]
    entries = client.get("/ledger/entries").json()["items"]
    assert [e["batch_id"] for e in entries] == [1, 1, 1, 1, 2, 2]


def test_receipt_has_exactly_the_documented_shape(client: TestClient, engine: Engine) -> None:
    journal_n(engine, 6)
    _anchor_all(engine)
    response = client.get("/ledger/entries/5/receipt")
    assert response.status_code == 200
    doc = response.json()
    assert list(doc) == ["entry", "entry_hash", "proof", "root", "batch", "anchor"]
    assert doc["batch"] == {"id": 2, "first_seq": 5, "last_seq": 6}
    assert set(doc["anchor"]) == {"chain_id", "contract", "tx_hash", "block_number"}
    assert doc["entry"]["seq"] == 5


def test_receipt_of_an_unanchored_entry_is_409(client: TestClient, engine: Engine) -> None:
    journal_n(engine, 2)
    response = client.get("/ledger/entries/1/receipt")
    assert response.status_code == 409
    assert response.json()["error"] == "not_anchored"


def test_receipt_of_an_unknown_entry_is_404(client: TestClient) -> None:
    response = client.get("/ledger/entries/99/receipt")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "message"}
