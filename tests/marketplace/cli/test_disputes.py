"""``bourse dispute …`` and ``bourse.disputes`` against a served exchange: the buyer opens a
dispute from the command line, the drawn arbitrator rules through the client (custodial) and a
self-custody signature is checked, the buyer lists and shows it, and ``bourse dispute execute
--once`` executes the ruling once the appeal window has ended."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import Result

from marketplace.client import Databourse, DatabourseClientError
from marketplace.settings import get_settings
from tests.marketplace.cli.test_orders import buyer_cli, listing, ops, run
from tests.marketplace.identity.helpers import PASSWORD, serve_exchange
from tests.marketplace.orders.money import balance, deliver, fund, reconciled
from tests.marketplace.orders.test_periods import MONTHLY

__all__ = ["buyer_cli", "ops"]


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The exchange, and ``bourse dispute execute`` reading the same database."""
    monkeypatch.setenv("DATABOURSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    # The command opens the test database itself (on PostgreSQL, the test's own schema).
    monkeypatch.setattr("marketplace.db.make_engine", lambda _url: engine)
    with serve_exchange(engine, blob_url=f"file://{tmp_path / 'blobs'}") as url:
        yield url
    get_settings.cache_clear()


def test_open_rule_list_show_and_execute(
    *,
    base_url: str,
    ops: Databourse,
    buyer_cli: Databourse,
    tmp_path: Path,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Databourse(base_url) as judge:
        judge.identity.signup(
            "jo@arbiters.test", PASSWORD, organization="Jo Arbiters", roles=["buyer"]
        )
        org = judge.identity.me().organization.id
        ops.identity.verify_organization(org)
        ops.identity.grant_role(org, "arbitrator")
        buyer_org = buyer_cli.identity.me().organization.id
        fund(engine, buyer_org, 200_000)
        listing_id = listing(base_url, ops, tmp_path)
        bought = run("buy", str(listing_id), "--purpose", "research", "--url", base_url)
        assert bought.exit_code == 0, bought.output
        order_id = int(bought.output.strip().splitlines()[-1])
        deliver(engine, order_id)

        opened = run(
            "dispute", "open", str(order_id), "--reason", "not_as_described",
            "--statement", "The columns differ from the listing.", "--url", base_url,
        )  # fmt: skip
        assert opened.exit_code == 0, opened.output
        dispute_id = int(opened.output.strip().splitlines()[-1])
        assert f"dispute {dispute_id} on order {order_id}: open" in opened.output
        again = run("dispute", "open", str(order_id), "--reason", "other", "--statement", "x",
                    "--url", base_url)  # fmt: skip
        assert again.exit_code != 0
        assert "dispute_exists" in again.output or "has a dispute already" in again.output

        shown = judge.disputes.get(dispute_id)
        closes = shown.evidence_closes_at + timedelta(seconds=1)
        monkeypatch.setattr("marketplace.disputes.endpoints.case.utc_now", lambda: closes)
        with pytest.raises(DatabourseClientError) as bad:  # a signature over something else
            judge.disputes.rule(dispute_id, outcome="refund", reasons="r", private_key=b"\x01" * 32)
        assert bad.value.status == 422
        ruled = judge.disputes.rule(dispute_id, outcome="refund", reasons="Not as described.")
        assert (ruled.status, ruled.supplier_bp) == ("ruled", 0)

        listed = run("dispute", "list", "--url", base_url)
        assert f"{dispute_id}: order {order_id}, ruled" in listed.output
        show = run("dispute", "show", str(dispute_id), "--url", base_url)
        assert "refund (0 bp to the supplier)" in show.output

        assert ruled.appeal_closes_at is not None
        when = ruled.appeal_closes_at + timedelta(seconds=1)
        monkeypatch.setattr("marketplace.disputes.execution_job.utc_now", lambda: when)
        executed = run("dispute", "execute", "--once")
        assert executed.exit_code == 0, executed.output
        assert f"executed 1 rulings [{dispute_id}]" in executed.output
        assert run("dispute", "execute", "--once").output.startswith("executed 0 rulings")
        assert balance(engine, buyer_org) == (200_000, 0)
        assert reconciled(engine)
        assert buyer_cli.disputes.get(dispute_id).status == "executed"


def _arbitrator(base_url: str, ops: Databourse, email: str, name: str) -> int:
    """A verified arbitration body's organisation id."""
    with Databourse(base_url) as judge:
        judge.identity.signup(email, PASSWORD, organization=name, roles=["buyer"])
        org = judge.identity.me().organization.id
    ops.identity.verify_organization(org)
    ops.identity.grant_role(org, "arbitrator")
    return org


def test_bourse_dispute_open_names_a_period_of_a_subscription(
    *, base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    _arbitrator(base_url, ops, "jo@arbiters.test", "Jo")
    fund(engine, buyer_cli.identity.me().organization.id, 200_000)
    listing_id = listing(base_url, ops, tmp_path, price_model=MONTHLY)
    order_id = buyer_cli.orders.buy(listing_id, purpose="research").id

    def open_(*extra: str) -> Result:
        return run(
            "dispute", "open", str(order_id), "--reason", "not_delivered", "--statement",
            "Nothing came this month.", "--url", base_url, *extra,
        )  # fmt: skip

    whole = open_()
    assert whole.exit_code != 0
    assert "dispute_state" in whole.output or "names the period" in whole.output
    missing = open_("--period", "9")
    assert missing.exit_code != 0
    assert "no period 9" in missing.output
    opened = open_("--period", "1")
    assert opened.exit_code == 0, opened.output
    dispute_id = int(opened.output.strip().splitlines()[-1])
    assert f"dispute {dispute_id} on period 1 of order {order_id}: open" in opened.output
    assert buyer_cli.disputes.get(dispute_id).period == 1


def test_an_operator_redraws_a_dispute_that_kept_its_suspended_arbitrator(
    *, base_url: str, ops: Databourse, buyer_cli: Databourse, tmp_path: Path, engine: Engine
) -> None:
    only = _arbitrator(base_url, ops, "jo@arbiters.test", "Jo Arbiters")
    fund(engine, buyer_cli.identity.me().organization.id, 200_000)
    bought = run("buy", str(listing(base_url, ops, tmp_path)), "--purpose", "research",
                 "--url", base_url)  # fmt: skip
    assert bought.exit_code == 0, bought.output
    order_id = int(bought.output.strip().splitlines()[-1])
    deliver(engine, order_id)
    dispute = buyer_cli.disputes.open(order_id, reason="other", statement="Not as described.")
    ops.identity.suspend_organization(only, "took money from a party")  # no one else to draw
    _arbitrator(base_url, ops, "ka@arbiters.test", "Ka Arbiters")
    credentials = tmp_path / "config" / "credentials.json"
    credentials.write_text(json.dumps({base_url: ops.token}))  # the CLI acts as the operator

    redrawn = run("dispute", "redraw", str(dispute.id), "--url", base_url)

    assert redrawn.exit_code == 0, redrawn.output
    (replaced,) = [a for a in buyer_cli.disputes.get(dispute.id).assignments if a.replaced_seq]
    assert f"draw entry {replaced.drawn_seq}, replaced by draw entry {replaced.replaced_seq}" in (
        redrawn.output
    )
    again = run("dispute", "redraw", str(dispute.id), "--url", base_url)
    assert again.exit_code != 0
    assert "awaits a re-draw" in again.output
