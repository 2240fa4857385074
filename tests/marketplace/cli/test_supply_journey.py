"""The whole supply journey with the CLI only, each person with their own credentials:
operator verifies and grants roles, supplier registers, corrects the schema and re-runs quality,
operator rejects with reasons then approves, supplier reads the reasons, lists and delists."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.cli import app as cli
from tests.marketplace.assets.helpers import CSV
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


class Person:
    """One user of the CLI: their own config directory (their own stored token)."""

    def __init__(self, config: Path, url: str) -> None:
        config.mkdir()
        self.env = {"DATABOURSE_CONFIG_DIR": str(config)}
        self.url = url

    def run(self, *args: str, ok: bool = True) -> Result:
        result = CliRunner().invoke(cli, [*args, "--url", self.url], env=self.env)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def say(self, *args: str) -> str:
        """What a successful command printed, with rich's line wrapping undone."""
        return " ".join(self.run(*args).output.split())


def _row_id(output: str, name: str) -> int:
    found = re.search(rf"(\d+)\s*│\s*{name}", output)
    assert found, output
    return int(found.group(1))


def test_the_supply_journey_needs_nothing_but_the_cli(base_url: str, tmp_path: Path) -> None:
    ops = Person(tmp_path / "ops", base_url)
    dora = Person(tmp_path / "dora", base_url)
    anyone = Person(tmp_path / "anyone", base_url)
    ops.run("login", "--email", OPERATOR_EMAIL, "--password", PASSWORD)
    dora.run(
        "signup", "--email", "dora@supplier.test", "--organization", "Dora Data",
        "--role", "supplier", "--password", PASSWORD,
    )  # fmt: skip

    waiting = ops.run("org", "list", "--unverified").output
    org_id = _row_id(waiting, "Dora Data")
    assert "verified" in ops.run("org", "verify", str(org_id)).output
    granted = ops.say("org", "grant", str(org_id), "buyer")
    assert "now has roles: buyer, supplier" in granted
    assert "Dora Data" not in ops.run("org", "list", "--unverified").output

    source = tmp_path / "prices.csv"
    source.write_bytes(CSV)
    registered = dora.run(
        "asset", "register", str(source), "--title", "Fruit prices", "--license", "CC-BY-4.0",
        "--authority-statement", "collected at our own stalls",
    )  # fmt: skip
    asset_id = registered.stdout.strip().splitlines()[-1]

    table_schema = json.loads(dora.run("asset", "schema", asset_id).stdout)
    assert [f["name"] for f in table_schema["fields"]] == ["id", "name", "price"]
    table_schema["fields"][2]["constraints"] = {"minimum": 0}
    corrected = tmp_path / "schema.json"
    corrected.write_text(json.dumps(table_schema))
    corrected_said = dora.say("asset", "schema", asset_id, "--set", str(corrected))
    assert "schema corrected" in corrected_said
    assert f"follow it with bourse quality status {asset_id}" in corrected_said
    assert json.loads(dora.run("asset", "schema", asset_id).stdout) == {
        **table_schema, "missingValues": [""],
    }  # fmt: skip
    rerun = dora.say("quality", "rerun", asset_id)
    assert f"of asset {asset_id} revision 1 is queued" in rerun
    assert "done" in dora.say("quality", "status", asset_id, "--timeout", "60")

    dora.run("asset", "submit", asset_id)
    assert re.search(rf"{asset_id}\s*│\s*Fruit prices", ops.run("review", "queue").output)
    rejected = ops.say(
        "review", "reject", asset_id, "--failed", "authority",
        "--reason", "name the stall contract that gives you the right to sell",
    )  # fmt: skip
    assert "rejected" in rejected
    assert "the asset is now rejected" in rejected
    reasons = dora.say("asset", "reviews", asset_id)
    assert "failed: authority" in reasons
    assert "name the stall contract that gives you the right to sell" in reasons
    statement = "We sell under stall contract 2024-17 with the market board."
    edited = dora.say("asset", "edit", asset_id, "--authority-statement", statement)
    assert "metadata changed (authority_proof)" in edited
    assert statement in dora.say("asset", "show", asset_id)
    assert dora.run("asset", "edit", asset_id, ok=False).exit_code == 2  # nothing to change

    dora.run("asset", "submit", asset_id)
    approved = ops.say("review", "approve", asset_id, "--note", "authority=contract 2024-17 seen")
    assert "the asset is now approved" in approved
    assert "is listed" in dora.say("asset", "list", asset_id)
    assert "Fruit prices" in anyone.run("asset", "search", "fruit").output
    assert "is delisted" in dora.say("asset", "delist", asset_id)
    assert "Fruit prices" not in anyone.run("asset", "search", "fruit").output


def test_review_commands_refuse_bad_input_before_calling_the_exchange(
    base_url: str, tmp_path: Path
) -> None:
    ops = Person(tmp_path / "ops", base_url)
    ops.run("login", "--email", OPERATOR_EMAIL, "--password", PASSWORD)
    no_item = ops.run("review", "reject", "1", "--reason", "no", ok=False)
    assert no_item.exit_code == 2
    assert "--failed ITEM" in no_item.output
    bad_item = ops.run("review", "reject", "1", "--reason", "x", "--failed", "mood", ok=False)
    assert bad_item.exit_code == 2
    assert "unknown checklist item 'mood'" in bad_item.output
    missing = ops.run("review", "approve", "999", ok=False)
    assert missing.exit_code == 1
    assert "asset_not_found" in missing.output


def test_a_receipt_is_fetched_without_login(base_url: str, tmp_path: Path) -> None:
    anyone = Person(tmp_path / "anyone", base_url)
    result = anyone.run("ledger", "receipt", "1", ok=False)
    assert result.exit_code == 1
    assert "not_anchored" in result.output  # the exchange answered; no login was asked for
    assert "not logged in" not in result.output
