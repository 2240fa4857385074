"""``bourse.pricing`` against a real server: the owner's price suggestion, and the refusal for
anyone else."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.client.conftest import listed, uploaded, verified_supplier
from tests.marketplace.valuation.helpers import INCOME


def test_the_owner_gets_a_suggestion_from_its_valuation(
    supplier: Databourse, tmp_path: Path
) -> None:
    asset_id = uploaded(supplier, tmp_path)
    nothing = supplier.pricing.suggestion(asset_id)
    assert nothing.mid_minor is None
    assert nothing.reasoning[-1] == "No valuation and no comparables: no suggestion."

    supplier.valuation.issue(asset_id, {"income": INCOME})
    shown = supplier.pricing.suggestion(asset_id)

    assert (shown.low_minor, shown.mid_minor, shown.high_minor) == (497_370,) * 3
    assert shown.valuation is not None
    assert (
        shown.reasoning[-1]
        == "Suggested: 4,973.70 CNY to 4,973.70 CNY, 4,973.70 CNY in the middle."
    )


def test_another_organisation_is_refused(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    with (
        verified_supplier(base_url, ops, "bob@rival.test", "Bob Data") as rival,
        pytest.raises(DatabourseClientError) as caught,
    ):
        rival.pricing.suggestion(asset_id)
    assert (caught.value.status, caught.value.code) == (403, "not_asset_owner")
