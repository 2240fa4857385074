"""EIP-712 signatures: signing with a custodial account's key, and accepting a signer's
(nonce, deadline) once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from marketplace import limits
from marketplace.errors import DatabourseError
from marketplace.identity import keys, repository, signing
from marketplace.identity.errors import NonceReused, NotCustodial, SignatureRejected
from marketplace.principal import Principal, PrincipalAccount
from marketplace.settings import Settings


def sign_as(
    session: Session, settings: Settings, account: PrincipalAccount, document: dict[str, Any]
) -> str:
    """Signs an EIP-712 document with a custodial account's key (decrypted only here)."""
    return signing.sign(_custodial_key(session, settings, account), document)


def sign_digest_as(
    session: Session, settings: Settings, account: PrincipalAccount, digest: bytes
) -> str:
    """``sign_as`` for a document whose EIP-712 digest the caller made (``signing.digest_bytes``)
    and keeps, so that it is computed once."""
    return signing.sign_digest(_custodial_key(session, settings, account), digest)


def _custodial_key(session: Session, settings: Settings, account: PrincipalAccount) -> bytes:
    if not account.custodial or account.id is None:
        raise NotCustodial("this account holds its own key: sign locally and send the signature")
    sealed = repository.sealed_key(session, account.id)
    assert sealed is not None, "a custodial account always has its key"
    return keys.open_sealed(settings.master_key_bytes, sealed)


def nonce_and_deadline(
    signature: str | None, nonce: int | None, deadline: int | None, now_s: int
) -> tuple[int, int]:
    """The (nonce, deadline) a document is signed under: fresh ones for the custodial key to
    sign with (no ``signature``), the ones the client signed otherwise (its request's schema
    requires them beside a signature)."""
    if signature is None:
        return signing.new_nonce(), now_s + limits.signing_offer_ttl_s
    assert nonce is not None
    assert deadline is not None
    return nonce, deadline


def signature_of(
    session: Session,
    settings: Settings,
    principal: Principal,
    document: dict[str, Any],
    *,
    signature: str | None,
    refused: Callable[[str], DatabourseError],
) -> str:
    """The caller's EIP-712 signature over ``document``: made with its custodial key when it
    sent none, checked to recover to its address otherwise. ``refused(why)`` is the domain's
    error (its message naming the draft to sign) raised when the signature does not cover
    ``document``."""
    if signature is None:
        return sign_as(session, settings, principal.account, document)
    try:
        signing.verify(document, signature, principal.address)
    except signing.SignatureError as exc:
        raise refused(str(exc)) from exc
    return signature


def consume_signature_nonce(
    session: Session, address: str, nonce: int, deadline_s: int, now_s: int
) -> None:
    """Accepts an EIP-712 (nonce, deadline) once per signer; raises on expiry or replay."""
    try:
        signing.check_nonce(nonce)
        signing.check_deadline(deadline_s, now_s)
    except signing.SignatureError as exc:
        raise SignatureRejected(str(exc)) from exc
    if not repository.add_used_signature_nonce(session, address.lower(), str(nonce)):
        raise NonceReused(f"nonce {nonce} was already used by {address}; sign again")
