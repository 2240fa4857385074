"""bourse search [WORDS…] [--theme … --purpose … --sort … --cursor …]: the catalog's listings,
price and terms first (no login).

Words are plain words, in Chinese, English or both; quotes, ``*`` and the like are only
separators. Each listing shows its price and terms in plain words; when there are more, the
command prints the ``--cursor`` that fetches the next page.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from marketplace import limits
from marketplace.cli.amounts import currency_of, minor_bound
from marketplace.cli.common import UrlOption, fail, reading_client
from marketplace.client import DatabourseClientError

console = Console()
SORTS = ("relevance", "price_asc", "price_desc", "quality", "recent")


def search(
    words: Annotated[list[str] | None, typer.Argument(help="Words to find.")] = None,
    *,
    theme: Annotated[str | None, typer.Option(help="The asset's theme.")] = None,
    price_min: Annotated[
        str | None, typer.Option(help="Lowest price, in the exchange's currency (e.g. 100).")
    ] = None,
    price_max: Annotated[
        str | None, typer.Option(help="Highest price, in the exchange's currency.")
    ] = None,
    quality_min: Annotated[
        float | None, typer.Option(min=0, max=100, help="Lowest quality score.")
    ] = None,
    purpose: Annotated[str | None, typer.Option(help="A purpose the terms permit.")] = None,
    classification: Annotated[str | None, typer.Option(help="general or important.")] = None,
    frequency: Annotated[str | None, typer.Option(help="Update frequency (daily …).")] = None,
    sort: Annotated[str, typer.Option(help=f"One of: {', '.join(SORTS)}.")] = "relevance",
    limit: Annotated[int, typer.Option(min=1, max=limits.page_size_max)] = 20,
    cursor: Annotated[str | None, typer.Option(help="The next page, as printed.")] = None,
    url: UrlOption = None,
) -> None:
    """Search the catalog's listings: price and terms in plain words (no login needed)."""
    with reading_client(url) as client:
        bounds = [
            None if text is None else minor_bound(text, currency_of(client), option=option)
            for text, option in ((price_min, "--price-min"), (price_max, "--price-max"))
        ]
        try:
            page = client.search.listings(
                " ".join(words or []),
                theme=theme,
                price_min_minor=bounds[0],
                price_max_minor=bounds[1],
                quality_min=quality_min,
                purpose=purpose,
                classification=classification,
                update_frequency=frequency,
                sort=sort,
                limit=limit,
                cursor=cursor,
            )
        except DatabourseClientError as exc:
            raise fail(exc) from None
    for listing in page.items:
        flag = " [yellow]under objection 异议中[/yellow]" if listing.under_objection else ""
        title = listing.asset_title or f"asset {listing.asset_id}"
        console.print(
            f"[bold]{listing.id}[/bold] {title} · [bold]{listing.price_plain}[/bold]{flag}"
        )
        for line in listing.terms_plain:
            console.print(f"    {line}")
    if not page.items:
        console.print("no listing found")
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}", soft_wrap=True)  # copyable whole


def register(app: typer.Typer) -> None:
    app.command("search")(search)
