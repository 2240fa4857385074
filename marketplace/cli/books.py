"""bourse balance | deposit AMOUNT | withdraw AMOUNT | payment [ID] | statement [--csv] |
books reconcile

Amounts are typed as people write them (``1,250.50``) in the exchange's currency and sent as
integer minor units (fen for CNY); the currency's scale comes from the exchange.
"""

from __future__ import annotations

import sys
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketplace.books.schemas import BalanceShown, PaymentView
from marketplace.cli.amounts import minor_units
from marketplace.cli.common import OPERATORS, PanelOrderedGroup, UrlOption, exchange_client, fail
from marketplace.client import Databourse, DatabourseClientError
from marketplace.money import Currency, amount_text

console = Console()
err = Console(stderr=True)
books_app = typer.Typer(
    help="The exchange's books: the reconciliation (operators).",
    no_args_is_help=True,
    cls=PanelOrderedGroup,
)
AmountArg = Annotated[
    str, typer.Argument(help="An amount in the exchange's currency, e.g. 1250.50 or '1250.50 CNY'.")
]
TransferIdOption = Annotated[
    str | None,
    typer.Option(help="Your own id for this payment: sending it again never moves money twice."),
]


def _money(minor: int, shown: BalanceShown) -> str:
    return amount_text(minor, shown.currency, shown.currency_scale)


def _minor(text: str, shown: BalanceShown) -> int:
    return minor_units(text, Currency(shown.currency, shown.currency_scale), option="AMOUNT")


def _show_balance(shown: BalanceShown) -> None:
    console.print(f"available: [bold]{_money(shown.available_minor, shown)}[/bold]")
    console.print(f"held in escrow: {_money(shown.held_minor, shown)}")
    if shown.withdrawing_minor:
        console.print(f"withdrawals in flight: {_money(shown.withdrawing_minor, shown)}")


_STATUS_NOTES = {
    "pending": "the payment provider has not answered yet; the exchange asks again",
    "processing": "the payment provider will confirm or refuse it",
}


def _show_payment(payment: PaymentView, shown: BalanceShown) -> None:
    console.print(
        f"{payment.direction} {payment.id}: {_money(payment.amount_minor, shown)}, "
        f"[bold]{payment.status}[/bold] ({payment.provider} {payment.provider_ref})"
    )
    note = _STATUS_NOTES.get(payment.status)
    if payment.status == "failed":
        note = f"{payment.failure_reason}" + (
            "; the money is available again" if payment.direction == "withdrawal" else ""
        )
    if payment.status == "returned":
        note = f"{payment.return_reason}; the money is available again"
    if note:
        console.print(f"  {note}")
    if payment.status == "pending" and payment.last_error:
        console.print(f"  last attempt ({payment.provider_attempts}): {payment.last_error}")


def _payment(
    bourse: Databourse, kind: str, amount: str, transfer_id: str | None
) -> tuple[PaymentView, BalanceShown]:
    shown = bourse.books.balance()
    minor = _minor(amount, shown)
    # One key for this command: a retry inside it (a lost answer) never moves money twice.
    key = uuid.uuid4().hex
    move = bourse.books.deposit if kind == "deposit" else bourse.books.withdraw
    payment = move(minor, transfer_id=transfer_id, idempotency_key=key)
    return payment, bourse.books.balance()


def deposit(amount: AmountArg, transfer_id: TransferIdOption = None, url: UrlOption = None) -> None:
    """Deposit money into your organisation's account (its admins; verified organisations)."""
    with exchange_client(url) as bourse:
        try:
            payment, shown = _payment(bourse, "deposit", amount, transfer_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show_payment(payment, shown)
    _show_balance(shown)


def withdraw(
    amount: AmountArg, transfer_id: TransferIdOption = None, url: UrlOption = None
) -> None:
    """Withdraw available money (its admins); refused when the available money is short."""
    with exchange_client(url) as bourse:
        try:
            payment, shown = _payment(bourse, "withdrawal", amount, transfer_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show_payment(payment, shown)
    _show_balance(shown)


def payment(
    payment_id: Annotated[
        int | None, typer.Argument(min=1, help="The payment's id; none lists the newest.")
    ] = None,
    url: UrlOption = None,
) -> None:
    """A deposit or withdrawal and its status (pending, processing, confirmed, failed,
    returned), or
    your organisation's newest payments."""
    with exchange_client(url) as bourse:
        try:
            shown = bourse.books.balance()
            found = (
                [bourse.books.payment(payment_id)]
                if payment_id is not None
                else bourse.books.payments().items
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    for one in found:
        _show_payment(one, shown)
    if not found:
        console.print("no payments yet")


def balance(url: UrlOption = None) -> None:
    """Your organisation's available money, the money held in escrow for its orders, and its
    withdrawals in flight."""
    with exchange_client(url) as bourse:
        try:
            shown = bourse.books.balance()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    _show_balance(shown)


def statement(
    csv: Annotated[bool, typer.Option("--csv", help="Write CSV to standard output.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Write the statement as JSON to standard output.")
    ] = False,
    url: UrlOption = None,
) -> None:
    """Your organisation's transfers, oldest first, each with the ledger entry (seq) that
    records it and the running balance of the account it touched."""
    with exchange_client(url) as bourse:
        try:
            if csv:
                sys.stdout.write(bourse.books.statement_csv())
                return
            found = bourse.books.statement()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    if as_json:
        sys.stdout.write(found.model_dump_json(indent=2) + "\n")
        return
    shown = BalanceShown(
        organization_id=found.organization_id, currency=found.currency,
        available_minor=found.available_minor, held_minor=found.held_minor,
        withdrawing_minor=found.withdrawing_minor, currency_scale=found.currency_scale,
    )  # fmt: skip
    table = Table("seq", "when (UTC)", "what", "account", "change", "balance", "reference")
    for line in found.lines:
        table.add_row(
            str(line.seq), f"{line.created_at:%Y-%m-%d %H:%M}", line.code, line.account,
            _money(line.delta_minor, shown), _money(line.balance_minor, shown), line.reference,
        )  # fmt: skip
    console.print(table)
    if found.truncated:
        console.print("(the oldest transfers are left out; --csv lists the same lines)")
    _show_balance(shown)


@books_app.command("reconcile", rich_help_panel=OPERATORS)
def reconcile(url: UrlOption = None) -> None:
    """Check the whole books (operators): every account sums to zero, each cached balance
    equals its transfers, no account but clearing is negative, and each organisation's held
    money equals its pending holds. Exit status 1 when anything is wrong."""
    with exchange_client(url) as bourse:
        try:
            report = bourse.books.reconcile()
            money = bourse.currency()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(
        f"{report.accounts} accounts, {report.transfers} transfers, sum {report.total_minor}"
    )
    for own in report.exchange_accounts:  # the exchange's: fee revenue, arbitration fees, clearing
        shown = (
            money.format(own.balance_minor)
            if own.currency == money.code
            else f"{own.balance_minor} minor units of {own.currency}"
        )
        console.print(f"{own.kind.replace('_', ' ')}: {shown}")
    if report.ok:
        console.print("[green]the books reconcile[/green]")
        return
    for problem in report.problems:
        console.print(f"[red]{problem}[/red]")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("balance")(balance)
    app.command("deposit")(deposit)
    app.command("withdraw")(withdraw)
    app.command("payment")(payment)
    app.command("statement")(statement)
    app.add_typer(books_app, name="books")
