"""``bourse.objections`` against a real server: a rival files an objection, both sides and the
operator read it, the operator upholds it (and the asset is suspended on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.client import Databourse, DatabourseClientError
from tests.marketplace.client.conftest import listed, verified_supplier

STATEMENT = "We collected these prices ourselves; see the signed contract."
EVIDENCE = ["ab" * 32]


def test_an_objection_is_filed_read_and_upheld(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    with verified_supplier(base_url, ops, "rex@rival.test", "Rex Data") as rival:
        filed = rival.objections.file(
            asset_id, reason_code="ownership", statement=STATEMENT, evidence_hashes=EVIDENCE
        )
        assert (filed.asset_id, filed.status, filed.evidence_hashes) == (
            asset_id,
            "open",
            EVIDENCE,
        )
        assert filed.organization_id == rival.identity.me().organization.id
        assert [o.id for o in supplier.objections.for_asset(asset_id)] == [filed.id]
        assert [o.id for o in rival.objections.search(status="open").items] == [filed.id]
        assert supplier.objections.search(status="upheld").total == 0
        assert supplier.objections.get(filed.id).statement == STATEMENT
        with pytest.raises(DatabourseClientError) as caught:
            rival.objections.decide(filed.id, decision="upheld", reasons="mine")
        assert caught.value.status == 403
        upheld = ops.objections.decide(filed.id, decision="upheld", reasons="contract predates")
        assert (upheld.status, upheld.resolution) == ("upheld", "contract predates")
        assert rival.objections.get(filed.id).status == "upheld"
    assert supplier.assets.get(asset_id).status == "suspended"


def test_the_operator_suspends_an_asset_on_an_objection(
    base_url: str, supplier: Databourse, ops: Databourse, tmp_path: Path
) -> None:
    asset_id = listed(supplier, ops, tmp_path)
    with verified_supplier(base_url, ops, "rex@rival.test", "Rex Data") as rival:
        filed = rival.objections.file(
            asset_id, reason_code="ownership", statement=STATEMENT, evidence_hashes=EVIDENCE
        )
    suspended = ops.assets.suspend(asset_id, "rights contested", objection_id=filed.id)
    assert suspended.status == "suspended"
    dismissed = ops.objections.decide(filed.id, decision="dismissed", reasons="no standing")
    assert dismissed.status == "dismissed"
    assert supplier.assets.get(asset_id).status == "listed"
