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

from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel

from marketplace.identity.schemas import (
    InviteResponse,
    LogoutResponse,
    MeResponse,
    OrganizationPage,
    OrganizationPublic,
    SiweNonceResponse,
    TokenResponse,
)

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
