"""bourse serve | db upgrade"""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()
db_app = typer.Typer(help="Database administration.", no_args_is_help=True)


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: DATABOURSE_HOST)."),
    port: int | None = typer.Option(None, help="Port (default: DATABOURSE_PORT)."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
) -> None:
    """Start the exchange's API (and, by default, its anchoring worker)."""
    import uvicorn

    from marketplace.app import create_app
    from marketplace.settings import get_settings

    settings = get_settings()
    if workers > 1 and settings.chain_url.startswith("eth-tester://"):
        typer.echo(
            "error: --workers > 1 needs a chain all processes can share, and the in-process EVM "
            "(eth-tester://) belongs to one: set DATABOURSE_CHAIN_URL to an http(s):// node",
            err=True,
        )
        raise typer.Exit(2)
    bind_host = host or settings.host
    bind_port = port or settings.port
    app = create_app(settings)
    base = f"http://{bind_host}:{bind_port}"
    console.print(f"[bold]Databourse[/bold] on {base}")
    console.print(f"  Web pages  {base}/")
    console.print(f"  API docs   {base}/docs")
    console.print(f"  Health     {base}/health")
    console.print(f"  Pages      {base}/assets/<id>/quality/report.html (quality)")
    console.print(f"             {base}/assets/<id>/valuations/<n>/report.html (valuation)")
    console.print(f"  Database   {settings.database_url}")
    console.print(f"  Chain      {settings.chain_url}")
    if workers == 1:
        from marketplace.process import freeze_startup_objects

        freeze_startup_objects()
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning")
    else:
        uvicorn.run(
            "marketplace.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level="warning",
        )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to DATABOURSE_DATABASE_URL."""
    from marketplace.db import make_engine
    from marketplace.migrations import upgrade
    from marketplace.settings import get_settings

    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    engine.dispose()
    console.print("database is at the newest revision")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
