"""bourse valuation request ASSET … | show ID [--html FILE]

Inputs come from options (one approach per ``--method``) or from a JSON file holding the
``inputs`` object of ``POST /assets/{id}/valuations`` (docs/valuation.md); options override the
file's approaches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from marketplace.cli.amounts import currency_of, minor_bound
from marketplace.cli.common import UrlOption, exchange_client, fail, reading_client
from marketplace.client import Databourse, DatabourseClientError
from marketplace.money import Currency, amount_text

console = Console()
err = Console(stderr=True)
valuation_app = typer.Typer(
    help="Data asset valuation: cost, income and market approaches.", no_args_is_help=True
)


def money(minor: int | None, report: dict[str, Any]) -> str:
    """An amount of a valuation report, in the report's own currency and scale."""
    return amount_text(minor, str(report["currency"]), int(report["currency_scale"]))


def _pairs(values: list[str] | None, option: str, currency: Currency) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in values or []:
        name, sep, amount = item.partition("=")
        if not sep:
            err.print(f"[red]{option} {item!r}[/red]: use COMPONENT=AMOUNT, e.g. labour=5000.00")
            raise typer.Exit(2)
        out[name.strip()] = minor_bound(amount, currency, option=f"{option} {name.strip()}")
    return out


def build_inputs(
    methods: list[str],
    file_inputs: dict[str, Any],
    *,
    cost: dict[str, int],
    profit_rate: str,
    annual_income: int | None,
    income_share: str | None,
    discount_rate: str | None,
    horizon: int | None,
    growth: str,
    quality: str | None,
    timeliness: str | None,
    volume: int | None,
    rights: list[str],
    comparables: list[dict[str, Any]],
) -> dict[str, Any]:
    """The request's ``inputs`` from the file and the options of each ``--method``. Values are
    passed through as given; the exchange checks them (422 naming the field)."""
    inputs = dict(file_inputs)
    for method in methods:
        if method == "cost":
            inputs["cost"] = {"components_minor": cost, "profit_rate": profit_rate}
        elif method == "income":
            inputs["income"] = {
                "annual_income_minor": annual_income,
                "income_share": income_share,
                "discount_rate": discount_rate,
                "horizon_years": horizon,
                "growth_rate": growth,
            }
        elif method == "market":
            inputs["market"] = {
                "quality_score": quality,
                "timeliness_score": timeliness,
                "volume_rows": volume,
                "rights": rights,
                "comparables": comparables,
            }
        else:
            err.print(f"[red]unknown method {method!r}[/red]: use cost, income or market")
            raise typer.Exit(2)
    if not inputs:
        err.print("nothing to value: give --method cost|income|market or --inputs FILE")
        raise typer.Exit(2)
    return inputs


def print_valuation(valuation: Any) -> None:
    report = valuation.report
    console.print(
        f"[bold]valuation {valuation.id}[/bold] ({valuation.kind}) of {report['subject']}: "
        f"[bold]{money(report['value_minor'], report)}[/bold], range "
        f"{money(report['low_minor'], report)} to {money(report['high_minor'], report)}"
    )
    table = Table("approach", "value", "range", "weight", "note")
    for a in report["approaches"]:
        rng = (
            f"{money(a['low_minor'], report)} to {money(a['high_minor'], report)}"
            if a.get("low_minor") is not None
            else ""
        )
        weight = report["weights_applied"].get(a["approach"])
        table.add_row(
            a["approach"],
            money(a["value_minor"], report),
            rng,
            "" if weight is None else str(weight),
            a.get("note") or "",
        )
    console.print(table)
    steps = Table("approach", "step", "value", title="how each value was reached")
    for a in report["approaches"]:
        for name, value in (a.get("steps") or {}).items():  # the market's: each comparable
            steps.add_row(a["approach"], name, str(value))
    if steps.row_count:
        console.print(steps)
    if report.get("note"):
        console.print(f"[yellow]{report['note']}[/yellow]")
    console.print(f"report hash {valuation.report_hash} · journal seq {valuation.journal_seq}")
    if valuation.signature:
        signer = (valuation.certification or {}).get("signer")
        console.print(f"signed by valuer {signer}: {valuation.signature}")


@valuation_app.command("request")
def request(
    asset: Annotated[int, typer.Argument(help="The asset id.")],
    *,
    method: Annotated[
        list[str] | None, typer.Option(help="cost | income | market (repeatable).")
    ] = None,
    inputs: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="JSON file with the inputs object."),
    ] = None,
    cost: Annotated[
        list[str] | None,
        typer.Option(help="Cost component in the exchange's currency, e.g. labour=5000.00."),
    ] = None,
    profit_rate: Annotated[str, typer.Option(help="Reasonable profit rate, e.g. 0.1.")] = "0",
    annual_income: Annotated[
        str | None, typer.Option(help="First-year income, in the exchange's currency.")
    ] = None,
    income_share: Annotated[str | None, typer.Option(help="Share due to the data, 0-1.")] = None,
    discount_rate: Annotated[str | None, typer.Option(help="Discount rate, e.g. 0.1.")] = None,
    horizon: Annotated[int | None, typer.Option(help="Horizon in years.")] = None,
    growth: Annotated[str, typer.Option(help="Yearly income growth, e.g. 0.05.")] = "0",
    quality: Annotated[str | None, typer.Option(help="Subject's quality score (market).")] = None,
    timeliness: Annotated[str | None, typer.Option(help="Subject's timeliness score.")] = None,
    volume: Annotated[int | None, typer.Option(help="Subject's volume in rows.")] = None,
    right: Annotated[
        list[str] | None, typer.Option(help="holding | processing_use | operation (repeatable).")
    ] = None,
    comparables: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="JSON list of comparables (market)."),
    ] = None,
    certified: Annotated[
        bool, typer.Option(help="Issue a certified valuation (needs the valuer role).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Request a valuation of ASSET's latest revision and print its value and range."""
    file_inputs: dict[str, Any] = json.loads(inputs.read_text()) if inputs else {}
    with exchange_client(url) as client:
        money = currency_of(client)
    body = build_inputs(
        method or [],
        file_inputs.get("inputs", file_inputs),
        cost=_pairs(cost, "--cost", money),
        profit_rate=profit_rate,
        annual_income=None
        if annual_income is None
        else minor_bound(annual_income, money, option="--annual-income"),
        income_share=income_share,
        discount_rate=discount_rate,
        horizon=horizon,
        growth=growth,
        quality=quality,
        timeliness=timeliness,
        volume=volume,
        rights=right or [],
        comparables=json.loads(comparables.read_text()) if comparables else [],
    )
    with exchange_client(url) as client:
        try:
            valuation = client.valuation.issue(asset, body, certified=certified)
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if as_json:
        print(valuation.model_dump_json(indent=2))
    else:
        print_valuation(valuation)
        print(valuation.id)


@valuation_app.command("show")
def show(
    valuation_id: Annotated[int, typer.Argument(help="The valuation id.")],
    *,
    html: Annotated[
        Path | None, typer.Option(help="Also save the HTML report (with its charts) here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Show a valuation report; --html saves the readable page."""
    with reading_client(url) as client:
        try:
            valuation = client.valuation.by_id(valuation_id)
            page = client.valuation.report_html(valuation.asset_id, valuation_id) if html else None
        except DatabourseClientError as exc:
            raise fail(exc) from None
    if html is not None and page is not None:
        html.write_text(page, encoding="utf-8")
    if as_json:
        print(valuation.model_dump_json(indent=2))
    else:
        print_valuation(valuation)
        if html is not None:
            console.print(f"HTML report saved to {html}")


DEMO_WAIT_S_MAX = 60.0
DEMO_INPUTS: dict[str, Any] = {
    "cost": {
        "components_minor": {"collection": 1_200_000, "processing": 300_000, "labour": 500_000},
        "profit_rate": "0.15",
    },
    "income": {
        "annual_income_minor": 4_000_000,
        "income_share": "0.1",
        "discount_rate": "0.08",
        "horizon_years": 3,
    },
}


def demo(supplier: Databourse, asset_id: int) -> list[str]:
    """The quality and valuation part of ``bourse demo``: wait for the asset's quality report
    (started by the upload), then request an indicative valuation. Returns one line per fact."""
    import time

    number = supplier.assets.get(asset_id).latest_revision
    deadline = time.monotonic() + DEMO_WAIT_S_MAX
    while True:
        try:
            got = supplier.quality.of_revision(asset_id, number)
        except DatabourseClientError as exc:
            if exc.status != 404 or time.monotonic() > deadline:
                raise
        else:
            if got.status in ("done", "failed"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the quality evaluation of asset {asset_id} did not finish")
        time.sleep(0.3)
    if got.status == "failed" or got.report is None:
        raise RuntimeError(f"the quality evaluation of asset {asset_id} failed: {got.error}")
    report = got.report

    def shown(score: float | None) -> str:
        return "not judged" if score is None else f"{score:.2f}"

    lines = [
        f"asset {asset_id} quality (GB/T 36344): overall {shown(report['overall'])}, "
        f"report hash {got.report_hash} at journal seq {got.journal_seq}",
        "quality: " + ", ".join(f"{d['name']} {shown(d['score'])}" for d in report["dimensions"]),
    ]
    valuation = supplier.valuation.issue(asset_id, DEMO_INPUTS)
    v = valuation.report
    lines.append(
        f"asset {asset_id} indicative valuation {valuation.id}: "
        f"{money(v['value_minor'], v)}, range {money(v['low_minor'], v)}"
        f" to {money(v['high_minor'], v)} (journal seq {valuation.journal_seq}); "
        f"`bourse valuation show {valuation.id} --html valuation.html`"
    )
    return lines


def register(app: typer.Typer) -> None:
    app.add_typer(valuation_app, name="valuation")
