"""Submission and compliance review: the supplier signs a registration application (EIP-712);
an operator approves it, which issues the registration certificate, or rejects it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from ledger import journal
from ledger.models import JournalEntry
from marketplace import limits
from marketplace.assets import certificate as cert
from marketplace.assets import lifecycle, repository, visibility
from marketplace.assets.application import ApplicationToSign, RegistrationApplication, Submission
from marketplace.assets.errors import (
    AssetNotFound,
    AssetStateConflict,
    InvalidContent,
    NotAssetOwner,
)
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import (
    Asset,
    AssetReview,
    AssetRevision,
    RegistrationType,
    ReviewDecision,
)
from marketplace.assets.schemas import ReviewCreate, SubmitRequest
from marketplace.assets.service.access import is_operator, owned_asset, visible_asset
from marketplace.assets.service.journaling import (
    journal_asset,
    register,
    sha256_text,
    subject,
    touch,
)
from marketplace.assets.service.signing import SigningContext
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.principal import Principal
from marketplace.settings import Settings


def pending_revision(session: Session, asset: Asset) -> AssetRevision:
    if asset.latest_revision == 0:
        raise AssetStateConflict("upload content or add an external source before submitting")
    assert asset.id is not None
    revision = repository.revision(session, asset.id, asset.latest_revision)
    assert revision is not None
    return revision


def next_registration_type(asset: Asset) -> RegistrationType:
    return RegistrationType.initial if asset.certified_revision is None else RegistrationType.change


def build_application(
    asset: Asset,
    revision: AssetRevision,
    registration_type: RegistrationType,
    *,
    owner: str,
    nonce: int,
    deadline: int,
) -> RegistrationApplication:
    assert asset.id is not None
    document = cert.application(
        asset_id=asset.id,
        revision=revision.number,
        registration_type=registration_type.value,
        content_hash=revision.sha256,
        chunk_root=revision.chunk_root,
        schema_hash=revision.schema_hash,
        owner=owner,
        classification=str(asset.classification),
        nonce=nonce,
        deadline=deadline,
    )
    return RegistrationApplication.model_validate(document)


def submittable(asset: Asset) -> None:
    lifecycle.require(asset, AssetEvent.submit)
    if asset.status in lifecycle.REGISTERED and asset.latest_revision == asset.certified_revision:
        raise AssetStateConflict("nothing changed since the last registration")


def application_for(
    session: Session, principal: Principal, asset_id: int, ctx: SigningContext, now: datetime
) -> ApplicationToSign:
    """The registration application to sign (EIP-712 typed data), with a fresh nonce."""
    asset = owned_asset(session, principal, asset_id)
    submittable(asset)
    revision = pending_revision(session, asset)
    app = build_application(
        asset,
        revision,
        next_registration_type(asset),
        owner=principal.address,
        nonce=signing.new_nonce(),
        deadline=int(now.timestamp()) + limits.signing_offer_ttl_s,
    )
    return ApplicationToSign(
        application=app, typed_data=signing.wallet_json(app.typed_data(ctx.domain))
    )


def supplier_signature(
    session: Session,
    settings: Settings,
    principal: Principal,
    app_for: Callable[[int, int], RegistrationApplication],
    *,
    body: SubmitRequest,
    ctx: SigningContext,
    now: datetime,
) -> tuple[RegistrationApplication, str]:
    """The application and the supplier's signature over it: checked when the client signed,
    made with the custodial key otherwise. Either way the nonce is consumed once."""
    now_s = int(now.timestamp())
    nonce, deadline = identity.nonce_and_deadline(body.signature, body.nonce, body.deadline, now_s)
    app = app_for(nonce, deadline)
    signature = identity.signature_of(
        session, settings, principal, app.typed_data(ctx.domain), signature=body.signature,
        refused=lambda why: InvalidContent(
            f"the signature does not cover this application: {why}; fetch it again from "
            "GET /assets/{id}/application and sign that"
        ),
    )  # fmt: skip
    identity.consume_signature_nonce(session, principal.address, nonce, deadline, now_s)
    return app, signature


def submit(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    asset_id: int,
    body: SubmitRequest,
    ctx: SigningContext,
    now: datetime,
) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    submittable(asset)
    revision = pending_revision(session, asset)
    registration_type = next_registration_type(asset)
    app, signature = supplier_signature(
        session,
        settings,
        principal,
        lambda nonce, deadline: build_application(
            asset,
            revision,
            registration_type,
            owner=principal.address,
            nonce=nonce,
            deadline=deadline,
        ),
        body=body,
        ctx=ctx,
        now=now,
    )
    asset.submission = Submission(
        application=app, signature=signature, signer=principal.address, domain=ctx.domain
    ).document()
    asset.submitted_by = principal.account_id
    transition = lifecycle.apply(asset, AssetEvent.submit)
    touch(session, asset, now)
    journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        signature=signature,
        revision=revision.number,
        registration_type=registration_type.value,
        registration_hash="0x" + cert.registration_hash(app.document(), ctx.domain).hex(),
    )
    return asset


def review(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    body: ReviewCreate,
    ctx: SigningContext,
    now: datetime,
) -> AssetReview:
    """An operator's compliance decision; approval issues the registration certificate."""
    assert is_operator(principal)
    asset = repository.lock_asset(session, asset_id)
    if asset is None:
        raise AssetNotFound(f"no asset {asset_id}")
    event = AssetEvent.approve if body.decision == ReviewDecision.approved else AssetEvent.reject
    transition = lifecycle.require(asset, event)
    submission = Submission.model_validate(asset.submission) if asset.submission else None
    revision_no = (
        submission.application.revision
        if submission
        else (asset.certified_revision or asset.latest_revision)
    )
    checklist = body.checklist.model_dump()
    entry = journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        revision=revision_no,
        decision=body.decision.value,
        checklist={name: bool(item["passed"]) for name, item in checklist.items()},
        reasons_sha256=sha256_text(body.reasons),
    )
    if event == AssetEvent.approve and submission:
        issue_certificate(session, asset, submission, ctx=ctx, now=now)
        asset.certified_revision = revision_no
    lifecycle.apply(asset, event)
    asset.submission = None
    touch(session, asset, now)
    row = AssetReview(
        asset_id=asset_id,
        revision=revision_no,
        decision=body.decision,
        checklist=checklist,
        reasons=body.reasons,
        reviewer_id=principal.account_id,
        journal_seq=entry.seq,
        created_at=now,
    )
    repository.add(session, row)
    return row


def issue_certificate(
    session: Session,
    asset: Asset,
    submission: Submission,
    *,
    ctx: SigningContext,
    now: datetime,
) -> JournalEntry:
    """Countersign the signed application and journal the certificate (``asset.registered``),
    indexed by a registration row for its holder."""
    assert asset.id is not None
    app = submission.application
    certificate = cert.build_certificate(
        app=app.document(),
        domain=submission.domain,
        supplier_address=submission.signer,
        supplier_signature=submission.signature,
        exchange_key=ctx.exchange_key,
        approved_at=int(now.timestamp()),
    )
    entry = journal.append(
        session,
        kind=cert.ENTRY_KIND,
        subject=subject(asset.id),
        actor=submission.signer,
        payload=certificate,
        signature=submission.signature,
    )
    register(
        session,
        asset,
        app.registration_type,
        entry,
        revision=app.revision,
        holder=app.owner,
        now=now,
    )
    return entry


def reviews_of(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    limit: int = limits.page_size_max,
    offset: int = 0,
) -> list[AssetReview]:
    asset = visible_asset(session, principal, asset_id)
    if not visibility.is_insider(principal, asset):
        raise NotAssetOwner("only the owner and operators see compliance reviews")
    return list(repository.reviews(session, asset_id, limit=limit, offset=offset))
