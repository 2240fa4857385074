"""Reading quality reports: an evaluation as the caller may see it (sample values only for the
owner and operators), the report buyers see, and the figures other domains and the catalog rely
on. Returns data; the pages render it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from marketplace.assets import visibility
from marketplace.assets.errors import RevisionNotFound
from marketplace.assets.service import visible_asset, visible_revision
from marketplace.assets.visibility import AssetFacts
from marketplace.principal import Principal
from marketplace.quality import repository
from marketplace.quality.errors import QualityReportNotFound
from marketplace.quality.models import QualityEvaluation
from marketplace.quality.report import QualityReport
from marketplace.quality.schemas import EvaluationPublic


@dataclass(frozen=True)
class ShownReport:
    """A finished quality report as the caller may see it, with the asset it is about."""

    report: QualityReport
    asset_id: int
    asset_title: str
    revision: int
    report_hash: str


def evaluation_public(
    evaluation: QualityEvaluation, principal: Principal | None, asset: AssetFacts
) -> EvaluationPublic:
    """The evaluation as the caller may see it: sample values only for owner and operators."""
    assert evaluation.id is not None
    report: dict[str, Any] | None = evaluation.report
    if report is not None and not visibility.is_insider(principal, asset):
        report = QualityReport.model_validate(report).public_view().model_dump(mode="json")
    return EvaluationPublic(
        id=evaluation.id,
        asset_id=evaluation.asset_id,
        revision=evaluation.revision,
        status=str(evaluation.status),
        progress_percent=evaluation.progress_percent,
        stage=evaluation.stage,
        content_sha256=evaluation.content_sha256,
        report_hash=evaluation.report_hash,
        journal_seq=evaluation.journal_seq,
        error=evaluation.error,
        created_at=evaluation.created_at,
        updated_at=evaluation.updated_at,
        report=report,
    )


def revision_evaluation(
    session: Session, principal: Principal | None, asset_id: int, number: int
) -> EvaluationPublic:
    asset, _ = visible_revision(session, principal, asset_id, number)
    found = repository.latest(session, asset_id, number)
    if found is None:
        raise QualityReportNotFound(f"asset {asset_id} revision {number} has no quality evaluation")
    return evaluation_public(found, principal, asset)


def asset_report(session: Session, principal: Principal | None, asset_id: int) -> EvaluationPublic:
    """The latest finished evaluation of the newest revision the caller may see: the registered
    one (what buyers see before buying); the owner and operators get the latest revision's."""
    asset = visible_asset(session, principal, asset_id)
    number = visibility.newest_visible_revision(principal, asset)
    if not number:
        raise RevisionNotFound(f"asset {asset_id} has no registered revision yet")
    found = repository.latest(session, asset_id, number, done_only=True)
    if found is None:
        raise QualityReportNotFound(f"asset {asset_id} revision {number} has no quality report yet")
    return evaluation_public(found, principal, asset)


def shown_asset_report(session: Session, principal: Principal | None, asset_id: int) -> ShownReport:
    """``asset_report`` with the asset's title, for its HTML page (the same visibility: samples
    for owner and operators)."""
    shown = asset_report(session, principal, asset_id)
    asset = visible_asset(session, principal, asset_id)
    assert shown.report is not None
    assert shown.report_hash is not None
    return ShownReport(
        report=QualityReport.model_validate(shown.report),
        asset_id=asset_id,
        asset_title=asset.title,
        revision=shown.revision,
        report_hash=shown.report_hash,
    )


def latest_finished_report(
    session: Session, asset_id: int, number: int
) -> tuple[QualityReport | None, str | None]:
    """The report of the revision's latest finished evaluation and its hash, for another domain
    that relies on it (a valuation fills its cost approach's scores from it and records the
    hash); (None, None) if the revision has no finished evaluation. The full report: the caller
    decides what it shows."""
    found = repository.latest(session, asset_id, number, done_only=True)
    if found is None:
        return None, None
    report = QualityReport.model_validate(found.report) if found.report is not None else None
    return report, found.report_hash


def anchored_report(session: Session, asset_id: int, report_hash: str) -> tuple[int, int] | None:
    """The revision and the journal seq of the asset's finished, journaled quality report with
    this hash (an order's quality check cites it); None if there is none. No visibility check:
    the caller decides."""
    found = repository.by_report_hash(session, asset_id, report_hash)
    if found is None or found.journal_seq is None:
        return None
    return found.revision, found.journal_seq


def report_by_hash(
    session: Session, principal: Principal | None, asset_id: int, report_hash: str
) -> QualityReport | None:
    """The asset's quality report with this hash as the caller may see it (sample values only
    for the owner and operators); None if there is none or its revision is hidden from the
    caller."""
    asset = visible_asset(session, principal, asset_id)
    found = repository.by_report_hash(session, asset_id, report_hash)
    if found is None or not visibility.may_see_revision(principal, asset, found.revision):
        return None
    shown = evaluation_public(found, principal, asset)
    return QualityReport.model_validate(shown.report) if shown.report else None


def finished_overall_score(session: Session, asset_id: int, number: int) -> float | None:
    """The overall score of the revision's latest finished evaluation, read without validating
    the report (the catalog shows one per row); None if there is none. No visibility check: the
    caller asks only for a revision it may show."""
    evaluation = repository.latest(session, asset_id, number, done_only=True)
    report = None if evaluation is None else evaluation.report
    overall = None if not report else report.get("overall")
    return float(overall) if isinstance(overall, int | float) else None


def report_seq(session: Session, asset_id: int, revision: int) -> int | None:
    """The journal seq of the revision's latest anchored quality report (``quality.assessed``),
    if it has one. For another domain, which decides who may see it."""
    found = repository.latest(session, asset_id, revision, done_only=True)
    return None if found is None else found.journal_seq
