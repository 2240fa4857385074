"""``bourse.quality``: quality evaluations of an asset's revisions, and the report buyers read.
Its schemas are imported where used: the quality package pulls in polars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace.client.session import Session

if TYPE_CHECKING:
    from marketplace.quality.schemas import EvaluationPublic


class Quality:
    def __init__(self, session: Session) -> None:
        self._session = session

    def evaluate(self, asset_id: int, revision: int, **declarations: Any) -> EvaluationPublic:
        """Queue an evaluation (``table_schema``, ``rules``, ``update_frequency``,
        ``timestamp_field`` optional). Tabular uploads are evaluated by themselves already."""
        from marketplace.quality.schemas import EvaluationPublic

        path = f"/assets/{asset_id}/revisions/{revision}/quality"
        return self._session.call(EvaluationPublic, "POST", path, json=declarations)

    def of_revision(self, asset_id: int, revision: int) -> EvaluationPublic:
        """The latest evaluation of a revision: ``status`` and ``progress_percent``, then the
        report."""
        from marketplace.quality.schemas import EvaluationPublic

        path = f"/assets/{asset_id}/revisions/{revision}/quality"
        return self._session.call(EvaluationPublic, "GET", path)

    def of_asset(self, asset_id: int) -> EvaluationPublic:
        """The asset's quality report, as buyers see it before buying."""
        from marketplace.quality.schemas import EvaluationPublic

        return self._session.call(EvaluationPublic, "GET", f"/assets/{asset_id}/quality")

    def report_html(self, asset_id: int) -> str:
        """The asset's quality report as an HTML page."""
        return self._session.request("GET", f"/assets/{asset_id}/quality/report.html").text
