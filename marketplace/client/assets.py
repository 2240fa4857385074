"""``bourse.assets``: data assets through their life: register a draft, add revisions (uploaded
or external), submit for review and review, list and delist, read the certificate, transfer
and cancel; operators suspend and reinstate."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from marketplace.assets.schemas import (
    AssetDeleted,
    AssetPage,
    AssetPublic,
    RegistrationPublic,
    ReviewPublic,
    RevisionPublic,
)
from marketplace.client.session import DatabourseClientError, Session, error_of

UPLOAD_CHUNK_BYTES = 1024 * 1024


class Assets:
    def __init__(self, session: Session) -> None:
        self._session = session

    def register(self, metadata: Mapping[str, Any]) -> AssetPublic:
        """Register a draft asset with its DCAT metadata and compliance facts."""
        return self._session.call(AssetPublic, "POST", "/assets", json=dict(metadata))

    def get(self, asset_id: int) -> AssetPublic:
        return self._session.call(AssetPublic, "GET", f"/assets/{asset_id}")

    def update(self, asset_id: int, **changes: Any) -> AssetPublic:
        """Change metadata fields (its owner)."""
        return self._session.call(AssetPublic, "PATCH", f"/assets/{asset_id}", json=changes)

    def search(
        self,
        *,
        owner: int | None = None,
        status: str | None = None,
        theme: str | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> AssetPage:
        filters = {"owner": owner, "status": status, "theme": theme, "q": q}
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        params.update(limit=limit, offset=offset)
        return self._session.call(AssetPage, "GET", "/assets", params=params)

    def delete(self, asset_id: int) -> AssetDeleted:
        """Delete a draft that was never submitted, with its revisions (owner)."""
        return self._session.call(AssetDeleted, "DELETE", f"/assets/{asset_id}")

    def dcat(self, asset_id: int) -> dict[str, Any]:
        """The asset as a DCAT JSON-LD document."""
        return self._session.json("GET", f"/assets/{asset_id}/dcat")

    def upload_revision(
        self,
        asset_id: int,
        path: Path,
        *,
        content_format: str = "opaque",
        media_type: str | None = None,
        progress: Callable[[int], None] | None = None,
        chunk_bytes: int = UPLOAD_CHUNK_BYTES,
    ) -> RevisionPublic:
        """Stream ``path`` as a new revision; ``progress`` is called with each chunk's size."""
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as f:
                while block := f.read(chunk_bytes):
                    if progress is not None:
                        progress(len(block))
                    yield block

        params: dict[str, Any] = {"format": content_format}
        if media_type is not None:
            params["media_type"] = media_type
        return self._session.call(
            RevisionPublic,
            "PUT",
            f"/upload/assets/{asset_id}/revisions",
            params=params,
            content=chunks(),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )

    def add_external_revision(
        self,
        asset_id: int,
        url: str,
        *,
        kind: str = "file",
        content_format: str = "opaque",
        media_type: str = "application/octet-stream",
    ) -> RevisionPublic:
        """A revision whose bytes stay at ``url`` (``kind``: file or api)."""
        body = {
            "url": url,
            "kind": kind,
            "content_format": content_format,
            "media_type": media_type,
        }
        path = f"/assets/{asset_id}/revisions"
        return self._session.call(RevisionPublic, "POST", path, json=body)

    def revisions(self, asset_id: int) -> builtins.list[RevisionPublic]:
        return self._session.call_list(RevisionPublic, f"/assets/{asset_id}/revisions")

    def correct_schema(
        self, asset_id: int, number: int, table_schema: Mapping[str, Any]
    ) -> RevisionPublic:
        """Replace a revision's Table Schema (drafts and rejected assets)."""
        return self._session.call(
            RevisionPublic,
            "PUT",
            f"/assets/{asset_id}/revisions/{number}/schema",
            json={"table_schema": dict(table_schema)},
        )

    def download_revision(self, asset_id: int, number: int, destination: Path) -> int:
        """Stream a revision's bytes to ``destination``; returns the byte count. The file is
        written under a temporary name and renamed only when complete and when its SHA-256
        equals the one the exchange declares (``X-Content-SHA256``)."""
        partial = destination.with_name(destination.name + ".part")
        path = f"/assets/{asset_id}/revisions/{number}/content"
        try:
            with self._session.http.stream(
                "GET", path, headers=self._session.auth_headers()
            ) as response:
                written, digest = _save(response, partial)
            expected = response.headers.get("x-content-sha256")
            if expected and digest != expected:
                raise DatabourseClientError(
                    0,
                    "content_mismatch",
                    f"the download's SHA-256 is {digest}, the exchange declared "
                    f"{expected}; nothing was written to {destination}",
                )
            partial.replace(destination)
        except httpx.TransportError as exc:
            raise DatabourseClientError(0, "unreachable", f"download failed: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
        return written

    def application(self, asset_id: int) -> dict[str, Any]:
        """The application to sign before submitting: ``application`` and its EIP-712
        ``typed_data``."""
        return self._session.json("GET", f"/assets/{asset_id}/application")

    def submit(self, asset_id: int, *, private_key: bytes | None = None) -> AssetPublic:
        """Submit for review. Custodial accounts need nothing; self-custody accounts pass their
        ``private_key`` and the application is signed here, locally."""
        body: dict[str, Any] = {}
        if private_key is not None:
            from marketplace.identity import signing

            offer = self.application(asset_id)
            app = offer["application"]
            body = {
                "signature": signing.sign(private_key, offer["typed_data"]),
                "nonce": int(app["nonce"]),
                "deadline": int(app["deadline"]),
            }
        return self._session.call(AssetPublic, "POST", f"/assets/{asset_id}/submit", json=body)

    def review(
        self,
        asset_id: int,
        *,
        decision: str,
        checklist: Mapping[str, Any],
        reasons: str = "",
    ) -> ReviewPublic:
        """Approve or reject a submitted asset (operators)."""
        body = {"decision": decision, "checklist": dict(checklist), "reasons": reasons}
        path = f"/assets/{asset_id}/reviews"
        return self._session.call(ReviewPublic, "POST", path, json=body)

    def reviews(self, asset_id: int) -> builtins.list[ReviewPublic]:
        return self._session.call_list(ReviewPublic, f"/assets/{asset_id}/reviews")

    def list_in_catalog(self, asset_id: int) -> AssetPublic:
        """List an approved asset in the public catalog (its owner)."""
        return self._session.call(AssetPublic, "POST", f"/assets/{asset_id}/list")

    def delist(self, asset_id: int) -> AssetPublic:
        """Take a listed asset out of the catalog (its owner, or an operator)."""
        return self._session.call(AssetPublic, "POST", f"/assets/{asset_id}/delist")

    def certificate(self, asset_id: int) -> dict[str, Any]:
        """The certificate with its receipt (``receipt`` null while ``anchor_status`` is
        pending); save it and check it with ``bourse verify``."""
        return self._session.json("GET", f"/assets/{asset_id}/certificate")

    def registrations(self, asset_id: int) -> builtins.list[RegistrationPublic]:
        path = f"/assets/{asset_id}/registrations"
        return self._session.call_list(RegistrationPublic, path)

    def suspend(
        self, asset_id: int, reason: str, *, objection_id: int | None = None
    ) -> AssetPublic:
        """Suspend an asset, optionally on an objection (operators)."""
        body = {"reason": reason, "objection_id": objection_id}
        return self._session.call(AssetPublic, "POST", f"/assets/{asset_id}/suspend", json=body)

    def reinstate(self, asset_id: int, reason: str) -> AssetPublic:
        """Lift a suspension (operators)."""
        body = {"reason": reason}
        path = f"/assets/{asset_id}/reinstate"
        return self._session.call(AssetPublic, "POST", path, json=body)

    def transfer(self, asset_id: int, to_organization_id: int) -> AssetPublic:
        """Transfer ownership to another verified supplier (its owner; custodial accounts)."""
        body = {"to_organization_id": to_organization_id}
        path = f"/assets/{asset_id}/transfer"
        return self._session.call(AssetPublic, "POST", path, json=body)

    def cancel(self, asset_id: int, reason: str) -> AssetPublic:
        """Cancel the registration (its owner)."""
        body = {"reason": reason}
        return self._session.call(AssetPublic, "POST", f"/assets/{asset_id}/cancel", json=body)


def _save(response: httpx.Response, partial: Path) -> tuple[int, str]:
    """Write a streamed response to ``partial``; returns its byte count and SHA-256 (hex)."""
    if response.is_error:
        response.read()
        raise error_of(response)
    digest = hashlib.sha256()
    written = 0
    with partial.open("wb") as out:
        for block in response.iter_bytes():
            out.write(block)
            digest.update(block)
            written += len(block)
    return written, digest.hexdigest()
