"""bourse demand post … | list [--open] | matched | show ID | matches ID | close ID

A buyer's demands (需求): ``post`` asks for data by words, required fields (``--field
city:string``), a minimum quality, a purpose, a budget and a deadline; ``matches`` shows the
ranked listings with why each matched. ``list --open`` is the suppliers' view: the open demands
they may answer with a quote; ``matched`` is their inbox, the open demands their own listings
match, best first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from marketplace.cli.amounts import currency_of, minor_units
from marketplace.cli.common import UrlOption, currency_scale, exchange_client, fail, moment
from marketplace.client import DatabourseClientError
from marketplace.money import amount_text

console = Console()
err = Console(stderr=True)
demand_app = typer.Typer(
    help="Demands (需求): ask for data, see the listings that match, close a demand.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def parse_field(text: str) -> dict[str, str]:
    """``name`` or ``name:type`` (a Table Schema type)."""
    name, sep, kind = text.rpartition(":") if ":" in text else (text, "", "")
    if not name.strip():
        err.print(f"[red]--field {text!r}[/red]: use NAME or NAME:TYPE, e.g. pm25:number")
        raise typer.Exit(2)
    return {"name": name.strip(), "type": kind.strip()} if sep else {"name": name.strip()}


def _budget(demand: Any, scale: int) -> str:
    low = amount_text(demand.budget_min_minor, demand.currency, scale)
    return f"{low.removesuffix(' ' + demand.currency)} to " + amount_text(
        demand.budget_max_minor, demand.currency, scale
    )


def print_demand(demand: Any, scale: int) -> None:
    fields = ", ".join(f"{f.name}:{f.type}" for f in demand.fields) or "none"
    console.print(
        f"[bold]demand {demand.id}[/bold] {demand.title!r}: {demand.status}, purpose "
        f"{demand.purpose}, budget {_budget(demand, scale)}, deadline "
        f"{demand.deadline.isoformat()}"
    )
    console.print(
        f"fields {fields}; minimum quality "
        f"{'none' if demand.quality_min is None else demand.quality_min}; journal seq "
        f"{demand.journal_seq}"
    )


@demand_app.command("post")
def post(
    title: Annotated[str, typer.Option(help="What data you need, in a line.")],
    purpose: Annotated[str, typer.Option(help="research | commercial | internal_analytics | …")],
    budget_min: Annotated[
        str, typer.Option(help="Lowest price you expect, in the exchange's currency (1000.00).")
    ],
    budget_max: Annotated[
        str, typer.Option(help="Highest price you would pay, in the exchange's currency.")
    ],
    deadline: Annotated[
        str, typer.Option(help="ISO 8601 moment with a time zone, or a span from now: 7d, 12h.")
    ],
    *,
    description: Annotated[str, typer.Option(help="More words on what you need.")] = "",
    keyword: Annotated[list[str] | None, typer.Option(help="A keyword (repeatable).")] = None,
    field: Annotated[
        list[str] | None, typer.Option(help="A required column NAME[:TYPE] (repeatable).")
    ] = None,
    quality_min: Annotated[float | None, typer.Option(help="Minimum quality score, 0-100.")] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Post a demand (a verified buyer); the suppliers of the best matches are notified. Prints
    the demand, then its id alone on the last line (or, with --json, the demand as JSON)."""
    with exchange_client(url) as client:
        money = currency_of(client)
        budget_min_minor = minor_units(budget_min, money, option="--budget-min")
        budget_max_minor = minor_units(budget_max, money, option="--budget-max")
        try:
            demand = client.demands.post(
                title=title,
                description=description,
                keywords=keyword or [],
                fields=[parse_field(f) for f in field or []],
                quality_min=quality_min,
                purpose=purpose,
                budget_min_minor=budget_min_minor,
                budget_max_minor=budget_max_minor,
                deadline=moment(deadline, datetime.now(UTC), "--deadline"),
            )
        except DatabourseClientError as exc:
            raise fail(exc) from None
        if as_json:
            print(demand.model_dump_json(indent=2))
            return
        print_demand(demand, currency_scale(client))
    print(demand.id)


@demand_app.command("list")
def list_demands(
    *,
    open_only: Annotated[
        bool, typer.Option("--open", help="The open demands you may answer (suppliers).")
    ] = False,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the last page.")] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Your organisation's demands, newest first (--open: the open demands to answer)."""
    with exchange_client(url) as client:
        try:
            page = (
                client.demands.open_demands(cursor=cursor)
                if open_only
                else client.demands.mine(cursor=cursor)
            )
        except DatabourseClientError as exc:
            raise fail(exc) from None
        if as_json:
            print(page.model_dump_json(indent=2))
            return
        scale = currency_scale(client)
    if not page.items:
        console.print(
            "no open demand to answer"
            if open_only
            else "your organisation has posted no demand: bourse demand post"
        )
        return
    table = Table("id", "title", "status", "purpose", "budget", "deadline")
    for d in page.items:
        table.add_row(
            str(d.id),
            d.title,
            d.status,
            d.purpose,
            _budget(d, scale),
            d.deadline.isoformat(),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}")


@demand_app.command("show")
def show(
    demand_id: Annotated[int, typer.Argument(help="The demand id.")],
    *,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """One demand, as you may see it."""
    with exchange_client(url) as client:
        try:
            demand = client.demands.get(demand_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
        if as_json:
            print(demand.model_dump_json(indent=2))
        else:
            print_demand(demand, currency_scale(client))


def _why(explanation: Any) -> str:
    matched = [
        f.column if f.via == "name" else f"{f.required}→{f.column} (synonym)"
        for f in explanation.fields_matched
    ]
    parts = [
        f"fields {', '.join(matched) or 'none'}",
        f"missing {', '.join(explanation.fields_missing) or 'none'}",
        f"price {explanation.price.verdict}",
        f"quality {explanation.quality.score if explanation.quality.score is not None else '-'}"
        f"{' ok' if explanation.quality.meets else ' below'}",
        "purpose ok" if explanation.purpose.permitted else f"purpose: {explanation.purpose.reason}",
    ]
    return "; ".join(parts)


@demand_app.command("matches")
def matches(
    demand_id: Annotated[int, typer.Argument(help="The demand id.")],
    *,
    limit: Annotated[int, typer.Option(help="How many matches, at most 100.")] = 20,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Your demand's ranked matches, each with why it matched."""
    with exchange_client(url) as client:
        try:
            page = client.demands.matches(demand_id, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        print(page.model_dump_json(indent=2))
        return
    table = Table("rank", "listing", "score", "price", "why")
    for rank, m in enumerate(page.matches, start=1):
        table.add_row(str(rank), str(m.listing_id), f"{m.score:.3f}", m.listing.price_plain,
                      _why(m.explanation))  # fmt: skip
    console.print(table)
    console.print(f"{page.candidates_scored} candidate listings scored; demand is {page.status}")


@demand_app.command("matched")
def matched(
    *,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the last page.")] = None,
    limit: Annotated[int, typer.Option(help="How many demands, at most 100.")] = 20,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """The open demands your listings match, best first, with the listings and why (suppliers)."""
    with exchange_client(url) as client:
        try:
            page = client.demands.matched(cursor=cursor, limit=limit)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        print(page.model_dump_json(indent=2))
        return
    if not page.items:
        console.print(f"no open demand matches your listings ({page.demands_scanned} scanned)")
        return
    table = Table("demand", "title", "score", "your listing", "why")
    for item in page.items:
        for m in item.matches:
            table.add_row(str(item.demand.id), item.demand.title, f"{m.score:.3f}",
                          str(m.listing_id), _why(m.explanation))  # fmt: skip
    console.print(table)
    console.print(
        f"{page.demands_scanned} open demands scored against {page.listings_scored} listings"
    )
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}")


@demand_app.command("close")
def close(
    demand_id: Annotated[int, typer.Argument(help="The demand id.")],
    *,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Withdraw your open demand."""
    with exchange_client(url) as client:
        try:
            demand = client.demands.close(demand_id)
        except DatabourseClientError as exc:
            raise fail(exc) from None
        if as_json:
            print(demand.model_dump_json(indent=2))
        else:
            print_demand(demand, currency_scale(client))


def register(app: typer.Typer) -> None:
    app.add_typer(demand_app, name="demand")
