"""``bourse.disputes``: open a dispute on an order (its buyer or supplier), rule on it (its drawn
arbitrator), appeal the ruling (either party, once), vote on an appeal (a panel member), and
read your disputes (docs/disputes.md).

A custodial arbitrator's ruling is signed by the exchange with its key; a self-custody arbitrator
passes its ``private_key`` and the EIP-712 ``Ruling`` is signed here, locally. Opening and
appealing hold money: each carries an ``Idempotency-Key`` (a new UUID unless you pass one)."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.client.session import Session
from marketplace.disputes.schemas import DisputePage, DisputeView, RulingDraft

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _keyed(idempotency_key: str | None) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: idempotency_key or str(uuid.uuid4())}


class Disputes:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open(
        self,
        order_id: int,
        *,
        reason: str,
        statement: str,
        period: int | None = None,
        idempotency_key: str | None = None,
    ) -> DisputeView:
        """Dispute an order, or (``period``, its number) one period of a subscription or metered
        order: ``reason`` is ``not_as_described``, ``quality_below_report``, ``not_delivered``,
        ``unauthorised_redistribution`` or ``other``."""
        body: dict[str, object] = {"reason": reason, "statement": statement}
        if period is not None:
            body["period"] = period
        return self._session.call(
            DisputeView, "POST", f"/orders/{order_id}/disputes", json=body,
            headers=_keyed(idempotency_key),
        )  # fmt: skip

    def get(self, dispute_id: int) -> DisputeView:
        return self._session.call(DisputeView, "GET", f"/disputes/{dispute_id}")

    def list(self, *, limit: int | None = None) -> DisputePage:
        params = {} if limit is None else {"limit": limit}
        return self._session.call(DisputePage, "GET", "/disputes", params=params)

    def rule(
        self,
        dispute_id: int,
        *,
        outcome: str,
        reasons: str,
        supplier_bp: int | None = None,
        private_key: bytes | None = None,
    ) -> DisputeView:
        """The drawn arbitrator's ruling: ``release``, ``refund`` or ``split`` with
        ``supplier_bp`` (0 to 10,000)."""
        body = self._body(dispute_id, outcome, reasons, supplier_bp, private_key)
        return self._session.call(DisputeView, "POST", f"/disputes/{dispute_id}/ruling", json=body)

    def appeal(self, dispute_id: int, *, idempotency_key: str | None = None) -> DisputeView:
        return self._session.call(
            DisputeView, "POST", f"/disputes/{dispute_id}/appeal",
            headers=_keyed(idempotency_key),
        )  # fmt: skip

    def redraw(self, dispute_id: int) -> DisputeView:
        """Replace the arbitrators of a suspended organisation still to rule or vote
        (operators; docs/disputes.md, "Re-drawing")."""
        return self._session.call(DisputeView, "POST", f"/disputes/{dispute_id}/redraw")

    def vote(
        self,
        dispute_id: int,
        *,
        outcome: str,
        reasons: str,
        supplier_bp: int | None = None,
        private_key: bytes | None = None,
    ) -> DisputeView:
        """A panel member's vote: the same as a ruling."""
        body = self._body(dispute_id, outcome, reasons, supplier_bp, private_key)
        return self._session.call(DisputeView, "POST", f"/disputes/{dispute_id}/votes", json=body)

    def _body(
        self,
        dispute_id: int,
        outcome: str,
        reasons: str,
        supplier_bp: int | None,
        private_key: bytes | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"outcome": outcome, "reasons": reasons}
        if supplier_bp is not None:
            body["supplier_bp"] = supplier_bp
        if private_key is None:
            return body
        from marketplace.identity import signing

        draft = self._session.call(
            RulingDraft, "POST", f"/disputes/{dispute_id}/ruling/draft", json=body
        )
        signature = signing.sign(private_key, draft.typed_data)
        return {**body, "signature": signature, "nonce": draft.nonce, "deadline": draft.deadline}
