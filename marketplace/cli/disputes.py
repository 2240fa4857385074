"""bourse dispute open ORDER --reason R --statement S | rule ID --outcome O [--supplier-bp N]
--reasons R | appeal ID | vote ID ... | redraw ID | show ID | list
| execute [--once]

A dispute freezes the order's escrow (or claws back a settled order's proceeds), an arbitrator
drawn at random rules once submissions close, either party may appeal once to a panel of three,
and the final ruling moves the money through the books (docs/disputes.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from marketplace.cli import dispute_dossier, dispute_evidence
from marketplace.cli.common import PanelOrderedGroup, UrlOption, exchange_client, fail
from marketplace.client import DatabourseClientError
from marketplace.disputes.models import Outcome, Reason
from marketplace.disputes.schemas import DisputeView

console = Console()
dispute_app = typer.Typer(
    help="Disputes: open one on an order, rule, appeal, vote, show and list yours.",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)
DisputeArg = Annotated[int, typer.Argument(min=1, help="The dispute's id.")]
OutcomeOpt = Annotated[Outcome, typer.Option(help="release, refund or split.")]
BpOpt = Annotated[
    int | None,
    typer.Option("--supplier-bp", min=0, max=10_000, help="A split's share to the supplier (bp)."),
]
ReasonsOpt = Annotated[str, typer.Option(help="The written reasons of the ruling.")]


def _show(d: DisputeView) -> None:
    what = f"order {d.order_id}" if d.period is None else f"period {d.period} of order {d.order_id}"
    console.print(
        f"dispute {d.id} on {what}: [bold]{d.status}[/bold] (round {d.round}), "
        f"opened by the {d.opener_side} for {d.reason}"
        + (" — the settled proceeds clawed back" if d.clawback else "")
    )
    console.print(f"evidence closes {d.evidence_closes_at:%Y-%m-%d %H:%M} UTC")
    for a in d.assignments:
        replaced = f", replaced by draw entry {a.replaced_seq}" if a.replaced_seq else ""
        console.print(
            f"arbitrator: account {a.account_id} (round {a.round}, draw entry {a.drawn_seq}"
            f"{replaced})"
        )
    for r in d.rulings:
        console.print(
            f"{'ruling' if r.round == 1 else 'vote'} by {r.signer}: {r.outcome} "
            f"({r.supplier_bp} bp to the supplier), entry {r.journal_seq}"
        )
    if d.appeal_closes_at is not None and d.status == "ruled":
        console.print(f"appealable until {d.appeal_closes_at:%Y-%m-%d %H:%M} UTC")
    if d.executed_seq is not None:
        console.print(f"executed: {d.outcome}, {d.supplier_bp} bp (entry {d.executed_seq})")


def open_(
    order_id: Annotated[int, typer.Argument(min=1, help="The order to dispute.")],
    *,
    reason: Annotated[Reason, typer.Option(help="Why you dispute it.")],
    statement: Annotated[str, typer.Option(help="Your statement.")],
    period: Annotated[
        int | None,
        typer.Option(min=1, help="The period disputed, of a subscription or metered order."),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Open a dispute on an order, or one period of it (its buyer or supplier; your arbitration
    fee is held). The dispute's id is the last line."""
    with exchange_client(url) as bourse:
        try:
            d = bourse.disputes.open(
                order_id, reason=reason.value, statement=statement, period=period
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(d)
    print(d.id)


def rule(
    dispute_id: DisputeArg, *, outcome: OutcomeOpt, reasons: ReasonsOpt, supplier_bp: BpOpt = None,
    url: UrlOption = None,
) -> None:  # fmt: skip
    """Rule on a dispute you were drawn for, once submissions have closed (signed with your
    custodial key)."""
    with exchange_client(url) as bourse:
        try:
            d = bourse.disputes.rule(
                dispute_id, outcome=outcome.value, reasons=reasons, supplier_bp=supplier_bp
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(d)


def vote(
    dispute_id: DisputeArg, *, outcome: OutcomeOpt, reasons: ReasonsOpt, supplier_bp: BpOpt = None,
    url: UrlOption = None,
) -> None:  # fmt: skip
    """Vote on an appeal as a member of its panel (once)."""
    with exchange_client(url) as bourse:
        try:
            d = bourse.disputes.vote(
                dispute_id, outcome=outcome.value, reasons=reasons, supplier_bp=supplier_bp
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(d)


def appeal(dispute_id: DisputeArg, url: UrlOption = None) -> None:
    """Appeal the ruling (either party, once, within the appeal window; the appeal fee is held)."""
    with exchange_client(url) as bourse:
        try:
            d = bourse.disputes.appeal(dispute_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(d)


def redraw(dispute_id: DisputeArg, url: UrlOption = None) -> None:
    """Draw new arbitrators in place of those of a suspended organisation still to rule or vote
    (operators): for a dispute that kept its arbitrator when no other was eligible."""
    with exchange_client(url) as bourse:
        try:
            d = bourse.disputes.redraw(dispute_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(d)


def show(dispute_id: DisputeArg, url: UrlOption = None) -> None:
    """One dispute (its parties, its arbitrators, operators)."""
    with exchange_client(url) as bourse:
        try:
            d = bourse.disputes.get(dispute_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show(d)


def list_(url: UrlOption = None) -> None:
    """Your disputes: as a party, or drawn as an arbitrator."""
    with exchange_client(url) as bourse:
        try:
            page = bourse.disputes.list()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    for d in page.items:
        console.print(f"{d.id}: order {d.order_id}, {d.status} (round {d.round}), {d.reason}")
    if not page.items:
        console.print("no disputes")


def execute(
    once: Annotated[
        bool, typer.Option("--once", help="One pass over what is due, then exit.")
    ] = False,
) -> None:
    """Execute rulings whose appeal window has ended, and final panel rulings, on this
    exchange's database (DATABOURSE_DATABASE_URL). Safe beside the server and other runs: each
    ruling executes once."""
    from marketplace.db import make_engine
    from marketplace.disputes.execution_job import ExecutionWorker, run_once
    from marketplace.settings import get_settings
    from marketplace.workers import stop_on_signals

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        if once:
            run = run_once(engine, settings)
            console.print(f"executed {len(run.executed)} rulings {run.executed}")
            for dispute_id, error in run.failed.items():
                console.print(f"[red]dispute {dispute_id} failed[/red]: {error}")
            if run.failed:
                raise typer.Exit(1)
            return
        ExecutionWorker(engine, settings).run(stop_on_signals())
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    dispute_app.command("open")(open_)
    dispute_app.command("rule")(rule)
    dispute_app.command("appeal")(appeal)
    dispute_app.command("vote")(vote)
    dispute_app.command("redraw")(redraw)
    dispute_app.command("show")(show)
    dispute_app.command("list")(list_)
    dispute_app.command("execute")(execute)
    dispute_evidence.add_commands(dispute_app)
    dispute_dossier.add_commands(dispute_app)
    app.add_typer(dispute_app, name="dispute")
