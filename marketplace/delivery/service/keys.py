"""Buyer organisations' X25519 delivery keys (what key-wrapped deliveries are wrapped to)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import as_utc, utc_now
from marketplace.delivery import repository, wrapping
from marketplace.delivery.errors import DeliveryKeyNotFound, InvalidDeliveryKey
from marketplace.delivery.models import DeliveryKey
from marketplace.delivery.schemas import DeliveryKeyView
from marketplace.principal import Principal

KEY_KIND = "delivery.key_registered"


def _view(row: DeliveryKey) -> DeliveryKeyView:
    return DeliveryKeyView(
        organization_id=row.organization_id,
        public_key=row.public_key,
        registered_at=as_utc(row.registered_at),
        journal_seq=row.journal_seq,
    )


def register_key(
    session: Session, principal: Principal, public_key: str, *, now: datetime | None = None
) -> DeliveryKeyView:
    """Set (or replace) the caller's organisation's key; later downloads are wrapped to it.
    Journals ``delivery.key_registered`` with the key."""
    now = now or utc_now()
    org = principal.organization.id
    assert org is not None
    hex_key = public_key.lower()
    try:
        wrapping.public_key_from_hex(hex_key)
    except ValueError as exc:
        raise InvalidDeliveryKey(f"not an X25519 public key: {exc}") from exc
    if set(bytes.fromhex(hex_key)) == {0}:
        raise InvalidDeliveryKey("the all-zero X25519 key is not a usable public key")
    row = repository.delivery_key(session, org)
    if row is None:
        row = DeliveryKey(organization_id=org, public_key=hex_key, registered_by=0)
    row.public_key = hex_key
    row.registered_by = principal.account_id
    row.registered_at = now
    entry = journal.append(
        session,
        kind=KEY_KIND,
        subject=f"organization:{org}",
        actor=principal.address,
        payload={"organization_id": org, "public_key": hex_key, "suite": wrapping.SUITE_NAME},
    )
    row.journal_seq = entry.seq
    repository.add(session, row)
    return _view(row)


def my_key(session: Session, principal: Principal) -> DeliveryKeyView:
    org = principal.organization.id
    assert org is not None
    row = repository.delivery_key(session, org)
    if row is None:
        raise DeliveryKeyNotFound("your organisation has not registered a delivery key")
    return _view(row)
