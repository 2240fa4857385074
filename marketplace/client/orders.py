"""``bourse.orders``: place an order for a listing (verified buyers), or buy it (place and pay
in one request), pay a placed order, accept a delivered one (it settles), read and list your
organisation's orders (as buyer or supplier), cancel a placed one, an operator's approval or
refusal of an important asset's order, and a public-data listing's revenue against its ceiling
(its supplier and operators).

Every request that moves money carries an ``Idempotency-Key``: a new UUID per call unless you
pass ``idempotency_key`` (pass the same one when you retry, and the money moves once)."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.client.session import DatabourseClientError, Session
from marketplace.orders.schemas import (
    OrderDraft,
    OrderPage,
    OrderPublic,
    PeriodPublic,
    PublicDataRevenue,
    QualityCheckView,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _keyed(idempotency_key: str | None) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: idempotency_key or str(uuid.uuid4())}


class Orders:
    def __init__(self, session: Session) -> None:
        self._session = session

    def draft(self, listing_id: int, *, purpose: str, quantity: int | None = None) -> OrderDraft:
        """The order to sign with your own key, priced as it would be placed (writes nothing)."""
        body = _body(listing_id, purpose, quantity)
        return self._session.call(OrderDraft, "POST", "/orders/draft", json=body)

    def place(
        self,
        listing_id: int,
        *,
        purpose: str,
        quantity: int | None = None,
        private_key: bytes | None = None,
        idempotency_key: str | None = None,
    ) -> OrderPublic:
        """Order a listing for ``purpose`` (not paid: ``pay`` it, or ``buy`` instead).
        Custodial accounts need nothing more (the exchange signs with their key); self-custody
        accounts pass their ``private_key`` and the order is signed here, locally, over the
        draft the exchange priced. ``idempotency_key`` (a new UUID by default): pass the same one
        to retry a placement whose answer was lost."""
        body = self._signed(listing_id, purpose, quantity, private_key)
        return self._session.call(
            OrderPublic, "POST", "/orders", json=body, headers=_keyed(idempotency_key)
        )

    def buy(
        self,
        listing_id: int,
        *,
        purpose: str,
        quantity: int | None = None,
        private_key: bytes | None = None,
        idempotency_key: str | None = None,
    ) -> OrderPublic:
        """Place an order and pay it into escrow in one request: the answer is the ``paid``
        order. 409 ``insufficient_funds`` (or any refusal) leaves no order and nothing held."""
        body = self._signed(listing_id, purpose, quantity, private_key)
        return self._session.call(
            OrderPublic, "POST", "/orders/purchase", json=body, headers=_keyed(idempotency_key)
        )

    def _signed(
        self, listing_id: int, purpose: str, quantity: int | None, private_key: bytes | None
    ) -> dict[str, Any]:
        body = _body(listing_id, purpose, quantity)
        if private_key is not None:
            from marketplace.identity import signing

            offer = self.draft(listing_id, purpose=purpose, quantity=quantity)
            body |= {
                "signature": signing.sign(private_key, offer.typed_data),
                "nonce": int(offer.nonce),
                "deadline": offer.deadline,
            }
        return body

    def pay(self, order_id: int, *, idempotency_key: str | None = None) -> OrderPublic:
        """Pay a placed order into escrow (its buyer)."""
        path = f"/orders/{order_id}/pay"
        return self._session.call(OrderPublic, "POST", path, headers=_keyed(idempotency_key))

    def accept(self, order_id: int, *, idempotency_key: str | None = None) -> OrderPublic:
        """Accept a delivered order (its buyer). One paid at once settles at once: the answer is
        ``settled``; a subscription or metered order is ``accepted``, its periods settling one
        by one as each ends."""
        path = f"/orders/{order_id}/accept"
        return self._session.call(OrderPublic, "POST", path, headers=_keyed(idempotency_key))

    def quality_check(
        self, order_id: int, comparison: dict[str, Any], *, private_key: bytes | None = None
    ) -> QualityCheckView:
        """Attach the buyer's re-check of the file received (``comparison``: what
        ``marketplace.quality.compare`` gave, as JSON): the exchange signs with a custodial
        account's key; self-custody accounts pass ``private_key`` and sign here."""
        body: dict[str, Any] = {"comparison": comparison}
        path = f"/orders/{order_id}/quality-checks"
        if private_key is not None:
            from marketplace.identity import signing

            typed = self._session.json("POST", path + "/draft", json=body)
            body["signature"] = signing.sign(private_key, typed)
        return self._session.call(QualityCheckView, "POST", path, json=body)

    def approve(self, order_id: int, *, reason: str) -> OrderPublic:
        """Approve an important asset's paid order for delivery (operators)."""
        path = f"/orders/{order_id}/approve"
        return self._session.call(OrderPublic, "POST", path, json={"reason": reason})

    def refuse(
        self, order_id: int, *, reason: str, idempotency_key: str | None = None
    ) -> OrderPublic:
        """Refuse an important asset's paid order; the buyer is refunded in full (operators)."""
        path = f"/orders/{order_id}/refuse"
        return self._session.call(
            OrderPublic, "POST", path, json={"reason": reason}, headers=_keyed(idempotency_key)
        )

    def get(self, order_id: int) -> OrderPublic:
        return self._session.call(OrderPublic, "GET", f"/orders/{order_id}")

    def mine(self, *, before_id: int | None = None, limit: int = 50) -> OrderPage:
        """Your organisation's orders as buyer or supplier, newest first; pass the page's
        ``next_before_id`` as ``before_id`` for the next page."""
        params: dict[str, Any] = {"limit": limit}
        if before_id is not None:
            params["before_id"] = before_id
        return self._session.call(OrderPage, "GET", "/orders", params=params)

    def awaiting_approval(self, *, before_id: int | None = None, limit: int = 50) -> OrderPage:
        """The operators' queue: paid orders of important data that wait for an operator's
        approval or refusal, newest first; pass ``next_before_id`` as ``before_id``."""
        params: dict[str, Any] = {"limit": limit}
        if before_id is not None:
            params["before_id"] = before_id
        return self._session.call(OrderPage, "GET", "/orders/awaiting-approval", params=params)

    def cancel(self, order_id: int) -> OrderPublic:
        """Cancel a placed order (its buyer)."""
        return self._session.call(OrderPublic, "POST", f"/orders/{order_id}/cancel")

    def revenue(self, listing_id: int) -> PublicDataRevenue:
        """A public-data listing's revenue against its ceiling (its supplier and operators)."""
        path = f"/listings/{listing_id}/revenue"
        return self._session.call(PublicDataRevenue, "GET", path)

    def periods(self, order_id: int) -> list[PeriodPublic]:
        """The periods of a subscription or metered order (empty for a one-off order)."""
        return self._session.call_list(PeriodPublic, f"/orders/{order_id}/periods")

    def report_usage(
        self, order_id: int, units: int, *, idempotency_key: str | None = None
    ) -> PeriodPublic:
        """Report rows or API calls served under a metered order (its supplier)."""
        path = f"/orders/{order_id}/usage"
        return self._session.call(
            PeriodPublic, "POST", path, json={"units": units}, headers=_keyed(idempotency_key)
        )

    def set_auto_renew(self, order_id: int, auto_renew: bool) -> list[PeriodPublic]:
        """Opt in to (or out of) renewing a subscription automatically (its buyer)."""
        rows = self._session.request(
            "POST", f"/orders/{order_id}/renewal", json={"auto_renew": auto_renew}
        ).json()
        return [PeriodPublic.model_validate(row) for row in rows]


def _body(listing_id: int, purpose: str, quantity: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"listing_id": listing_id, "purpose": purpose}
    if quantity is not None:
        body["quantity"] = quantity
    return body


def check_order_draft(
    draft: OrderDraft,
    *,
    buyer: str,
    listing_id: int,
    price_minor: int,
    source: str,
    source_id: int,
    terms_hash: str | None = None,
) -> None:
    """Refuse to sign an order that is not the one meant: the typed data's message must name
    ``buyer`` (the signing key's address), the listing, the price, the source and, when given,
    the terms hash (a local key signs only what its holder meant)."""
    message = draft.typed_data.get("message", {})
    meant: dict[str, Any] = {
        "buyer": buyer.lower(),
        "listingId": listing_id,
        "priceMinor": price_minor,
        "source": source,
        "sourceId": source_id,
    }
    if terms_hash is not None:
        meant["termsHash"] = terms_hash.lower()
    got = {k: message.get(k) for k in meant}
    got["buyer"] = str(got["buyer"]).lower()
    if "termsHash" in got:
        got["termsHash"] = str(got["termsHash"]).lower()
    if got != meant:
        raise DatabourseClientError(
            0, "order_mismatch", f"the exchange sent {got} to sign, not {meant}; not signed"
        )
