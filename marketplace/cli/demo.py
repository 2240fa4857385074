"""bourse demo: seeds an operator, a supplier, a buyer and an arbitrator, and walks through
everything the exchange can do so far, printing each step."""

from __future__ import annotations

import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from marketplace.client import Databourse, DatabourseClientError

console = Console()
err = Console(stderr=True)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 -- printed for the person running the demo
SERVER_START_S_MAX = 30.0
ANCHOR_WAIT_S_MAX = 60.0
POLL_S = 0.5
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


@contextmanager
def _exchange(url: str | None) -> Iterator[tuple[str, int]]:
    """The URL of an exchange to talk to and its shortest auction window: the one given, the one
    already running at DATABOURSE_PUBLIC_URL, or one started here on a free loopback port for the
    demo's length, with auction windows of seconds."""
    import uvicorn

    from marketplace.app import create_app
    from marketplace.settings import get_settings

    settings = get_settings()
    if url is not None:
        yield url.rstrip("/"), settings.auction_window_s_min
        return
    if _answers(settings.public_url):
        yield settings.public_url.rstrip("/"), settings.auction_window_s_min
        return
    listener = _listening()
    port: int = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(
                settings.model_copy(
                    update={
                        "log_level": "WARNING",
                        "auction_window_s_min": DEMO_AUCTION_WINDOW_S_MIN,
                        "evidence_period_s": DEMO_EVIDENCE_PERIOD_S,
                        "appeal_window_s": DEMO_APPEAL_WINDOW_S,
                        "settlement_poll_s": DEMO_WORKER_POLL_S,
                    }
                )
            ),
            log_level="warning",
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="demo-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_START_S_MAX
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            listener.close()
            raise RuntimeError("the demo's exchange did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", DEMO_AUCTION_WINDOW_S_MIN
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_S_MAX)
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


def _wait_for_receipt(client: Databourse, seq: int) -> dict[str, object]:
    deadline = time.monotonic() + ANCHOR_WAIT_S_MAX
    while True:
        try:
            return client.ledger.receipt(seq)
        except DatabourseClientError as exc:
            if exc.code != "not_anchored" or time.monotonic() > deadline:
                raise
        time.sleep(POLL_S)


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
    receipt = _wait_for_receipt(buyer, seq)
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


def demo(
    url: Annotated[
        str | None,
        typer.Option(help="An exchange to seed (default: the running one, or one started here)."),
    ] = None,
) -> None:
    """Seed five users, list an asset, trade it, dispute a trade, verify; prints each step.

    The users are an operator, a supplier, two buyers and an arbitrator. The supplier lists the
    asset; anyone finds it; a buyer's demand is matched to it, quoted and accepted; the buyer
    deposits, pays, downloads (verified) and accepts, and the order settles; an auction
    of an exclusive licence runs between the two buyers. The winner pays, downloads, re-checks
    the data's quality and disputes the order; the arbitrator rules a split, the exchange
    executes it, and the dispute's dossier is exported and verified on chain. Against an
    exchange already running, the auction waits out that exchange's shortest windows (a minute
    each by default), and the dispute stops where that exchange's windows are longer than a
    couple of minutes."""
    from marketplace.cli.assets import demo as asset_demo

    tag = secrets.token_hex(3)
    people = ("operator", "supplier", "buyer", "rival", "arbitrator")
    emails = {role: f"{role}-{tag}@demo.example.org" for role in people}
    try:
        with _exchange(url) as (base, window_s_min), tempfile.TemporaryDirectory() as tmp:
            say = console.print
            say(f"[bold]Databourse demo[/bold] against {base} (accounts tagged {tag})")
            _create_operator(emails["operator"])
            operator = Databourse(base)
            operator.identity.login(emails["operator"], DEMO_PASSWORD)
            say(f"operator     {emails['operator']} created and logged in")

            parties: dict[str, Databourse] = {}
            for role, org, roles in (
                ("supplier", "Demo Fruit Cooperative", ["supplier"]),
                ("buyer", "Demo Analytics Ltd", ["buyer"]),
                ("rival", "Demo Research Institute", ["buyer"]),
                ("arbitrator", "Demo Arbitration Chamber", []),
            ):
                client = Databourse(base)
                client.identity.signup(
                    emails[role], DEMO_PASSWORD, organization=f"{org} {tag}", roles=roles
                )
                parties[role] = client
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
                base,
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
            say(f"\nEvery demo account's password is [bold]{DEMO_PASSWORD}[/bold].")
    except DatabourseClientError as exc:
        err.print(f"[red]demo failed[/red]: {exc.code}: {exc.message}")
        raise typer.Exit(1) from exc
    except RuntimeError as exc:
        err.print(f"[red]demo failed[/red]: {exc}")
        raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
