"""bourse price suggest ASSET [--json]"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from marketplace.cli.common import UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError
from marketplace.money import amount_text

console = Console()
price_app = typer.Typer(help="Pricing: a suggested price for your asset.", no_args_is_help=True)


@price_app.command("suggest")
def suggest(
    asset: Annotated[int, typer.Argument(help="The asset id (yours).")],
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Suggest a price range for a one-off licence of ASSET, from its valuation and comparable
    listings, and say why."""
    with exchange_client(url) as client:
        try:
            shown = client.pricing.suggestion(asset)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        print(shown.model_dump_json(indent=2))
        return
    if shown.mid_minor is None:
        console.print(f"[yellow]no suggestion for asset {asset}[/yellow]")
    else:

        def money(minor: int | None) -> str:
            return amount_text(minor, shown.currency, shown.currency_scale)

        console.print(
            f"[bold]asset {asset}[/bold]: {money(shown.low_minor)} to {money(shown.high_minor)}, "
            f"[bold]{money(shown.mid_minor)}[/bold] in the middle"
        )
    for sentence in shown.reasoning:
        console.print(f"- {sentence}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(price_app, name="price")
