"""Registrations other than the initial and change ones: transfer of ownership and cancellation
(objections: ``service/objections.py``); every registration of an asset, and its current
certificate with its receipt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.models import JournalEntry
from marketplace.assets import lifecycle, repository
from marketplace.assets.application import Submission
from marketplace.assets.errors import AssetStateConflict, InvalidTransfer, NoCertificate
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset, AssetRegistration, RegistrationType
from marketplace.assets.schemas import SubmitRequest
from marketplace.assets.service.access import owned_asset, visible_asset
from marketplace.assets.service.journaling import journal_asset, register, sha256_text, touch
from marketplace.assets.service.review import (
    build_application,
    issue_certificate,
    supplier_signature,
)
from marketplace.assets.service.signing import SigningContext
from marketplace.identity import service as identity
from marketplace.principal import OrgRole, Principal
from marketplace.settings import Settings


def transfer(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    asset_id: int,
    to_organization_id: int,
    body: SubmitRequest,
    ctx: SigningContext,
    now: datetime,
) -> Asset:
    """Transfer of ownership: the owner signs, the exchange countersigns at once, and the new
    holder's certificate is journaled. The new owner lists it again under its own terms."""
    asset = owned_asset(session, principal, asset_id)
    lifecycle.require(asset, AssetEvent.transfer)
    if asset.open_objections:
        raise AssetStateConflict(
            "the asset is under objection: it cannot change hands until the objection is decided"
        )
    if to_organization_id == asset.owner_organization_id:
        raise InvalidTransfer("the asset already belongs to that organisation")
    target = identity.organization(session, to_organization_id)
    roles = identity.organization_roles(session, to_organization_id)
    if target is None or target.verified_at is None or OrgRole.supplier.value not in roles:
        raise InvalidTransfer("the new owner must be a verified supplier organisation")
    holder = identity.holder_account(session, to_organization_id)
    if holder is None:
        raise InvalidTransfer("the new owner has no account to hold the asset")
    assert asset.certified_revision is not None
    assert asset.id is not None
    revision = repository.revision(session, asset.id, asset.certified_revision)
    assert revision is not None
    app, signature = supplier_signature(
        session,
        settings,
        principal,
        lambda nonce, deadline: build_application(
            asset,
            revision,
            RegistrationType.transfer,
            owner=holder.address,
            nonce=nonce,
            deadline=deadline,
        ),
        body=body,
        ctx=ctx,
        now=now,
    )
    signed = Submission(
        application=app, signature=signature, signer=principal.address, domain=ctx.domain
    )
    issue_certificate(session, asset, signed, ctx=ctx, now=now)
    asset.owner_organization_id = to_organization_id
    asset.publisher = target.name
    lifecycle.apply(asset, AssetEvent.transfer)
    touch(session, asset, now)
    return asset


def cancel(
    session: Session, principal: Principal, asset_id: int, reason: str, now: datetime
) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    transition = lifecycle.apply(asset, AssetEvent.cancel)
    asset.submission = None
    touch(session, asset, now)
    entry = journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        registration_type=RegistrationType.cancellation.value,
        reason_sha256=sha256_text(reason),
    )
    register(
        session,
        asset,
        RegistrationType.cancellation,
        entry,
        revision=asset.certified_revision,
        holder=principal.address,
        now=now,
    )
    return asset


def registrations_of(
    session: Session, principal: Principal | None, asset_id: int, *, limit: int, offset: int
) -> list[AssetRegistration]:
    visible_asset(session, principal, asset_id)
    return list(repository.registrations(session, asset_id, limit=limit, offset=offset))


ReceiptBuilder = Callable[[Session, int], dict[str, Any] | None]


def certificate_document(
    session: Session, principal: Principal | None, asset_id: int, receipt_for: ReceiptBuilder
) -> dict[str, Any]:
    """The asset's current certificate with its receipt (null until the entry is anchored)."""
    visible_asset(session, principal, asset_id)
    registration = repository.latest_certificate(session, asset_id)
    if registration is None:
        raise NoCertificate(f"asset {asset_id} has no registration certificate yet")
    entry = session.get(JournalEntry, registration.journal_seq)
    assert entry is not None
    receipt = receipt_for(session, registration.journal_seq)
    document = journal.entry_document(entry)
    return {
        "certificate": document["payload"],
        "seq": entry.seq,
        "entry_hash": entry.entry_hash,
        "anchor_status": "anchored" if receipt is not None else "pending",
        "receipt": receipt,
    }


def certificate_seqs(session: Session, asset_id: int, revision: int) -> list[int]:
    """The journal seqs of the certificates (``asset.registered``: initial, change, transfer)
    that name ``revision``, oldest first. For another domain, which decides who may see them."""
    return [
        row.journal_seq
        for row in repository.registrations(session, asset_id)
        if row.revision == revision and row.registration_type in repository.CERTIFIED_TYPES
    ]
