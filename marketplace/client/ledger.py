"""``bourse.ledger``: the exchange's tamper-evident journal as anyone may read it: entries,
anchored batches, the receipt of one entry, and the trust anchor a verifier pins."""

from __future__ import annotations

from typing import Any

from marketplace.client.session import Session
from marketplace.transparency.schemas import BatchPage, EntryPage


class Ledger:
    def __init__(self, session: Session) -> None:
        self._session = session

    def entries(
        self,
        *,
        after_seq: int = 0,
        limit: int | None = None,
        kind: str | None = None,
        subject: str | None = None,
    ) -> EntryPage:
        """Journal entries after ``after_seq``, oldest first (follow ``next_after_seq``)."""
        params: dict[str, Any] = {"after_seq": after_seq, "kind": kind, "subject": subject}
        if limit is not None:
            params["limit"] = limit
        kept = {k: v for k, v in params.items() if v is not None}
        return self._session.call(EntryPage, "GET", "/ledger/entries", params=kept)

    def batches(self, *, after_id: int = 0) -> BatchPage:
        """Anchored batches after ``after_id``, oldest first."""
        params = {"after_id": after_id}
        return self._session.call(BatchPage, "GET", "/ledger/batches", params=params)

    def receipt(self, seq: int) -> dict[str, Any]:
        """The receipt of entry ``seq`` as JSON, exactly what ``bourse verify`` reads. Raises
        ``DatabourseClientError`` with code ``not_anchored`` until its batch is confirmed."""
        return self._session.json("GET", f"/ledger/entries/{seq}/receipt")

    def trust_anchor(self) -> dict[str, Any]:
        """``/.well-known/databourse.json``: the chain, contract, deployment and recorder a
        verifier pins (save it as a trust file for ``bourse verify --trust``)."""
        return self._session.json("GET", "/.well-known/databourse.json")
