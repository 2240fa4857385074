"""bourse quote send | list | show | accept | reject | withdraw

A supplier answers a demand with a quote for one of its listings; the demand's owner accepts one
(which places the order) or rejects it. Prices are given in minor units (fen for CNY) and
printed in the currency (``425,700.00 CNY``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from marketplace.cli.amounts import currency_of, minor_units
from marketplace.cli.common import (
    BUYERS,
    SUPPLIERS,
    PanelOrderedGroup,
    UrlOption,
    currency_scale,
    exchange_client,
    fail,
    private_key,
)
from marketplace.client import DatabourseClientError
from marketplace.money import amount_text
from marketplace.quotes.schemas import QuotePublic

console = Console()
quote_app = typer.Typer(
    help="Quotes in answer to demands: suppliers send and withdraw; buyers accept or reject.",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)
QuoteArg = Annotated[int, typer.Argument(min=1, help="The quote's id.")]
DemandArg = Annotated[int, typer.Argument(min=1, help="The demand's id.")]


def _show(row: QuotePublic, scale: int) -> None:
    console.print(
        f"quote {row.id} on demand {row.demand_id}: [bold]{row.status}[/bold], "
        f"{amount_text(row.price_minor, row.currency, scale)} for listing {row.listing_id}, "
        f"valid until {row.valid_until:%Y-%m-%d %H:%M} UTC"
    )
    for line in row.terms_plain:
        console.print(f"  {line}")
    if row.order_id is not None:
        console.print(f"order {row.order_id} was placed from it")
    console.print(f"signed by {row.signer} (journal seq {row.offer_seq})")


def _terms(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{path}: not a JSON object of terms ({exc})") from exc
    if not isinstance(loaded, dict):
        raise typer.BadParameter(f"{path}: not a JSON object of terms")
    return loaded


@quote_app.command("send", rich_help_panel=SUPPLIERS)
def send(
    demand_id: DemandArg,
    *,
    listing: Annotated[int, typer.Option(min=1, help="Your active listing of the asset offered.")],
    price: Annotated[str, typer.Option(help="The price in the exchange's currency, e.g. 1234.56.")],
    valid_days: Annotated[
        float, typer.Option(min=0, help="How long the quote stays valid, in days (max 30).")
    ] = 7,
    terms: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="A JSON file of terms narrower than the listing's."
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Send a signed quote in answer to a demand (verified suppliers); prints the quote, then
    its id alone on the last line."""
    valid_until = datetime.now(UTC) + timedelta(days=valid_days)
    with exchange_client(url) as bourse:
        price_minor = minor_units(price, currency_of(bourse), option="--price")
        try:
            row = bourse.quotes.send(
                demand_id, listing_id=listing, price_minor=price_minor, valid_until=valid_until,
                terms=_terms(terms),
            )  # fmt: skip
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(row, currency_scale(bourse))
    print(row.id)


@quote_app.command("list", rich_help_panel=BUYERS)
def list_quotes(demand_id: DemandArg, url: UrlOption = None) -> None:
    """A demand's quotes: all of them for its owner, your own for a supplier."""
    with exchange_client(url) as bourse:
        try:
            page = bourse.quotes.for_demand(demand_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        scale = currency_scale(bourse)
    if not page.items:
        console.print("no quotes")
        return
    table = Table("id", "supplier", "listing", "price", "status", "valid until")
    for row in page.items:
        table.add_row(
            str(row.id),
            str(row.supplier_organization_id),
            str(row.listing_id),
            amount_text(row.price_minor, row.currency, scale),
            row.status,
            f"{row.valid_until:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    if page.total > len(page.items):
        console.print(f"{len(page.items)} of {page.total} shown")


@quote_app.command("show", rich_help_panel=BUYERS)
def show(quote_id: QuoteArg, url: UrlOption = None) -> None:
    """One quote, with its terms in plain words."""
    with exchange_client(url) as bourse:
        try:
            row = bourse.quotes.get(quote_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(row, currency_scale(bourse))


@quote_app.command("accept", rich_help_panel=BUYERS)
def accept(quote_id: QuoteArg, url: UrlOption = None) -> None:
    """Accept a quote on your demand: places the order and rejects the demand's other quotes.
    A self-custody account signs the order locally with the key in $DATABOURSE_PRIVATE_KEY,
    after checking it is the quote's (listing, price, terms); a custodial one is signed for by
    the exchange. The order's id is the last line."""
    key = private_key()
    with exchange_client(url) as bourse:
        try:
            row = bourse.quotes.accept(quote_id, private_key=key)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(row, currency_scale(bourse))
    print(row.order_id)


@quote_app.command("reject", rich_help_panel=BUYERS)
def reject(quote_id: QuoteArg, url: UrlOption = None) -> None:
    """Turn down a quote on your demand."""
    with exchange_client(url) as bourse:
        try:
            row = bourse.quotes.reject(quote_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(row, currency_scale(bourse))


@quote_app.command("withdraw", rich_help_panel=SUPPLIERS)
def withdraw(quote_id: QuoteArg, url: UrlOption = None) -> None:
    """Take back a quote you sent, while it is still offered."""
    with exchange_client(url) as bourse:
        try:
            row = bourse.quotes.withdraw(quote_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(row, currency_scale(bourse))


def register(app: typer.Typer) -> None:
    app.add_typer(quote_app, name="quote")
