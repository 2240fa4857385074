"""``bourse.dispute_evidence``: submit evidence to a dispute (a file or a statement), list and
read its items, and download one, checked against its SHA-256.

Submitting may hold the respondent's arbitration fee, so each call carries an
``Idempotency-Key``: a new UUID unless you pass ``idempotency_key`` (the same one when you
retry). The exchange signs for custodial accounts; self-custody signing is not offered here."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from marketplace.client.session import DatabourseClientError, Session
from marketplace.disputes.evidence_schemas import EvidenceList, EvidencePublic

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _keyed(idempotency_key: str | None) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: idempotency_key or str(uuid.uuid4())}


class DisputeEvidence:
    def __init__(self, session: Session) -> None:
        self._session = session

    def submit_file(
        self,
        dispute_id: int,
        path: Path,
        *,
        title: str | None = None,
        media_type: str = "application/octet-stream",
        idempotency_key: str | None = None,
    ) -> EvidencePublic:
        """Send ``path`` (at most the exchange's evidence file limit) as evidence; its title is
        the file's name unless ``title`` says otherwise."""
        content = path.read_bytes()
        headers = _keyed(idempotency_key) | {"Content-Type": "application/octet-stream"}
        return self._session.call(
            EvidencePublic,
            "POST",
            f"/upload/disputes/{dispute_id}/evidence",
            params={"title": title or path.name, "media_type": media_type},
            content=content,
            headers=headers,
        )

    def submit_statement(
        self,
        dispute_id: int,
        text: str,
        *,
        title: str = "Statement",
        idempotency_key: str | None = None,
    ) -> EvidencePublic:
        return self._session.call(
            EvidencePublic,
            "POST",
            f"/disputes/{dispute_id}/evidence",
            json={"text": text, "title": title},
            headers=_keyed(idempotency_key),
        )

    def list(self, dispute_id: int) -> EvidenceList:
        return self._session.call(EvidenceList, "GET", f"/disputes/{dispute_id}/evidence")

    def get(self, dispute_id: int, evidence_id: int) -> EvidencePublic:
        path = f"/disputes/{dispute_id}/evidence/{evidence_id}"
        return self._session.call(EvidencePublic, "GET", path)

    def download(self, dispute_id: int, evidence_id: int) -> bytes:
        """The item's bytes, refused unless they hash to the item's recorded SHA-256."""
        item = self.get(dispute_id, evidence_id)
        path = f"/disputes/{dispute_id}/evidence/{evidence_id}/file"
        content = self._session.request("GET", path).content
        if hashlib.sha256(content).hexdigest() != item.sha256:
            raise DatabourseClientError(
                0, "hash_mismatch", f"evidence {evidence_id} does not hash to {item.sha256}"
            )
        return content
