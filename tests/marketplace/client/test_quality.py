"""``bourse.quality`` against a real server: an upload's evaluation, a re-run with
declarations, and the report as buyers read it."""

from __future__ import annotations

import time
from pathlib import Path

from marketplace.client import Databourse
from tests.marketplace.client.conftest import listed

EVALUATION_WAIT_S_MAX = 30


def _done(client: Databourse, asset_id: int, revision: int) -> dict[str, object]:
    deadline = time.monotonic() + EVALUATION_WAIT_S_MAX
    while (got := client.quality.of_revision(asset_id, revision)).status != "done":
        assert got.status != "failed", got.error
        assert time.monotonic() < deadline, f"still {got.status} after {EVALUATION_WAIT_S_MAX} s"
        time.sleep(0.1)
    assert got.progress_percent == 100
    assert got.report is not None
    return got.report


def test_an_upload_is_evaluated_and_buyers_read_the_report(
    supplier: Databourse, ops: Databourse, bourse: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    report = _done(supplier, asset_id, 1)
    assert report["rows"] == 2
    public = bourse.quality.of_asset(asset_id)
    assert (public.asset_id, public.revision, public.status) == (asset_id, 1, "done")
    assert public.report is not None
    assert public.report["overall"] == report["overall"]
    page = bourse.quality.report_html(asset_id)
    assert "<svg" in page
    assert "completeness" in page


def test_a_requested_evaluation_judges_under_the_new_declarations(
    supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    _done(supplier, asset_id, 1)
    queued = supplier.quality.evaluate(asset_id, 1, update_frequency="weekly")
    assert (queued.asset_id, queued.revision) == (asset_id, 1)
    report = _done(supplier, asset_id, 1)
    assert report["declared"]["update_frequency"] == "weekly"
