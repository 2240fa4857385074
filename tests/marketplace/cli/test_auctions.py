"""``bourse auction`` and ``bourse bid`` against a real server whose auction clock the test
moves: the salt is made locally and kept in a private file, the reveal reads it, and anyone
shows and resolves the auction without logging in."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from marketplace.auctions.commitment import commitment
from marketplace.cli import app as cli
from marketplace.cli.auctions import bid_file
from marketplace.client import Databourse
from tests.marketplace.auctions.helpers import (
    Clock,
    client_exclusive_listing,
    client_party,
    served_exchange,
)
from tests.marketplace.identity.helpers import OPERATOR_EMAIL, PASSWORD


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def base_url(engine: Engine, tmp_path: Path, clock: Clock) -> Iterator[str]:
    with served_exchange(engine, tmp_path / "blobs", clock) as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("DATABOURSE_CONFIG_DIR", str(path))
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def login_as(config: Path, base_url: str, client: Databourse) -> None:
    (config / "credentials.json").write_text(json.dumps({base_url: client.token}))


def test_an_auction_runs_through_the_cli(base_url: str, config: Path, clock: Clock) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = client_party(base_url, ops, "dora@s.test", "Dora", ["supplier"])
        carol = client_party(base_url, ops, "carol@b.test", "Carol", ["buyer"])
        listing = client_exclusive_listing(base_url, supplier, ops)
    login_as(config, base_url, supplier)
    created = run("auction", "create", str(listing), "--reserve", "1000",
                  "--commit-until", "1h", "--reveal-until", "1h", "--url", base_url)  # fmt: skip
    assert created.exit_code == 0, created.output
    auction_id = int(created.output.split()[1])
    assert "committing" in created.output
    assert "reserve 1,000.00 CNY" in created.output
    assert created.output.splitlines()[-1] == str(auction_id)

    login_as(config, base_url, carol)
    committed = run("bid", "commit", str(auction_id), "--amount", "3,000.00 CNY",
                    "--purpose", "research", "--url", base_url)  # fmt: skip
    assert committed.exit_code == 0, committed.output
    assert committed.output.splitlines()[-1] == str(carol.auctions.my_bid(auction_id).id)
    kept = bid_file(base_url, auction_id)
    assert str(kept) in committed.output.replace("\n", "")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    bid = json.loads(kept.read_text())
    address = carol.identity.me().account.address
    assert bid["amount_minor"] == 300_000
    assert carol.auctions.my_bid(auction_id).commitment == commitment(
        auction_id, address, 300_000, bid["salt"]
    )
    again = run("bid", "commit", str(auction_id), "--amount", "0.01", "--purpose", "research",
                "--url", base_url)  # fmt: skip
    assert again.exit_code == 1
    assert json.loads(kept.read_text()) == bid  # the kept salt is never overwritten

    clock.advance(hours=1, minutes=1)
    revealed = run("bid", "reveal", str(auction_id), "--url", base_url)
    assert revealed.exit_code == 0, revealed.output
    assert "3,000.00 CNY" in revealed.output

    (config / "credentials.json").unlink()  # anyone: no login
    clock.advance(hours=1)
    resolved = run("auction", "resolve", str(auction_id), "--url", base_url)
    assert resolved.exit_code == 0, resolved.output
    assert "sold" in resolved.output
    assert "at 1,000.00 CNY" in resolved.output  # a single bid pays the reserve
    shown = run("auction", "show", str(auction_id), "--url", base_url)
    assert shown.exit_code == 0
    assert "sold" in shown.output
    supplier.close()
    carol.close()


def test_a_refused_commit_keeps_no_bid_file(base_url: str, config: Path) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        carol = client_party(base_url, ops, "carol@b.test", "Carol", ["buyer"])
    login_as(config, base_url, carol)
    result = run("bid", "commit", "999", "--amount", "5", "--purpose", "research",
                 "--url", base_url)  # fmt: skip
    assert result.exit_code == 1
    assert "auction_not_found" in result.output
    assert not bid_file(base_url, 999).exists()
    missing = run("bid", "reveal", "999", "--url", base_url)
    assert missing.exit_code == 1
    assert "does not exist" in missing.output
    carol.close()


def test_the_shortest_windows_are_given_in_seconds(base_url: str, config: Path) -> None:
    """``1m`` lands under the exchange's 60 s minimum by the time the request arrives; seconds
    let a user ask for a little more."""
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = client_party(base_url, ops, "dora@s.test", "Dora", ["supplier"])
        listing = client_exclusive_listing(base_url, supplier, ops)
    with supplier:
        login_as(config, base_url, supplier)
        created = run("auction", "create", str(listing), "--reserve", "1000", "--commit-until",
                      "90s", "--reveal-until", "60s", "--url", base_url)  # fmt: skip
        assert created.exit_code == 0, created.output
        assert "committing" in created.output
        auction = supplier.auctions.get(int(created.output.split()[1]))
        assert (auction.reveal_deadline - auction.commit_deadline).total_seconds() == 60
        wrong = run("auction", "create", str(listing), "--reserve", "1", "--commit-until", "soon",
                    "--url", base_url)  # fmt: skip
        assert wrong.exit_code == 2
        assert "90s, 30m, 2h, 3d" in wrong.output
        for span, said in (("\u00b2s", "90s, 30m"), ("99999999999d", "past the year 9999")):
            wrong = run("auction", "create", str(listing), "--reserve", "1",
                        "--reveal-until", span, "--url", base_url)  # fmt: skip
            assert wrong.exit_code == 2, wrong.output
            assert "--reveal-until" in wrong.output
            assert said in wrong.output
        assert [a.id for a in supplier.auctions.for_listing(listing)] == [auction.id]  # no second


def test_a_self_custody_winner_places_its_order_with_its_own_key(
    base_url: str, config: Path, clock: Clock
) -> None:
    wallet = Account.create()
    with Databourse(base_url) as ops, Databourse(base_url) as own:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = client_party(base_url, ops, "dora@s.test", "Dora", ["supplier"])
        own.identity.login_siwe(wallet.key, organization="Own Keys Ltd", roles=["buyer"])
        ops.identity.verify_organization(own.identity.me().organization.id)
        listing = client_exclusive_listing(base_url, supplier, ops)
        auction = supplier.auctions.open(
            listing, reserve_minor=100_000, commit_deadline=clock.now + timedelta(hours=1),
            reveal_deadline=clock.now + timedelta(hours=2),
        )  # fmt: skip
        _, salt = own.auctions.commit(
            auction.id, bidder=wallet.address, amount_minor=300_000, purpose="research"
        )
        clock.advance(hours=1, minutes=1)
        own.auctions.reveal(auction.id, amount_minor=300_000, salt=salt)
        clock.advance(hours=1)
        resolved = own.auctions.resolve(auction.id)
        assert resolved.result is not None
        assert resolved.result.order_id is None  # a self-custody winner signs its own order
        login_as(config, base_url, own)

        placed = CliRunner().invoke(
            cli, ["auction", "order", str(auction.id), "--url", base_url],
            env={"DATABOURSE_PRIVATE_KEY": "0x" + bytes(wallet.key).hex(), "COLUMNS": "200"},
        )  # fmt: skip
        assert placed.exit_code == 0, placed.output
        assert "at 1,000.00 CNY" in placed.output  # a single bid pays the reserve
        order_id = own.auctions.get(auction.id).order_id
        assert order_id is not None
        assert placed.output.splitlines()[-1] == str(order_id)
        assert own.orders.get(order_id).buyer_signature.signer == wallet.address

        again = CliRunner().invoke(
            cli, ["auction", "order", str(auction.id), "--url", base_url],
            env={"DATABOURSE_PRIVATE_KEY": "0x" + bytes(wallet.key).hex()},
        )  # fmt: skip
        assert again.exit_code == 1
        assert "auction_state" in again.output
        supplier.close()


def test_a_custodial_winners_order_is_placed_at_resolution_and_not_twice(
    base_url: str, config: Path, clock: Clock
) -> None:
    with Databourse(base_url) as ops:
        ops.identity.login(OPERATOR_EMAIL, PASSWORD)
        supplier = client_party(base_url, ops, "dora@s.test", "Dora", ["supplier"])
        carol = client_party(base_url, ops, "carol@b.test", "Carol", ["buyer"])
        listing = client_exclusive_listing(base_url, supplier, ops)
    auction = supplier.auctions.open(
        listing, reserve_minor=100_000, commit_deadline=clock.now + timedelta(hours=1),
        reveal_deadline=clock.now + timedelta(hours=2),
    )  # fmt: skip
    address = carol.identity.me().account.address
    _, salt = carol.auctions.commit(
        auction.id, bidder=address, amount_minor=200_000, purpose="research"
    )
    clock.advance(hours=1, minutes=1)
    carol.auctions.reveal(auction.id, amount_minor=200_000, salt=salt)
    clock.advance(hours=1)
    resolved = carol.auctions.resolve(auction.id)
    assert resolved.result is not None
    assert resolved.result.order_id is not None
    login_as(config, base_url, carol)
    again = run("auction", "order", str(auction.id), "--url", base_url)
    assert again.exit_code == 1
    assert "auction_state" in again.output
    supplier.close()
    carol.close()
