"""A dispute's dossier: the console record (every item checked live) and the zip export that
``bourse verify`` checks against the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marketplace.client.session import Session


class Dossiers:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, dispute_id: int) -> dict[str, Any]:
        """``GET /disputes/{id}/record``: every record of the case in time order, each with its
        signature, hash and anchoring status; the statements and the quality comparison."""
        return self._session.json("GET", f"/disputes/{dispute_id}/record")

    def download(self, dispute_id: int, destination: Path) -> int:
        """Write the dossier zip (``GET /disputes/{id}/dossier``) to ``destination``; returns
        its size. Written under a temporary name and renamed when complete."""
        response = self._session.request("GET", f"/disputes/{dispute_id}/dossier")
        partial = destination.with_name(destination.name + ".part")
        try:
            partial.write_bytes(response.content)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        return len(response.content)
