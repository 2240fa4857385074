"""The client signs an order a self-custody key holder meant, and nothing else: a draft whose
typed data names another buyer, listing, price, source or terms is refused before signing."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.client import DatabourseClientError
from marketplace.client.orders import check_order_draft
from marketplace.orders.schemas import OrderDraft

BUYER = "0x" + "ab" * 20
TERMS = "0x" + "cd" * 32


def _draft(**message: Any) -> OrderDraft:
    signed = {
        "buyer": BUYER.upper().replace("0X", "0x"), "listingId": 7, "priceMinor": 66_000,
        "source": "quote", "sourceId": 3, "termsHash": TERMS, **message,
    }  # fmt: skip
    return OrderDraft(
        listing_id=7, purpose="research", quantity=1, price_minor=66_000, currency="CNY",
        source="quote", source_id=3, terms_hash=TERMS, nonce="1", deadline=1,
        typed_data={"message": signed},
    )  # fmt: skip


def _check(draft: OrderDraft) -> None:
    check_order_draft(
        draft, buyer=BUYER, listing_id=7, price_minor=66_000, source="quote", source_id=3,
        terms_hash=TERMS,
    )  # fmt: skip


def test_the_draft_meant_passes_whatever_the_case_of_its_hex() -> None:
    _check(_draft())


@pytest.mark.parametrize(
    "change",
    [
        {"priceMinor": 66_001},
        {"listingId": 8},
        {"buyer": "0x" + "ef" * 20},
        {"source": "listing"},
        {"sourceId": 4},
        {"termsHash": "0x" + "00" * 32},
    ],
)
def test_a_draft_that_differs_in_any_signed_field_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(DatabourseClientError) as refused:
        _check(_draft(**change))
    assert (refused.value.status, refused.value.code) == (0, "order_mismatch")
    assert "not signed" in refused.value.message
