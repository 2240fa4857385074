"""``bourse.objections``: objections to a listed asset: file one (verified organisations),
read them, decide one (operators and arbitrators), or escalate one to arbitration (the objector
or the asset's owner)."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.assets.schemas import ObjectionPage, ObjectionPublic
from marketplace.client.session import Session
from marketplace.disputes.schemas import DisputeView


class Objections:
    def __init__(self, session: Session) -> None:
        self._session = session

    def file(
        self,
        asset_id: int,
        *,
        reason_code: str,
        statement: str,
        evidence_hashes: list[str],
    ) -> ObjectionPublic:
        """File an objection (verified organisations). ``evidence_hashes``: the SHA-256 of each
        evidence file; the files themselves stay with you until the operator asks."""
        body = {
            "reason_code": reason_code,
            "statement": statement,
            "evidence_hashes": evidence_hashes,
        }
        path = f"/assets/{asset_id}/objections"
        return self._session.call(ObjectionPublic, "POST", path, json=body)

    def for_asset(self, asset_id: int) -> list[ObjectionPublic]:
        """The objections to one asset that you may see."""
        return self._session.call_list(ObjectionPublic, f"/assets/{asset_id}/objections")

    def search(
        self, *, status: str | None = None, offset: int = 0, limit: int = 50
    ) -> ObjectionPage:
        """Objections your organisation filed or faces (operators and arbitrators: all)."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if status is not None:
            params["status"] = status
        return self._session.call(ObjectionPage, "GET", "/objections", params=params)

    def get(self, objection_id: int) -> ObjectionPublic:
        return self._session.call(ObjectionPublic, "GET", f"/objections/{objection_id}")

    def decide(self, objection_id: int, *, decision: str, reasons: str) -> ObjectionPublic:
        """Uphold (suspends the asset) or dismiss (restores it) an objection (operators)."""
        body = {"decision": decision, "reasons": reasons}
        path = f"/objections/{objection_id}/decision"
        return self._session.call(ObjectionPublic, "POST", path, json=body)

    def escalate(
        self,
        objection_id: int,
        *,
        statement: str,
        asset_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> DisputeView:
        """Escalate an open objection to arbitration (its objector or the asset's owner): a
        dispute opens, your arbitration fee is held (docs/disputes.md, "Ownership
        objections"). ``asset_id`` is read from the objection when left out."""
        if asset_id is None:
            asset_id = self.get(objection_id).asset_id
        path = f"/assets/{asset_id}/objections/{objection_id}/escalate"
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        return self._session.call(
            DisputeView, "POST", path, json={"statement": statement}, headers=headers
        )
