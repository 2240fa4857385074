"""``bourse.quotes``: quotes in answer to demands. A supplier sends one (signed with the
custodial key, or here with ``private_key``), reads its own and withdraws one; the demand's
owner reads them all and accepts one (which places the order) or rejects one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marketplace.client.session import DatabourseClientError, Session
from marketplace.orders.schemas import OrderDraft
from marketplace.quotes.schemas import QuoteDraft, QuotePage, QuotePublic


class Quotes:
    def __init__(self, session: Session) -> None:
        self._session = session

    def draft(
        self,
        demand_id: int,
        *,
        listing_id: int,
        price_minor: int,
        valid_until: datetime,
        terms: Mapping[str, Any] | None = None,
    ) -> QuoteDraft:
        """The offer to sign before sending (writes nothing)."""
        body = _fields(listing_id, price_minor, valid_until, terms)
        path = f"/demands/{demand_id}/quotes/draft"
        return self._session.call(QuoteDraft, "POST", path, json=body)

    def send(
        self,
        demand_id: int,
        *,
        listing_id: int,
        price_minor: int,
        valid_until: datetime,
        terms: Mapping[str, Any] | None = None,
        private_key: bytes | None = None,
    ) -> QuotePublic:
        """Send a quote: a price in minor units for one of your listings, valid until a moment,
        on the listing's terms or narrower ``terms``. A self-custody account passes its
        ``private_key``: the offer is fetched, checked against what you asked, and signed
        here."""
        body = _fields(listing_id, price_minor, valid_until, terms)
        if private_key is not None:
            from marketplace.identity import signing

            offer = self.draft(
                demand_id, listing_id=listing_id, price_minor=price_minor,
                valid_until=valid_until, terms=terms,
            )  # fmt: skip
            _check_offer(offer, demand_id, listing_id, price_minor)
            body |= {
                "signature": signing.sign(private_key, offer.typed_data),
                "nonce": int(offer.nonce),
                "deadline": offer.deadline,
            }
        path = f"/demands/{demand_id}/quotes"
        return self._session.call(QuotePublic, "POST", path, json=body)

    def for_demand(self, demand_id: int, *, offset: int = 0, limit: int = 50) -> QuotePage:
        """The demand's quotes you may see: all of them for its owner, your own for a
        supplier."""
        params = {"offset": offset, "limit": limit}
        path = f"/demands/{demand_id}/quotes"
        return self._session.call(QuotePage, "GET", path, params=params)

    def get(self, quote_id: int) -> QuotePublic:
        return self._session.call(QuotePublic, "GET", f"/quotes/{quote_id}")

    def accept_draft(self, quote_id: int) -> OrderDraft:
        """The order accepting the quote places, to sign with your own key (writes nothing)."""
        return self._session.call(OrderDraft, "POST", f"/quotes/{quote_id}/accept/draft")

    def accept(self, quote_id: int, *, private_key: bytes | None = None) -> QuotePublic:
        """Accept a quote on your demand: the order is placed (``order_id``) at the quote's
        price under its terms, the demand is fulfilled and its other quotes are rejected.
        Custodial accounts need nothing more; self-custody accounts pass their
        ``private_key`` and the order is signed here, locally, over the draft, once it is
        checked to be the quote's (listing, price, terms; else ``order_mismatch``)."""
        path = f"/quotes/{quote_id}/accept"
        if private_key is None:
            return self._session.call(QuotePublic, "POST", path)
        from eth_account import Account

        from marketplace.client.orders import check_order_draft
        from marketplace.identity import signing

        quote = self.get(quote_id)
        draft = self.accept_draft(quote_id)
        check_order_draft(
            draft, buyer=Account.from_key(private_key).address, listing_id=quote.listing_id,
            price_minor=quote.price_minor, source="quote", source_id=quote_id,
            terms_hash=quote.terms_hash,
        )  # fmt: skip
        body = {
            "signature": signing.sign(private_key, draft.typed_data),
            "nonce": int(draft.nonce),
            "deadline": draft.deadline,
        }
        return self._session.call(QuotePublic, "POST", path, json=body)

    def reject(self, quote_id: int) -> QuotePublic:
        return self._session.call(QuotePublic, "POST", f"/quotes/{quote_id}/reject")

    def withdraw(self, quote_id: int) -> QuotePublic:
        return self._session.call(QuotePublic, "POST", f"/quotes/{quote_id}/withdraw")


def _fields(
    listing_id: int, price_minor: int, valid_until: datetime, terms: Mapping[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "listing_id": listing_id,
        "price_minor": price_minor,
        "valid_until": valid_until.isoformat(),
    }
    if terms is not None:
        body["terms"] = dict(terms)
    return body


def _check_offer(draft: QuoteDraft, demand_id: int, listing_id: int, price_minor: int) -> None:
    """Refuse to sign an offer that is not the one asked for (a local key signs only what its
    holder meant)."""
    offer = draft.offer
    asked = (demand_id, listing_id, str(price_minor))
    got = (offer.get("demand_id"), offer.get("listing_id"), offer.get("price_minor"))
    message = draft.typed_data.get("message", {})
    signed = (message.get("demandId"), message.get("listingId"), message.get("priceMinor"))
    if got != asked or signed != (demand_id, listing_id, price_minor):
        raise DatabourseClientError(
            0, "offer_mismatch", f"the exchange offered {got} to sign, not {asked}; not signed"
        )
