"""The ``bourse`` command line. Each domain adds its commands from a module of its own."""

from __future__ import annotations

import typer

from marketplace.cli import assets, demo, identity, ledger, objections, quality, server, valuation

app = typer.Typer(
    name="bourse",
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
objections.register(app)


def main() -> None:
    app()
