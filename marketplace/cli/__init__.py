"""The ``bourse`` command line. Each domain adds its commands from a module of its own;
``USERS`` below places every top-level command in the ``bourse --help`` panel of the people
who use it."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from marketplace.cli import (
    assets,
    auctions,
    books,
    delivery,
    demands,
    demo,
    disputes,
    fingerprint,
    identity,
    ledger,
    listings,
    notifications,
    objections,
    orders,
    pricing,
    quality,
    quotes,
    review,
    search,
    server,
    valuation,
)
from marketplace.cli.common import (
    AUDITORS,
    BUYERS,
    EVERYONE,
    OPERATORS,
    RUNNING,
    SUPPLIERS,
    PanelOrderedGroup,
)
from marketplace.db import RevisionMismatch

app = typer.Typer(
    name="bourse",
    cls=PanelOrderedGroup,
    help="Databourse: an open data exchange with a chain-anchored journal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server.register(app)
demo.register(app)
assets.register(app)
identity.register(app)
ledger.register(app)
quality.register(app)
valuation.register(app)
pricing.register(app)
review.register(app)
objections.register(app)
listings.register(app)
notifications.register(app)
orders.register(app)
disputes.register(app)
demands.register(app)
quotes.register(app)
auctions.register(app)
search.register(app)
books.register(app)
fingerprint.register(app)
delivery.register(app)

#: Top-level command or group -> its help panel. A command missing here shows under
#: "Commands" (tests/marketplace/cli/test_help.py fails then): add it.
USERS: dict[str, str] = {
    "signup": EVERYONE,
    "login": EVERYONE,
    "me": EVERYONE,
    "password": EVERYONE,
    "logout": EVERYONE,
    "asset": EVERYONE,
    "demo": EVERYONE,
    "search": EVERYONE,
    "quality": SUPPLIERS,
    "valuation": SUPPLIERS,
    "listing": SUPPLIERS,
    "inbox": SUPPLIERS,
    "webhook": SUPPLIERS,
    "price": SUPPLIERS,
    "review": OPERATORS,
    "org": OPERATORS,
    "objection": BUYERS,
    "buy": BUYERS,
    "order": BUYERS,
    "dispute": BUYERS,
    "demand": BUYERS,
    "quote": BUYERS,
    "auction": EVERYONE,
    "bid": BUYERS,
    "balance": BUYERS,
    "deposit": BUYERS,
    "withdraw": BUYERS,
    "payment": BUYERS,
    "statement": BUYERS,
    "books": OPERATORS,
    "fingerprint": SUPPLIERS,
    "download": BUYERS,
    "licence": BUYERS,
    "delivery-key": BUYERS,
    "verify": AUDITORS,
    "ledger": AUDITORS,
    "operator": RUNNING,
    "serve": RUNNING,
    "db": RUNNING,
    "blobs": RUNNING,
    "worker": RUNNING,
    "accept": BUYERS,
    "settle": RUNNING,
}


def group_by_user(cli: typer.Typer) -> None:
    """Set each top-level command's help panel from ``USERS``."""
    for command in cli.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        command.rich_help_panel = USERS.get(name, command.rich_help_panel)
    for group in cli.registered_groups:
        group.rich_help_panel = USERS.get(group.name or "", group.rich_help_panel)


group_by_user(app)


EXIT_SETTINGS = 2


def main() -> None:
    try:
        app()
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        # Neither a traceback nor pydantic's text: it quotes the settings, secrets included.
        typer.echo("error: the DATABOURSE_* settings cannot be used:", err=True)
        for line in settings_errors(exc):
            typer.echo(f"  {line}", err=True)
        raise SystemExit(EXIT_SETTINGS) from None
    except SettingsError as exc:  # a value that does not parse (JSON of a dict setting)
        typer.echo(f"error: the DATABOURSE_* settings cannot be used: {exc}", err=True)
        raise SystemExit(EXIT_SETTINGS) from None
    except RevisionMismatch as exc:  # the database is not at this version's migrations
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_SETTINGS) from None


def settings_errors(exc: ValidationError) -> list[str]:
    """One line per refused setting: its variable (when one field is at fault) and why."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        reason = error["msg"].removeprefix("Value error, ")
        field = "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"DATABOURSE_{field}: {reason}" if field else reason)
    return lines
