"""``bourse.search`` against a real server: anyone finds listings by Chinese or English words and
filters, page by page, without logging in; bad parameters come back as the exchange's 422."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.client.test_listings import _approved
from tests.marketplace.listings.helpers import FIXED, TERMS
from tests.marketplace.search.catalog import index_listing


def test_anyone_finds_listings_by_words_and_filters_page_by_page(
    supplier: Databourse, ops: Databourse, bourse: Databourse, engine: Engine, tmp_path: Path
) -> None:
    asset_id = _approved(supplier, ops, tmp_path)
    research = supplier.listings.create(asset_id, TERMS, FIXED)
    commercial = supplier.listings.create(
        asset_id, {**TERMS, "purposes": ["commercial"]}, {"kind": "fixed", "amount_minor": 9_000}
    )
    for listing in (research, commercial):
        index_listing(engine, listing, title="杭州市空气质量监测数据", keywords=["air quality"])

    found = bourse.search.listings("空气质量")
    assert {item.id for item in found.items} == {research.id, commercial.id}
    assert found.items[0].price_plain
    assert [i.id for i in bourse.search.listings("air", purpose="commercial").items] == [
        commercial.id
    ]
    first = bourse.search.listings(sort="price_asc", limit=1)
    assert [i.id for i in first.items] == [commercial.id]
    assert first.next_cursor is not None
    second = bourse.search.listings(sort="price_asc", limit=1, cursor=first.next_cursor)
    assert ([i.id for i in second.items], second.next_cursor) == ([research.id], None)


def test_a_bad_parameter_is_the_exchanges_422(bourse: Databourse) -> None:
    with pytest.raises(DatabourseClientError) as caught:
        bourse.search.listings(purpose="world_domination")
    assert caught.value.status == 422
    with pytest.raises(DatabourseClientError) as caught:
        bourse.search.listings(cursor="garbage")
    assert (caught.value.status, caught.value.code) == (422, "invalid_cursor")
