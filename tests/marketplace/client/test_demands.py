"""``bourse.demands`` against a real server: a buyer posts a demand, reads it, lists its own,
sees its matches and closes it; a supplier lists the open demands; errors come back as
``DatabourseClientError`` with the exchange's code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.assets.helpers import CHECKLIST_OK
from tests.marketplace.client.conftest import uploaded
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.listings.helpers import FIXED, TERMS
from tests.marketplace.matching.helpers import deadline


@pytest.fixture
def buyer(base_url: str, ops: Databourse) -> Iterator[Databourse]:
    client = Databourse(base_url)
    client.identity.signup("bea@buyer.test", PASSWORD, organization="Bea Buys", roles=["buyer"])
    ops.identity.verify_organization(client.identity.me().organization.id)
    with client:
        yield client


def test_a_buyer_posts_reads_matches_and_closes_a_demand(
    buyer: Databourse, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = uploaded(supplier, tmp_path)
    supplier.assets.submit(asset_id)
    ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    listing = supplier.listings.create(asset_id, TERMS, FIXED)
    demand = buyer.demands.post(
        title="Wholesale fruit prices",
        keywords=["fruit"],
        fields=[{"name": "price", "type": "number"}, {"name": "name"}],
        purpose="research",
        budget_min_minor=1_000,
        budget_max_minor=200_000,
        deadline=deadline(),
    )
    assert demand.status == "open"
    assert buyer.demands.get(demand.id).title == "Wholesale fruit prices"
    assert [d.id for d in buyer.demands.mine().items] == [demand.id]
    assert [d.id for d in supplier.demands.open_demands().items] == [demand.id]
    page = buyer.demands.matches(demand.id, limit=5)
    assert [m.listing_id for m in page.matches] == [listing.id]
    assert page.matches[0].explanation.fields_missing == []
    inbox = supplier.demands.matched(limit=5)
    assert [i.demand.id for i in inbox.items] == [demand.id]
    assert [m.listing_id for m in inbox.items[0].matches] == [listing.id]
    assert inbox.items[0].matches[0].explanation.fields_missing == []
    assert inbox.items[0].demand.buyer_organization_id is None
    assert inbox.next_cursor is None
    with pytest.raises(DatabourseClientError) as caught:
        buyer.demands.matched()
    assert caught.value.status == 403
    assert buyer.demands.close(demand.id).status == "closed"
    assert supplier.demands.matched().items == []


def test_errors_carry_the_exchange_code(buyer: Databourse, supplier: Databourse) -> None:
    with pytest.raises(DatabourseClientError) as caught:
        buyer.demands.post(
            title="x", purpose="research", budget_min_minor=5, budget_max_minor=1,
            deadline=deadline(),
        )  # fmt: skip
    assert caught.value.status == 422
    demand = buyer.demands.post(
        title="air", purpose="research", budget_min_minor=1, budget_max_minor=2,
        deadline=deadline(),
    )  # fmt: skip
    with pytest.raises(DatabourseClientError) as caught:
        supplier.demands.close(demand.id)
    assert (caught.value.status, caught.value.code) == (403, "not_demand_owner")
