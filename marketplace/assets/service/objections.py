"""Objections (异议) to assets and operator suspension. Never commits.

Filing never moves the asset:

1. A verified organisation other than the owner files an objection (reason code, statement,
   evidence hashes) against an asset it can see; at most ``objection_filings_per_window_max``
   per organisation per ``objection_filing_window_s`` (settings), counted in the abuse-limit
   store (``marketplace.ratelimit``) under the organisation's row lock. The asset keeps its
   status; its ``open_objections`` count makes it show "under objection" to everyone who can
   see it. Journal ``asset.objection_filed``.
2. An operator may suspend the asset, with a reason and optionally the objection it is for, as
   a step of its own: the status it had is remembered. Journal ``asset.suspended``.
3. An operator decides the objection. Upheld: the asset is suspended if it is not already.
   Dismissed: a suspension made for this objection is lifted, restoring exactly the prior
   status (``listed`` included). Journal ``asset.objection_decided`` (and ``asset.suspended`` /
   ``asset.reinstated``).
4. An operator may lift any suspension with a reason (``asset.reinstated``).

Who sees an objection: the objecting organisation, the asset's owner organisation, operators and
verified arbitrators; anyone else gets 404, as for an object that does not exist. The objector
follows its objection through ``/objections`` even while the asset is suspended (and so hidden
from it). The public sees only the flag, never the statement.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace import limits
from marketplace.assets import lifecycle, objection_lifecycle, repository
from marketplace.assets.errors import (
    AssetNotFound,
    ObjectionNotAllowed,
    ObjectionNotFound,
    ObjectionStateConflict,
    ObjectionsThrottled,
)
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset, AssetObjection, ObjectionStatus, RegistrationType
from marketplace.assets.objection_lifecycle import ObjectionEvent
from marketplace.assets.schemas import (
    ObjectionCreate,
    ObjectionDecision,
    ObjectionPage,
    ObjectionPublic,
    SuspensionCreate,
)
from marketplace.assets.service.access import visible_asset
from marketplace.assets.service.journaling import (
    journal_asset,
    register,
    search_state,
    sha256_text,
)
from marketplace.identity import service as identity
from marketplace.principal import OrgRole, Principal
from marketplace.ratelimit import RateLimits


def _reads_every_objection(principal: Principal) -> bool:
    if OrgRole.operator.value in principal.roles:
        return True
    return principal.verified and OrgRole.arbitrator.value in principal.roles


def objection_public(row: AssetObjection) -> ObjectionPublic:
    return ObjectionPublic.model_validate(row, from_attributes=True)


# --- filing --------------------------------------------------------------------------------


def file_objection(
    session: Session,
    rates: RateLimits,
    principal: Principal,
    asset_id: int,
    body: ObjectionCreate,
    *,
    now: datetime,
) -> AssetObjection:
    """Step 1. The caller's organisation is verified (the route's guard). Its filing rate is
    checked and counted under its row lock, so concurrent filings from any API process count
    one after the other, and a refused filing (404, 409) counts nothing."""
    assert principal.verified
    organization_id = principal.organization.id
    assert organization_id is not None
    if OrgRole.operator.value in principal.roles:
        raise ObjectionNotAllowed("operators decide objections; they do not file them")
    identity.lock_organization(session, organization_id)
    rate_key = f"organization:{organization_id}"
    rates.check(rates.rules.objection, rate_key, ObjectionsThrottled)
    visible_asset(session, principal, asset_id)
    asset = repository.lock_asset(session, asset_id)
    assert asset is not None
    if asset.owner_organization_id == organization_id:
        raise ObjectionNotAllowed("the owner cannot object to its own asset")
    filing = lifecycle.require(asset, AssetEvent.object)
    if repository.has_open_objection(session, asset_id, organization_id):
        raise ObjectionStateConflict(
            "your organisation already has an open objection to this asset; add to it through "
            "the operator, or wait for the decision"
        )
    objection = AssetObjection(
        asset_id=asset_id,
        organization_id=organization_id,
        filed_by=principal.account_id,
        status=objection_lifecycle.INITIAL,
        reason_code=body.reason_code,
        statement=body.statement,
        evidence_hashes=body.evidence_hashes,
        created_at=now,
    )
    repository.add(session, objection)
    rates.hit(rates.rules.objection, rate_key, ObjectionsThrottled)
    lifecycle.apply(asset, AssetEvent.object)
    asset.open_objections += 1
    asset.updated_at = now
    session.add(asset)
    search_state(session, asset)
    entry = journal_asset(
        session,
        filing.kind,
        asset,
        principal.address,
        objection_id=objection.id,
        organization_id=organization_id,
        reason_code=body.reason_code.value,
        statement_sha256=sha256_text(body.statement),
        evidence_hashes=body.evidence_hashes,
    )
    register(
        session,
        asset,
        RegistrationType.objection,
        entry,
        revision=asset.certified_revision,
        holder=principal.address,
        now=now,
    )
    return objection


# --- reading -------------------------------------------------------------------------------


def _may_read(session: Session, principal: Principal, row: AssetObjection) -> bool:
    if _reads_every_objection(principal) or row.organization_id == principal.organization.id:
        return True
    asset = repository.asset(session, row.asset_id)
    assert asset is not None
    return asset.owner_organization_id == principal.organization.id


def get_objection(session: Session, principal: Principal, objection_id: int) -> AssetObjection:
    row = repository.objection(session, objection_id)
    if row is None or not _may_read(session, principal, row):
        raise ObjectionNotFound(f"no objection {objection_id} that you may see")
    return row


def objections_of(
    session: Session, principal: Principal, asset_id: int, *, limit: int, offset: int
) -> list[AssetObjection]:
    """A page of an asset's objections, oldest first: all of them for its owner, operators and
    arbitrators; its own for an objecting organisation, even while the asset is hidden from it
    (suspended). ``offset`` counts every objection, seen or not."""
    rows = list(repository.objections(session, asset_id, limit=limit, offset=offset))
    own = [o for o in rows if o.organization_id == principal.organization.id]
    try:
        visible_asset(session, principal, asset_id)
    except AssetNotFound:
        if own and not _reads_every_objection(principal):
            return own
        raise
    if _reads_every_objection(principal):
        return rows
    return [o for o in rows if _may_read(session, principal, o)]


def list_objections(
    session: Session,
    principal: Principal,
    *,
    status: ObjectionStatus | None,
    offset: int,
    limit: int,
) -> ObjectionPage:
    """Newest first: everything for operators and arbitrators; otherwise those the caller's
    organisation filed and those against its assets."""
    assert 0 < limit <= limits.page_size_max
    rows, total = repository.objection_page(
        session,
        involving_organization_id=None
        if _reads_every_objection(principal)
        else principal.organization.id,
        status=status.value if status else None,
        offset=offset,
        limit=limit,
    )
    return ObjectionPage(
        items=[objection_public(r) for r in rows], total=total, offset=offset, limit=limit
    )


# --- suspension ----------------------------------------------------------------------------


def _locked(session: Session, asset_id: int) -> Asset:
    asset = repository.lock_asset(session, asset_id)
    if asset is None:
        raise AssetNotFound(f"no asset {asset_id}")
    return asset


def _suspend(
    session: Session,
    operator: Principal,
    asset: Asset,
    *,
    reason: str,
    objection_id: int | None,
    now: datetime,
) -> None:
    transition = lifecycle.apply(asset, AssetEvent.suspend)
    asset.suspension_reason = reason
    asset.suspended_for_objection = objection_id
    asset.updated_at = now
    session.add(asset)
    search_state(session, asset)
    journal_asset(
        session,
        transition.kind,
        asset,
        operator.address,
        from_status=transition.source.value,
        objection_id=objection_id,
        reason_sha256=sha256_text(reason),
    )


def _reinstate(session: Session, operator: Principal, asset: Asset, *, reason: str) -> None:
    transition = lifecycle.apply(asset, AssetEvent.reinstate)
    asset.suspension_reason = None
    asset.suspended_for_objection = None
    session.add(asset)
    search_state(session, asset)
    journal_asset(
        session,
        transition.kind,
        asset,
        operator.address,
        to_status=str(asset.status),
        reason_sha256=sha256_text(reason),
    )


def suspend(
    session: Session, operator: Principal, asset_id: int, body: SuspensionCreate, now: datetime
) -> Asset:
    """Step 2: take the asset out of the catalog (and out of every non-owner's sight)."""
    assert OrgRole.operator.value in operator.roles
    asset = _locked(session, asset_id)
    if body.objection_id is not None:
        row = repository.objection(session, body.objection_id)
        if row is None or row.asset_id != asset_id:
            raise ObjectionNotFound(f"asset {asset_id} has no objection {body.objection_id}")
        objection_lifecycle.require_undecided(row)
    _suspend(session, operator, asset, reason=body.reason, objection_id=body.objection_id, now=now)
    return asset


def reinstate(
    session: Session, operator: Principal, asset_id: int, reason: str, now: datetime
) -> Asset:
    """Step 4: lift a suspension, back to exactly the status the asset had."""
    assert OrgRole.operator.value in operator.roles
    asset = _locked(session, asset_id)
    _reinstate(session, operator, asset, reason=reason)
    asset.updated_at = now
    return asset


# --- decision ------------------------------------------------------------------------------


def decide(
    session: Session,
    operator: Principal,
    objection_id: int,
    body: ObjectionDecision,
    now: datetime,
) -> AssetObjection:
    """Step 3. Locks the asset, then the objection (the order filing uses too)."""
    assert OrgRole.operator.value in operator.roles
    found = repository.objection(session, objection_id)
    if found is None:
        raise ObjectionNotFound(f"no objection {objection_id}")
    asset = _locked(session, found.asset_id)
    row = repository.lock_objection(session, objection_id)
    assert row is not None
    event = objection_lifecycle.DECISIONS[body.decision]
    decided = objection_lifecycle.apply(row, event)
    row.resolution = body.reasons
    row.decided_by = operator.account_id
    row.resolved_at = now
    session.add(row)
    assert asset.open_objections > 0
    asset.open_objections -= 1
    asset.updated_at = now
    session.add(asset)
    search_state(session, asset)
    journal_asset(
        session,
        decided.kind,
        asset,
        operator.address,
        objection_id=objection_id,
        decision=body.decision,
        reasons_sha256=sha256_text(body.reasons),
    )
    suspended = lifecycle.is_suspended(asset)
    if event == ObjectionEvent.uphold and lifecycle.allowed(asset.status, AssetEvent.suspend):
        _suspend(
            session,
            operator,
            asset,
            reason=f"objection {objection_id} upheld: {body.reasons}"[
                : limits.review_reasons_length_max
            ],
            objection_id=objection_id,
            now=now,
        )
    elif (
        event == ObjectionEvent.dismiss
        and suspended
        and asset.suspended_for_objection == objection_id
    ):
        _reinstate(session, operator, asset, reason=f"objection {objection_id} dismissed")
    return row
