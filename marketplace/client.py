"""The Python client for a Databourse exchange.

    from marketplace.client import Databourse

    with Databourse("http://127.0.0.1:8000") as bourse:
        bourse.login("ada@example.org", "correct horse battery staple")
        print(bourse.me().organization.verified)

Every method returns a pydantic model and raises ``DatabourseClientError`` (carrying the server's
error code and message) when the exchange refuses. Later issues add the methods for their
endpoints here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from pydantic import BaseModel

from marketplace.assets.schemas import (
    AssetDeleted,
    AssetPage,
    AssetPublic,
    ObjectionPage,
    ObjectionPublic,
    RegistrationPublic,
    ReviewPublic,
    RevisionPublic,
)
from marketplace.identity.schemas import (
    InviteResponse,
    LogoutResponse,
    MeResponse,
    OrganizationPage,
    OrganizationPublic,
    SiweNonceResponse,
    TokenResponse,
)
from marketplace.transparency.schemas import BatchPage, EntryPage

if TYPE_CHECKING:  # imported where used: the quality package pulls in polars
    from marketplace.quality.schemas import EvaluationPublic
    from marketplace.valuation.schemas import ValuationPublic

__all__ = ["Databourse", "DatabourseClientError"]

DEFAULT_TIMEOUT_S = 30.0
_M = TypeVar("_M", bound=BaseModel)


class DatabourseClientError(Exception):
    """The exchange answered with an error (or not at all: status 0, code ``unreachable``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Databourse:
    """A session with one exchange. Holds at most one bearer token."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)

    # -- plumbing -----------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise DatabourseClientError(
                0, "unreachable", f"cannot reach {self.base_url}: {exc}"
            ) from exc
        if response.is_error:
            try:
                body = response.json()
                code, message = str(body["error"]), str(body["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", response.text[:500] or response.reason_phrase
            raise DatabourseClientError(response.status_code, code, message)
        return response

    def _call(self, model: type[_M], method: str, path: str, **kwargs: Any) -> _M:
        return model.model_validate(self._request(method, path, **kwargs).json())

    def _keep(self, issued: TokenResponse) -> TokenResponse:
        self.token = issued.access_token
        return issued

    # -- identity -----------------------------------------------------------------------------

    def signup(
        self,
        email: str,
        password: str,
        *,
        organization: str | None = None,
        roles: list[str] | None = None,
        invite_code: str | None = None,
    ) -> TokenResponse:
        """Creates a custodial account, in a new organisation (``organization`` and ``roles``)
        or an existing one (``invite_code``), and keeps its token."""
        body: dict[str, Any] = {"email": email, "password": password}
        if invite_code is not None:
            body["invite_code"] = invite_code
        else:
            body["organization"] = {"name": organization, "roles": roles or []}
        return self._keep(self._call(TokenResponse, "POST", "/auth/signup", json=body))

    def login(self, email: str, password: str) -> TokenResponse:
        body = {"email": email, "password": password}
        return self._keep(self._call(TokenResponse, "POST", "/auth/login", json=body))

    def siwe_nonce(self) -> SiweNonceResponse:
        return self._call(SiweNonceResponse, "GET", "/auth/siwe/nonce")

    def login_siwe(
        self,
        private_key: bytes | str,
        *,
        organization: str | None = None,
        roles: list[str] | None = None,
        invite_code: str | None = None,
        email: str | None = None,
    ) -> TokenResponse:
        """Signs in with Ethereum using a key held here (it never leaves this process). With
        ``organization`` and ``roles`` (or ``invite_code``), an unknown address signs up."""
        from eth_account import Account
        from eth_account.messages import encode_defunct

        from marketplace.identity import siwe

        signer = Account.from_key(private_key)
        offer = self.siwe_nonce()
        message = siwe.build(
            domain=offer.domain,
            uri=offer.uri,
            address=signer.address,
            chain_id=offer.chain_id,
            nonce=offer.nonce,
            issued_at=datetime.now(UTC),
            expiration_time=offer.expires_at,
            statement=offer.statement,
        )
        signature = signer.sign_message(encode_defunct(text=message)).signature
        body: dict[str, Any] = {"message": message, "signature": "0x" + bytes(signature).hex()}
        if organization is not None:
            body["organization"] = {"name": organization, "roles": roles or []}
        if invite_code is not None:
            body["invite_code"] = invite_code
        if email is not None:
            body["email"] = email
        return self._keep(self._call(TokenResponse, "POST", "/auth/siwe", json=body))

    def me(self) -> MeResponse:
        return self._call(MeResponse, "GET", "/me")

    def logout(self) -> LogoutResponse:
        result = self._call(LogoutResponse, "POST", "/auth/logout")
        self.token = None
        return result

    def invite(self, *, membership_role: str = "member") -> InviteResponse:
        body = {"membership_role": membership_role}
        return self._call(InviteResponse, "POST", "/organizations/me/invites", json=body)

    # -- operators ----------------------------------------------------------------------------

    def verify_organization(self, organization_id: int) -> OrganizationPublic:
        return self._call(OrganizationPublic, "POST", f"/organizations/{organization_id}/verify")

    def grant_role(self, organization_id: int, role: str) -> OrganizationPublic:
        return self._call(
            OrganizationPublic,
            "POST",
            f"/organizations/{organization_id}/roles",
            json={"role": role},
        )

    def organizations(
        self, *, verified: bool | None = None, limit: int = 50, offset: int = 0
    ) -> OrganizationPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if verified is not None:
            params["verified"] = str(verified).lower()
        return self._call(OrganizationPage, "GET", "/organizations", params=params)

    # -- ledger -------------------------------------------------------------------------------

    def ledger_entries(
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
        return self._call(EntryPage, "GET", "/ledger/entries", params=kept)

    def ledger_batches(self, *, after_id: int = 0) -> BatchPage:
        return self._call(BatchPage, "GET", "/ledger/batches", params={"after_id": after_id})

    def receipt(self, seq: int) -> dict[str, Any]:
        """The receipt of entry ``seq`` as JSON, exactly what ``bourse verify`` reads. Raises
        ``DatabourseClientError`` with code ``not_anchored`` until its batch is confirmed."""
        body: dict[str, Any] = self._request("GET", f"/ledger/entries/{seq}/receipt").json()
        return body

    def trust_anchor(self) -> dict[str, Any]:
        """``/.well-known/databourse.json``: the chain, contract, deployment and recorder a
        verifier pins (save it as a trust file for ``bourse verify --trust``)."""
        body: dict[str, Any] = self._request("GET", "/.well-known/databourse.json").json()
        return body

    # -- data assets --------------------------------------------------------------------------

    def create_asset(self, metadata: Mapping[str, Any]) -> AssetPublic:
        """Register a draft asset with its DCAT metadata and compliance facts."""
        return self._call(AssetPublic, "POST", "/assets", json=dict(metadata))

    def get_asset(self, asset_id: int) -> AssetPublic:
        return self._call(AssetPublic, "GET", f"/assets/{asset_id}")

    def update_asset(self, asset_id: int, **changes: Any) -> AssetPublic:
        return self._call(AssetPublic, "PATCH", f"/assets/{asset_id}", json=changes)

    def search_assets(
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
        return self._call(AssetPage, "GET", "/assets", params=params)

    def delete_asset(self, asset_id: int) -> AssetDeleted:
        """Delete a draft that was never submitted, with its revisions (owner)."""
        return self._call(AssetDeleted, "DELETE", f"/assets/{asset_id}")

    def asset_dcat(self, asset_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", f"/assets/{asset_id}/dcat").json()
        return body

    def upload_revision(
        self,
        asset_id: int,
        path: Path,
        *,
        content_format: str = "opaque",
        media_type: str | None = None,
        progress: Callable[[int], None] | None = None,
        chunk_bytes: int = 1024 * 1024,
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
        return self._call(
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
        body = {
            "url": url,
            "kind": kind,
            "content_format": content_format,
            "media_type": media_type,
        }
        return self._call(RevisionPublic, "POST", f"/assets/{asset_id}/revisions", json=body)

    def revisions(self, asset_id: int) -> list[RevisionPublic]:
        rows = self._request("GET", f"/assets/{asset_id}/revisions").json()
        return [RevisionPublic.model_validate(r) for r in rows]

    def correct_schema(
        self, asset_id: int, number: int, table_schema: Mapping[str, Any]
    ) -> RevisionPublic:
        return self._call(
            RevisionPublic,
            "PUT",
            f"/assets/{asset_id}/revisions/{number}/schema",
            json={"table_schema": dict(table_schema)},
        )

    def download_revision(self, asset_id: int, number: int, destination: Path) -> int:
        """Stream a revision's bytes to ``destination``; returns the byte count. The file is
        written under a temporary name and renamed only when complete and when its SHA-256
        equals the one the exchange declares (``X-Content-SHA256``)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        partial = destination.with_name(destination.name + ".part")
        written = 0
        try:
            with self._http.stream(
                "GET", f"/assets/{asset_id}/revisions/{number}/content", headers=headers
            ) as response:
                if response.is_error:
                    response.read()
                    body = response.json()
                    raise DatabourseClientError(
                        response.status_code, str(body["error"]), str(body["message"])
                    )
                expected = response.headers.get("x-content-sha256")
                digest = hashlib.sha256()
                with partial.open("wb") as out:
                    for block in response.iter_bytes():
                        out.write(block)
                        digest.update(block)
                        written += len(block)
            if expected and digest.hexdigest() != expected:
                raise DatabourseClientError(
                    0,
                    "content_mismatch",
                    f"the download's SHA-256 is {digest.hexdigest()}, the exchange declared "
                    f"{expected}; nothing was written to {destination}",
                )
            partial.replace(destination)
        except httpx.TransportError as exc:
            raise DatabourseClientError(0, "unreachable", f"download failed: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
        return written

    def asset_application(self, asset_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", f"/assets/{asset_id}/application").json()
        return body

    def submit_asset(self, asset_id: int, *, private_key: bytes | None = None) -> AssetPublic:
        """Submit for review. Custodial accounts need nothing; self-custody accounts pass their
        ``private_key`` and the application is signed here, locally."""
        body: dict[str, Any] = {}
        if private_key is not None:
            from marketplace.identity import signing

            offer = self.asset_application(asset_id)
            app = offer["application"]
            body = {
                "signature": signing.sign(private_key, offer["typed_data"]),
                "nonce": int(app["nonce"]),
                "deadline": int(app["deadline"]),
            }
        return self._call(AssetPublic, "POST", f"/assets/{asset_id}/submit", json=body)

    def review_asset(
        self,
        asset_id: int,
        *,
        decision: str,
        checklist: Mapping[str, Any],
        reasons: str = "",
    ) -> ReviewPublic:
        body = {"decision": decision, "checklist": dict(checklist), "reasons": reasons}
        return self._call(ReviewPublic, "POST", f"/assets/{asset_id}/reviews", json=body)

    def asset_reviews(self, asset_id: int) -> list[ReviewPublic]:
        rows = self._request("GET", f"/assets/{asset_id}/reviews").json()
        return [ReviewPublic.model_validate(r) for r in rows]

    def list_asset(self, asset_id: int) -> AssetPublic:
        return self._call(AssetPublic, "POST", f"/assets/{asset_id}/list")

    def delist_asset(self, asset_id: int) -> AssetPublic:
        return self._call(AssetPublic, "POST", f"/assets/{asset_id}/delist")

    def asset_certificate(self, asset_id: int) -> dict[str, Any]:
        """The certificate with its receipt (``receipt`` null while ``anchor_status`` is
        pending); save it and check it with ``bourse verify``."""
        body: dict[str, Any] = self._request("GET", f"/assets/{asset_id}/certificate").json()
        return body

    def asset_registrations(self, asset_id: int) -> list[RegistrationPublic]:
        rows = self._request("GET", f"/assets/{asset_id}/registrations").json()
        return [RegistrationPublic.model_validate(r) for r in rows]

    def object_to_asset(
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
        return self._call(ObjectionPublic, "POST", f"/assets/{asset_id}/objections", json=body)

    def asset_objections(self, asset_id: int) -> list[ObjectionPublic]:
        rows = self._request("GET", f"/assets/{asset_id}/objections").json()
        return [ObjectionPublic.model_validate(r) for r in rows]

    def objections(
        self, *, status: str | None = None, offset: int = 0, limit: int = 50
    ) -> ObjectionPage:
        """Objections your organisation filed or faces (operators and arbitrators: all)."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if status is not None:
            params["status"] = status
        return self._call(ObjectionPage, "GET", "/objections", params=params)

    def objection(self, objection_id: int) -> ObjectionPublic:
        return self._call(ObjectionPublic, "GET", f"/objections/{objection_id}")

    def decide_objection(
        self, objection_id: int, *, decision: str, reasons: str
    ) -> ObjectionPublic:
        body = {"decision": decision, "reasons": reasons}
        return self._call(
            ObjectionPublic, "POST", f"/objections/{objection_id}/decision", json=body
        )

    def suspend_asset(
        self, asset_id: int, reason: str, *, objection_id: int | None = None
    ) -> AssetPublic:
        body = {"reason": reason, "objection_id": objection_id}
        return self._call(AssetPublic, "POST", f"/assets/{asset_id}/suspend", json=body)

    def reinstate_asset(self, asset_id: int, reason: str) -> AssetPublic:
        body = {"reason": reason}
        return self._call(AssetPublic, "POST", f"/assets/{asset_id}/reinstate", json=body)

    def transfer_asset(self, asset_id: int, to_organization_id: int) -> AssetPublic:
        body = {"to_organization_id": to_organization_id}
        return self._call(AssetPublic, "POST", f"/assets/{asset_id}/transfer", json=body)

    def cancel_asset(self, asset_id: int, reason: str) -> AssetPublic:
        return self._call(
            AssetPublic, "POST", f"/assets/{asset_id}/cancel", json={"reason": reason}
        )

    # -- quality and valuation ----------------------------------------------------------------

    def request_quality_evaluation(
        self, asset_id: int, revision: int, **declarations: Any
    ) -> EvaluationPublic:
        """Queue an evaluation (``table_schema``, ``rules``, ``update_frequency``,
        ``timestamp_field`` optional). Tabular uploads are evaluated by themselves already."""
        from marketplace.quality.schemas import EvaluationPublic

        return self._call(
            EvaluationPublic,
            "POST",
            f"/assets/{asset_id}/revisions/{revision}/quality",
            json=declarations,
        )

    def revision_quality(self, asset_id: int, revision: int) -> EvaluationPublic:
        """The latest evaluation of a revision: ``status`` and ``progress_percent``, then the
        report."""
        from marketplace.quality.schemas import EvaluationPublic

        return self._call(
            EvaluationPublic, "GET", f"/assets/{asset_id}/revisions/{revision}/quality"
        )

    def asset_quality(self, asset_id: int) -> EvaluationPublic:
        """The asset's quality report, as buyers see it before buying."""
        from marketplace.quality.schemas import EvaluationPublic

        return self._call(EvaluationPublic, "GET", f"/assets/{asset_id}/quality")

    def quality_report_html(self, asset_id: int) -> str:
        return self._request("GET", f"/assets/{asset_id}/quality/report.html").text

    def request_valuation(
        self,
        asset_id: int,
        inputs: Mapping[str, Any],
        *,
        certified: bool = False,
        private_key: bytes | str | None = None,
    ) -> ValuationPublic:
        """Issue a valuation from ``inputs`` (``cost``, ``income``, ``market``, ``weights``).
        ``certified`` needs the valuer role: a custodial valuer's key signs on the exchange; a
        self-custody valuer passes ``private_key`` and the draft is signed here, locally."""
        from marketplace.valuation.schemas import ValuationPublic

        body: dict[str, Any] = {"inputs": dict(inputs)}
        if certified:
            body["kind"] = "certified"
        if certified and private_key is not None:
            from marketplace.identity import signing

            draft = self.valuation_draft(asset_id, inputs)
            document = dict(draft["typed_data"])
            message = dict(document["message"])
            message["reportHash"] = bytes.fromhex(str(message["reportHash"]).removeprefix("0x"))
            key = (
                bytes.fromhex(private_key.removeprefix("0x"))
                if isinstance(private_key, str)
                else private_key
            )
            body |= {
                "issued_at": draft["issued_at"],
                "nonce": int(draft["nonce"]),
                "deadline": int(draft["deadline"]),
                "signature": signing.sign(key, {**document, "message": message}),
            }
        return self._call(ValuationPublic, "POST", f"/assets/{asset_id}/valuations", json=body)

    def valuation_draft(self, asset_id: int, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """A certified report to sign (valuers); writes nothing."""
        body: dict[str, Any] = self._request(
            "POST",
            f"/assets/{asset_id}/valuations/draft",
            json={"kind": "certified", "inputs": dict(inputs)},
        ).json()
        return body

    def valuations(self, asset_id: int) -> list[ValuationPublic]:
        from marketplace.valuation.schemas import ValuationPublic

        rows = self._request("GET", f"/assets/{asset_id}/valuations").json()
        return [ValuationPublic.model_validate(r) for r in rows]

    def valuation(self, asset_id: int, valuation_id: int) -> ValuationPublic:
        from marketplace.valuation.schemas import ValuationPublic

        return self._call(ValuationPublic, "GET", f"/assets/{asset_id}/valuations/{valuation_id}")

    def valuation_report_html(self, asset_id: int, valuation_id: int) -> str:
        return self._request(
            "GET", f"/assets/{asset_id}/valuations/{valuation_id}/report.html"
        ).text

    def valuation_by_id(self, valuation_id: int) -> ValuationPublic:
        from marketplace.valuation.schemas import ValuationPublic

        return self._call(ValuationPublic, "GET", f"/valuations/{valuation_id}")
