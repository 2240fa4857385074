"""Quality evaluation rules: who may ask for one, the background job that runs it
(``evaluations``), and who sees what of the report (``reports``). Never commits (the job's units
of work commit at its own edge); renders nothing (the pages do)."""

from marketplace.quality.service.evaluations import (
    delete_for_draft,
    evaluate_after_correction,
    request_evaluation,
    run_evaluation,
    start_after_upload,
)
from marketplace.quality.service.reports import (
    ShownReport,
    anchored_report,
    asset_report,
    evaluation_public,
    finished_overall_score,
    latest_finished_report,
    report_by_hash,
    report_seq,
    revision_evaluation,
    shown_asset_report,
)

__all__ = [
    "ShownReport",
    "anchored_report",
    "asset_report",
    "delete_for_draft",
    "evaluate_after_correction",
    "evaluation_public",
    "finished_overall_score",
    "latest_finished_report",
    "report_by_hash",
    "report_seq",
    "request_evaluation",
    "revision_evaluation",
    "run_evaluation",
    "shown_asset_report",
    "start_after_upload",
]
