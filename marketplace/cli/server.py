"""bourse serve | db upgrade | blobs sweep"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from marketplace.settings import Settings

console = Console()
db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
blobs_app = typer.Typer(help="Blob store administration.", no_args_is_help=True)


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: DATABOURSE_HOST)."),
    port: int | None = typer.Option(None, help="Port (default: DATABOURSE_PORT)."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    fd: int | None = typer.Option(
        None,
        min=0,
        help="Serve on this inherited, already bound and listening TCP socket (a supervisor's,"
        " or a test's that picked its port) instead of binding --host/--port. One worker.",
    ),
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
    if workers > 1 and settings.rate_limit_storage_url.startswith("memory://"):
        # Each process would count its own hits: every abuse limit times the workers.
        shared = "DATABOURSE_RATE_LIMIT_STORAGE_URL to a Redis every worker shares"
        if settings.mode == "production":
            typer.echo(f"error: --workers > 1 in production needs {shared}", err=True)
            raise typer.Exit(2)
        console.print(f"[yellow]warning[/yellow]: abuse limits count per worker; set {shared}")
    listener: socket.socket | None = None
    if fd is not None:
        if workers > 1 or host is not None or port is not None:
            typer.echo("error: --fd serves one inherited socket: no --host, --port or --workers",
                       err=True)  # fmt: skip
            raise typer.Exit(2)
        listener = _inherited(fd)
        bind_host, bind_port = listener.getsockname()[:2]
    else:
        bind_host = host or settings.host
        bind_port = port or settings.port
    if listener is None and workers > 1:
        # Each worker process builds its own app (uvicorn's factory): this one, which only
        # supervises them, brings the embedded database to the newest revision (or refuses one
        # at another) once, before they start, and runs no jobs of its own.
        _database_ready(settings.database_url)
        app = None
    else:
        app = create_app(settings)
    _banner(settings, f"http://{bind_host}:{bind_port}")
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise; the client network
    # keys every abuse limit, so only a proxy the operator names (FORWARDED_ALLOW_IPS) sets it.
    proxy_headers = "FORWARDED_ALLOW_IPS" in os.environ
    if app is not None:
        from marketplace.process import freeze_startup_objects

        freeze_startup_objects()
    if listener is not None:
        assert app is not None
        config = uvicorn.Config(app, log_level="warning", proxy_headers=proxy_headers)
        # uvicorn re-raises the SIGINT it shut down on; uvicorn.run swallows it, so do we.
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[listener])
    elif app is not None:
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            log_level="warning",
            proxy_headers=proxy_headers,
        )
    else:
        uvicorn.run(
            "marketplace.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level="warning",
            proxy_headers=proxy_headers,
        )


def _banner(settings: Settings, base: str) -> None:
    from marketplace.redaction import scrubbed, secrets_of

    console.print(f"[bold]Databourse[/bold] on {base}")
    console.print(f"  Web pages  {base}/")
    console.print(f"  API docs   {base}/docs")
    console.print(f"  Health     {base}/health")
    console.print(f"  Pages      {base}/assets/<id>/quality/report.html (quality)")
    console.print(f"             {base}/assets/<id>/valuations/<n>/report.html (valuation)")
    # stdout is a log too (a supervisor keeps it): the formatter's secrets are *** here as well.
    secrets = secrets_of(settings)
    console.print(f"  Database   {scrubbed(settings.database_url, secrets)}")
    console.print(f"  Chain      {scrubbed(settings.chain_url, secrets)}")


def _database_ready(database_url: str) -> None:
    from marketplace.db import make_engine
    from marketplace.migrations import upgrade_embedded

    engine = make_engine(database_url)
    try:
        upgrade_embedded(engine)
    finally:
        engine.dispose()


def _inherited(fd: int) -> socket.socket:
    """The listening TCP socket behind ``fd`` (family and type read from the descriptor)."""
    try:
        listener = socket.socket(fileno=fd)
    except OSError as exc:
        typer.echo(f"error: --fd {fd} is not an open socket: {exc}", err=True)
        raise typer.Exit(2) from exc
    if listener.family not in (socket.AF_INET, socket.AF_INET6) or (
        listener.type != socket.SOCK_STREAM
    ):
        listener.detach()  # the descriptor is not ours to close
        typer.echo(f"error: --fd {fd} is not a TCP socket", err=True)
        raise typer.Exit(2)
    return listener


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


@blobs_app.command("sweep")
def blobs_sweep(
    older_than_h: int = typer.Option(
        24, "--older-than-h", min=1, help="Only files last written this many hours ago or more."
    ),
    delete: bool = typer.Option(
        False, "--delete", help="Delete what is found (without it, only say what would go)."
    ),
) -> None:
    """Find blobs no revision, marked copy or evidence names (left by crashes and rolled-back
    writes) and abandoned partial uploads, in DATABOURSE_BLOB_URL; --delete deletes them."""
    from sqlmodel import Session

    from marketplace.blobs.store import FileBlobStore, blob_store_from_url
    from marketplace.blobs.sweep import delete as delete_found
    from marketplace.blobs.sweep import find
    from marketplace.db import make_engine
    from marketplace.settings import get_settings

    settings = get_settings()
    store = blob_store_from_url(settings.blob_url)
    assert isinstance(store, FileBlobStore)  # the only backend built in
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            found = find(store, session, now_s=time.time(), grace_s=older_than_h * 3600)
    finally:
        engine.dispose()
    console.print(
        f"{len(found.unreferenced)} blobs no row names and {len(found.partial)} abandoned "
        f"partial uploads, {found.size_bytes:,} bytes, last written over {older_than_h} h ago; "
        f"kept {found.young} younger unnamed files"
        + (f" and {found.unknown} files that are not blobs" if found.unknown else "")
    )
    if not found.files:
        return
    if not delete:
        console.print("run again with --delete to delete them")
        return
    console.print(f"deleted {delete_found(found)} files")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(blobs_app, name="blobs")
