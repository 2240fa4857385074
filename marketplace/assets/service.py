"""Asset rules: registration, revisions, compliance review, certificates, listing, search.

Services never commit; every step that changes an asset appends its journal entry in the same
transaction. Who may see what is decided in ``visibility`` (listed assets and registered
revisions are public; the owner organisation and operators see everything; anything invisible
is a 404) and applied here, for this and every other domain: ``visible_asset``,
``visible_revision``, ``list_revisions``. Acting on a visible asset one does not own is a 403.
Operators review and suspend (objections: ``assets/objections.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_account import Account as EthAccount
from sqlmodel import Session

from ledger import journal
from ledger.canonical import canonical_json
from ledger.models import JournalEntry
from marketplace import limits
from marketplace.assets import certificate as cert
from marketplace.assets import repository, visibility
from marketplace.assets.errors import (
    AssetNotFound,
    AssetStateConflict,
    ChainNotReady,
    InvalidContent,
    InvalidTransfer,
    NoCertificate,
    NotAssetOwner,
    NotListable,
    RevisionNotFound,
    UnsafeSource,
)
from marketplace.assets.models import (
    Asset,
    AssetRegistration,
    AssetReview,
    AssetRevision,
    AssetStatus,
    Classification,
    ContentFormat,
    RegistrationType,
    ReviewDecision,
    RevisionSource,
)
from marketplace.assets.schema_infer import TabularError, schema_hash, validate_table_schema
from marketplace.assets.schemas import (
    AssetCreate,
    AssetDeleted,
    AssetPage,
    AssetPublic,
    AssetUpdate,
    ExternalRevisionCreate,
    ReviewCreate,
    SubmitRequest,
    check_compliance_facts,
)
from marketplace.assets.upload import UploadResult
from marketplace.assets.urls import Resolver, UnsafeUrl, validate_external_url
from marketplace.blobs.envelope import decrypt_stream, unwrap_key
from marketplace.blobs.store import BlobStore
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.identity.models import Account
from marketplace.principal import OrgRole, Principal
from marketplace.settings import Settings

PUBLIC_STATUSES = visibility.PUBLIC_STATUSES
REGISTERED_STATUSES = (
    AssetStatus.approved.value,
    AssetStatus.listed.value,
    AssetStatus.delisted.value,
)
IMPORTANT_DATA_RESTRICTIONS = (
    "key_wrapped_delivery",
    "verified_buyers_only",
    "operator_approval_per_order",
)
_COMPLIANCE_FIELDS = frozenset(
    {
        "classification", "personal_information", "lawful_basis", "source_type",
        "authority_proof", "license",
    }
)  # fmt: skip

#: Extra rules that let a caller download a revision's content (orders plug buyers in here).
ContentAccessRule = Callable[[Session, Principal, Asset, AssetRevision], bool]
content_access_rules: list[ContentAccessRule] = []


@dataclass(frozen=True)
class SigningContext:
    """What certificates are signed under: the EIP-712 domain and the exchange's key."""

    chain_id: int
    verifying_contract: str | None
    exchange_key: bytes

    @property
    def domain(self) -> dict[str, Any]:
        return signing.domain(self.chain_id, self.verifying_contract)


def signing_context(
    settings: Settings, chain_id: int | None, contract: str | None
) -> SigningContext:
    if chain_id is None:
        raise ChainNotReady("the exchange's chain is not up yet; try again shortly")
    key = bytes.fromhex(settings.anchor_recorder_key.get_secret_value().removeprefix("0x"))
    return SigningContext(chain_id, contract or settings.anchor_contract_address, key)


# --- helpers -------------------------------------------------------------------------------


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _subject(asset_id: int) -> str:
    return f"asset:{asset_id}"


def _journal(
    session: Session,
    kind: str,
    asset: Asset,
    actor: str,
    signature: str | None = None,
    **payload: Any,
) -> JournalEntry:
    assert asset.id is not None
    return journal.append(
        session,
        kind=kind,
        subject=_subject(asset.id),
        actor=actor,
        payload={"asset_id": asset.id, **payload},
        signature=signature,
    )


def _register(
    session: Session,
    asset: Asset,
    registration_type: RegistrationType,
    entry: JournalEntry,
    *,
    revision: int | None,
    holder: str,
    now: datetime,
) -> None:
    """The registration row that indexes a journaled registration (certificate, objection,
    cancellation) by asset."""
    assert asset.id is not None
    repository.add(
        session,
        AssetRegistration(
            asset_id=asset.id,
            registration_type=registration_type,
            revision=revision,
            journal_seq=entry.seq,
            holder_address=holder,
            created_at=now,
        ),
    )


def _metadata(asset: Asset) -> dict[str, Any]:
    return AssetCreate.model_validate(asset, from_attributes=True).model_dump(mode="json")


def _metadata_sha256(asset: Asset) -> str:
    return hashlib.sha256(canonical_json(_metadata(asset))).hexdigest()


def _search_text(asset: Asset) -> str:
    return "\n".join([asset.title, asset.description, *asset.keywords]).lower()


def _is_owner(principal: Principal | None, asset: Asset) -> bool:
    return principal is not None and principal.organization.id == asset.owner_organization_id


def _is_operator(principal: Principal | None) -> bool:
    return principal is not None and OrgRole.operator.value in principal.roles


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def visible_asset(session: Session, principal: Principal | None, asset_id: int) -> Asset:
    found = repository.asset(session, asset_id)
    if found is None or not visibility.may_see_asset(principal, found):
        raise AssetNotFound(f"no asset {asset_id} that you may see")
    return found


def visible_revision(
    session: Session, principal: Principal | None, asset_id: int, number: int
) -> tuple[Asset, AssetRevision]:
    """The asset and one revision the caller may see, with everything derived from its content;
    a revision not yet registered is, to the public, a 404 worded as for one that does not
    exist."""
    asset = visible_asset(session, principal, asset_id)
    revision = repository.revision(session, asset_id, number)
    if revision is None or not visibility.may_see_revision(principal, asset, number):
        raise RevisionNotFound(f"asset {asset_id} has no revision {number} that you may see")
    return asset, revision


def owned_asset(session: Session, principal: Principal, asset_id: int) -> Asset:
    """The caller's own asset, locked for the change; 404 when invisible, 403 when not owned."""
    visible_asset(session, principal, asset_id)
    found = repository.lock_asset(session, asset_id)
    if found is None:  # a draft deleted while this request waited for its lock
        raise AssetNotFound(f"no asset {asset_id} that you may see")
    if not _is_owner(principal, found):
        raise NotAssetOwner(f"asset {asset_id} belongs to another organisation")
    return found


def _require_status(asset: Asset, allowed: tuple[str, ...], doing: str) -> None:
    if asset.status not in allowed:
        raise AssetStateConflict(
            f"cannot {doing} an asset that is {asset.status}; it must be {' or '.join(allowed)}"
        )


#: For the sibling modules (objections) that journal and check state the same way.
journal_asset = _journal
register = _register
require_status = _require_status


def _touch(session: Session, asset: Asset, now: datetime) -> None:
    asset.updated_at = now
    session.add(asset)


def asset_public(asset: Asset) -> AssetPublic:
    restrictions = (
        list(IMPORTANT_DATA_RESTRICTIONS)
        if asset.classification == Classification.important.value
        else []
    )
    public = AssetPublic.model_validate(asset, from_attributes=True)
    return public.model_copy(
        update={
            "created_at": _aware(asset.created_at),
            "updated_at": _aware(asset.updated_at),
            "listing_restrictions": restrictions,
            "under_objection": asset.open_objections > 0,
        }
    )


def asset_public_for(principal: Principal | None, asset: Asset) -> AssetPublic:
    """The asset as the caller sees it: ``latest_revision`` is the newest revision it may see
    (0 when none), so that it never points at a 404."""
    newest = visibility.newest_visible_revision(principal, asset) or 0
    return asset_public(asset).model_copy(update={"latest_revision": newest})


# --- registration --------------------------------------------------------------------------


def create_asset(session: Session, principal: Principal, body: AssetCreate, now: datetime) -> Asset:
    assert principal.verified
    assert OrgRole.supplier.value in principal.roles
    asset = Asset.model_validate(
        {
            **body.model_dump(),
            "owner_organization_id": principal.organization.id,
            "created_by": principal.account_id,
            "status": AssetStatus.draft.value,
            "created_at": now,
            "updated_at": now,
        }
    )
    if asset.publisher is None:
        asset.publisher = principal.organization.name
    asset.search_text = _search_text(asset)
    repository.add(session, asset)
    _journal(
        session,
        "asset.created",
        asset,
        principal.address,
        owner_organization_id=asset.owner_organization_id,
        classification=str(asset.classification),
        metadata_sha256=_metadata_sha256(asset),
    )
    return asset


def update_metadata(
    session: Session, principal: Principal, asset_id: int, body: AssetUpdate, now: datetime
) -> Asset:
    """Change metadata. A registered asset goes back to draft: the change must be reviewed and
    registered again (a change registration)."""
    asset = owned_asset(session, principal, asset_id)
    _require_status(
        asset,
        (AssetStatus.draft.value, AssetStatus.rejected.value, *REGISTERED_STATUSES),
        "change the metadata of",
    )
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        return asset
    for required in ("title", "license", "classification", "source_type", "authority_proof"):
        if required in changes and changes[required] is None:
            raise InvalidContent(f"{required} cannot be removed")
    merged = {**_metadata(asset), **body.model_dump(mode="json", exclude_unset=True)}
    try:
        AssetCreate.model_validate(merged)
    except ValueError as exc:
        raise InvalidContent(f"the metadata would be invalid: {exc}") from exc
    for name, value in changes.items():
        setattr(asset, name, value)
    check_compliance_facts(
        asset.personal_information, asset.lawful_basis, asset.temporal_start, asset.temporal_end
    )
    asset.search_text = _search_text(asset)
    if asset.status in REGISTERED_STATUSES:
        asset.status = AssetStatus.draft
    _touch(session, asset, now)
    _journal(
        session,
        "asset.metadata_changed",
        asset,
        principal.address,
        fields=sorted(changes),
        compliance_relevant=bool(_COMPLIANCE_FIELDS & set(changes)),
        metadata_sha256=_metadata_sha256(asset),
        status=str(asset.status),
    )
    return asset


# --- revisions -----------------------------------------------------------------------------

_REVISABLE = (
    AssetStatus.draft.value,
    AssetStatus.rejected.value,
    *REGISTERED_STATUSES,
)


def check_may_add_revision(session: Session, principal: Principal, asset_id: int) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    _require_status(asset, _REVISABLE, "add a revision to")
    return asset


def _new_revision_number(asset: Asset) -> int:
    return asset.latest_revision + 1


def record_upload(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    content_format: ContentFormat,
    media_type: str,
    result: UploadResult,
    now: datetime,
) -> AssetRevision:
    """Record an uploaded revision (the caller commits the blob after this flushes)."""
    asset = check_may_add_revision(session, principal, asset_id)
    assert asset.id is not None
    identity_ = result.identity
    revision = AssetRevision(
        asset_id=asset.id,
        number=_new_revision_number(asset),
        source=RevisionSource.upload,
        content_format=content_format,
        media_type=media_type,
        size_bytes=identity_.size_bytes,
        sha256=identity_.sha256,
        chunk_root=identity_.chunk_root,
        chunk_bytes=identity_.chunk_bytes,
        chunk_count=identity_.chunk_count,
        blob_key=result.blob_key,
        wrapped_key=result.wrapped_key,
        table_schema=result.table_schema,
        schema_hash=schema_hash(result.table_schema) if result.table_schema else None,
        created_by=principal.account_id,
        created_at=now,
    )
    return _add_revision(session, principal, asset, revision, now)


def _add_revision(
    session: Session, principal: Principal, asset: Asset, revision: AssetRevision, now: datetime
) -> AssetRevision:
    repository.add(session, revision)
    asset.latest_revision = revision.number
    _touch(session, asset, now)
    _journal(
        session,
        "asset.revision_added",
        asset,
        principal.address,
        revision=revision.number,
        source=str(revision.source),
        content_format=str(revision.content_format),
        content_hash=revision.sha256,
        chunk_root=revision.chunk_root,
        schema_hash=revision.schema_hash,
        external_url_sha256=_sha256_text(revision.external_url) if revision.external_url else None,
    )
    return revision


def add_external_revision(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    body: ExternalRevisionCreate,
    now: datetime,
    resolver: Resolver,
) -> AssetRevision:
    try:
        checked = validate_external_url(body.url, resolver)
    except UnsafeUrl as exc:
        raise UnsafeSource(str(exc)) from exc
    asset = check_may_add_revision(session, principal, asset_id)
    assert asset.id is not None
    revision = AssetRevision(
        asset_id=asset.id,
        number=_new_revision_number(asset),
        source=RevisionSource.external_api if body.kind == "api" else RevisionSource.external_file,
        content_format=body.content_format,
        media_type=body.media_type,
        external_url=checked.url,
        created_by=principal.account_id,
        created_at=now,
    )
    return _add_revision(session, principal, asset, revision, now)


def get_revision(
    session: Session, principal: Principal | None, asset_id: int, number: int
) -> AssetRevision:
    return visible_revision(session, principal, asset_id, number)[1]


def list_revisions(
    session: Session, principal: Principal | None, asset_id: int
) -> list[AssetRevision]:
    asset = visible_asset(session, principal, asset_id)
    rows = repository.revisions(session, asset_id)
    return [r for r in rows if visibility.may_see_revision(principal, asset, r.number)]


def correct_schema(
    session: Session,
    principal: Principal,
    asset_id: int,
    *,
    number: int,
    table_schema: dict[str, Any],
    now: datetime,
) -> AssetRevision:
    asset = owned_asset(session, principal, asset_id)
    # Whenever a revision may be added, and only to a revision no review has registered (a
    # new upload to a listed asset is corrected before it is submitted).
    _require_status(asset, _REVISABLE, "correct the schema of")
    revision = repository.revision(session, asset_id, number)
    if revision is None:
        raise RevisionNotFound(f"asset {asset_id} has no revision {number}")
    if asset.certified_revision is not None and number <= asset.certified_revision:
        raise AssetStateConflict(f"revision {number} is registered; its schema is fixed")
    if revision.content_format == ContentFormat.opaque.value:
        raise InvalidContent("opaque content has no table schema")
    columns = (
        len(revision.table_schema["fields"])
        if revision.content_format == ContentFormat.csv.value and revision.table_schema
        else None
    )
    try:
        normal = validate_table_schema(table_schema, columns)
    except TabularError as exc:
        raise InvalidContent(str(exc)) from exc
    revision.table_schema = normal
    revision.schema_hash = schema_hash(normal)
    revision.schema_corrected = True
    session.add(revision)
    _touch(session, asset, now)
    _journal(
        session,
        "asset.schema_corrected",
        asset,
        principal.address,
        revision=number,
        schema_hash=revision.schema_hash,
    )
    return revision


def may_download(
    session: Session, principal: Principal, asset: Asset, revision: AssetRevision
) -> bool:
    if _is_owner(principal, asset):
        return True
    return any(rule(session, principal, asset, revision) for rule in content_access_rules)


def open_content(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    store: BlobStore,
    asset_id: int,
    number: int,
) -> tuple[AssetRevision, Iterator[bytes]]:
    """The revision and an iterator over its decrypted bytes (for those allowed to read it)."""
    asset, revision = visible_revision(session, principal, asset_id, number)
    if not may_download(session, principal, asset, revision):
        raise NotAssetOwner("only the owner, or a buyer of this revision, may download it")
    if revision.blob_key is None or revision.wrapped_key is None:
        raise InvalidContent(
            f"revision {number} is an external source; fetch it from {revision.external_url}"
        )
    data_key = unwrap_key(
        settings.master_key_bytes, revision.wrapped_key, revision.blob_key.encode()
    )
    source = store.open(revision.blob_key)

    def plaintext() -> Iterator[bytes]:
        with source:
            yield from decrypt_stream(data_key, source)

    return revision, plaintext()


# --- submission and review -----------------------------------------------------------------


def _pending_revision(session: Session, asset: Asset) -> AssetRevision:
    if asset.latest_revision == 0:
        raise AssetStateConflict("upload content or add an external source before submitting")
    assert asset.id is not None
    revision = repository.revision(session, asset.id, asset.latest_revision)
    assert revision is not None
    return revision


def _registration_type(asset: Asset) -> RegistrationType:
    return RegistrationType.initial if asset.certified_revision is None else RegistrationType.change


def _application(
    asset: Asset,
    revision: AssetRevision,
    registration_type: RegistrationType,
    *,
    owner: str,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    assert asset.id is not None
    return cert.application(
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


def _submittable(asset: Asset) -> None:
    _require_status(
        asset,
        (AssetStatus.draft.value, AssetStatus.rejected.value, *REGISTERED_STATUSES),
        "submit",
    )
    if asset.status in REGISTERED_STATUSES and asset.latest_revision == asset.certified_revision:
        raise AssetStateConflict("nothing changed since the last registration")


def application_for(
    session: Session, principal: Principal, asset_id: int, ctx: SigningContext, now: datetime
) -> dict[str, Any]:
    """The registration application to sign (EIP-712 typed data), with a fresh nonce."""
    asset = owned_asset(session, principal, asset_id)
    _submittable(asset)
    revision = _pending_revision(session, asset)
    app = _application(
        asset,
        revision,
        _registration_type(asset),
        owner=principal.address,
        nonce=signing.new_nonce(),
        deadline=int(now.timestamp()) + limits.signing_offer_ttl_s,
    )
    return {
        "application": app,
        "typed_data": signing.wallet_json(cert.application_typed_data(app, ctx.domain)),
    }


def _supplier_signature(
    session: Session,
    settings: Settings,
    principal: Principal,
    app_for: Callable[[int, int], dict[str, Any]],
    *,
    body: SubmitRequest,
    ctx: SigningContext,
    now: datetime,
) -> tuple[dict[str, Any], str]:
    """The application and the supplier's signature over it: checked when the client signed,
    made with the custodial key otherwise. Either way the nonce is consumed once."""
    now_s = int(now.timestamp())
    if body.signature is None:
        nonce, deadline = signing.new_nonce(), now_s + limits.signing_offer_ttl_s
        app = app_for(nonce, deadline)
        signature = identity.sign_as(
            session, settings, principal.account, cert.application_typed_data(app, ctx.domain)
        )
    else:
        assert body.nonce is not None
        assert body.deadline is not None
        nonce, deadline = body.nonce, body.deadline
        app = app_for(nonce, deadline)
        try:
            signing.verify(
                cert.application_typed_data(app, ctx.domain), body.signature, principal.address
            )
        except signing.SignatureError as exc:
            raise InvalidContent(
                f"the signature does not cover this application: {exc}; fetch it again from "
                "GET /assets/{id}/application and sign that"
            ) from exc
        signature = body.signature
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
    _submittable(asset)
    revision = _pending_revision(session, asset)
    registration_type = _registration_type(asset)
    app, signature = _supplier_signature(
        session,
        settings,
        principal,
        lambda nonce, deadline: _application(
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
    asset.submission = {
        "application": app,
        "signature": signature,
        "signer": principal.address,
        "domain": ctx.domain,
    }
    asset.submitted_by = principal.account_id
    asset.status = AssetStatus.under_review
    _touch(session, asset, now)
    _journal(
        session,
        "asset.submitted",
        asset,
        principal.address,
        signature=signature,
        revision=revision.number,
        registration_type=registration_type.value,
        registration_hash="0x" + cert.registration_hash(app, ctx.domain).hex(),
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
    assert _is_operator(principal)
    asset = repository.lock_asset(session, asset_id)
    if asset is None:
        raise AssetNotFound(f"no asset {asset_id}")
    _require_status(asset, (AssetStatus.under_review.value,), "review")
    submission = asset.submission
    revision_no = (
        int(submission["application"]["revision"])
        if submission
        else (asset.certified_revision or asset.latest_revision)
    )
    checklist = body.checklist.model_dump()
    entry = _journal(
        session,
        "asset.reviewed",
        asset,
        principal.address,
        revision=revision_no,
        decision=body.decision.value,
        checklist={name: bool(item["passed"]) for name, item in checklist.items()},
        reasons_sha256=_sha256_text(body.reasons),
    )
    if body.decision == ReviewDecision.approved:
        if submission:
            _issue_certificate(
                session,
                asset,
                app=submission["application"],
                domain=submission["domain"],
                supplier_address=submission["signer"],
                supplier_signature=submission["signature"],
                ctx=ctx,
                now=now,
            )
            asset.certified_revision = revision_no
        asset.status = AssetStatus.approved
    else:
        asset.status = AssetStatus.rejected
    asset.submission = None
    _touch(session, asset, now)
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


def _issue_certificate(
    session: Session,
    asset: Asset,
    *,
    app: dict[str, Any],
    domain: dict[str, Any],
    supplier_address: str,
    supplier_signature: str,
    ctx: SigningContext,
    now: datetime,
) -> JournalEntry:
    assert asset.id is not None
    certificate = cert.build_certificate(
        app=app,
        domain=domain,
        supplier_address=supplier_address,
        supplier_signature=supplier_signature,
        exchange_key=ctx.exchange_key,
        approved_at=int(now.timestamp()),
    )
    entry = journal.append(
        session,
        kind=cert.ENTRY_KIND,
        subject=_subject(asset.id),
        actor=supplier_address,
        payload=certificate,
        signature=supplier_signature,
    )
    _register(
        session,
        asset,
        RegistrationType(app["registration_type"]),
        entry,
        revision=int(app["revision"]),
        holder=str(app["owner"]),
        now=now,
    )
    return entry


def reviews_of(session: Session, principal: Principal, asset_id: int) -> list[AssetReview]:
    asset = visible_asset(session, principal, asset_id)
    if not visibility.is_insider(principal, asset):
        raise NotAssetOwner("only the owner and operators see compliance reviews")
    return list(repository.reviews(session, asset_id))


# --- listing -------------------------------------------------------------------------------


def list_asset(session: Session, principal: Principal, asset_id: int, now: datetime) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    if asset.classification == Classification.core.value:
        raise NotListable("core data (核心数据) may be registered but never listed")
    _require_status(asset, (AssetStatus.approved.value, AssetStatus.delisted.value), "list")
    asset.status = AssetStatus.listed
    _touch(session, asset, now)
    restrictions = asset_public(asset).listing_restrictions
    _journal(
        session,
        "asset.listed",
        asset,
        principal.address,
        revision=asset.certified_revision,
        restrictions=restrictions,
    )
    return asset


def delist_asset(session: Session, principal: Principal, asset_id: int, now: datetime) -> Asset:
    if _is_operator(principal):
        asset = repository.lock_asset(session, asset_id)
        if asset is None:
            raise AssetNotFound(f"no asset {asset_id}")
    else:
        asset = owned_asset(session, principal, asset_id)
    _require_status(asset, (AssetStatus.listed.value,), "delist")
    asset.status = AssetStatus.delisted
    _touch(session, asset, now)
    _journal(session, "asset.delisted", asset, principal.address)
    return asset


# --- other registrations (objections: assets/objections.py) ---------------------------------


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
    _require_status(asset, REGISTERED_STATUSES, "transfer")
    if asset.open_objections:
        raise AssetStateConflict(
            "the asset is under objection: it cannot change hands until the objection is decided"
        )
    if to_organization_id == asset.owner_organization_id:
        raise InvalidTransfer("the asset already belongs to that organisation")
    from marketplace.identity import repository as identity_repository

    target = identity_repository.organization(session, to_organization_id)
    roles = identity_repository.organization_roles(session, to_organization_id)
    if target is None or target.verified_at is None or OrgRole.supplier.value not in roles:
        raise InvalidTransfer("the new owner must be a verified supplier organisation")
    holder: Account | None = repository.holder_account(session, to_organization_id)
    if holder is None:
        raise InvalidTransfer("the new owner has no account to hold the asset")
    assert asset.certified_revision is not None
    assert asset.id is not None
    revision = repository.revision(session, asset.id, asset.certified_revision)
    assert revision is not None
    app, signature = _supplier_signature(
        session,
        settings,
        principal,
        lambda nonce, deadline: _application(
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
    _issue_certificate(
        session,
        asset,
        app=app,
        domain=ctx.domain,
        supplier_address=principal.address,
        supplier_signature=signature,
        ctx=ctx,
        now=now,
    )
    asset.owner_organization_id = to_organization_id
    asset.publisher = target.name
    asset.status = AssetStatus.approved
    _touch(session, asset, now)
    return asset


def cancel(
    session: Session, principal: Principal, asset_id: int, reason: str, now: datetime
) -> Asset:
    asset = owned_asset(session, principal, asset_id)
    if asset.status == AssetStatus.cancelled.value:
        raise AssetStateConflict("the asset is already cancelled")
    asset.status = AssetStatus.cancelled
    asset.submission = None
    _touch(session, asset, now)
    entry = _journal(
        session,
        "asset.cancelled",
        asset,
        principal.address,
        registration_type=RegistrationType.cancellation.value,
        reason_sha256=_sha256_text(reason),
    )
    _register(
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
    session: Session, principal: Principal | None, asset_id: int
) -> list[AssetRegistration]:
    visible_asset(session, principal, asset_id)
    return list(repository.registrations(session, asset_id))


# --- certificate ---------------------------------------------------------------------------

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


# --- search --------------------------------------------------------------------------------


def search(
    session: Session,
    principal: Principal | None,
    *,
    owner: int | None,
    status: AssetStatus | None,
    theme: str | None,
    keyword: str | None,
    offset: int,
    limit: int,
) -> AssetPage:
    assert 0 < limit <= limits.page_size_max
    operator = _is_operator(principal)
    rows, total = repository.search(
        session,
        visible_statuses=None if operator else PUBLIC_STATUSES,
        own_organization_id=principal.organization.id if principal else None,
        owner_organization_id=owner,
        status=status.value if status else None,
        theme=theme,
        keyword=keyword,
        offset=offset,
        limit=limit,
    )
    items = [asset_public_for(principal, a) for a in rows]
    return AssetPage(items=items, total=total, offset=offset, limit=limit)


def exchange_address(ctx: SigningContext) -> str:
    return str(EthAccount.from_key(ctx.exchange_key).address)


# --- deleting a draft ------------------------------------------------------------------------


def deletable_draft(session: Session, principal: Principal, asset_id: int) -> Asset:
    """The caller's own draft, locked, if it was never submitted: no submission, review,
    registration or objection. Anything else is a 409 naming its state."""
    asset = owned_asset(session, principal, asset_id)
    if asset.status != AssetStatus.draft.value:
        raise AssetStateConflict(
            f"cannot delete an asset that is {asset.status}; only a draft that was never "
            "submitted can be deleted (a registered asset is cancelled instead)"
        )
    if (
        asset.submitted_by is not None
        or asset.certified_revision is not None
        or repository.reviews(session, asset_id)
        or repository.registrations(session, asset_id)
        or repository.objections(session, asset_id)
    ):
        raise AssetStateConflict(
            f"cannot delete asset {asset_id}: it is a draft again after being submitted or "
            "registered, and its history stays; cancel the registration instead"
        )
    return asset


def delete_draft(
    session: Session, principal: Principal, asset: Asset
) -> tuple[AssetDeleted, list[str]]:
    """Delete a draft checked by ``deletable_draft`` (its other domains' rows already gone) and
    journal it; returns what was deleted and the blob keys the caller removes after commit. The
    journal keeps the draft's earlier entries (each revision's content hash among them)."""
    assert asset.id is not None
    assert asset.status == AssetStatus.draft.value
    rows = list(repository.revisions(session, asset.id))
    entry = _journal(
        session,
        "asset.deleted",
        asset,
        principal.address,
        metadata_sha256=_metadata_sha256(asset),
        revisions_deleted=len(rows),
    )
    repository.delete_asset(session, asset)
    keys = [r.blob_key for r in rows if r.blob_key is not None]
    return AssetDeleted(asset_id=asset.id, revisions_deleted=len(rows), journal_seq=entry.seq), keys
