"""bourse listing create ASSET … | show ID [--odrl] | pause | resume | withdraw ID

The terms come from options (docs/listings.md names each); the price from ``--fixed`` (a one-off
amount in minor units) or ``--price`` (a price model as JSON, e.g.
``{"kind": "subscription", "amount_minor": 9900, "period": "month"}``). Reading a listing needs
no login.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.console import Console

from marketplace.cli.amounts import currency_of, minor_units, price_model
from marketplace.cli.common import UrlOption, exchange_client, fail, reading_client
from marketplace.client import DatabourseClientError
from marketplace.client.listings import Listings
from marketplace.listings.schemas import FINGERPRINT_NOTE
from marketplace.money import Currency

console = Console()
err = Console(stderr=True)
listing_app = typer.Typer(
    help="Listings: offer an approved asset under signed terms and a price.",
    no_args_is_help=True,
)
ListingArg = Annotated[int, typer.Argument(min=1, help="The listing id.")]
KEY_ENV = "DATABOURSE_PRIVATE_KEY"


def _price(fixed: str | None, price: str | None, currency: Currency) -> dict[str, Any]:
    if (fixed is None) == (price is None):
        err.print("[red]give one of --fixed AMOUNT or --price JSON[/red]")
        raise typer.Exit(2)
    if fixed is not None:
        return {"kind": "fixed", "amount_minor": minor_units(fixed, currency, option="--fixed")}
    return price_model(price or "", currency)


def show_listing(listing: Any) -> None:
    """Price and terms first, in plain words, then what was signed."""
    flag = " [yellow]under objection 异议中[/yellow]" if listing.under_objection else ""
    console.print(f"[bold]{listing.price_plain}[/bold]{flag}")
    for line in listing.terms_plain:
        console.print(f"  {line}")
    if listing.fingerprint:
        console.print(f"  {FINGERPRINT_NOTE}")
    available = "available" if listing.available else f"not available: {listing.unavailable_reason}"
    console.print(
        f"listing {listing.id} · asset {listing.asset_id} · {listing.status} ({available}) · "
        f"signed by {listing.signer} · journal seq {listing.journal_seq}"
    )


@listing_app.command("create")
def create(
    asset_id: Annotated[int, typer.Argument(min=1, help="The asset id.")],
    *,
    purpose: Annotated[list[str], typer.Option(help="A permitted purpose (repeat).")],
    days: Annotated[int, typer.Option(help="Licence duration in days.")] = 365,
    territory: Annotated[
        list[str] | None, typer.Option(help='ISO country code (repeat), or "worldwide".')
    ] = None,
    redistribution: Annotated[bool, typer.Option(help="Buyers may redistribute.")] = False,
    derivatives: Annotated[bool, typer.Option(help="Buyers may make derivatives.")] = False,
    max_downloads: Annotated[int | None, typer.Option(help="Downloads per order.")] = None,
    exclusive: Annotated[bool, typer.Option(help="Sold to one buyer only.")] = False,
    fingerprint: Annotated[
        bool, typer.Option(help="Mark each buyer's copy for its licence (CSV only).")
    ] = False,
    delivery: Annotated[str, typer.Option(help="download or key_wrapped.")] = "download",
    acceptance_h: Annotated[int, typer.Option(help="Acceptance window, hours.")] = 72,
    dispute_h: Annotated[int, typer.Option(help="Dispute window, hours.")] = 168,
    fixed: Annotated[
        str | None, typer.Option(help="One-off price in the exchange's currency, e.g. 1250.00.")
    ] = None,
    price: Annotated[
        str | None,
        typer.Option(
            help='A price model as JSON, amounts in the currency: {"kind": "metered", "unit":'
            ' "row", "unit_price": "0.05", "cap": "500"}.'
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """List your approved asset. A self-custody account signs locally with the key in
    $DATABOURSE_PRIVATE_KEY; a custodial one is signed for by the exchange. The listing's id
    is the last line."""
    terms = {
        "purposes": purpose,
        "licence_duration_days": days,
        "territory": territory or ["worldwide"],
        "redistribution": redistribution,
        "derivatives": derivatives,
        "max_downloads": max_downloads,
        "exclusive": exclusive,
        "delivery_mode": delivery,
        "acceptance_window_h": acceptance_h,
        "dispute_window_h": dispute_h,
    }
    with exchange_client(url) as client:
        model = _price(fixed, price, currency_of(client))
        try:
            listing = client.listings.create(
                asset_id,
                terms,
                model,
                private_key=os.environ.get(KEY_ENV) or None,
                fingerprint=fingerprint,
            )
        except DatabourseClientError as exc:
            raise fail(exc) from None
    show_listing(listing)
    print(listing.id)


@listing_app.command("show")
def show(
    listing_id: ListingArg,
    odrl: Annotated[bool, typer.Option(help="Print the ODRL JSON-LD policy.")] = False,
    url: UrlOption = None,
) -> None:
    """A listing's price and terms in plain words (no login needed)."""
    with reading_client(url) as client:
        try:
            if odrl:
                print(json.dumps(client.listings.odrl(listing_id), indent=2, ensure_ascii=False))
                return
            listing = client.listings.get(listing_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    show_listing(listing)


def _change(listing_id: int, url: str | None, event: str) -> None:
    with exchange_client(url) as client:
        try:
            step = getattr(Listings, event)
            listing = step(client.listings, listing_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    console.print(f"listing {listing.id} is {listing.status}")


@listing_app.command("pause")
def pause(listing_id: ListingArg, url: UrlOption = None) -> None:
    """Pause your listing (buyers cannot buy it until you resume it)."""
    _change(listing_id, url, "pause")


@listing_app.command("resume")
def resume(listing_id: ListingArg, url: UrlOption = None) -> None:
    """Resume your paused listing."""
    _change(listing_id, url, "resume")


@listing_app.command("withdraw")
def withdraw(listing_id: ListingArg, url: UrlOption = None) -> None:
    """Withdraw your listing for good."""
    _change(listing_id, url, "withdraw")


def register(app: typer.Typer) -> None:
    app.add_typer(listing_app, name="listing")
