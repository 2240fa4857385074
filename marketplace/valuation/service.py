"""Valuation rules: who may issue one, what the exchange fills in, and the journal entry.
Never commits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from ledger import journal
from marketplace.assets.errors import AssetNotFound, NotAssetOwner
from marketplace.assets.service import visible_asset
from marketplace.identity.models import OrgRole
from marketplace.identity.service import Principal
from marketplace.quality import repository as quality_repository
from marketplace.quality.report import QualityReport
from marketplace.valuation import repository
from marketplace.valuation.models import Valuation
from marketplace.valuation.report import ValuationInputs, combine
from marketplace.valuation.schemas import ValuationPublic, ValuationRequest


def _may_value(principal: Principal, owner_organization_id: int) -> bool:
    return principal.organization.id == owner_organization_id or bool(
        {OrgRole.operator.value, OrgRole.valuer.value} & principal.roles
    )


def _with_quality(inputs: ValuationInputs, report: QualityReport | None) -> ValuationInputs:
    """Fill the cost approach's missing quality and timeliness scores from the report."""
    if inputs.cost is None or report is None:
        return inputs
    timeliness = report.dimension("timeliness")
    fills: dict[str, Decimal] = {}
    if inputs.cost.quality_score is None and report.overall is not None:
        fills["quality_score"] = Decimal(str(report.overall))
    if inputs.cost.timeliness_score is None and timeliness.score is not None:
        fills["timeliness_score"] = Decimal(str(timeliness.score))
    if not fills:
        return inputs
    return inputs.model_copy(update={"cost": inputs.cost.model_copy(update=fills)})


def issue_indicative(
    session: Session,
    principal: Principal,
    asset_id: int,
    body: ValuationRequest,
    *,
    currency: str,
    now: datetime,
) -> Valuation:
    """Value the asset's latest revision and write ``valuation.issued`` with the report hash."""
    asset = visible_asset(session, principal, asset_id)
    if not _may_value(principal, asset.owner_organization_id):
        raise NotAssetOwner("only the owner, an operator or a valuer may request a valuation")
    if asset.latest_revision == 0:
        raise AssetNotFound(f"asset {asset_id} has no content to value yet")
    evaluation = quality_repository.latest(session, asset_id, asset.latest_revision, done_only=True)
    quality = (
        QualityReport.model_validate(evaluation.report)
        if evaluation is not None and evaluation.report is not None
        else None
    )
    inputs = _with_quality(body.inputs, quality)
    report = combine(
        inputs,
        kind="indicative",
        subject=f"asset:{asset_id}@revision:{asset.latest_revision}",
        currency=currency,
        issued_at=now,
        quality_report_hash=evaluation.report_hash if evaluation is not None else None,
    )
    report_hash = report.report_hash()
    entry = journal.append(
        session,
        kind="valuation.issued",
        subject=f"asset:{asset_id}",
        actor=principal.address,
        payload={
            "asset_id": asset_id,
            "revision": asset.latest_revision,
            "kind": "indicative",
            "report_hash": report_hash,
            "value_minor": report.value_minor,
            "currency": currency,
        },
    )
    return repository.add(
        session,
        Valuation(
            asset_id=asset_id,
            revision=asset.latest_revision,
            kind="indicative",
            issued_by=principal.account_id,
            inputs=inputs.model_dump(mode="json"),
            report=report.model_dump(mode="json"),
            report_hash=report_hash,
            value_minor=report.value_minor,
            journal_seq=entry.seq,
        ),
    )


def valuation_public(valuation: Valuation) -> ValuationPublic:
    assert valuation.id is not None
    return ValuationPublic(
        id=valuation.id,
        asset_id=valuation.asset_id,
        revision=valuation.revision,
        kind=valuation.kind,
        report_hash=valuation.report_hash,
        value_minor=valuation.value_minor,
        journal_seq=valuation.journal_seq,
        created_at=valuation.created_at,
        report=valuation.report,
    )


def list_valuations(
    session: Session, principal: Principal | None, asset_id: int
) -> list[ValuationPublic]:
    visible_asset(session, principal, asset_id)
    return [valuation_public(v) for v in repository.for_asset(session, asset_id)]
