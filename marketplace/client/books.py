"""``bourse.books``: your organisation's balance, deposits and withdrawals (its admins) and
their status, its statement (JSON or CSV), one escrow hold, and the operator's reconciliation of
the books."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.books.schemas import (
    BalanceShown,
    HoldView,
    PaymentList,
    PaymentView,
    Reconciliation,
    Statement,
)
from marketplace.client.session import Session


class Books:
    def __init__(self, session: Session) -> None:
        self._session = session

    def balance(self) -> BalanceShown:
        return self._session.call(BalanceShown, "GET", "/books/balance")

    def deposit(
        self,
        amount_minor: int,
        *,
        transfer_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentView:
        """Deposit ``amount_minor`` minor units through the exchange's payment provider; the
        payment as it stands once the exchange has asked the provider (``status``: confirmed,
        processing until the provider confirms it, or pending while the exchange retries).
        ``idempotency_key`` (a new UUID by default): pass the same one to retry a deposit whose
        answer was lost; the money moves once."""
        return self._money("/books/deposits", amount_minor, transfer_id, idempotency_key)

    def withdraw(
        self,
        amount_minor: int,
        *,
        transfer_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentView:
        """Withdraw ``amount_minor`` minor units of the available money (as ``deposit``); a
        withdrawal the provider refuses is ``failed`` and its money is available again."""
        return self._money("/books/withdrawals", amount_minor, transfer_id, idempotency_key)

    def _money(
        self, path: str, amount_minor: int, transfer_id: str | None, key: str | None
    ) -> PaymentView:
        body: dict[str, Any] = {"amount_minor": amount_minor}
        if transfer_id is not None:
            body["transfer_id"] = transfer_id
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        recorded = self._session.call(PaymentView, "POST", path, json=body, headers=headers)
        # The answer is the payment as recorded; the provider was asked after that.
        return self.payment(recorded.id)

    def payment(self, payment_id: int) -> PaymentView:
        """One of your organisation's deposits or withdrawals, as it stands."""
        return self._session.call(PaymentView, "GET", f"/books/payments/{payment_id}")

    def payments(self, status: str | None = None) -> PaymentList:
        """Your organisation's payments, newest first (only those in ``status`` if given)."""
        params = {"status": status} if status else None
        return self._session.call(PaymentList, "GET", "/books/payments", params=params)

    def statement(self) -> Statement:
        return self._session.call(Statement, "GET", "/books/statement")

    def statement_csv(self) -> str:
        """The statement as CSV, as the exchange wrote it."""
        return self._session.request("GET", "/books/statement", params={"format": "csv"}).text

    def hold(self, hold_id: int) -> HoldView:
        return self._session.call(HoldView, "GET", f"/books/holds/{hold_id}")

    def reconcile(self) -> Reconciliation:
        """Check the whole books (operators)."""
        return self._session.call(Reconciliation, "GET", "/books/reconcile")
