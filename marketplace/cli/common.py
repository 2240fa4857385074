"""What every ``bourse`` command that talks to an exchange shares: the ``--url`` option, the
stored tokens and a client built from them, and how a client error ends the command.

Tokens are kept per user in ``$DATABOURSE_CONFIG_DIR/credentials.json`` (default
``~/.config/databourse/``), readable only by the user (0600), one token per exchange URL.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

from marketplace.client import Databourse, DatabourseClientError

err = Console(stderr=True)

AssetArg = Annotated[int, typer.Argument(min=1, help="The asset id.")]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="The exchange's URL (default: DATABOURSE_PUBLIC_URL)."),
]


def config_dir() -> Path:
    explicit = os.environ.get("DATABOURSE_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "databourse"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def read_credentials() -> dict[str, str]:
    path = credentials_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        err.print(f"[yellow]ignoring unreadable {path}[/yellow]")
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_credentials(tokens: dict[str, str]) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    # Created 0600 from the start: the token is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(tokens, fh, indent=2)
    tmp.chmod(0o600)
    tmp.replace(path)


def exchange_url(url: str | None) -> str:
    """``--url``, else DATABOURSE_PUBLIC_URL, else the settings' public URL; no trailing /."""
    if url:
        return url.rstrip("/")
    env = os.environ.get("DATABOURSE_PUBLIC_URL")
    if env:
        return env.rstrip("/")
    from marketplace.settings import get_settings

    return get_settings().public_url.rstrip("/")


def exchange_client(url: str | None, *, authenticated: bool = True) -> Databourse:
    """A client with the stored token (exits asking to log in when there is none), or an
    anonymous one when ``authenticated`` is false."""
    base = exchange_url(url)
    token = read_credentials().get(base) if authenticated else None
    if authenticated and token is None:
        err.print(f"not logged in to {base}: run [bold]bourse login[/bold] first")
        raise typer.Exit(1)
    return Databourse(base, token=token)


def reading_client(url: str | None) -> Databourse:
    """A client with the stored token when there is one, anonymous otherwise (public reads)."""
    base = exchange_url(url)
    return Databourse(base, token=read_credentials().get(base))


_SPAN_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def moment(value: str, since: datetime, option: str) -> datetime:
    """An ISO 8601 time with a zone, or a span after ``since``: 90s, 30m, 2h, 3d. Anything else
    ends the command with a message naming ``option``."""
    count, unit = value[:-1], value[-1:]
    try:
        if unit in _SPAN_UNITS_S and count.isascii() and count.isdigit():
            return since + timedelta(seconds=int(count) * _SPAN_UNITS_S[unit])
        when = datetime.fromisoformat(value)
    except ValueError:  # not ISO 8601, or a span int() will not read (more than 4,300 digits)
        err.print(
            f"[red]{option} {value!r}[/red]: give an ISO 8601 time with a zone, or 90s, 30m, 2h, 3d"
        )
        raise typer.Exit(2) from None
    except OverflowError:
        err.print(f"[red]{option} {value!r}[/red]: that is past the year 9999")
        raise typer.Exit(2) from None
    if when.tzinfo is None:
        err.print(
            f"[red]{option} {value!r}[/red]: give a time zone, e.g. 2026-01-01T12:00:00+08:00"
        )
        raise typer.Exit(2)
    return when


def fail(exc: DatabourseClientError) -> typer.Exit:
    """Print the exchange's error code and message; ``raise fail(exc)`` ends the command."""
    err.print(f"[red]{exc.code}[/red]: {exc.message}")
    return typer.Exit(1)


# Who uses a command: the panels ``bourse --help`` groups commands under (typer's
# ``rich_help_panel``), in this order.
EVERYONE = "Everyone (no login needed to read)"
SUPPLIERS = "Suppliers"
BUYERS = "Buyers"
OPERATORS = "Operators"
AUDITORS = "Auditors"
RUNNING = "Running an exchange"


def interactive() -> bool:
    """Whether a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


PANEL_ORDER = (EVERYONE, SUPPLIERS, BUYERS, OPERATORS, AUDITORS, RUNNING)


class PanelOrderedGroup(TyperGroup):
    """Lists commands panel by panel in ``PANEL_ORDER`` (rich shows panels in the order it
    first meets them), keeping the registration order inside a panel."""

    def list_commands(self, ctx: object) -> list[str]:  # click.Context, unused
        rank = {panel: i for i, panel in enumerate(PANEL_ORDER)}

        def panel_rank(name: str) -> int:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            return rank.get(panel or "", len(rank))

        return sorted(self.commands, key=panel_rank)


def currency_scale(bourse: Databourse) -> int:
    """The exchange's minor-unit scale (``GET /currency``), for printing ``*_minor`` amounts
    with ``money.amount_text``; a refusal ends the command."""
    try:
        return bourse.currency().scale
    except DatabourseClientError as exc:
        raise fail(exc) from exc


PRIVATE_KEY_ENV = "DATABOURSE_PRIVATE_KEY"


def private_key() -> bytes | None:
    """A self-custody account's key from ``$DATABOURSE_PRIVATE_KEY`` (hex, 0x optional), or
    None (a custodial account: the exchange signs). A key that is not 32 bytes of hex ends the
    command (exit 2) without printing it."""
    text = os.environ.get(PRIVATE_KEY_ENV, "").strip()
    if not text:
        return None
    try:
        key = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        key = b""
    if len(key) != 32:
        err.print(f"[red]${PRIVATE_KEY_ENV}[/red] is not a private key (64 hex digits)")
        raise typer.Exit(2)
    return key
