"""bourse buy LISTING --purpose P | bourse accept ORDER | bourse order show ID | list | pay ID |
cancel ID | approve ID --reason R | refuse ID --reason R | revenue LISTING | bourse settle

Amounts are printed in the exchange's currency (``425,700.00 CNY``); the exchange keeps them
as integer minor units (fen for CNY).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketplace.cli.amounts import currency_of, minor_units
from marketplace.cli.common import (
    BUYERS,
    OPERATORS,
    SUPPLIERS,
    PanelOrderedGroup,
    UrlOption,
    currency_scale,
    err,
    exchange_client,
    fail,
)
from marketplace.client import Databourse, DatabourseClientError
from marketplace.listings.terms import Purpose
from marketplace.money import amount_text
from marketplace.orders.schemas import OrderPublic, PeriodPublic

console = Console()
order_app = typer.Typer(
    help="Orders: show, list and cancel yours; a public-data listing's revenue.",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)
OrderArg = Annotated[int, typer.Argument(min=1, help="The order's id.")]
_IN_ESCROW = frozenset({"paid", "approved", "delivered", "accepted", "disputed"})


def _show(order: OrderPublic, scale: int) -> None:
    console.print(
        f"order {order.id}: [bold]{order.status}[/bold], listing {order.listing_id} "
        f"(asset {order.asset_id}) for {order.purpose}, quantity {order.quantity}"
    )

    def money(minor: int) -> str:
        return amount_text(minor, order.currency, scale)

    console.print(f"price: {money(order.price_minor)} ({order.source})")
    if order.fee_minor is not None and order.hold_id is None:
        console.print("charged per period, each by its own escrow hold (periods below)")
    elif order.fee_minor is not None:
        fee, net = money(order.fee_minor), money(order.price_minor - order.fee_minor)
        if order.status == "settled" and order.settled_at is not None:
            console.print(
                f"settled {order.settled_at:%Y-%m-%d %H:%M} UTC: {net} released to the "
                f"supplier, exchange fee {fee} (hold {order.hold_id})"
            )
        elif order.status in _IN_ESCROW:
            console.print(
                f"held in escrow (hold {order.hold_id}); exchange fee {fee}, the supplier "
                f"receives {net} on settlement"
            )
        else:  # refunded in full or in part by a ruling: `bourse dispute show` says how
            console.print(f"{order.status}: escrow hold {order.hold_id} is closed")
    if order.dispute_closes_at is not None:
        console.print(_dispute_deadline(order.dispute_closes_at, datetime.now(UTC)))
    if order.needs_approval and order.status == "paid":
        console.print("important data: an operator must approve the order before delivery")
    if order.accept_by is not None and order.status == "delivered":
        console.print(
            f"accept it by {order.accept_by:%Y-%m-%d %H:%M} UTC ([bold]bourse accept "
            f"{order.id}[/bold]); it is accepted then by itself"
        )
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
    place_only: Annotated[
        bool, typer.Option("--place-only", help="Place the order without paying it yet.")
    ] = False,
    max_price: Annotated[
        str | None,
        typer.Option(
            help="The most you will pay, in the exchange's currency (e.g. 1250.00): an order "
            "priced above it is cancelled before anything is paid."
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Buy a listing (verified buyers): place the order and pay its price into escrow, in one
    request. The exchange signs the order with your custodial key and refuses a purpose the
    listing's terms do not permit, or a balance short of the price, saying why: nothing is
    then ordered or held. With --max-price the order is placed, its price checked, then paid.
    The order's id is the last line."""
    with exchange_client(url) as bourse:
        money = currency_of(bourse)
        limit_minor = (
            None if max_price is None else minor_units(max_price, money, option="--max-price")
        )
        try:
            if place_only or limit_minor is not None:
                order = bourse.orders.place(listing_id, purpose=purpose.value, quantity=quantity)
            else:
                order = bourse.orders.buy(listing_id, purpose=purpose.value, quantity=quantity)
            if limit_minor is not None and order.price_minor > limit_minor:
                bourse.orders.cancel(order.id)
                err.print(
                    f"order {order.id} costs {money.format(order.price_minor)}, more than your "
                    f"--max-price {money.format(limit_minor)}: it is cancelled, nothing was paid"
                )
                raise typer.Exit(1)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        if limit_minor is not None and not place_only:
            order = _pay_or_cancel(bourse, order)
        _show(order, money.scale)
    console.print(f"follow it with [bold]bourse order show {order.id}[/bold]")
    print(order.id)


def _pay_or_cancel(bourse: Databourse, order: OrderPublic) -> OrderPublic:
    """Pay a placed order; if the exchange refuses (short funds), cancel it, as ``buy`` in one
    request would have left no order behind."""
    try:
        return bourse.orders.pay(order.id)
    except DatabourseClientError as exc:
        try:
            bourse.orders.cancel(order.id)
        except DatabourseClientError:
            err.print(f"order {order.id} is placed, not paid: cancel it with bourse order cancel")
        raise fail(exc) from exc


def accept(order_id: OrderArg, url: UrlOption = None) -> None:
    """Accept a delivered order (its buyer). An order paid at once settles at once: the supplier
    is paid the price minus the exchange fee. A subscription or metered order releases nothing
    when accepted: each period is paid to the supplier as it ends, and the order settles after
    its last period."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.accept(order_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(order, currency_scale(bourse))


def settle(
    once: Annotated[
        bool, typer.Option("--once", help="One pass over what is due, then exit.")
    ] = False,
) -> None:
    """Settle orders whose acceptance window has ended and expire orders never paid, on this
    exchange's database (DATABOURSE_DATABASE_URL). Safe beside the server and other runs."""
    from marketplace.db import make_engine
    from marketplace.orders.settlement_job import SettlementWorker, run_once
    from marketplace.settings import get_settings
    from marketplace.workers import load_domains, stop_on_signals

    load_domains()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        if once:
            run = run_once(engine, settings)
            console.print(
                f"settled {len(run.settled)} orders {run.settled}, expired {len(run.expired)} "
                f"{run.expired}"
            )
            for order_id, error in run.failed.items():
                console.print(f"[red]order {order_id} failed[/red]: {error}")
            if run.failed:
                raise typer.Exit(1)
            return
        SettlementWorker(engine, settings).run(stop_on_signals())
    finally:
        engine.dispose()


@order_app.command("show", rich_help_panel=BUYERS)
def show_order(order_id: OrderArg, url: UrlOption = None) -> None:
    """One order (its buyer's and its supplier's organisations)."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.get(order_id)
            periods = bourse.orders.periods(order_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        scale = currency_scale(bourse)
    _show(order, scale)
    if periods:
        _show_periods(order, periods, scale)


def _dispute_deadline(closes_at: datetime, now: datetime) -> str:
    """A settled order's dispute deadline (the exchange refuses a dispute at it), as of ``now``."""
    if now < closes_at:
        return f"disputes may be raised until {closes_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"the dispute window closed on {closes_at:%Y-%m-%d %H:%M:%S} UTC"


def _show_periods(order: OrderPublic, periods: list[PeriodPublic], scale: int) -> None:
    """A subscription's or metered order's periods, each with what it charges and, once
    settled, until when it may be disputed."""
    table = Table(title="periods (each charged and settled by its own escrow hold)")
    for column in ("#", "status", "from", "to", "units", "amount", "fee", "disputable until"):
        table.add_column(column)
    for p in periods:
        until = p.dispute_closes_at
        table.add_row(
            str(p.number) + (" (renewal)" if p.renewal else ""), p.status,
            f"{p.starts_at:%Y-%m-%d}", f"{p.ends_at:%Y-%m-%d}", str(p.units),
            amount_text(p.amount_minor, order.currency, scale),
            amount_text(p.fee_minor, order.currency, scale),
            "" if until is None else f"{until:%Y-%m-%d %H:%M:%S}",
        )  # fmt: skip
    console.print(table)


@order_app.command("list", rich_help_panel=BUYERS)
def list_orders(
    before: Annotated[
        int | None, typer.Option(min=1, help="Only orders older than this id (paging).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    awaiting_approval: Annotated[
        bool,
        typer.Option(
            "--awaiting-approval",
            help="Operators: every paid order of important data that waits for your approval "
            "or refusal (bourse order approve|refuse ID --reason R).",
        ),
    ] = False,
    url: UrlOption = None,
) -> None:
    """Your organisation's orders, as buyer or supplier, newest first (operators: with
    --awaiting-approval, the orders that wait for a decision)."""
    with exchange_client(url) as bourse:
        try:
            if awaiting_approval:
                page = bourse.orders.awaiting_approval(before_id=before, limit=limit)
            else:
                page = bourse.orders.mine(before_id=before, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        scale = currency_scale(bourse)
    if not page.items:
        console.print("no orders wait for approval" if awaiting_approval else "no orders")
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
        flag = " --awaiting-approval" if awaiting_approval else ""
        console.print(f"more: [bold]bourse order list{flag} --before {page.next_before_id}[/bold]")


@order_app.command("cancel", rich_help_panel=BUYERS)
def cancel_order(order_id: OrderArg, url: UrlOption = None) -> None:
    """Cancel an order you placed and have not paid."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.cancel(order_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"order {order.id} is {order.status}")


@order_app.command("renew", rich_help_panel=BUYERS)
def renew_order(
    order_id: OrderArg,
    on: Annotated[
        bool, typer.Option("--on/--off", help="Renew one period at a time past those bought.")
    ],
    url: UrlOption = None,
) -> None:
    """Opt a subscription you bought in to (or out of) renewing past the periods bought, where
    its listing allows it; off by default. The periods bought are a commitment either way."""
    with exchange_client(url) as bourse:
        try:
            periods = bourse.orders.set_auto_renew(order_id, on)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    state = "renews one period at a time" if on else "stops after the periods bought"
    console.print(f"order {order_id} {state} ({len(periods)} periods so far)")


@order_app.command("usage", rich_help_panel=SUPPLIERS)
def report_usage(
    order_id: OrderArg,
    units: Annotated[int, typer.Option(min=1, help="Rows or API calls served since the last.")],
    url: UrlOption = None,
) -> None:
    """Report rows or API calls you served under a metered order (its supplier); they count in
    the period open now. Per-download usage is the exchange's own count: nobody reports it."""
    with exchange_client(url) as bourse:
        try:
            period = bourse.orders.report_usage(order_id, units)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"order {order_id}, period {period.number}: {period.units} units so far")


@order_app.command("pay", rich_help_panel=BUYERS)
def pay_order(order_id: OrderArg, url: UrlOption = None) -> None:
    """Pay a placed order into escrow (its buyer)."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.pay(order_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _show(order, currency_scale(bourse))


ReasonOption = Annotated[str, typer.Option(help="Why (journaled with the decision).")]


@order_app.command("approve", rich_help_panel=OPERATORS)
def approve_order(order_id: OrderArg, reason: ReasonOption, url: UrlOption = None) -> None:
    """Approve an important asset's paid order for delivery (operators)."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.approve(order_id, reason=reason)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"order {order.id} is {order.status}")


@order_app.command("refuse", rich_help_panel=OPERATORS)
def refuse_order(order_id: OrderArg, reason: ReasonOption, url: UrlOption = None) -> None:
    """Refuse an important asset's paid order; the buyer is refunded in full (operators)."""
    with exchange_client(url) as bourse:
        try:
            order = bourse.orders.refuse(order_id, reason=reason)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"order {order.id} is {order.status}: the buyer was refunded in full")


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
    app.command("accept")(accept)
    app.command("settle")(settle)
    app.add_typer(order_app, name="order")
