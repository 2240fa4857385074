"""``bourse.valuation`` against a real server: an indicative valuation, a valuer's draft and
certified valuation, and reading them back by asset and by id."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.client.conftest import listed
from tests.marketplace.identity.helpers import PASSWORD
from tests.marketplace.valuation.helpers import COST, INCOME


def test_an_indicative_valuation_is_issued_and_read_back(
    supplier: Databourse, ops: Databourse, bourse: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    issued = supplier.valuation.issue(asset_id, {"income": INCOME})
    assert (issued.asset_id, issued.kind, issued.value_minor) == (asset_id, "indicative", 497_370)
    assert [v.id for v in bourse.valuation.for_asset(asset_id)] == [issued.id]
    assert bourse.valuation.get(asset_id, issued.id).report_hash == issued.report_hash
    assert bourse.valuation.by_id(issued.id).asset_id == asset_id
    page = bourse.valuation.report_html(asset_id, issued.id)
    assert "Income" in page
    assert "4,973.70" in page


def test_a_valuer_drafts_then_certifies_a_valuation(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    with Databourse(base_url) as valuer:
        valuer.identity.signup("vera@appraisal.test", PASSWORD, organization="Vera", roles=[])
        org_id = valuer.identity.me().organization.id
        ops.identity.grant_role(org_id, "valuer")
        ops.identity.verify_organization(org_id)
        draft = valuer.valuation.draft(asset_id, {"cost": COST})
        assert draft["typed_data"]["primaryType"] == "CertifiedValuation"
        assert draft["typed_data"]["message"]["reportHash"] == draft["report_hash"]
        assert draft["typed_data"]["message"]["valuer"] == valuer.identity.me().account.address
        assert valuer.valuation.for_asset(asset_id) == []  # a draft writes nothing
        certified = valuer.valuation.issue(asset_id, {"cost": COST}, certified=True)
        assert certified.kind == "certified"
        assert certified.signature is not None
    with pytest.raises(DatabourseClientError) as caught:
        supplier.valuation.draft(asset_id, {"cost": COST})
    assert caught.value.status == 403
