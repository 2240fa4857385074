"""``bourse.identity``: accounts and organisations (sign up, log in, invite; operators verify
organisations and grant roles). Logging in keeps the token on the session, for every
sub-client."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marketplace.client.session import Session
from marketplace.identity.schemas import (
    InviteResponse,
    LoggedOutEverywhere,
    LogoutResponse,
    MeResponse,
    OrganizationPage,
    OrganizationPublic,
    PasswordChanged,
    SiweNonceResponse,
    TokenResponse,
)


class Identity:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _keep(self, issued: TokenResponse) -> TokenResponse:
        self._session.token = issued.access_token
        return issued

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
        return self._keep(self._session.call(TokenResponse, "POST", "/auth/signup", json=body))

    def login(self, email: str, password: str) -> TokenResponse:
        body = {"email": email, "password": password}
        return self._keep(self._session.call(TokenResponse, "POST", "/auth/login", json=body))

    def siwe_nonce(self) -> SiweNonceResponse:
        return self._session.call(SiweNonceResponse, "GET", "/auth/siwe/nonce")

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
        return self._keep(self._session.call(TokenResponse, "POST", "/auth/siwe", json=body))

    def me(self) -> MeResponse:
        return self._session.call(MeResponse, "GET", "/me")

    def logout(self) -> LogoutResponse:
        """Revoke the token on the exchange and forget it here."""
        result = self._session.call(LogoutResponse, "POST", "/auth/logout")
        self._session.token = None
        return result

    def logout_everywhere(self) -> LoggedOutEverywhere:
        """Revoke every token of this account on the exchange, this one included, and forget it
        here."""
        result = self._session.call(LoggedOutEverywhere, "POST", "/auth/logout-all")
        self._session.token = None
        return result

    def change_password(self, current_password: str, new_password: str) -> PasswordChanged:
        """Change this account's password. Every other token of the account stops working; this
        session's token goes on working."""
        body = {"current_password": current_password, "new_password": new_password}
        return self._session.call(PasswordChanged, "POST", "/auth/password", json=body)

    def invite(self, *, membership_role: str = "member") -> InviteResponse:
        """An invite code into your organisation (its admins)."""
        body = {"membership_role": membership_role}
        return self._session.call(InviteResponse, "POST", "/organizations/me/invites", json=body)

    def organizations(
        self, *, verified: bool | None = None, limit: int = 50, offset: int = 0
    ) -> OrganizationPage:
        """Organisations, optionally only the (un)verified ones (operators)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if verified is not None:
            params["verified"] = str(verified).lower()
        return self._session.call(OrganizationPage, "GET", "/organizations", params=params)

    def verify_organization(self, organization_id: int) -> OrganizationPublic:
        """Mark an organisation verified (operators)."""
        path = f"/organizations/{organization_id}/verify"
        return self._session.call(OrganizationPublic, "POST", path)

    def grant_role(self, organization_id: int, role: str) -> OrganizationPublic:
        """Grant an organisation a role, e.g. ``valuer`` (operators)."""
        path = f"/organizations/{organization_id}/roles"
        return self._session.call(OrganizationPublic, "POST", path, json={"role": role})

    def suspend_organization(self, organization_id: int, reason: str) -> OrganizationPublic:
        """Suspend an organisation: its accounts may not act until reinstated (operators)."""
        path = f"/organizations/{organization_id}/suspend"
        return self._session.call(OrganizationPublic, "POST", path, json={"reason": reason})

    def reinstate_organization(self, organization_id: int) -> OrganizationPublic:
        """Lift an organisation's suspension (operators)."""
        path = f"/organizations/{organization_id}/reinstate"
        return self._session.call(OrganizationPublic, "POST", path)
