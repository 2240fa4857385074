"""``bourse demand`` against a served exchange: a buyer posts a demand with required fields, lists
its demands, reads the matches and closes it; a bad option is refused before any request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.cli import app as cli
from marketplace.client import Databourse
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD, serve_exchange


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url


@pytest.fixture
def buyer(base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Databourse]:
    """A verified buyer, logged in for the CLI too."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(config))
    client = Databourse(base_url)
    client.identity.signup("bea@buyer.test", PASSWORD, organization="Bea Buys", roles=["buyer"])
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        ops.identity.verify_organization(client.identity.me().organization.id)
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))
    with client:
        yield client


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_a_buyer_posts_lists_matches_and_closes_a_demand(base_url: str, buyer: Databourse) -> None:
    empty = run("demand", "list", "--url", base_url)
    assert empty.exit_code == 0, empty.output
    assert "posted no demand: bourse demand post" in empty.output
    posted = run(
        "demand", "post", "--title", "Hourly air quality", "--keyword", "空气质量",
        "--field", "city", "--field", "pm25:number", "--field", "ts:datetime",
        "--quality-min", "70", "--purpose", "research", "--budget-min", "1000",
        "--budget-max", "5000", "--deadline", "30d", "--json", "--url", base_url,
    )  # fmt: skip
    assert posted.exit_code == 0, posted.output
    demand = json.loads(posted.output)
    assert [f["name"] for f in demand["fields"]] == ["city", "pm25", "ts"]
    assert demand["fields"][1]["type"] == "number"
    assert demand["quality_min"] == 70

    listed = run("demand", "list", "--json", "--url", base_url)
    assert listed.exit_code == 0, listed.output
    assert [d["title"] for d in json.loads(listed.output)["items"]] == ["Hourly air quality"]
    table = run("demand", "list", "--url", base_url)
    assert table.exit_code == 0, table.output
    assert "research" in table.output
    assert "1,000.00 to" in table.output  # the table wraps the budget's cell
    assert "5,000.00 CNY" in table.output
    again = run(
        "demand", "post", "--title", "Daily rainfall", "--purpose", "research",
        "--budget-min", "1000", "--budget-max", "2500.50", "--deadline", "30d",
        "--url", base_url,
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "budget 1,000.00 to 2,500.50 CNY" in " ".join(again.output.split())  # unwrapped
    assert again.output.splitlines()[-1] == str(demand["id"] + 1)

    matches = run("demand", "matches", str(demand["id"]), "--url", base_url)
    assert matches.exit_code == 0, matches.output
    assert "0 candidate listings scored; demand is open" in matches.output

    closed = run("demand", "close", str(demand["id"]), "--url", base_url)
    assert closed.exit_code == 0, closed.output
    assert f"demand {demand['id']}" in closed.output
    assert "closed" in closed.output
    assert buyer.demands.get(demand["id"]).status == "closed"

    again = run("demand", "close", str(demand["id"]), "--url", base_url)
    assert again.exit_code != 0
    assert "cannot close a demand that is closed" in again.output


def test_a_past_deadline_is_refused_with_the_exchanges_message(
    base_url: str, buyer: Databourse
) -> None:
    result = run(
        "demand", "post", "--title", "x", "--purpose", "research", "--budget-min", "0.01",
        "--budget-max", "0.02", "--deadline", "2020-01-01T00:00:00Z", "--url", base_url,
    )  # fmt: skip
    assert result.exit_code != 0
    assert "has passed" in result.output
    assert buyer.demands.mine().items == []


@pytest.mark.parametrize(
    ("deadline", "said"),
    [
        ("\u00b2d", "give an ISO 8601 time"),  # a superscript two: a digit to str.isdigit only
        ("9" * 5000 + "d", "give an ISO 8601 time"),  # more digits than int() reads
        ("99999999999d", "past the year 9999"),
        ("2030-01-01T00:00:00", "give a time zone"),
    ],
)
def test_a_deadline_the_cli_cannot_read_is_refused_before_any_request(
    base_url: str, buyer: Databourse, deadline: str, said: str
) -> None:
    result = run(
        "demand", "post", "--title", "x", "--purpose", "research", "--budget-min", "0.01",
        "--budget-max", "0.02", "--deadline", deadline, "--url", base_url,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--deadline" in result.output
    assert said in result.output
    assert buyer.demands.mine().items == []


def test_no_open_demand_says_so(base_url: str, buyer: Databourse) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        ops.identity.grant_role(buyer.identity.me().organization.id, "supplier")
    result = run("demand", "list", "--open", "--url", base_url)
    assert result.exit_code == 0, result.output
    assert "no open demand to answer" in result.output
    matched = run("demand", "matched", "--url", base_url)
    assert matched.exit_code == 0, matched.output
    assert "no open demand matches your listings (0 scanned)" in matched.output
    as_json = run("demand", "matched", "--json", "--url", base_url)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["items"] == []
