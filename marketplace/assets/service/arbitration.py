"""What arbitration may do to an objection and its asset (docs/disputes.md, "Ownership
objections"). Disputes call these; they never read assets' tables. Never commits.

- ``objection_for_party``: the facts of an objection for its objector or the asset's owner; 404
  (as for a missing objection) to anyone else.
- ``escalate``: the objection ``open → escalated`` (``asset.objection_escalated``); an objection
  already decided by an operator, or escalated, is the objection lifecycle's 409.
- ``record_seqs``: the journal entries an arbitrator reads as the exchange's records: the
  asset's certificate(s) of its certified revision and every entry about this objection.
- ``lock_for_ruling``: the asset, then the objection, locked before the execution's first
  journal append (docs/architecture.md, "Lock order").
- ``execute_ruling``: the executed ruling, applied once: ``transfer`` (the objection upheld, a
  suspension lifted, the asset transferred to the objector's organisation with a certificate
  the exchange signs on the ruling's authority), ``cancel`` (upheld, the registration
  cancelled), ``dismiss`` (dismissed, a suspension made for it lifted).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from eth_account import Account
from sqlmodel import Session

from marketplace.assets import lifecycle, objection_lifecycle, repository
from marketplace.assets.application import Submission
from marketplace.assets.errors import AssetNotFound, ObjectionNotFound
from marketplace.assets.lifecycle import AssetEvent
from marketplace.assets.models import Asset, AssetObjection, AssetStatus, RegistrationType
from marketplace.assets.objection_lifecycle import ObjectionEvent
from marketplace.assets.service.journaling import journal_asset, register, subject, touch
from marketplace.assets.service.registry import certificate_seqs
from marketplace.assets.service.review import build_application, issue_certificate
from marketplace.assets.service.signing import SigningContext
from marketplace.identity import service as identity
from marketplace.identity import signing
from marketplace.principal import Principal

TRANSFER: Final = "transfer"
CANCEL: Final = "cancel"
DISMISS: Final = "dismiss"


#: (seq, payload JSON) of every journal entry about a subject, oldest first.
EntriesAbout = Callable[[str], list[tuple[int, str]]]


@dataclass(frozen=True)
class ObjectionFacts:
    objection_id: int
    asset_id: int
    objector_organization_id: int
    owner_organization_id: int
    status: str
    reason_code: str


def objection_for_party(
    session: Session, principal: Principal, asset_id: int, objection_id: int
) -> ObjectionFacts:
    """The objection, to a member of the objecting organisation or of the asset's owner; 404
    to anyone else (operators and arbitrators, who read objections, are no party to it)."""
    row = repository.objection(session, objection_id)
    asset = None if row is None else repository.asset(session, row.asset_id)
    org = principal.organization.id
    if (
        row is None
        or asset is None
        or row.asset_id != asset_id
        or org not in (row.organization_id, asset.owner_organization_id)
    ):
        raise ObjectionNotFound(f"asset {asset_id} has no objection {objection_id} of yours")
    assert row.id is not None
    return ObjectionFacts(
        objection_id=row.id,
        asset_id=asset_id,
        objector_organization_id=row.organization_id,
        owner_organization_id=asset.owner_organization_id,
        status=str(row.status),
        reason_code=str(row.reason_code),
    )


def _locked(session: Session, objection_id: int) -> tuple[Asset, AssetObjection]:
    """The asset, then the objection, under their row locks (the order deciding uses)."""
    found = repository.objection(session, objection_id)
    if found is None:
        raise ObjectionNotFound(f"no objection {objection_id}")
    asset = repository.lock_asset(session, found.asset_id)
    if asset is None:
        raise AssetNotFound(f"no asset {found.asset_id}")
    row = repository.lock_objection(session, objection_id)
    assert row is not None
    return asset, row


def escalate(
    session: Session, principal: Principal, objection_id: int, *, dispute_id: int, now: datetime
) -> None:
    """``open → escalated`` and ``asset.objection_escalated`` (409 when decided already)."""
    asset, row = _locked(session, objection_id)
    transition = objection_lifecycle.apply(row, ObjectionEvent.escalate)
    session.add(row)
    asset.updated_at = now
    session.add(asset)
    journal_asset(
        session,
        transition.kind,
        asset,
        principal.address,
        objection_id=objection_id,
        dispute_id=dispute_id,
    )


def record_seqs(session: Session, objection_id: int, entries_about: EntriesAbout) -> list[int]:
    """The certificate(s) of the asset's certified revision, then every entry about the
    objection (filing, suspension, escalation), in journal order, each once."""
    row = repository.objection(session, objection_id)
    assert row is not None
    asset = repository.asset(session, row.asset_id)
    assert asset is not None
    assert asset.id is not None
    seqs: list[int] = []
    if asset.certified_revision is not None:
        seqs += certificate_seqs(session, asset.id, asset.certified_revision)
    for seq, payload_json in entries_about(subject(asset.id)):
        if json.loads(payload_json).get("objection_id") == objection_id:
            seqs.append(seq)
    return list(dict.fromkeys(s for s in seqs if s > 0))


def _lift(session: Session, asset: Asset, objection_id: int, actor: str, reason: str) -> None:
    transition = lifecycle.apply(asset, AssetEvent.reinstate)
    asset.suspension_reason = None
    asset.suspended_for_objection = None
    session.add(asset)
    journal_asset(session, transition.kind, asset, actor, to_status=str(asset.status),
                  objection_id=objection_id, reason=reason)  # fmt: skip


def _transfer(
    session: Session, asset: Asset, objection: AssetObjection, *, ctx: SigningContext, now: datetime
) -> bool:
    """The asset to the objector's organisation, certified by the exchange alone (it signs the
    application on the ruling's authority and countersigns it). False (nothing done) when the
    asset is no longer registered (its owner cancelled or changed it meanwhile)."""
    if not lifecycle.allowed(asset.status, AssetEvent.transfer):
        return False
    target = identity.organization(session, objection.organization_id)
    holder = identity.holder_account(session, objection.organization_id)
    if target is None or holder is None or asset.certified_revision is None:
        return False
    assert asset.id is not None
    revision = repository.revision(session, asset.id, asset.certified_revision)
    assert revision is not None
    nonce = signing.new_nonce()
    app = build_application(
        asset, revision, RegistrationType.transfer, owner=holder.address, nonce=nonce,
        deadline=int(now.timestamp()),
    )  # fmt: skip
    signature = signing.sign(ctx.exchange_key, app.typed_data(ctx.domain))
    signer: str = Account.from_key(ctx.exchange_key).address
    issue_certificate(
        session, asset,
        Submission(application=app, signature=signature, signer=signer, domain=ctx.domain),
        ctx=ctx, now=now,
    )  # fmt: skip
    asset.owner_organization_id = objection.organization_id
    asset.publisher = target.name
    lifecycle.apply(asset, AssetEvent.transfer)
    return True


def _cancel(session: Session, asset: Asset, *, actor: str, dispute_id: int, now: datetime) -> bool:
    if not lifecycle.allowed(asset.status, AssetEvent.cancel):
        return False  # cancelled already
    transition = lifecycle.apply(asset, AssetEvent.cancel)
    asset.submission = None
    entry = journal_asset(
        session, transition.kind, asset, actor,
        registration_type=RegistrationType.cancellation.value, dispute_id=dispute_id,
    )  # fmt: skip
    register(session, asset, RegistrationType.cancellation, entry,
             revision=asset.certified_revision, holder=actor, now=now)  # fmt: skip
    return True


def lock_for_ruling(session: Session, objection_id: int) -> None:
    """Lock the objection's asset, then the objection, for the execution of its ruling, before
    the execution's first journal append (its fee holds): every change of the asset locks the
    asset and then the journal head (docs/architecture.md, "Lock order")."""
    _locked(session, objection_id)


def execute_ruling(
    session: Session,
    objection_id: int,
    outcome: str,
    *,
    dispute_id: int,
    ctx: SigningContext,
    actor: str,
    now: datetime,
) -> bool:
    """Apply the final ruling (``transfer``, ``cancel`` or ``dismiss``) to the objection and its
    asset, in the caller's transaction; whether the asset itself changed hands or was
    cancelled (a dismissal: whether a suspension was lifted)."""
    assert outcome in (TRANSFER, CANCEL, DISMISS), outcome
    asset, row = _locked(session, objection_id)
    event = (
        ObjectionEvent.dismiss_by_ruling if outcome == DISMISS else ObjectionEvent.uphold_by_ruling
    )
    decided = objection_lifecycle.apply(row, event)
    row.resolution = f"arbitration: dispute {dispute_id} ruled {outcome}"
    row.resolved_at = now
    session.add(row)
    assert asset.open_objections > 0
    asset.open_objections -= 1
    journal_asset(
        session, decided.kind, asset, actor, objection_id=objection_id,
        decision=str(decided.target), dispute_id=dispute_id, ruling=outcome,
    )  # fmt: skip
    suspended_for_it = (
        asset.status == AssetStatus.suspended and asset.suspended_for_objection == objection_id
    )
    changed = False
    if outcome == DISMISS:
        if suspended_for_it:
            _lift(session, asset, objection_id, actor, "objection dismissed by arbitration")
            changed = True
    elif outcome == CANCEL:
        changed = _cancel(session, asset, actor=actor, dispute_id=dispute_id, now=now)
    else:
        if lifecycle.is_suspended(asset):
            _lift(session, asset, objection_id, actor, "objection upheld: transfer by arbitration")
        changed = _transfer(session, asset, row, ctx=ctx, now=now)
    touch(session, asset, now)
    return changed
