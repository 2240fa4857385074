"""bourse auction create|show|list|resolve|cancel|order … and bourse bid commit|reveal|show …

``bourse bid commit`` makes the salt here and keeps the amount and salt in a file only the user
may read (0600) under the config directory, ``bids/``, one file per exchange and auction; it
writes that file before the commitment is sent, so a reply lost on the way never loses the
salt. ``bourse bid reveal`` reads it back.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from marketplace.auctions.commitment import commitment as seal
from marketplace.auctions.commitment import new_salt
from marketplace.cli.amounts import currency_of, minor_units
from marketplace.cli.common import (
    UrlOption,
    config_dir,
    currency_scale,
    exchange_client,
    fail,
    moment,
    private_key,
    reading_client,
)
from marketplace.client import DatabourseClientError
from marketplace.money import amount_text

console = Console()
err = Console(stderr=True)
auction_app = typer.Typer(
    help="Sealed-bid (Vickrey) auctions of exclusive licences.", no_args_is_help=True
)
bid_app = typer.Typer(help="Sealed bids: commit, then reveal.", no_args_is_help=True)

AuctionArg = Annotated[int, typer.Argument(min=1, help="The auction's id.")]


def bid_file(base_url: str, auction_id: int) -> Path:
    """Where the amount and salt of a bid in ``auction_id`` at ``base_url`` are kept."""
    exchange = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    return config_dir() / "bids" / f"{exchange}-auction-{auction_id}.json"


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created 0600 from the start (O_EXCL: never over an existing bid's salt).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)


def print_auction(auction: Any, scale: int) -> None:
    def money(minor: int | None) -> str:
        return amount_text(minor, auction.currency, scale)

    console.print(
        f"[bold]auction {auction.id}[/bold] of listing {auction.listing_id}: {auction.status}"
    )
    console.print(f"  reserve {money(auction.reserve_minor)}, "
                  f"deposit {money(auction.deposit_minor)}")  # fmt: skip
    console.print(f"  commit until {auction.commit_deadline.isoformat()}")
    console.print(f"  reveal until {auction.reveal_deadline.isoformat()}")
    console.print(f"  sealed bids: {auction.commitments}")
    result = auction.result
    if result is None:
        if auction.resolution_due:
            console.print("  the reveal deadline has passed: [bold]bourse auction resolve[/bold]")
        return
    if result.outcome == "sold":
        console.print(
            f"  [green]sold[/green] to organisation {result.winner_organization_id} "
            f"(bid {result.winner_bid_id}) at {money(result.price_minor)}; "
            f"order {result.order_id}"
        )
        if result.order_refused:
            console.print(f"  [yellow]no order[/yellow]: {result.order_refused}")
    else:
        console.print("  [yellow]no sale[/yellow]: no valid bid at or above the reserve")
    for bid in result.bids:
        amount = "—" if bid.amount_minor is None else money(bid.amount_minor)
        forfeited = (
            f", deposit forfeited {money(bid.deposit_forfeited_minor)}"
            if bid.deposit_forfeited_minor
            else ""
        )
        console.print(f"  bid {bid.bid_id} (org {bid.organization_id}, seq {bid.commit_seq}): "
                      f"{amount} {bid.status}/{bid.verdict}{forfeited}")  # fmt: skip
    console.print(f"  resolved in journal entry {result.resolved_seq}")


@auction_app.command("create")
def create(
    listing: Annotated[int, typer.Argument(min=1, help="Your exclusive listing's id.")],
    reserve: Annotated[
        str, typer.Option("--reserve", help="Reserve price in the exchange's currency, e.g. 1000.")
    ],
    commit_until: Annotated[
        str,
        typer.Option(
            "--commit-until",
            help="Commit deadline: ISO time, or 90s, 30m, 2h, 3d from now (the exchange wants"
            " at least 60 s when it receives the request, so 1m is too short).",
        ),
    ] = "1d",
    reveal_until: Annotated[
        str,
        typer.Option(
            "--reveal-until",
            help="Reveal deadline: ISO time, or a duration after the commit deadline.",
        ),
    ] = "1d",
    url: UrlOption = None,
) -> None:
    """Open a sealed-bid auction of an exclusive listing (verified suppliers); its id is the
    last line."""
    commit_deadline = moment(commit_until, datetime.now(UTC), "--commit-until")
    reveal_deadline = moment(reveal_until, commit_deadline, "--reveal-until")
    with exchange_client(url) as bourse:
        reserve_minor = minor_units(reserve, currency_of(bourse), option="--reserve")
        try:
            auction = bourse.auctions.open(
                listing, reserve_minor=reserve_minor, commit_deadline=commit_deadline,
                reveal_deadline=reveal_deadline,
            )  # fmt: skip
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        print_auction(auction, currency_scale(bourse))
    print(auction.id)


@auction_app.command("show")
def show(auction_id: AuctionArg, url: UrlOption = None) -> None:
    """An auction: state, reserve, deadlines, sealed bids; the result once resolved (no login)."""
    with reading_client(url) as bourse:
        try:
            auction = bourse.auctions.get(auction_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        print_auction(auction, currency_scale(bourse))


@auction_app.command("list")
def list_auctions(
    listing: Annotated[int, typer.Option("--listing", min=1, help="The listing's id.")],
    url: UrlOption = None,
) -> None:
    """A listing's auctions, newest first (no login)."""
    with reading_client(url) as bourse:
        try:
            auctions = bourse.auctions.for_listing(listing)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        scale = currency_scale(bourse)
    for auction in auctions:
        print_auction(auction, scale)
    if not auctions:
        console.print(f"listing {listing} has no auctions")


@auction_app.command("resolve")
def resolve(auction_id: AuctionArg, url: UrlOption = None) -> None:
    """Resolve an auction after its reveal deadline (anyone; resolving twice changes nothing)."""
    with reading_client(url) as bourse:
        try:
            auction = bourse.auctions.resolve(auction_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        print_auction(auction, currency_scale(bourse))


@auction_app.command("cancel")
def cancel(auction_id: AuctionArg, url: UrlOption = None) -> None:
    """Cancel your auction before any bid."""
    with exchange_client(url) as bourse:
        try:
            auction = bourse.auctions.cancel(auction_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        print_auction(auction, currency_scale(bourse))


@auction_app.command("order")
def order(auction_id: AuctionArg, url: UrlOption = None) -> None:
    """Place your winning bid's order at the auction's price (the winner, when resolution could
    not place it). A self-custody account signs it locally with the key in
    $DATABOURSE_PRIVATE_KEY, after checking the listing and price; a custodial one is signed
    for by the exchange. The order's id is the last line."""
    key = private_key()
    with exchange_client(url) as bourse:
        try:
            placed = bourse.auctions.place_order(auction_id, private_key=key)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        price = amount_text(placed.price_minor, placed.currency, currency_scale(bourse))
    console.print(
        f"order {placed.id} placed for auction {auction_id} at {price} (journal entry "
        f"{placed.placed_seq})"
    )
    print(placed.id)


@bid_app.command("commit")
def commit(
    auction_id: AuctionArg,
    amount: Annotated[
        str, typer.Option("--amount", help="Your bid in the exchange's currency, e.g. 3000.")
    ],
    purpose: Annotated[
        str, typer.Option("--purpose", help="What the licence is for (the terms must permit it).")
    ],
    url: UrlOption = None,
) -> None:
    """Commit a sealed bid. The salt is made here; the amount and salt are kept in a private
    file (printed) that ``bourse bid reveal`` reads. Keep it: without it the bid cannot be
    revealed and its deposit is forfeited."""
    with exchange_client(url) as bourse:
        amount_minor = minor_units(amount, currency_of(bourse), option="--amount")
        path = bid_file(bourse.base_url, auction_id)
        if path.exists():
            err.print(f"a bid in auction {auction_id} is already kept in {path}; a commitment "
                      "is final (reveal it with [bold]bourse bid reveal[/bold])")  # fmt: skip
            raise typer.Exit(1)
        try:
            bidder = bourse.identity.me().account.address
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        salt = new_salt()
        sealed = seal(auction_id, bidder, amount_minor, salt)
        _write_private(path, {
            "exchange": bourse.base_url, "auction_id": auction_id, "bidder": bidder,
            "amount_minor": amount_minor, "salt": salt, "commitment": sealed, "purpose": purpose,
        })  # fmt: skip
        try:
            bid, _ = bourse.auctions.commit(
                auction_id, bidder=bidder, amount_minor=amount_minor, purpose=purpose, salt=salt
            )
        except DatabourseClientError as exc:
            if exc.status != 0:  # refused: nothing was recorded, the file keeps no bid
                path.unlink()
            raise fail(exc) from exc
    console.print(
        f"committed bid {bid.id} in auction {auction_id} (journal entry {bid.commit_seq})"
    )
    console.print(f"amount and salt kept in {path} (readable only by you); reveal after the "
                  "commit deadline with: bourse bid reveal " + str(auction_id))  # fmt: skip
    print(bid.id)


@bid_app.command("reveal")
def reveal(auction_id: AuctionArg, url: UrlOption = None) -> None:
    """Reveal your sealed bid, from the file ``bourse bid commit`` kept."""
    with exchange_client(url) as bourse:
        path = bid_file(bourse.base_url, auction_id)
        try:
            kept = json.loads(path.read_text())
            amount, salt = int(kept["amount_minor"]), str(kept["salt"])
        except FileNotFoundError:
            err.print(f"no bid in auction {auction_id} is kept here ({path} does not exist)")
            raise typer.Exit(1) from None
        except (OSError, ValueError, KeyError, TypeError):
            err.print(f"[red]{path}[/red] is not a bid file bourse bid commit wrote")
            raise typer.Exit(1) from None
        try:
            bid = bourse.auctions.reveal(auction_id, amount_minor=amount, salt=salt)
            currency = bourse.currency()  # a bid is in the exchange's currency
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    shown = "—" if bid.amount_minor is None else currency.format(bid.amount_minor)
    console.print(f"revealed bid {bid.id} in auction {auction_id}: {shown} "
                  f"(journal entry {bid.reveal_seq})")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(auction_app, name="auction")
    app.add_typer(bid_app, name="bid")
