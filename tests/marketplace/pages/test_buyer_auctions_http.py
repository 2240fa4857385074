"""The buyer's auction page over HTTP, on both databases: a sealed bid committed through the
form (the page shows the amount and salt to keep), bad bids refused with nothing written, and
the bid revealed after the commit deadline with what the page showed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from marketplace.app import create_app
from marketplace.auctions.endpoints import current_time
from marketplace.runtime import Runtime
from tests.marketplace.auctions.helpers import Clock, exclusive_listing, open_auction
from tests.marketplace.identity.helpers import PASSWORD, row_counts
from tests.marketplace.pages.buyer_helpers import BUYER_EMAIL, Market, market
from tests.marketplace.pages.test_sessions import csrf_of, sign_in


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auction_id(api: TestClient, page_runtime: Runtime, clock: Clock) -> int:
    mk: Market = market(api, page_runtime)
    listing_id = exclusive_listing(api, mk.supplier, mk.operator)
    return int(open_auction(api, mk.supplier, listing_id, clock)["id"])


@pytest.fixture
def web(page_runtime: Runtime, clock: Clock, auction_id: int) -> Iterator[TestClient]:
    app = create_app(runtime=page_runtime)
    app.dependency_overrides[current_time] = clock.read
    with TestClient(app, raise_server_exceptions=False) as c:
        sign_in(c, BUYER_EMAIL, PASSWORD)
        yield c


def test_a_sealed_bid_is_committed_then_revealed_with_what_the_page_showed(
    web: TestClient, auction_id: int, clock: Clock, engine: Engine
) -> None:
    path = f"/buyer/auctions/{auction_id}"
    page = web.get(path)
    assert page.status_code == 200
    assert 'action="' + path + '/bid"' in page.text

    before = row_counts(engine)
    for amount, purpose, status in (("lots", "research", 400), ("1500", "", 400),
                                    ("1500", "commercial", 403)):  # fmt: skip
        r = web.post(
            f"{path}/bid",
            data={"csrf_token": csrf_of(page.text), "amount": amount, "purpose": purpose},
        )
        assert r.status_code == status, (amount, purpose, re.findall(r"message\">([^<]*)", r.text))
        assert "field-error" in r.text or "alert-error" in r.text
    assert row_counts(engine) == before

    r = web.post(
        f"{path}/bid",
        data={"csrf_token": csrf_of(page.text), "amount": "1500", "purpose": "research"},
    )
    assert r.status_code == 200, r.text[-800:]
    salt = re.search(r'<code class="sealed-salt">(0x[0-9a-f]{64})</code>', r.text)
    assert salt is not None
    assert '<dd class="sealed-amount">1500</dd>' in r.text
    # sealed: the amount is nowhere once the page is left (as a number, not inside a hex hash)
    assert re.search(r"(?<![0-9a-f])1,?500(?![0-9a-f])", web.get(path).text) is None

    again = web.post(
        f"{path}/bid",
        data={"csrf_token": csrf_of(r.text), "amount": "2000", "purpose": "research"},
    )
    assert again.status_code == 409

    clock.advance(minutes=90)
    page = web.get(path)
    assert 'action="' + path + '/reveal"' in page.text
    wrong = web.post(
        f"{path}/reveal",
        data={"csrf_token": csrf_of(page.text), "amount": "1400", "salt": salt.group(1)},
    )
    assert wrong.status_code in {409, 422}
    r = web.post(
        f"{path}/reveal",
        data={"csrf_token": csrf_of(page.text), "amount": "1500", "salt": salt.group(1)},
    )
    assert r.status_code == 200, r.text[-800:]
    assert "revealed" in r.text
    assert "CN¥1,500.00" in r.text
