"""``bourse listing`` against a served exchange: a supplier lists its approved asset from
options, anyone shows it (and its ODRL policy) without logging in, and bad prices are refused
with the exchange's message."""

from __future__ import annotations

import json
from pathlib import Path

from marketplace.client import Databourse
from tests.marketplace.assets.helpers import CHECKLIST_OK
from tests.marketplace.cli.test_assets import base_url, config, run, supplier  # noqa: F401 -- fixtures
from tests.marketplace.client.conftest import uploaded
from tests.marketplace.identity.helpers import PASSWORD


def _approved(owner: Databourse, url: str, tmp_path: Path) -> int:
    asset_id = uploaded(owner, tmp_path)
    owner.assets.submit(asset_id)
    with Databourse(url) as ops:
        ops.identity.login("ops@databourse.test", PASSWORD)
        ops.assets.review(asset_id, decision="approved", checklist=CHECKLIST_OK)
    return asset_id


def test_a_supplier_lists_from_the_command_line_and_anyone_reads_it(
    base_url: str,  # noqa: F811 -- the fixture
    supplier: Databourse,  # noqa: F811 -- the fixture
    tmp_path: Path,
    config: Path,  # noqa: F811 -- the fixture
) -> None:
    asset_id = _approved(supplier, base_url, tmp_path)

    made = run(
        "listing", "create", str(asset_id), "--purpose", "research", "--purpose", "journalism",
        "--territory", "CN", "--max-downloads", "3", "--fixed", "1250", "--url", base_url,
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    assert "1,250.00 CNY, paid once" in made.output
    assert made.output.splitlines()[-1] == "1"  # the new listing's id, alone
    assert "Permitted for: research, journalism." in made.output
    (config / "credentials.json").write_text("{}")  # logged out
    shown = run("listing", "show", "1", "--url", base_url)
    assert shown.exit_code == 0, shown.output
    assert "At most 3 downloads" in shown.output
    policy = run("listing", "show", "1", "--odrl", "--url", base_url)
    assert json.loads(policy.output)["@type"] == "Offer"
    asset = run("asset", "show", str(asset_id), "--url", base_url)
    assert asset.exit_code == 0, asset.output
    assert asset.output.index("1,250.00 CNY, paid once") < asset.output.index("classification")


def test_a_bad_price_is_refused_with_the_exchanges_message(
    base_url: str,  # noqa: F811 -- the fixture
    supplier: Databourse,  # noqa: F811 -- the fixture
    tmp_path: Path,
) -> None:
    asset_id = _approved(supplier, base_url, tmp_path)
    refused = run(
        "listing", "create", str(asset_id), "--purpose", "research", "--price",
        '{"kind": "metered", "unit": "row", "unit_price": "5", "cap": "1"}', "--url", base_url,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "cap_minor must be at least one unit's price" in " ".join(refused.output.split())
    minor = run(
        "listing", "create", str(asset_id), "--purpose", "research",
        "--price", '{"kind": "fixed", "amount_minor": 125000}', "--url", base_url,
    )  # fmt: skip
    assert minor.exit_code == 2
    assert 'give "amount" in CNY' in minor.output
    decimals = run("listing", "create", str(asset_id), "--purpose", "research",
                   "--fixed", "12.345", "--url", base_url)  # fmt: skip
    assert decimals.exit_code == 2
    assert "more than 2 decimals" in decimals.output
    neither = run("listing", "create", str(asset_id), "--purpose", "research", "--url", base_url)
    assert neither.exit_code == 2
