"""``bourse.fingerprint``: name the licence a leaked copy of an asset came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.fingerprint.schemas import FingerprintDetection


class Fingerprint:
    def __init__(self, session: Session) -> None:
        self._session = session

    def detect(self, asset_id: int, content: bytes) -> FingerprintDetection:
        """The licence whose fingerprint ``content`` (a CSV copy of the asset, or any part of
        one) carries, with its p-value, or none; journaled as ``fingerprint.detected``. For the
        asset's owner, operators and arbitrators."""
        from marketplace.fingerprint.schemas import FingerprintDetection

        return self._session.call(
            FingerprintDetection,
            "POST",
            f"/assets/{asset_id}/fingerprint-detections",
            content=content,
            headers={"content-type": "text/csv"},
        )
