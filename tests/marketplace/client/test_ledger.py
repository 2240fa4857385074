"""``bourse.ledger`` against a real server: journal entries page by page, anchored batches,
the receipt of an entry, and the trust anchor the exchange publishes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ledger.anchoring import AnchorConfig, AnchorWorker
from marketplace.app import create_app
from marketplace.chain_runtime import attach_chain
from marketplace.client import Databourse, DatabourseClientError
from marketplace.runtime import Runtime
from tests.conftest import settings_for
from tests.ledger.fake_chain import FakeChain
from tests.ledger.helpers import journal_n
from tests.marketplace.identity.helpers import serve


@pytest.fixture
def journal_url(engine: Engine) -> Iterator[str]:
    """An exchange whose journal holds five entries and nothing else."""
    journal_n(engine, 5)
    with serve(create_app(runtime=Runtime(settings=settings_for(engine), engine=engine))) as url:
        yield url


def test_entries_are_read_page_by_page_and_filtered(journal_url: str) -> None:
    with Databourse(journal_url) as bourse:
        first = bourse.ledger.entries(limit=2)
        assert [e.seq for e in first.items] == [1, 2]
        assert first.next_after_seq == 2
        rest = bourse.ledger.entries(after_seq=2, limit=10)
        assert [e.seq for e in rest.items] == [3, 4, 5]
        assert rest.next_after_seq is None
        assert rest.items[0].payload == {"amount_minor": 2}
        one = bourse.ledger.entries(kind="order.placed", subject="order:3")
        assert [e.seq for e in one.items] == [4]
        assert bourse.ledger.entries(kind="asset.listed").items == []


def test_an_anchored_entry_has_a_receipt_and_its_batch_is_listed(
    journal_url: str, engine: Engine
) -> None:
    with Databourse(journal_url) as bourse:
        with pytest.raises(DatabourseClientError) as caught:
            bourse.ledger.receipt(1)
        assert (caught.value.status, caught.value.code) == (409, "not_anchored")
        assert bourse.ledger.batches().items == []
        config = AnchorConfig(batch_entries_max=4, batch_age_s=0, poll_s=0.01)
        chain = FakeChain()
        AnchorWorker(engine, lambda: chain, config).run_until_anchored(timeout_s=10)
        batches = bourse.ledger.batches().items
        assert [(b.first_seq, b.last_seq) for b in batches] == [(1, 4), (5, 5)]
        assert [b.id for b in bourse.ledger.batches(after_id=batches[0].id).items] == [
            batches[1].id
        ]
        receipt = bourse.ledger.receipt(3)
        assert list(receipt) == ["entry", "entry_hash", "proof", "root", "batch", "anchor"]
        assert receipt["entry"]["seq"] == 3
        assert receipt["root"] == batches[0].root


def test_the_trust_anchor_names_the_chain_and_contract(engine: Engine, tmp_path: Path) -> None:
    chain_url = f"eth-tester://{tmp_path / 'chain'}"
    runtime = Runtime(settings=settings_for(engine, chain_url=chain_url), engine=engine)
    attach_chain(runtime, start_worker=False)
    try:
        with serve(create_app(runtime=runtime)) as url, Databourse(url) as bourse:
            trust = bourse.ledger.trust_anchor()
        assert trust["chain_id"] == runtime.chain_id
        assert trust["contract"] == runtime.contract_address
        assert set(trust) == {"version", "chain_id", "contract", "deployment", "recorder"}
    finally:
        runtime.close()
