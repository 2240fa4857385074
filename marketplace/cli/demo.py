"""bourse demo: seeds an operator, suppliers, buyers and arbitrators, walks through everything the
exchange can do so far, printing each step, and leaves a populated exchange for `make run`."""

from __future__ import annotations

import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from marketplace.cli.dispute_demo import wait_for_receipt
from marketplace.client import Databourse, DatabourseClientError

console = Console()
err = Console(stderr=True)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 -- printed for the person running the demo
SERVER_START_S_MAX = 30.0
# The shortest auction window of the exchange the demo starts itself (development only: see
# docs/auctions.md); an exchange already running keeps its own, by default a minute.
DEMO_AUCTION_WINDOW_S_MIN = 2
# The dispute windows of that exchange (docs/disputes.md): seconds, so that the demo's dispute is
# ruled, its appeal window passes and the execution job (polling this often) moves the money.
DEMO_EVIDENCE_PERIOD_S = 4
DEMO_APPEAL_WINDOW_S = 2
DEMO_WORKER_POLL_S = 0.5


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1.0).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _listening() -> socket.socket:
    """A socket listening on a loopback port the kernel picked. The server is given the socket
    itself: a port picked, closed and bound again later could be taken in between."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


class _Exchange:
    """An exchange to talk to. ``own`` when the demo started it: ``lengthen`` then restarts it,
    on the same listening socket and database, with the default dispute windows, so that what
    the demo leaves ruled or appealed stays so when `make run` starts on the same database."""

    def __init__(self, url: str, window_s_min: int, listener: socket.socket | None) -> None:
        self.url = url
        self.window_s_min = window_s_min
        self._listener = listener
        self._running: tuple[Any, threading.Thread] | None = None

    @property
    def own(self) -> bool:
        return self._listener is not None

    def start(self, overrides: dict[str, object]) -> None:
        import uvicorn

        from marketplace.app import create_app
        from marketplace.settings import get_settings

        assert self._listener is not None
        settings = get_settings().model_copy(update={"log_level": "WARNING", **overrides})
        server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
        # uvicorn closes the sockets it was given: it gets a duplicate, the listener stays open.
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._listener.dup()]},
            name="demo-server",
            daemon=True,
        )
        thread.start()
        self._running = (server, thread)
        deadline = time.monotonic() + SERVER_START_S_MAX
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                self.stop()
                raise RuntimeError("the demo's exchange did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._running is None:
            return
        server, thread = self._running
        server.should_exit = True
        thread.join(timeout=SERVER_START_S_MAX)
        self._running = None

    def lengthen(self) -> bool:
        """Restart the demo's own exchange with the default dispute windows (False, and nothing
        done, for an exchange the demo did not start)."""
        if not self.own:
            return False
        self.stop()
        self.start({"settlement_poll_s": DEMO_WORKER_POLL_S})
        return True


@contextmanager
def _exchange(url: str | None) -> Iterator[_Exchange]:
    """An exchange to talk to and its shortest auction window: the one given, the one already
    running at DATABOURSE_PUBLIC_URL, or one started here on a free loopback port for the
    demo's length, with auction and dispute windows of seconds."""
    from marketplace.settings import get_settings

    settings = get_settings()
    if url is not None:
        yield _Exchange(url.rstrip("/"), settings.auction_window_s_min, None)
        return
    if _answers(settings.public_url):
        yield _Exchange(settings.public_url.rstrip("/"), settings.auction_window_s_min, None)
        return
    listener = _listening()
    port: int = listener.getsockname()[1]
    exchange = _Exchange(f"http://127.0.0.1:{port}", DEMO_AUCTION_WINDOW_S_MIN, listener)
    try:
        exchange.start(
            {
                "auction_window_s_min": DEMO_AUCTION_WINDOW_S_MIN,
                "evidence_period_s": DEMO_EVIDENCE_PERIOD_S,
                "appeal_window_s": DEMO_APPEAL_WINDOW_S,
                "settlement_poll_s": DEMO_WORKER_POLL_S,
            }
        )
        yield exchange
    finally:
        exchange.stop()
        listener.close()


def _create_operator(email: str) -> None:
    from ledger.models import utc_now
    from marketplace.db import make_engine, unit_of_work
    from marketplace.identity import service
    from marketplace.migrations import upgrade_embedded
    from marketplace.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade_embedded(engine)
        with unit_of_work(engine) as session:
            service.create_operator(
                session,
                settings,
                email=email,
                password=DEMO_PASSWORD,
                organization_name=f"Databourse operations {email.split('@', 1)[0]}",
                now=utc_now(),
            )
    finally:
        engine.dispose()


def _verify_certificate(supplier: Databourse, buyer: Databourse, operator: Databourse) -> Path:
    """Wait for the supplier's certificate to be anchored, save its receipt, verify it; returns
    the trust anchor's file."""
    import json

    from ledger.chain import connect
    from ledger.trust import parse_trust
    from ledger.verify import parse_receipt, verify_receipt
    from marketplace.settings import get_settings

    say = console.print
    supplier_org = supplier.identity.me().organization.id
    (asset,) = supplier.assets.search(owner=supplier_org).items
    certificate = supplier.assets.certificate(asset.id)
    seq = int(str(certificate["seq"]))
    say(f"ledger       waiting for journal entry {seq} to be anchored on chain …")
    receipt = wait_for_receipt(buyer, seq)
    path = Path.cwd() / "var" / f"demo-receipt-{seq}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(receipt, indent=2) + "\n")
    anchor, batch = receipt["anchor"], receipt["batch"]
    assert isinstance(anchor, dict)
    assert isinstance(batch, dict)
    say(
        f"ledger       entry {seq} anchored in batch {batch['id']} (seq {batch['first_seq']} to "
        f"{batch['last_seq']}), tx {anchor['tx_hash']}, block {anchor['block_number']}"
    )
    say(f"             receipt saved to {path}")
    trust_path = path.parent / "demo-trust.json"
    trust_path.write_text(json.dumps(buyer.ledger.trust_anchor(), indent=2) + "\n")
    chain_url = get_settings().chain_url
    summary = verify_receipt(
        parse_receipt(path.read_bytes()),
        lambda address: connect(chain_url, recorder_key=None, contract_address=address),
        parse_trust(trust_path.read_bytes()).pin,
    )
    say(f"auditor      {summary}")
    say(f"             pinned to the trust anchor saved to {trust_path}")
    say(f"             check it yourself: [bold]bourse verify {path} --trust {trust_path}[/bold]")
    batches = operator.ledger.batches()
    say(f"ledger       {len(batches.items)} batch(es) anchored so far")
    return trust_path


# The parties the demo adds once the walk-through is done: (name, organisation, roles).
MORE_PARTIES: tuple[tuple[str, str, list[str]], ...] = (
    ("air-supplier", "Demo Air Monitoring Network", ["supplier"]),
    ("traffic-supplier", "Demo City Traffic Lab", ["supplier"]),
    ("planner", "Demo Urban Planning Bureau", ["buyer"]),
    ("arbitrator-2", "Demo Mediation Centre", []),
    ("arbitrator-3", "Demo Commercial Arbitration Board", []),
    ("arbitrator-4", "Demo Data Disputes Panel", []),
)
ROLES_SHOWN: dict[str, str] = {
    "operator": "operator",
    "supplier": "supplier (fruit and vegetable prices)",
    "air-supplier": "supplier (air quality)",
    "traffic-supplier": "supplier (traffic counts)",
    "buyer": "buyer",
    "rival": "buyer",
    "planner": "buyer",
    "arbitrator": "arbitrator",
    "arbitrator-2": "arbitrator",
    "arbitrator-3": "arbitrator",
    "arbitrator-4": "arbitrator",
}


def _sign_up(base: str, tag: str, emails: dict[str, str], parties: dict[str, Databourse],
             operator: Databourse) -> None:  # fmt: skip
    say = console.print
    for name, org, roles in MORE_PARTIES:
        emails[name] = f"{name}-{tag}@demo.example.org"
        client = parties[name] = Databourse(base)  # in parties at once: closed with them
        client.identity.signup(
            emails[name], DEMO_PASSWORD, organization=f"{org} {tag}", roles=roles
        )
        org_id = client.identity.me().organization.id
        operator.identity.verify_organization(org_id)
        if not roles:
            operator.identity.grant_role(org_id, "arbitrator")
        say(f"{name:<12} {emails[name]} signed up; organisation {org_id} verified")


def _parties_closed_with(clients: ExitStack) -> dict[str, Databourse]:
    """An empty map of the parties' clients by name; every client in it when ``clients`` closes
    (those ``_populate`` signs up too) is closed then."""
    parties: dict[str, Databourse] = {}

    def close_all() -> None:
        for client in parties.values():
            client.close()

    clients.callback(close_all)
    return parties


def _populate(
    exchange: _Exchange,
    *,
    tag: str,
    emails: dict[str, str],
    parties: dict[str, Databourse],
    operator: Databourse,
    market: Any,
    workdir: Path,
) -> None:
    """More suppliers, listings, trades, and one dispute in each status (cli/market_demo.py)."""
    from marketplace.cli import market_demo

    say = console.print
    say("\n[bold]Populating the exchange[/bold]: more suppliers, listings, trades and disputes")
    _sign_up(exchange.url, tag, emails, parties, operator)
    steps = [
        market_demo.list_datasets(parties, operator, workdir, market),
        market_demo.settle_trades(parties, market, workdir),
        market_demo.open_disputes(parties, market),
    ]
    for step in steps:
        for who, line in step:
            say(f"{who:<12} {line}")
    if exchange.lengthen():
        say(
            "exchange     restarted with the default dispute windows (evidence 7 days, appeal "
            "3 days), so that what is ruled or appealed now stays so"
        )
    arbitrators = {
        parties[name].identity.me().account.id: parties[name]
        for name in ("arbitrator", "arbitrator-2", "arbitrator-3", "arbitrator-4")
    }
    for who, line in market_demo.settle_disputes(parties, arbitrators, market):
        say(f"{who:<12} {line}")


def _summary(emails: dict[str, str], parties: dict[str, Databourse], operator: Databourse) -> None:
    """Tables of what the demo left, read back from the exchange, to sign in with."""
    from rich.table import Table

    accounts = Table(title="Accounts (password below)")
    for column in ("name", "email", "role", "organisation"):
        accounts.add_column(column)
    for name, email in emails.items():
        client = operator if name == "operator" else parties[name]
        org = client.identity.me().organization
        accounts.add_row(name, email, ROLES_SHOWN.get(name, name), f"{org.id} {org.name}")
    console.print(accounts)

    _trade_tables(parties, operator)
    _dispute_table(operator)


def _trade_tables(parties: dict[str, Databourse], operator: Databourse) -> None:
    from rich.table import Table

    listings = Table(title="Listings")
    for column in ("id", "asset", "supplier", "price", "status"):
        listings.add_column(column)
    orders = Table(title="Orders")
    for column in ("id", "buyer", "listing", "price", "status"):
        orders.add_column(column)
    seen: set[int] = set()
    for name in ("supplier", "air-supplier", "traffic-supplier"):
        org_id = parties[name].identity.me().organization.id
        for asset in parties[name].assets.search(owner=org_id).items:
            for listing in sorted(parties[name].listings.for_asset(asset.id), key=lambda x: x.id):
                listings.add_row(
                    str(listing.id), listing.asset_title or str(listing.asset_id), name,
                    listing.price_plain, str(listing.status),
                )  # fmt: skip
    scale = operator.currency().scale
    from marketplace.money import amount_text

    for name in ("buyer", "rival", "planner"):
        for order in sorted(parties[name].orders.mine().items, key=lambda o: o.id):
            if order.id not in seen:
                seen.add(order.id)
                price = amount_text(order.price_minor, order.currency, scale)
                orders.add_row(str(order.id), name, str(order.listing_id), price, str(order.status))
    console.print(listings)
    console.print(orders)


def _shown(dispute: Any) -> str:
    """What a dispute's status shows, and until when (docs/cli.md, "bourse demo")."""
    if dispute.status == "open":
        return f"evidence period running until {dispute.evidence_closes_at:%Y-%m-%d %H:%M} UTC"
    if dispute.status == "ruled":
        return f"appeal window open until {dispute.appeal_closes_at:%Y-%m-%d %H:%M} UTC"
    if dispute.status == "appealed":
        votes = sum(1 for r in dispute.rulings if r.round == 2)
        return f"the panel of three is voting: {votes} of 3 votes cast"
    if dispute.status == "executed" and dispute.round == 2:
        return "the panel's final ruling, executed at once by the execution job"
    if dispute.status == "executed":
        return f"the arbitrator's ruling executed: {dispute.outcome}"
    return str(dispute.status)


def _dispute_table(operator: Databourse) -> None:
    from rich.table import Table

    disputes = Table(title="Disputes")
    for column in ("id", "order", "status", "round", "what it shows"):
        disputes.add_column(column)
    for dispute in sorted(operator.disputes.list().items, key=lambda d: d.id):
        shown = _shown(dispute)
        disputes.add_row(
            f"dispute {dispute.id}", str(dispute.order_id), dispute.status, str(dispute.round),
            shown,
        )  # fmt: skip
    console.print(disputes)


def demo(
    url: Annotated[
        str | None,
        typer.Option(help="An exchange to seed (default: the running one, or one started here)."),
    ] = None,
) -> None:
    """Walk through listing, trading, a dispute and verification, then populate the exchange.

    The walk-through's users are an operator, a supplier, two buyers and an arbitrator. The
    supplier lists the asset; anyone finds it; a buyer's demand is matched to it, quoted and
    accepted; the buyer deposits, pays, downloads (verified) and accepts, and the order settles;
    an auction of an exclusive licence runs between the two buyers. The winner pays, downloads,
    re-checks the data's quality and disputes the order; the arbitrator rules a split, the
    exchange executes it, and the dispute's dossier is exported and verified on chain. Then it
    populates the exchange for `make run`: three suppliers, six listings, more settled trades
    and one dispute in each status (docs/cli.md, "bourse demo"), and prints tables of the
    accounts, listings, orders and disputes. Against an exchange already running, the auction
    waits out that exchange's shortest windows (a minute each by default), and the dispute stops
    where that exchange's windows are longer than a couple of minutes."""
    from marketplace.cli.assets import demo as asset_demo

    tag = secrets.token_hex(3)
    people = ("operator", "supplier", "buyer", "rival", "arbitrator")
    emails = {role: f"{role}-{tag}@demo.example.org" for role in people}
    try:
        with (
            _exchange(url) as exchange,
            tempfile.TemporaryDirectory() as tmp,
            # Every client the demo opens is closed with it, before its exchange stops: run in
            # a process that goes on (tests run it in pytest's), their pooled connections would
            # otherwise stay open until the garbage collector found them.
            ExitStack() as clients,
        ):
            base, window_s_min = exchange.url, exchange.window_s_min
            say = console.print
            say(f"[bold]Databourse demo[/bold] against {base} (accounts tagged {tag})")
            _create_operator(emails["operator"])
            operator = clients.enter_context(Databourse(base))
            operator.identity.login(emails["operator"], DEMO_PASSWORD)
            say(f"operator     {emails['operator']} created and logged in")

            parties = _parties_closed_with(clients)
            for role, org, roles in (
                ("supplier", "Demo Fruit Cooperative", ["supplier"]),
                ("buyer", "Demo Analytics Ltd", ["buyer"]),
                ("rival", "Demo Research Institute", ["buyer"]),
                ("arbitrator", "Demo Arbitration Chamber", []),
            ):
                client = parties[role] = Databourse(base)
                client.identity.signup(
                    emails[role], DEMO_PASSWORD, organization=f"{org} {tag}", roles=roles
                )
                me = client.identity.me()
                say(
                    f"{role:<12} {emails[role]} signed up: organisation {me.organization.id} "
                    f"({me.organization.name}), address {me.account.address}"
                )
            for role in ("supplier", "buyer", "rival"):
                org_id = parties[role].identity.me().organization.id
                operator.identity.verify_organization(org_id)
                say(f"operator     verified organisation {org_id} ({role}): it may now trade")
            arbitration = parties["arbitrator"].identity.me().organization.id
            # Only a verified organisation's arbitrators are drawn (docs/disputes.md).
            operator.identity.verify_organization(arbitration)
            say(f"operator     verified organisation {arbitration} (arbitrator)")
            operator.identity.grant_role(arbitration, "arbitrator")
            say(f"operator     granted the arbitrator role to organisation {arbitration}")

            for line in asset_demo(parties["supplier"], operator, Path(tmp)):
                say(f"supplier     {line}")

            # Quality and valuation: the upload started the evaluation by itself.
            from marketplace.cli.valuation import demo as valuation_demo

            supplier_org = parties["supplier"].identity.me().organization.id
            (demo_asset,) = parties["supplier"].assets.search(owner=supplier_org).items
            for line in valuation_demo(parties["supplier"], demo_asset.id):
                say(f"supplier     {line}")

            from marketplace.cli.trading_demo import demo as trading_demo

            for who, line in trading_demo(
                clients.enter_context(Databourse(base)),  # anyone: not logged in
                parties["supplier"],
                (parties["buyer"], parties["rival"]),
                demo_asset.id,
                auction_window_s_min=window_s_min,
                operator=operator,
                workdir=Path(tmp),
            ):
                say(f"{who:<12} {line}")

            trust_path = _verify_certificate(parties["supplier"], parties["buyer"], operator)

            # A quality dispute on the order won at auction, ruled as a partial refund.
            from marketplace.cli.dispute_demo import demo as dispute_demo

            for who, line in dispute_demo(
                parties["supplier"],
                parties["buyer"],
                parties["arbitrator"],
                operator,
                demo_asset.id,
                workdir=Path(tmp),
                outdir=trust_path.parent,
                trust_path=trust_path,
            ):
                say(f"{who:<12} {line}")

            from marketplace.cli.market_demo import Market

            market = Market()
            _populate(
                exchange, tag=tag, emails=emails, parties=parties, operator=operator,
                market=market, workdir=Path(tmp),
            )  # fmt: skip
            _summary(emails, parties, operator)
            say(f"\nEvery demo account's password is [bold]{DEMO_PASSWORD}[/bold].")
    except DatabourseClientError as exc:
        err.print(f"[red]demo failed[/red]: {exc.code}: {exc.message}")
        raise typer.Exit(1) from exc
    except RuntimeError as exc:
        err.print(f"[red]demo failed[/red]: {exc}")
        raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
