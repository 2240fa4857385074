"""bourse buy LISTING --purpose P | bourse order show ID | list | cancel ID | revenue LISTING

Amounts are printed in the exchange's currency (``425,700.00 CNY``); the exchange keeps them
as integer minor units (fen for CNY).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketplace.cli.common import (
    BUYERS,
    SUPPLIERS,
    PanelOrderedGroup,
    UrlOption,
    currency_scale,
    exchange_client,
    fail,
)
from marketplace.client import DatabourseClientError
from marketplace.listings.terms import Purpose
from marketplace.money import amount_text
from marketplace.orders.schemas import OrderPublic

console = Console()
order_app = typer.Typer(
    help="Orders: show, list and cancel yours; a public-data listing's revenue.",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)
OrderArg = Annotated[int, typer.Argument(min=1, help="The order's id.")]


def _show(order: OrderPublic, scale: int) -> None:
    console.print(
        f"order {order.id}: [bold]{order.status}[/bold], listing {order.listing_id} "
        f"(asset {order.asset_id}) for {order.purpose}, quantity {order.quantity}"
    )
    price = amount_text(order.price_minor, order.currency, scale)
    console.print(f"price: {price} ({order.source})")
    console.print(
        f"buyer organisation {order.buyer_organization_id}, supplier organisation "
        f"{order.supplier_organization_id}; placed {order.created_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print(
        f"signed by {order.buyer_signature.signer}; journal entry {order.placed_seq} (order.placed)"
    )


def buy(
    listing_id: Annotated[int, typer.Argument(min=1, help="The listing to buy.")],
    *,
    purpose: Annotated[
        Purpose, typer.Option(help="What you will use the data for; the terms must permit it.")
    ],
    quantity: Annotated[
        int | None,
        typer.Option(min=1, help="Periods, rows or API calls, as the price model counts."),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Order a listing (verified buyers). The exchange signs the order with your custodial key
    and refuses a purpose the listing's terms do not permit, saying why. The order's id is the
    last line."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.place(listing_id, purpose=purpose.value, quantity=quantity)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(order, currency_scale(bourse))
    console.print(f"follow it with [bold]bourse order show {order.id}[/bold]")
    print(order.id)


@order_app.command("show", rich_help_panel=BUYERS)
def show_order(order_id: OrderArg, url: UrlOption = None) -> None:
    """One order (its buyer's and its supplier's organisations)."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.get(order_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(order, currency_scale(bourse))


@order_app.command("list", rich_help_panel=BUYERS)
def list_orders(
    before: Annotated[
        int | None, typer.Option(min=1, help="Only orders older than this id (paging).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    url: UrlOption = None,
) -> None:
    """Your organisation's orders, as buyer or supplier, newest first."""
    with exchange_client(url) as bourse:
        try:
            page = bourse.orders.mine(before_id=before, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        scale = currency_scale(bourse)
    if not page.items:
        console.print("no orders")
        return
    table = Table("id", "listing", "purpose", "price", "status", "buyer org", "placed")
    for o in page.items:
        table.add_row(
            str(o.id),
            str(o.listing_id),
            o.purpose,
            amount_text(o.price_minor, o.currency, scale),
            o.status,
            str(o.buyer_organization_id),
            f"{o.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    if page.next_before_id is not None:
        console.print(f"more: [bold]bourse order list --before {page.next_before_id}[/bold]")


@order_app.command("cancel", rich_help_panel=BUYERS)
def cancel_order(order_id: OrderArg, url: UrlOption = None) -> None:
    """Cancel an order you placed and have not paid."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.cancel(order_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"order {order.id} is {order.status}")


@order_app.command("revenue", rich_help_panel=SUPPLIERS)
def revenue(
    listing_id: Annotated[int, typer.Argument(min=1, help="A public-data listing.")],
    url: UrlOption = None,
) -> None:
    """A public-data listing's revenue against its ceiling (its supplier and operators)."""
    with exchange_client(url) as bourse:
        try:
            r = bourse.orders.revenue(listing_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        scale = currency_scale(bourse)

    def money(minor: int) -> str:
        return amount_text(minor, r.currency, scale)

    console.print(
        f"listing {r.listing_id}: price {money(r.price_minor)}, ceiling {money(r.ceiling_minor)} "
        f"(cost {money(r.cost_minor)} + {r.margin_bp / 100:g} %)"
        + ("" if r.within_ceiling else " [red]ABOVE THE CEILING[/red]")
    )
    console.print(
        f"{r.orders} orders, {r.quantity} licences: revenue {money(r.revenue_minor)} against "
        f"{money(r.ceiling_revenue_minor)} at the ceiling"
    )
    console.print(f"counted: {r.basis}")


def register(app: typer.Typer) -> None:
    app.command("buy")(buy)
    app.add_typer(order_app, name="order")
