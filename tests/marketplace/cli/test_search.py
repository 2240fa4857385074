"""``bourse search`` against a served exchange: without logging in, a buyer finds listings by
words and filters, sees price and terms first, and follows the printed cursor."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from marketplace.client import Databourse
from tests.marketplace.cli.test_assets import base_url, config, run, supplier  # noqa: F401 -- fixtures
from tests.marketplace.cli.test_listings import _approved
from tests.marketplace.listings.helpers import FIXED, TERMS
from tests.marketplace.search.catalog import index_listing


def test_anyone_searches_the_catalog_from_the_command_line(
    base_url: str,  # noqa: F811 -- the fixture
    supplier: Databourse,  # noqa: F811 -- the fixture
    engine: Engine,
    tmp_path: Path,
    config: Path,  # noqa: F811 -- the fixture
) -> None:
    asset_id = _approved(supplier, base_url, tmp_path)
    cheap = supplier.listings.create(asset_id, TERMS, {"kind": "fixed", "amount_minor": 9_000})
    dear = supplier.listings.create(asset_id, TERMS, FIXED)
    for listing in (cheap, dear):
        index_listing(engine, listing, title="Hangzhou air quality 杭州市空气质量监测数据")
    (config / "credentials.json").write_text("{}")  # logged out

    found = run("search", "空气质量", "--sort", "price_asc", "--limit", "1", "--url", base_url)

    assert found.exit_code == 0, found.output
    assert "90.00 CNY, paid once" in found.output
    assert "Permitted for: research" in found.output
    assert "1,250.00" not in found.output
    cursor = found.output.split("--cursor ")[1].split()[0]
    more = run("search", "空气质量", "--sort", "price_asc", "--cursor", cursor, "--url", base_url)
    assert more.exit_code == 0, more.output
    assert "1,250.00 CNY, paid once" in more.output
    assert "--cursor" not in more.output


def test_search_syntax_is_plain_words_and_bad_options_are_refused(
    base_url: str,  # noqa: F811 -- the fixture
) -> None:
    plain = run("search", '"air', "NEAR(", "*", "--url", base_url)
    assert plain.exit_code == 0, plain.output
    assert "no listing found" in plain.output
    refused = run("search", "--purpose", "world_domination", "--url", base_url)
    assert refused.exit_code == 1
    assert "invalid_request" in refused.output
