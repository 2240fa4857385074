"""Registering an asset: the draft and its metadata. A change to a registered asset's metadata
sends it back to draft, to be reviewed and registered again (a change registration)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace.assets import lifecycle, repository
from marketplace.assets.errors import InvalidContent
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset
from marketplace.assets.schemas import AssetCreate, AssetUpdate, check_compliance_facts
from marketplace.assets.service.access import owned_asset
from marketplace.assets.service.journaling import journal_asset, metadata, metadata_sha256, touch
from marketplace.principal import OrgRole, Principal


def search_text(asset: Asset) -> str:
    return "\n".join([asset.title, asset.description, *asset.keywords]).lower()


COMPLIANCE_FIELDS = frozenset(
    {
        "classification", "personal_information", "lawful_basis", "source_type",
        "authority_proof", "license",
    }
)  # fmt: skip


def create_asset(session: Session, principal: Principal, body: AssetCreate, now: datetime) -> Asset:
    assert principal.verified
    assert OrgRole.supplier.value in principal.roles
    asset = Asset.model_validate(
        {
            **body.model_dump(),
            "owner_organization_id": principal.organization.id,
            "created_by": principal.account_id,
            "status": lifecycle.INITIAL.value,
            "created_at": now,
            "updated_at": now,
        }
    )
    if asset.publisher is None:
        asset.publisher = principal.organization.name
    asset.search_text = search_text(asset)
    repository.add(session, asset)
    journal_asset(
        session,
        lifecycle.CREATED_KIND,
        asset,
        principal.address,
        owner_organization_id=asset.owner_organization_id,
        classification=str(asset.classification),
        metadata_sha256=metadata_sha256(asset),
    )
    return asset


def update_metadata(
    session: Session, principal: Principal, asset_id: int, body: AssetUpdate, now: datetime
) -> Asset:
    """Change metadata. A registered asset goes back to draft: the change must be reviewed and
    registered again (a change registration)."""
    asset = owned_asset(session, principal, asset_id)
    lifecycle.require(asset, AssetEvent.change_metadata)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        return asset
    for required in ("title", "license", "classification", "source_type", "authority_proof"):
        if required in changes and changes[required] is None:
            raise InvalidContent(f"{required} cannot be removed")
    merged = {**metadata(asset), **body.model_dump(mode="json", exclude_unset=True)}
    try:
        AssetCreate.model_validate(merged)
    except ValueError as exc:
        raise InvalidContent(f"the metadata would be invalid: {exc}") from exc
    for name, value in changes.items():
        setattr(asset, name, value)
    check_compliance_facts(
        asset.personal_information, asset.lawful_basis, asset.temporal_start, asset.temporal_end
    )
    asset.search_text = search_text(asset)
    transition = lifecycle.apply(asset, AssetEvent.change_metadata)
    touch(session, asset, now)
    journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        fields=sorted(changes),
        compliance_relevant=bool(COMPLIANCE_FIELDS & set(changes)),
        metadata_sha256=metadata_sha256(asset),
        status=str(asset.status),
    )
    return asset
